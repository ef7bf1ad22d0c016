"""Rep2D-BEAT's three tasks (seed paper §4.1, prompts verbatim from its Appendix E).

* ``rep2d_bbox``: boxes of one object in k context views; answer its loose box in the query view
  (0-1000 normalised, origin top-left). Metric IoU; reward IoU.
* ``rep2d_exposure``: the object's visible percentage in k context views; answer it for the query
  view. Metric squared error of the visible fraction (the paper's MSE is its mean); reward -error.
* ``rep2d_camera_pose``: camera positions (x, y, z) of k context views; answer the query view's.
  Metric L2 error in metres; reward -error.

Targets are rounded exactly as the prompt writes numbers (integer 0-1000 boxes, 0.1 % visibility,
centimetre positions), so a perfect answer scores exactly the best value. Parse failures score the
worst value: IoU 0, squared error 1 (predictions are clipped to [0, 1], so 1 is the largest error),
and for positions the room diagonal (errors are capped there).
"""

from __future__ import annotations

import numpy as np

from .. import metrics, parsing
from ..draw import GREEN, draw_box
from ..views import View, ViewBank
from . import Episode, Task, TaskOptions, register_task

_INTRO = ("You are an AI with the ability to analyze a series of images, each representing a different perspective "
          "of a single scene. Your task is to construct a 3D understanding based on these images. ")

PROMPT_BBOX = _INTRO + (
    "A user will provide you with a set of images and 2D bounding boxes in each image of a single specfic object. "
    "The user will also provide a single image of the scene without a bounding box. Your task is to generate a 2D "
    "bounding box around the same object that can also be seen in this last image. Only output the bounding box "
    "without any other text. So do not give context about the input images or the bounding box. The bounding box is "
    "normalized to the image resolution, and the origin is the top left. For example the bottom right corner is "
    "(1000, 1000). The bounding box should be in a json format, exactly like: {'x_min': x_min, 'y_min': y_min, "
    "'x_max': x_max, 'y_max': y_max}. but where the actual values are filled in. ")

PROMPT_EXPOSURE = _INTRO + (
    "A user will provide you with a set of images and percentages that the object in the bounding box is visible in "
    "each image. The user will also provide a single image of the scene without the bounding box for that same "
    "object. Your task is to generate this percentage of visibility of that specific object in the final image. Only "
    "output the percentage as a float without any other text. So do not give context about the input images or the "
    "percentage.")

PROMPT_CAMERA = _INTRO + (
    "A user will provide you with a set of images and 3x1 (x,y,z) vectors that indicate the position of the camera "
    "in the room in each image. The user will also provide a single image of the scene without the corresponding "
    "camera position. Your task is to generate this camera position vector. Only output the camera position vector "
    "without any other text. So do not give context about the input images or the camera translation vector.")

EMPTY_BOX_TEXT = "{'x_min': 0, 'y_min': 0, 'x_max': 0, 'y_max': 0}"


def normalise_box(box, width: int, height: int) -> list[int] | None:
    """Pixel box -> integer 0-1000 box (origin top-left) as the prompts write it; None stays None."""
    return None if box is None else list(metrics.box_to_norm1000(box, width, height))


def box_text(box: list[int] | None) -> str:
    """A 0-1000 box in the paper's JSON-like format (the empty box as all zeros)."""
    if box is None:
        return EMPTY_BOX_TEXT
    return "{'x_min': %d, 'y_min': %d, 'x_max': %d, 'y_max': %d}" % tuple(box)


def position_text(position) -> str:
    """A camera position as the prompt writes it: centimetre precision."""
    return "[%.2f, %.2f, %.2f]" % tuple(position)


# Targets of one query view, rounded exactly as the prompts write numbers (shared with the export).

def bbox_target(view: View, resolution: int) -> tuple[dict, str]:
    """The Rep2D-B target (0-1000 loose box; None when the object is not visible) and its answer text."""
    box = normalise_box(view.annotation.loose_box, resolution, resolution) if view.visible else None
    return {"box": box, "visible": view.visible}, box_text(box)


