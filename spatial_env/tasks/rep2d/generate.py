"""Rep2D-BEAT questions from an object-centric frame bank (rep2d-beat.txt §4.1, "Problem formulation").

One question: an object, k = num_views - 1 context views where it is visible (annotated with its
box, visible percentage or camera position) and one query view whose value is the target. Targets
are rounded exactly as the prompts write numbers (integer 0-1000 boxes, 0.1 % visibility,
centimetre positions), so a perfect answer scores exactly the best value.
"""

from __future__ import annotations

import numpy as np

from ...frames import FrameBank, FrameRecord, FrameSpec
from ...frames.object_views import SamplerConfig
from .. import CannotPose, Episode
from . import prompts as P
from .options import Rep2DOptions


def frames(options: Rep2DOptions) -> FrameSpec:
    """The object-centric views the questions draw from (10 + 2 per object unless overridden)."""
    config = {**(options.sampler or {}), "resolution": options.resolution}
    views_visible = config.get("views_visible", SamplerConfig.views_visible)
    if options.num_views > views_visible:
        raise ValueError(f"num_views={options.num_views} needs that many visible views per object, but the sampler "
                         f"keeps views_visible={views_visible}")
    return FrameSpec("object_views", config)


# Targets of one query view (shared with the export).

def bbox_target(frame: FrameRecord, object_id: int, resolution: int) -> tuple[dict, str]:
    """The Rep2D-B target (0-1000 loose box; None when the object is not visible) and its answer text."""
    visible = frame.role == "visible"
    box = P.normalise_box(frame.objects[object_id].loose_box, resolution, resolution) if visible else None
    return {"box": box, "visible": visible}, P.box_text(box)


def exposure_target(frame: FrameRecord, object_id: int) -> tuple[dict, str]:
    """The Rep2D-E target (visible fraction to 0.1 %) and its answer text (a percentage)."""
    visible = frame.role == "visible"
    value = round(frame.objects[object_id].visibility, 3) if visible else 0.0
    return {"visibility": value, "visible": visible}, P.percent_text(value)


def camera_position(frame: FrameRecord) -> list[float]:
    """The frame's camera position rounded to centimetres, as the prompts write it."""
    return [round(float(v), 2) for v in frame.camera.position]


def choose(bank: FrameBank, rng: np.random.Generator, options: Rep2DOptions) -> tuple[int, list[int], int]:
    """Pick an object, k = num_views - 1 context views where it is visible, and a query view."""
    k = options.num_views - 1
    # draw_target renders only the objects it draws (a lazily filled bank), and draws alike either way.
    try:
        oid = bank.draw_target("visible", options.num_views, rng)
    except ValueError:
        raise CannotPose(f"scene {bank.scene_id!r}: no object has {options.num_views} visible views "
                         f"(the bank samples {bank.index['config']['views_visible']} per object)") from None
    visible, invisible = bank.targeted(oid, "visible"), bank.targeted(oid, "invisible")
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


def build(kind: str, system: str, bank: FrameBank, rng: np.random.Generator, options: Rep2DOptions,
          context_text, make_target) -> Episode:
    """Shared episode assembly: choose views, write/draw the context annotations, attach the target.

    ``context_text(frame, object_id)`` writes one context annotation; ``make_target(frame, object_id)``
    gives (target, answer, note) for the query, the note being a line the default prompt style adds."""
    from ...draw import GREEN, draw_box

    oid, context, query = choose(bank, rng, options)
    res = bank.resolution
    text_mode = options.annotate_context in ("text", "both")
    draw_mode = options.annotate_context in ("draw", "both") and options.context_images
    strict = options.prompt_style == "paper_strict"
    images, lines = [], []
    for n, i in enumerate(context, start=1):
        frame = bank.frames[i]
        parts = [context_text(frame, oid)] if text_mode else []
        if options.context_images:
            img = bank.rgb(i)
            if draw_mode:
                img = draw_box(img, frame.objects[oid].loose_box, GREEN, thickness=max(2, res // 170))
                parts.append(P.DRAWN)
            images.append(img)
            label = f"Image {n}"
        else:
            label = f"Example {n}"
        if parts or not strict:
            lines.append(f"{label}: " + ("; ".join(parts) if parts else P.NO_ANNOTATION))
    images.append(bank.rgb(query))
    qframe = bank.frames[query]
    target, answer, note = make_target(qframe, oid)
    category = bank.objects[oid]["category"].replace("_", " ")
    if strict:
        note = ""
    else:
        lines.append(f"Image {len(images)}: ?")
        # Without context annotations nothing names the object, so say which category it is.
        if not context or options.annotate_context == "none":
            note = P.NOTE_OBJECT.format(category=category) + note
    prompt = system + "\n\n" + (note + "\n" if note else "") + "\n".join(lines)
    qann = qframe.objects.get(oid)
    meta = {"object_id": oid, "category": bank.objects[oid]["category"], "context_frames": context,
            "query_frame": query, "query_visible": qframe.role == "visible", "context_images": options.context_images,
            "context_boxes": [bank.frames[i].objects[oid].loose_box for i in context],
            "query_box": qann.loose_box if qann is not None and qframe.role == "visible" else None}
    episode_id = f"{bank.scene_id}/{oid}/{'-'.join(map(str, context))}/{query}"
    return Episode(images, prompt, target, answer, bank.scene_id, episode_id, kind, None, meta)


def sample_bbox(bank: FrameBank, rng: np.random.Generator, options: Rep2DOptions) -> Episode:
    """A Rep2D-B question: boxes in the context views, the box in the query view as target."""
    res = bank.resolution

    def context_text(frame, oid):
        return P.box_text(P.normalise_box(frame.objects[oid].loose_box, res, res))

    def make_target(frame, oid):
        return (*bbox_target(frame, oid, res), P.NOTE_INVISIBLE if options.include_invisible else "")

    return build("Rep2D-B", P.BBOX, bank, rng, options, context_text, make_target)


def sample_exposure(bank: FrameBank, rng: np.random.Generator, options: Rep2DOptions) -> Episode:
    """A Rep2D-E question: visible percentages in the context views, the query's as target."""
    res = bank.resolution

    def context_text(frame, oid):
        ann = frame.objects[oid]
        return f"{P.box_text(P.normalise_box(ann.loose_box, res, res))}, visible: {P.percent_text(ann.visibility)}%"

    def make_target(frame, oid):
        return (*exposure_target(frame, oid), "")

    return build("Rep2D-E", P.EXPOSURE, bank, rng, options, context_text, make_target)


def sample_camera_pose(bank: FrameBank, rng: np.random.Generator, options: Rep2DOptions) -> Episode:
    """A Rep2D-AT question: camera positions of the context views, the query's as target."""
    lo, hi = bank.bounds
    diagonal = round(float(np.linalg.norm(hi - lo)), 2)

    def context_text(frame, oid):
        return "camera position " + P.position_text(frame.camera.position)

    def make_target(frame, oid):
        pos = camera_position(frame)
        return {"position": pos, "max_error": diagonal}, P.position_text(pos), P.NOTE_FRAME

    return build("Rep2D-AT", P.CAMERA, bank, rng, options, context_text, make_target)
