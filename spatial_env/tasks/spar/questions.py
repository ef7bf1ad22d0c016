"""SPAR-Bench's 20 tasks as question samplers over a frame bank (spar-7m.txt §3.3, Table 4, §7.2-7.6).

Every sampler draws all its random choices from the env's generator, retries a candidate that breaks
a skip rule (§7.5), and returns one :class:`~spatial_env.tasks.Episode` whose ``meta`` keeps the
geometry the answer was computed from. Values are rounded as the paper writes them: metres to 0.1,
degrees to 1, image coordinates to integers on 0-1000 (§7.6 examples; §7.5's "rounded to the nearest
meter" contradicts every example, which shows decimetres).

Multi-view tasks (``-MV``, PosMatch, CamMotion, ViewChgI) show the main view first (§3.2: one image
is chosen as the primary viewpoint) and mark at least one object only in another view, so answering
needs both.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable

import numpy as np

from ...draw import BLUE, GREEN, RED, draw_box
from ...frames import FrameBank
from ...metrics import box_iou, box_to_norm1000
from .. import CannotPose, Episode
from . import prompts as P
from .items import Item, boxes2d_overlap, boxes_overlap, center, facing_pose, frame_items, in_camera, marker_radius, \
    name, relation
from .options import SparOptions

COLOURS = {"red": RED, "blue": BLUE, "green": GREEN}
WHITE = (255, 255, 255)

Mark = tuple[int, Item, str]  # (view index, item, colour)


class Skip(Exception):
    """A candidate broke a skip rule; the sampler draws another."""


# ---- picking frames and objects ------------------------------------------------------------------

_LISTS: OrderedDict[tuple, list[int]] = OrderedDict()


def _memo(key: tuple, make: Callable[[], list[int]]) -> list[int]:
    found = _LISTS.get(key)
    if found is None:
        found = _LISTS[key] = make()
        if len(_LISTS) > 4096:
            _LISTS.popitem(last=False)
    return found


def _frames_with(bank: FrameBank, o: SparOptions, k: int) -> list[int]:
    """Frames with at least ``k`` items."""
    key = (str(bank.path), "with", k, o.min_vertex_fraction, o.min_area, tuple(o.depth_range))
    return _memo(key, lambda: [f for f in range(len(bank)) if len(frame_items(bank, f, o)) >= k])


def _partners(bank: FrameBank, main: int, o: SparOptions) -> list[int]:
    """Frames overlapping ``main`` (voxel IoU in [min_overlap, 0.9): co-visible, not a near-duplicate)."""
    key = (str(bank.path), "partners", main, o.min_overlap)
    return _memo(key, lambda: [j for j in range(len(bank))
                               if j != main and o.min_overlap <= bank.overlap(main, j) < 0.9])


def _choose(rng: np.random.Generator, values: list, k: int) -> list:
    if len(values) < k:
        raise Skip
    return [values[i] for i in rng.choice(len(values), size=k, replace=False)]


def single_view(bank: FrameBank, rng: np.random.Generator, o: SparOptions, k: int) -> tuple[int, list[Item]]:
    """A frame and ``k`` distinct items in it."""
    frames = _frames_with(bank, o, k)
    if not frames:
        raise Skip
    f = frames[int(rng.integers(len(frames)))]
    items = frame_items(bank, f, o)
    return f, [items[i] for i in _choose(rng, sorted(items), k)]


def multi_view(bank: FrameBank, rng: np.random.Generator, o: SparOptions, n: int) -> list[int]:
    """A main frame with at least one item and ``n - 1`` frames overlapping it, main first."""
    frames = _frames_with(bank, o, 1)
    if not frames:
        raise Skip
    main = frames[int(rng.integers(len(frames)))]
    return [main, *_choose(rng, _partners(bank, main, o), n - 1)]


def cross_items(bank: FrameBank, rng: np.random.Generator, o: SparOptions, views: list[int], n_main: int,
                n_other: int) -> list[Mark]:
    """``n_main`` items of the main view, then ``n_other`` items each from a random other view, all
    distinct objects, the others not seen as items in the main view (so the question spans views)."""
    main_items = frame_items(bank, views[0], o)
    picked = [(0, main_items[i]) for i in _choose(rng, sorted(main_items), n_main)]
    used = {it.object_id for _, it in picked}
    for _ in range(n_other):
        v = 1 + int(rng.integers(len(views) - 1))
        pool = [i for i in sorted(frame_items(bank, views[v], o)) if i not in used and i not in main_items]
        oid = _choose(rng, pool, 1)[0]
        picked.append((v, frame_items(bank, views[v], o)[oid]))
        used.add(oid)
    return [(v, it, "") for v, it in picked]


def shared_pair(bank: FrameBank, rng: np.random.Generator, o: SparOptions) -> tuple[int, int, Item, Item]:
    """Two overlapping frames and an object that is an item in both (§7.5: co-visible views)."""
    frames = _frames_with(bank, o, 1)
    if not frames:
        raise Skip
    i = frames[int(rng.integers(len(frames)))]
    a = frame_items(bank, i, o)
    pool = [j for j in _partners(bank, i, o) if set(a) & set(frame_items(bank, j, o))]
    j = _choose(rng, pool, 1)[0]
    b = frame_items(bank, j, o)
    oid = _choose(rng, sorted(set(a) & set(b)), 1)[0]
    return i, j, a[oid], b[oid]


def colour(marks: list[tuple[int, Item]], colours: tuple[str, ...], bank: FrameBank | None = None) -> list[Mark]:
    """Give marks their colours in order; with ``bank``, objects of one category twice are skipped
    (our choice: the question names objects by category, the points alone would tell them apart)."""
    if bank is not None and len({name(bank, it.object_id) for _, it, *_ in marks}) < len(marks):
        raise Skip
    return [(v, it, c) for (v, it, *_), c in zip(marks, colours)]


# ---- writing episodes ----------------------------------------------------------------------------

def phrase(bank: FrameBank, mark: Mark, o: SparOptions, multi: bool) -> str:
    """How the question names a marked object: "the chair (red point)" / "(red point in image 2)"."""
    v, item, c = mark
    where = f" in image {v + 1}" if multi else ""
    return f"the {name(bank, item.object_id)} ({c} {o.marker}{where})"


def draw_marks(image: np.ndarray, marks: list[Mark], marker: str) -> np.ndarray:
    """``image`` with each mark drawn: a filled point with a white rim at the marker pixel, or the visible box."""
    out = np.array(image, dtype=np.uint8, copy=True)
    h, w = out.shape[:2]
    r = marker_radius(w)
    yy, xx = np.mgrid[0:h, 0:w]
    for _, item, c in marks:
        if marker == "box":
            out = draw_box(out, item.box, COLOURS[c], thickness=max(2, w // 170))
            continue
        u, v = item.pixel
        d2 = (xx - u) ** 2 + (yy - v) ** 2
        out[d2 <= (r + 1) ** 2] = WHITE
        out[d2 <= r ** 2] = COLOURS[c]
    return out


def compose(bank: FrameBank, o: SparOptions, qtype: str, views: list[int], marks: list[Mark], question: str,
            tail: list[str], target: dict, answer: str, choices: list[str] | None = None,
            geometry: dict | None = None) -> Episode:
    """Assemble the episode: marked images (main view first), the prompt, target and drawing data."""
    multi = len(views) > 1
    images = [draw_marks(bank.rgb(f), [m for m in marks if m[0] == k], o.marker) for k, f in enumerate(views)]
    lines = [question, P.CENTER] if marks else [question]
    if multi and qtype not in ("PosMatch", "CamMotion", "ViewChgI"):
        lines.append(P.MAIN_VIEW)
    lines.extend(tail)
    cams = [bank.frames[f].camera for f in views]
    meta = {"frames": list(views),
            "marks": [{"view": v, "object_id": it.object_id, "category": bank.objects[it.object_id]["category"],
                       "colour": c, "pixel": list(it.pixel), "box": list(it.box)} for v, it, c in marks],
            "geometry": {"camera_poses": [np.round(c.pose, 6).tolist() for c in cams],
                         "intrinsics": [np.round(c.K, 6).tolist() for c in cams],
                         "object_centers": {str(it.object_id): np.round(center(bank, it.object_id), 6).tolist()
                                            for _, it, _ in marks},
                         **(geometry or {})}}
    ids = "-".join(str(it.object_id) for _, it, _ in marks)
    episode_id = f"{bank.scene_id}/{qtype}/{'-'.join(map(str, views))}/{ids}"
    return Episode(images, " ".join(lines), target, answer, bank.scene_id, episode_id, qtype, choices, meta)


def metres(x: float) -> float:
    """A length as the answers write it (0.1 m)."""
    return round(float(x), 1)


def numeric(bank, o, qtype, views, marks, template, rng, value: float, geometry: dict, **fmt) -> Episode:
    """A fill question whose answer is one number in metres."""
    multi = len(views) > 1
    names = {k: phrase(bank, m, o, multi) for k, m in zip("ABC", marks)}
    question = template.format(**names, **fmt)
    question = question[0].upper() + question[1:]
    tail = [P.ONE_NUMBER[int(rng.integers(len(P.ONE_NUMBER)))]]
    value = metres(value)
    return compose(bank, o, qtype, views, marks, question, tail, {"value": value}, f"{value:.1f}",
                   geometry={**geometry, "value": value})


def choice(bank, o, qtype, views, marks, question, rng, truth: str, distractors: list[str], geometry: dict,
           extra: str = "") -> Episode:
    """A select question: the truth among the distractors in random order; the answer is its letter."""
    options = [truth, *distractors]
    order = rng.permutation(len(options))
    options = [options[i] for i in order]
    letter = chr(65 + options.index(truth))
    tail = ([extra] if extra else []) + [P.options_text(options), P.select_line(len(options))]
    return compose(bank, o, qtype, views, marks, question, tail, {"answer": letter, "option": truth}, letter,
                   choices=options, geometry=geometry)


def template(rng: np.random.Generator, key: str) -> str:
    """One of the task's templates."""
    options = P.TEMPLATES[key]
    return options[int(rng.integers(len(options)))]