def exposure_target(view: View) -> tuple[dict, str]:
    """The Rep2D-E target (visible fraction to 0.1 %) and its answer text (a percentage)."""
    value = round(view.annotation.visibility, 3) if view.visible else 0.0
    return {"visibility": value, "visible": view.visible}, f"{value * 100:.1f}"


def camera_position(view: View) -> list[float]:
    """The view's camera position rounded to centimetres, as the prompts write it."""
    return [round(float(v), 2) for v in view.camera.position]


def _choose(bank: ViewBank, rng: np.random.Generator, options: TaskOptions):
    """Pick an object, k = num_views - 1 context views where it is visible, and a query view."""
    k = options.num_views - 1
    eligible = bank.objects_with_visible(options.num_views)
    if not eligible:
        raise ValueError(f"scene {bank.scene_id!r}: no object has {options.num_views} visible views "
                         f"(the bank samples {bank.index['config']['views_visible']} per object)")
    oid = eligible[int(rng.integers(len(eligible)))]
    visible, invisible = bank.visible_views(oid), bank.invisible_views(oid)
    order = rng.permutation(len(visible))
    context = [visible[i] for i in order[:k]]
    rest = [visible[i] for i in order[k:]]
    # Invisible queries come at the bank's own ratio (the paper's 2 in 12), not the leftover pool's.
    p_invisible = len(invisible) / (len(visible) + len(invisible)) if invisible else 0.0
    if options.include_invisible and invisible and rng.random() < p_invisible:
        query = invisible[int(rng.integers(len(invisible)))]
    else:
        query = rest[int(rng.integers(len(rest)))]
    return oid, context, query