# ---- relations as options ------------------------------------------------------------------------

_TERMS = (("left", "right", ""), ("above", "below", ""), ("front", "behind", ""))


def relation_text(rel: tuple[str, str, str]) -> str:
    """A relation as §7.6's options write it: "left, above, front" (an empty term stays empty)."""
    return ", ".join(rel)


def relation_distractors(rng: np.random.Generator, truth: tuple[str, str, str], lookalikes: list[tuple[str, str, str]],
                         n: int = 3) -> list[str]:
    """``n`` distinct wrong relations: first those of other objects of the scene under the same question
    (so the options are drawn like the answer and no term's frequency gives it away), then, if the scene
    has too few, the truth with one or two terms changed."""
    out: list[tuple[str, str, str]] = []
    for k in rng.permutation(len(lookalikes)):
        rel = lookalikes[k]
        if rel != truth and rel != ("", "", "") and rel not in out:
            out.append(rel)
        if len(out) == n:
            return [relation_text(r) for r in out]
    for _ in range(200):
        rel = list(truth)
        for axis in rng.choice(3, size=int(rng.integers(1, 3)), replace=False):
            rel[axis] = str(rng.choice([t for t in _TERMS[axis] if t != truth[axis]]))
        cand = tuple(rel)
        if cand != truth and cand not in out:
            out.append(cand)
        if len(out) == n:
            return [relation_text(r) for r in out]
    raise Skip


def relation_question(bank, o, qtype, views, marks, question, rng, relate: Callable[[int], tuple[str, str, str]],
                      geometry) -> Episode:
    """A relation asked as multiple choice (ObjRel, SpImag): ``relate(object_id)`` gives the relation the
    question asks about with the red-marked object replaced by any other, which makes the distractors."""
    asked = marks[0][1].object_id
    rel = relate(asked)
    if rel == ("", "", ""):
        raise Skip  # nothing distinguishable: the question would have no content
    others = [relate(k) for k in sorted(bank.objects) if k not in {m[1].object_id for m in marks}]
    return choice(bank, o, qtype, views, marks, question, rng, relation_text(rel),
                  relation_distractors(rng, rel, others), {**geometry, "relation": list(rel)},
                  extra=P.RELATION_OPTIONS)


# ---- Low: depth and distance ---------------------------------------------------------------------

def depth_oc(bank, rng, o) -> Episode:
    """Depth-OC: the depth of one object's centre in the camera (§7.5 depth prediction)."""
    f, (a,) = single_view(bank, rng, o, 1)
    marks = colour([(0, a)], ("red",))
    return numeric(bank, o, "Depth-OC", [f], marks, template(rng, "Depth-OC"), rng, a.depth,
                   {"depth": a.depth})