def _build(system: str, bank: ViewBank, rng: np.random.Generator, options: TaskOptions,
           context_text, make_target) -> Episode:
    """Shared episode assembly: choose views, draw/write context annotations, attach the target."""
    oid, context, query = _choose(bank, rng, options)
    res = bank.resolution
    text_mode = options.annotate_context in ("text", "both")
    draw_mode = options.annotate_context in ("draw", "both")
    images, lines = [], []
    for n, i in enumerate(context, start=1):
        view = bank.views[i]
        img = bank.rgb(i)
        if draw_mode:
            img = draw_box(img, view.annotation.loose_box, GREEN, thickness=max(2, res // 170))
        images.append(img)
        parts = []
        if text_mode:
            parts.append(context_text(view))
        if draw_mode:
            parts.append("the object is marked with a green box")
        lines.append(f"Image {n}: " + ("; ".join(parts) if parts else "(no annotation)"))
    images.append(bank.rgb(query))
    qview = bank.views[query]
    target, answer, note = make_target(qview)
    lines.append(f"Image {len(images)}: ?")
    category = bank.objects[oid]["category"].replace("_", " ")
    # Without context annotations nothing names the object, so say which category it is.
    if not context or options.annotate_context == "none":
        note = f"The object is the {category}. " + note
    prompt = system + "\n\n" + (note + "\n" if note else "") + "\n".join(lines)
    meta = {"object_id": oid, "category": bank.objects[oid]["category"], "context_views": context,
            "query_view": query, "query_visible": qview.visible,
            "context_boxes": [bank.views[i].annotation.loose_box for i in context],
            "query_box": qview.annotation.loose_box}
    episode_id = f"{bank.scene_id}/{oid}/{'-'.join(map(str, context))}/{query}"
    return Episode(images, prompt, target, answer, bank.scene_id, episode_id, meta)


# ---- Rep2D-B: bounding box ------------------------------------------------------------------------

def sample_bbox(bank: ViewBank, rng: np.random.Generator, options: TaskOptions) -> Episode:
    """A Rep2D-B question: boxes in the context views, the box in the query view as target."""
    res = bank.resolution

    def context_text(view):
        return box_text(normalise_box(view.annotation.loose_box, res, res))

    def make_target(qview):
        note = ("If the object is not visible in the last image, output " + EMPTY_BOX_TEXT + "."
                if options.include_invisible else "")
        return (*bbox_target(qview, res), note)

    return _build(PROMPT_BBOX, bank, rng, options, context_text, make_target)


def parse_bbox(text: str, mode: str = "robust"):
    """A 0-1000 box, None for the all-zero (empty) box, or a ParseFailure."""
    box = parsing.parse_box(text, mode=mode)
    if isinstance(box, parsing.ParseFailure):
        return box
    return None if all(v == 0 for v in box) else [float(v) for v in box]


def score_bbox(prediction, target: dict) -> dict:
    """IoU of the predicted and true 0-1000 boxes (empty vs empty is 1)."""
    if isinstance(prediction, parsing.ParseFailure):
        return {"iou": 0.0, "reward": 0.0}
    iou = metrics.box_iou(prediction, target["box"])
    return {"iou": iou, "reward": iou}


# ---- Rep2D-E: exposure ----------------------------------------------------------------------------

def sample_exposure(bank: ViewBank, rng: np.random.Generator, options: TaskOptions) -> Episode:
    """A Rep2D-E question: visible percentages in the context views, the query's as target."""
    res = bank.resolution

    def context_text(view):
        return (f"{box_text(normalise_box(view.annotation.loose_box, res, res))}, "
                f"visible: {view.annotation.visibility * 100:.1f}%")

    def make_target(qview):
        return (*exposure_target(qview), "")

    return _build(PROMPT_EXPOSURE, bank, rng, options, context_text, make_target)


def parse_exposure(text: str, mode: str = "robust"):
    """The visible fraction in [0, 1] (a percentage like ``73.5`` or ``73.5%`` reads as 0.735)."""
    return parsing.parse_fraction(text, mode=mode)


def score_exposure(prediction, target: dict) -> dict:
    """Squared error of the visible fraction (prediction clipped to [0, 1]); reward is its negative."""
    if isinstance(prediction, parsing.ParseFailure):
        return {"squared_error": 1.0, "reward": -1.0}
    err = metrics.squared_error(min(max(float(prediction), 0.0), 1.0), target["visibility"])
    return {"squared_error": err, "reward": -err}


# ---- Rep2D-AT: camera position --------------------------------------------------------------------

def sample_camera_pose(bank: ViewBank, rng: np.random.Generator, options: TaskOptions) -> Episode:
    """A Rep2D-AT question: camera positions of the context views, the query's as target."""
    lo, hi = np.asarray(bank.index["bounds"], float)
    diagonal = round(float(np.linalg.norm(hi - lo)), 2)

    def context_text(view):
        return "camera position " + position_text(view.camera.position)

    def make_target(qview):
        pos = camera_position(qview)
        note = "Positions are (x, y, z) in metres in the room's coordinate frame, z pointing up."
        return {"position": pos, "max_error": diagonal}, position_text(pos), note

    return _build(PROMPT_CAMERA, bank, rng, options, context_text, make_target)


def parse_camera_pose(text: str, mode: str = "robust"):
    """An (x, y, z) position in metres, or a ParseFailure."""
    return parsing.parse_vector(text, dim=3, mode=mode)


def score_camera_pose(prediction, target: dict) -> dict:
    """L2 error of the camera position, capped at the room diagonal; reward is its negative."""
    cap = float(target["max_error"])
    if isinstance(prediction, parsing.ParseFailure):
        return {"l2_error": cap, "reward": -cap}
    err = min(metrics.l2_error(prediction, target["position"]), cap)
    return {"l2_error": err, "reward": -err}


BBOX = register_task(Task("rep2d_bbox", sample_bbox, parse_bbox, score_bbox, "iou", 1.0,
                          "Rep2D-B: the object's box in a new view (IoU)"))
EXPOSURE = register_task(Task("rep2d_exposure", sample_exposure, parse_exposure, score_exposure, "squared_error", 0.0,
                              "Rep2D-E: the object's visible fraction in a new view (MSE)"))
CAMERA_POSE = register_task(Task("rep2d_camera_pose", sample_camera_pose, parse_camera_pose, score_camera_pose, "l2_error",
                                 0.0, "Rep2D-AT: the camera position of a new view (L2)"))