def depth_oc_mv(bank, rng, o) -> Episode:
    """Depth-OC-MV: given a main-view object's depth, the depth of an object marked in another view."""
    views = multi_view(bank, rng, o, o.mv_views)
    marks = colour(cross_items(bank, rng, o, views, 1, 1), ("red", "blue"), bank)
    ref, b = marks[0][1].depth, in_camera(bank, views[0], marks[1][1].object_id)
    if b[2] < o.depth_range[0]:
        raise Skip  # behind (or at) the main camera: it has no depth in that view
    return numeric(bank, o, "Depth-OC-MV", views, marks, template(rng, "Depth-OC-MV"), rng, b[2],
                   {"reference_depth": metres(ref), "depth": float(b[2])}, ref=f"{metres(ref):.1f}")


def _depth_gap(bank, o, a_depth: float, b_depth: float) -> float:
    gap = abs(a_depth - b_depth)
    if gap < o.min_gap:
        raise Skip  # too-similar values (§7.5)
    return gap


def depth_oo(bank, rng, o) -> Episode:
    """Depth-OO: the depth difference of two objects in one view (skipping overlapping boxes, §7.5)."""
    f, (a, b) = single_view(bank, rng, o, 2)
    if boxes2d_overlap(a.box, b.box):
        raise Skip
    gap = _depth_gap(bank, o, a.depth, b.depth)
    marks = colour([(0, a), (0, b)], ("red", "blue"), bank)
    return numeric(bank, o, "Depth-OO", [f], marks, template(rng, "Depth-OO"), rng, gap,
                   {"depths": [a.depth, b.depth]})


def depth_oo_mv(bank, rng, o) -> Episode:
    """Depth-OO-MV: the depth difference, in the main view, of objects marked in different views."""
    views = multi_view(bank, rng, o, o.mv_views)
    marks = colour(cross_items(bank, rng, o, views, 1, 1), ("red", "blue"), bank)
    b = in_camera(bank, views[0], marks[1][1].object_id)
    if b[2] < o.depth_range[0]:
        raise Skip
    gap = _depth_gap(bank, o, marks[0][1].depth, b[2])
    return numeric(bank, o, "Depth-OO-MV", views, marks, template(rng, "Depth-OO"), rng, gap,
                   {"depths": [marks[0][1].depth, float(b[2])]})


def dist_oc(bank, rng, o) -> Episode:
    """Dist-OC: the distance from the camera to one object's centre."""
    f, (a,) = single_view(bank, rng, o, 1)
    d = float(np.linalg.norm(a.center_cam))
    return numeric(bank, o, "Dist-OC", [f], colour([(0, a)], ("red",)), template(rng, "Dist-OC"), rng, d,
                   {"distance": d})


def dist_oc_mv(bank, rng, o) -> Episode:
    """Dist-OC-MV: the distance from the main view's camera to an object marked in another view."""
    views = multi_view(bank, rng, o, o.mv_views)
    marks = colour(cross_items(bank, rng, o, views, 0, 1), ("red",))
    d = float(np.linalg.norm(in_camera(bank, views[0], marks[0][1].object_id)))
    return numeric(bank, o, "Dist-OC-MV", views, marks, template(rng, "Dist-OC"), rng, d, {"distance": d})


def _object_distance(bank, o, a: int, b: int) -> float:
    d = float(np.linalg.norm(center(bank, a) - center(bank, b)))
    if d < o.min_distance or boxes_overlap(bank, a, b):
        raise Skip  # overlapping 3D boxes or under the distance threshold (§7.5)
    return d


def dist_oo(bank, rng, o) -> Episode:
    """Dist-OO: the distance between two objects' centres in one view."""
    f, (a, b) = single_view(bank, rng, o, 2)
    d = _object_distance(bank, o, a.object_id, b.object_id)
    return numeric(bank, o, "Dist-OO", [f], colour([(0, a), (0, b)], ("red", "blue"), bank), template(rng, "Dist-OO"),
                   rng, d, {"distance": d})


def dist_oo_mv(bank, rng, o) -> Episode:
    """Dist-OO-MV: the distance between objects marked in different views."""
    views = multi_view(bank, rng, o, o.mv_views)
    marks = colour(cross_items(bank, rng, o, views, 1, 1), ("red", "blue"), bank)
    d = _object_distance(bank, o, marks[0][1].object_id, marks[1][1].object_id)
    return numeric(bank, o, "Dist-OO-MV", views, marks, template(rng, "Dist-OO"), rng, d, {"distance": d})


# ---- High: distance inference, relations, spatial imagination ------------------------------------

def _distance_inference(bank, rng, o, qtype, views, marks) -> Episode:
    (_, a, _), (_, b, _), (_, c, _) = marks
    cats = {name(bank, x.object_id) for x in (a, b, c)}
    if len(cats) < 3:
        raise Skip  # the options name objects by category: three different ones keep them unambiguous
    dab = _object_distance(bank, o, a.object_id, b.object_id)
    dac = _object_distance(bank, o, a.object_id, c.object_id)
    if abs(dab - dac) < o.min_gap:
        raise Skip
    closer = bool(rng.integers(2))
    truth = name(bank, b.object_id) if (dab < dac) == closer else name(bank, c.object_id)
    multi = len(views) > 1
    names = {k: phrase(bank, m, o, multi) for k, m in zip("ABC", marks)}
    question = template(rng, "DistI-OO").format(closer="closer to" if closer else "farther from", **names)
    options = [name(bank, b.object_id), name(bank, c.object_id)]
    letter = chr(65 + options.index(truth))
    tail = [P.options_text(options), P.select_line(2)]
    return compose(bank, o, qtype, views, marks, question[0].upper() + question[1:], tail,
                   {"answer": letter, "option": truth}, letter, choices=options,
                   geometry={"distances": [dab, dac], "asks": "closer" if closer else "farther"})


def disti_oo(bank, rng, o) -> Episode:
    """DistI-OO: which of two objects is closer to (or farther from) a third, in one view."""
    f, items = single_view(bank, rng, o, 3)
    return _distance_inference(bank, rng, o, "DistI-OO", [f],
                               colour([(0, it) for it in items], ("red", "green", "blue"), bank))


def disti_oo_mv(bank, rng, o) -> Episode:
    """DistI-OO-MV: the same with the objects marked across views."""
    views = multi_view(bank, rng, o, o.mv_views)
    return _distance_inference(bank, rng, o, "DistI-OO-MV", views,
                               colour(cross_items(bank, rng, o, views, 1, 2), ("red", "green", "blue"), bank))


def _object_to_object(bank, o, cam_points: tuple[np.ndarray, np.ndarray]) -> tuple[str, str, str]:
    """A's relation to B from camera-axis points: left/right, above/below, and front/behind as
    nearer/farther from the observer (§7.5 Obj spatial relation: by coordinates and distance)."""
    pa, pb = cam_points
    return relation(pa - pb, o.relation_threshold, front=float(np.linalg.norm(pb) - np.linalg.norm(pa)))


def objrel_oc_mv(bank, rng, o) -> Episode:
    """ObjRel-OC-MV: where an object marked in another view is relative to the main view's observer."""
    views = multi_view(bank, rng, o, o.mv_views)
    marks = colour(cross_items(bank, rng, o, views, 0, 1), ("red",))
    p = in_camera(bank, views[0], marks[0][1].object_id)
    question = template(rng, "ObjRel-OC").format(A=phrase(bank, marks[0], o, True))
    return relation_question(bank, o, "ObjRel-OC-MV", views, marks, question[0].upper() + question[1:], rng,
                             lambda k: relation(in_camera(bank, views[0], k), o.relation_threshold),
                             {"position_in_main_camera": p.tolist()})


def _objrel_oo(bank, rng, o, qtype, views, marks) -> Episode:
    pa, pb = (in_camera(bank, views[0], m[1].object_id) for m in marks)
    if np.linalg.norm(pa - pb) < o.min_distance:
        raise Skip
    multi = len(views) > 1
    question = template(rng, "ObjRel-OO").format(A=phrase(bank, marks[0], o, multi), B=phrase(bank, marks[1], o, multi))
    return relation_question(bank, o, qtype, views, marks, question[0].upper() + question[1:], rng,
                             lambda k: _object_to_object(bank, o, (in_camera(bank, views[0], k), pb)),
                             {"positions_in_main_camera": [pa.tolist(), pb.tolist()]})


def objrel_oo(bank, rng, o) -> Episode:
    """ObjRel-OO: where one object is relative to another, from the observer, in one view."""
    f, (a, b) = single_view(bank, rng, o, 2)
    return _objrel_oo(bank, rng, o, "ObjRel-OO", [f], colour([(0, a), (0, b)], ("red", "blue"), bank))


def objrel_oo_mv(bank, rng, o) -> Episode:
    """ObjRel-OO-MV: the same with the two objects marked in different views."""
    views = multi_view(bank, rng, o, o.mv_views)
    return _objrel_oo(bank, rng, o, "ObjRel-OO-MV", views, colour(cross_items(bank, rng, o, views, 1, 1),
                                                                    ("red", "blue"), bank))


def _imagine(bank, rng, o, qtype, views, marks, object_to_object: bool) -> Episode:
    """Spatial imagination (§7.5 Eq. 7-8): the observer moves to A's centre facing B; C's relation to
    the observer (OC) or to B (OO) afterwards. Marks are (C red, A green, B blue) as in §7.6."""
    target, at, face = (m[1].object_id for m in marks)
    ca, cb, cc = center(bank, at), center(bank, face), center(bank, target)
    if min(np.linalg.norm(ca - cb), np.linalg.norm(ca - cc), np.linalg.norm(cb - cc)) < o.min_distance:
        raise Skip
    R, pitch = facing_pose(ca, cb)
    if abs(pitch) > o.max_vertical_angle_deg:
        raise Skip  # §7.5: too steep a view after the move is discarded
    to_new = lambda p: R.T @ (p - ca)  # noqa: E731
    if object_to_object:
        relate = lambda k: _object_to_object(bank, o, (to_new(center(bank, k)), to_new(cb)))  # noqa: E731
    else:
        relate = lambda k: relation(to_new(center(bank, k)), o.relation_threshold)  # noqa: E731
    multi = len(views) > 1
    names = {"C": phrase(bank, marks[0], o, multi), "A": phrase(bank, marks[1], o, multi),
             "B": phrase(bank, marks[2], o, multi)}
    question = template(rng, "SpImag-OO" if object_to_object else "SpImag-OC").format(**names)
    pose = np.eye(4)
    pose[:3, :3], pose[:3, 3] = R, ca
    return relation_question(bank, o, qtype, views, marks, question, rng, relate,
                             {"moved_camera_pose": np.round(pose, 6).tolist(), "vertical_angle_deg": pitch})


def _imagine_single(qtype: str, oo: bool):
    def sample(bank, rng, o) -> Episode:
        f, items = single_view(bank, rng, o, 3)
        return _imagine(bank, rng, o, qtype, [f], colour([(0, it) for it in items], ("red", "green", "blue"), bank), oo)
    sample.__doc__ = f"{qtype}: where an object lies after the observer moves to one object facing another."
    return sample


def _imagine_multi(qtype: str, oo: bool):
    def sample(bank, rng, o) -> Episode:
        views = multi_view(bank, rng, o, o.mv_views)
        picked = cross_items(bank, rng, o, views, 1, 2)
        order = rng.permutation(3)  # which of the three (target, stand at, face) sits in the main view
        marks = colour([picked[i][:2] for i in order], ("red", "green", "blue"), bank)
        return _imagine(bank, rng, o, qtype, views, marks, oo)
    sample.__doc__ = f"{qtype}: spatial imagination with the three objects marked across views."
    return sample


spimag_oc, spimag_oo = _imagine_single("SpImag-OC", False), _imagine_single("SpImag-OO", True)
spimag_oc_mv, spimag_oo_mv = _imagine_multi("SpImag-OC-MV", False), _imagine_multi("SpImag-OO-MV", True)


# ---- Medium: position matching, camera motion, view change ----------------------------------------

def _norm_box(box, cam) -> list[int]:
    return [int(v) for v in box_to_norm1000(box, cam.width, cam.height)]


def box_text(box: list[int]) -> str:
    """A 0-1000 box as the options write it."""
    return "[" + ", ".join(str(v) for v in box) + "]"


def posmatch(bank, rng, o) -> Episode:
    """PosMatch: an object's box in image 1 given, which box is it in image 2 (§7.5 position matching:
    boxes are the projected 3D boxes)."""
    i, j, a, b = shared_pair(bank, rng, o)
    oid = a.object_id
    ci, cj = bank.frames[i].camera, bank.frames[j].camera
    box1 = bank.frames[i].objects[oid].loose_box
    truth_px = bank.frames[j].objects[oid].loose_box
    if box1 is None or truth_px is None:
        raise Skip
    truth = _norm_box(truth_px, cj)
    # Distractors: other objects' projected boxes in image 2, then the truth moved well off itself.
    pool = [_norm_box(ann.loose_box, cj) for k, ann in sorted(bank.frames[j].objects.items())
            if k != oid and ann.loose_box is not None]
    pool = [pool[k] for k in rng.permutation(len(pool))] if pool else []
    for _ in range(20):
        w, h = truth[2] - truth[0], truth[3] - truth[1]
        x0, y0 = int(rng.integers(0, max(1, 1000 - w))), int(rng.integers(0, max(1, 1000 - h)))
        pool.append([x0, y0, x0 + w, y0 + h])
    distractors: list[list[int]] = []
    for box in pool:
        if all(box_iou(box, other) < 0.3 for other in [truth, *distractors]):
            distractors.append(box)
        if len(distractors) == 3:
            break
    if len(distractors) < 3:
        raise Skip
    question = template(rng, "PosMatch").format(name=name(bank, oid), box=box_text(_norm_box(box1, ci)))
    marks = [(0, a, "red")]
    ep = choice(bank, o, "PosMatch", [i, j], marks, question, rng, box_text(truth),
                [box_text(d) for d in distractors], {"box_image1": list(box1), "box_image2": list(truth_px)})
    ep.meta["option_boxes"] = [[int(v) for v in c.strip("[]").split(", ")] for c in ep.choices]
    return ep


def camera_in_first(bank: FrameBank, i: int, j: int) -> tuple[list[int], float] | None:
    """Camera ``j``'s centre seen from camera ``i`` (§7.5 camera pose, Eq. 9): 0-1000 image coordinates and
    depth, or None when it projects outside image ``i`` or behind it."""
    ci, cj = bank.frames[i].camera, bank.frames[j].camera
    uv, z = ci.project(cj.position[None])
    if not z[0] > 0.1 or not (0 <= uv[0, 0] < ci.width and 0 <= uv[0, 1] < ci.height):
        return None
    return [int(v) for v in box_to_norm1000([*uv[0], *uv[0]], ci.width, ci.height)[:2]], float(z[0])


def camera_text(coords: list[int], depth: float) -> str:
    """A camera-position option: ``Image Coor: (u, v), Depth: d meters`` (§7.6)."""
    return f"Image Coor: ({coords[0]}, {coords[1]}), Depth: {depth:.1f} meters"


def cammotion(bank, rng, o) -> Episode:
    """CamMotion: where image 2's camera appears in image 1 (coordinates and depth), multiple choice."""
    i, j, a, b = shared_pair(bank, rng, o)
    seen = camera_in_first(bank, i, j)
    if seen is None:
        raise Skip  # §7.5: only cameras that project into the first image
    coords, depth = seen
    depth = metres(depth)
    if depth < 0.1:
        raise Skip
    # Distractors: where the bank's other cameras appear in image 1 (answers drawn like the truth, so
    # where in the image or how deep an option lies does not give it away), then random places.
    others = [seen for k in rng.permutation(len(bank)) if k not in (i, j) and (seen := camera_in_first(bank, i, k))]
    candidates = [(c, metres(d)) for c, d in others]
    for _ in range(100):
        candidates.append(([int(v) for v in rng.integers(0, 1001, size=2)], metres(rng.uniform(0.3, max(4.0, 2 * depth)))))
    options = [(coords, depth)]
    for c, d in candidates:
        if all(max(abs(c[0] - p[0]), abs(c[1] - p[1])) >= 150 or abs(d - q) >= 0.5 for p, q in options):
            options.append((c, d))
        if len(options) == 4:
            break
    if len(options) < 4:
        raise Skip
    question = template(rng, "CamMotion")
    ep = choice(bank, o, "CamMotion", [i, j], [], question, rng, camera_text(*options[0]),
                [camera_text(*x) for x in options[1:]], {"camera_in_image1": coords, "depth": depth,
                                                         "shared_object": a.object_id})
    points = {camera_text(*x): x[0] for x in options}
    ep.meta["option_points"] = [points[c] for c in ep.choices]
    return ep


def view_change(bank: FrameBank, i: int, j: int) -> list[float]:
    """SPAR's five view-change axes from camera ``i`` to ``j`` in ``i``'s axes (metres, degrees): move
    right, up, forward; rotate right (yaw of the new viewing direction), rotate up (its pitch)."""
    ci, cj = bank.frames[i].camera, bank.frames[j].camera
    R = ci.pose[:3, :3]
    t = R.T @ (cj.position - ci.position)
    f = R.T @ cj.pose[:3, 2]
    yaw = np.degrees(np.arctan2(f[0], f[2]))
    pitch = np.degrees(np.arctan2(-f[1], np.hypot(f[0], f[2])))
    return [metres(t[0]), metres(-t[1]), metres(t[2]), float(round(yaw)), float(round(pitch))]


def view_change_text(axes: list[float]) -> str:
    """Axes written in §7.6's fill format: ``move right: 1.2, move up: 0.4, ... rotate left: 90``."""
    right, up, forward, rot_right, rot_up = axes
    word = lambda v, pos, neg: pos if v >= 0 else neg  # noqa: E731
    return (f"move {word(right, 'right', 'left')}: {abs(right):.1f}, move {word(up, 'up', 'down')}: {abs(up):.1f}, "
            f"move {word(forward, 'forward', 'back')}: {abs(forward):.1f}, "
            f"rotate {word(rot_up, 'up', 'down')}: {abs(rot_up):.0f}, "
            f"rotate {word(rot_right, 'right', 'left')}: {abs(rot_right):.0f}")


def viewchgi(bank, rng, o) -> Episode:
    """ViewChgI: the camera translation and rotation from image 1 to image 2 (§7.5 view change inference)."""
    i, j, a, b = shared_pair(bank, rng, o)
    axes = view_change(bank, i, j)
    question = template(rng, "ViewChgI")
    return compose(bank, o, "ViewChgI", [i, j], [], question, [P.VIEW_CHANGE_FORMAT], {"axes": axes},
                   view_change_text(axes), geometry={"axes": axes, "shared_object": a.object_id})


def retrying(qtype: str, fn: Callable) -> Callable:
    """``fn`` retried on skip rules up to ``max_tries`` draws; a scene that cannot pose it is an error."""
    def sample(bank: FrameBank, rng: np.random.Generator, o: SparOptions) -> Episode:
        for _ in range(o.max_tries):
            try:
                return fn(bank, rng, o)
            except Skip:
                continue
        raise CannotPose(f"scene {bank.scene_id!r}: no {qtype} question satisfies the item and skip rules in "
                         f"{o.max_tries} draws ({len(bank)} frames); use more frames (frames_per_scene), a larger "
                         f"scene, or looser thresholds (min_vertex_fraction, min_area, min_gap, min_overlap)")
    sample.__doc__ = fn.__doc__
    return sample
