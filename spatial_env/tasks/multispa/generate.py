"""MultiSPA questions from a scene's frame bank (multi-spatialmllm.txt §3.1-3.2).

Every random choice draws from the env's rng, so the same seed gives the same episode, byte for byte
(object-motion "after" images are rendered per episode from the drawn transform).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ...frames import FrameBank, FrameSpec
from ...scene.model import STRUCTURAL_CATEGORIES
from .. import Episode
from . import marks as D
from . import geometry as G
from . import motion as M
from . import prompts as P
from .options import (CameraMotionOptions, CorrespondenceOptions, DepthOptions, MultiSPAOptions,
                      ObjectMotionOptions, ObjectSizeOptions)
from .table import QUESTION_TYPES


def frames(o: MultiSPAOptions) -> FrameSpec:
    """Rendered walkthrough frames (scan-like, overlapping, §3.2's image pairs), or a scan's captured photos."""
    if o.frames == "captured":
        return FrameSpec("captured", {"frames_dir": o.frames_dir, **(o.sampler or {})})
    return FrameSpec("walkthrough", {"frames": o.frames_per_scene, "resolution": o.resolution, **(o.sampler or {})})


def sample(bank: FrameBank, rng: np.random.Generator, o: MultiSPAOptions) -> Episode:
    """One question of a uniformly drawn question type of the env (the benchmark holds out the same number
    of questions per subtask, §3.3). A type the scene cannot pose (a small room where no two frames cover
    an object's height only together) gives way to the others, in an order drawn from the rng."""
    types = o.types
    first = int(rng.integers(len(types)))
    order = [types[first]] + [types[k] for k in rng.permutation(len(types)) if k != first]
    for qtype in order[:-1]:
        try:
            return sample_type(qtype, bank, rng, o)
        except G.CannotPose:
            continue
    return sample_type(order[-1], bank, rng, o)


def sample_type(qtype: str, bank: FrameBank, rng: np.random.Generator, o: MultiSPAOptions) -> Episode:
    """One question of type ``qtype``."""
    q = QUESTION_TYPES[qtype]
    return _SAMPLERS[q.env](bank, rng, o, qtype)


def sampler(qtype: str) -> Callable[[FrameBank, np.random.Generator, MultiSPAOptions], Episode]:
    """``sample(bank, rng, options)`` of a single question type (its scoring task's own sampler)."""
    return lambda bank, rng, o: sample_type(qtype, bank, rng, o)


# ---- assembly ---------------------------------------------------------------------------------------------

def _format_line(qtype: str) -> str:
    q = QUESTION_TYPES[qtype]
    if q.kind == "label":
        return P.FORMAT_LINES["label"].format(options=", ".join(q.options))
    if q.kind == "word":
        return P.FORMAT_LINES["word"].format(options=" or ".join(q.options))
    if q.kind == "point":
        return P.FORMAT_LINES["choose_point" if q.exact else "point"]
    if q.kind == "vector":
        return P.FORMAT_LINES["vector"]
    return P.FORMAT_LINES["mm" if q.unit == "mm" else "deg"]


def _value_text(qtype: str, value) -> str:
    kind = QUESTION_TYPES[qtype].kind
    if kind == "point":
        return P.point_text(value)
    if kind == "vector":
        return P.vector_text(value)
    return str(value)


def _episode(bank: FrameBank, rng: np.random.Generator, o: MultiSPAOptions, qtype: str, images: list[np.ndarray],
             description: str, question: str, answers: list[str], value, key: str, meta: dict,
             extra: dict | None = None, fields: dict | None = None) -> Episode:
    """The episode: prompt, reference answer (a template with the value in backticks), target and choices."""
    q = QUESTION_TYPES[qtype]
    fields = fields or {}
    prompt = P.compose(description, question, style=o.prompt_style, format_line=_format_line(qtype),
                       two_images=len(images) == 2 and q.env != "object_size")
    template = P.pick(rng, answers)
    answer = template.format(value=_value_text(qtype, value), **fields)
    choices = [template.format(value=v, **fields) for v in q.options] if q.kind in ("label", "word") else None
    target = {"question_type": qtype, q.key: value, **(extra or {})}
    images = [np.ascontiguousarray(img, dtype=np.uint8) for img in images]
    return Episode(images, prompt, target, answer, bank.scene_id, f"{bank.scene_id}/{qtype}/{key}", qtype, choices,
                   meta, task=q.task)


def _too_few(bank: FrameBank, what: str, o: MultiSPAOptions, knobs: str) -> G.CannotPose:
    return G.CannotPose(f"scene {bank.scene_id!r}: no {what} after max_tries={o.max_tries} draws "
                        f"({len(bank)} frames); relax {knobs} or add frames (frames_per_scene)")


def _px(col, row) -> list[float]:
    return [float(col) + 0.5, float(row) + 0.5]


# ---- depth perception (§3.1, §3.2.1) ---------------------------------------------------------------------------

def sample_depth(bank: FrameBank, rng: np.random.Generator, o: DepthOptions, qtype: str) -> Episode:
    """Depth of one pixel, or which of two pixels is closer / farther (a uniformly drawn frame; pixels drawn
    uniformly among the frame's hits: §3.2.1 "we sample one or two visible points")."""
    comparison = qtype.startswith("depth_comparison")
    for _ in range(o.max_tries):
        i = int(rng.integers(len(bank)))
        depth, _ = bank.maps(i)
        cam = bank.frames[i].camera
        rows, cols = np.nonzero((depth > 0) & G.margin_mask(cam.height, cam.width, o.point_margin))
        if len(rows) == 0:
            continue
        k = int(rng.integers(len(rows)))
        picked = [(int(cols[k]), int(rows[k]))]
        if comparison:
            d1 = depth[rows[k], cols[k]]
            ok = ((np.abs(depth[rows, cols] - d1) >= o.min_depth_gap) & (depth[rows, cols] != d1)
                  & (np.hypot(cols - cols[k], rows - rows[k]) >= o.min_point_separation * cam.width))
            cand = np.flatnonzero(ok)
            if len(cand) == 0:
                continue
            k2 = int(cand[int(rng.integers(len(cand)))])
            picked.append((int(cols[k2]), int(rows[k2])))
            if G.point1000(_px(*picked[0]), cam) == G.point1000(_px(*picked[1]), cam):
                continue
        break
    else:
        raise _too_few(bank, f"{qtype} pixels", o, "min_depth_gap, min_point_separation or point_margin")
    xy = [_px(c, r) for c, r in picked]
    coords = [G.point1000(p, cam) for p in xy]
    mm = [int(round(float(depth[r, c]) * 1000.0)) for c, r in picked]
    r_dot = D.radius(cam.width)
    image = bank.rgb(i)
    key = f"{i}/" + "-".join(f"{c},{r}" for c, r in picked)
    meta = {"frame": i, "points_px": xy, "depths_mm": mm}
    if not comparison:
        meta["truth"] = [{"image": 0, "xy": xy[0]}]
        if qtype == "depth_value_dot":
            t = P.DEPTH_VALUE_DOT
            return _episode(bank, rng, o, qtype, [D.dot(image, xy[0], r_dot)], P.pick(rng, t["descriptions"]),
                            P.pick(rng, t["questions"]), t["answers"], mm[0], key, meta)
        t = P.DEPTH_VALUE_COORD
        question = P.pick(rng, t["questions"]).format(x=coords[0][0], y=coords[0][1])
        return _episode(bank, rng, o, qtype, [image], P.pick(rng, t["descriptions"]), question, t["answers"], mm[0],
                        key, meta)
    which = "closer" if rng.random() < 0.5 else "farther"
    near = 0 if depth[picked[0][1], picked[0][0]] < depth[picked[1][1], picked[1][0]] else 1
    pick = near if which == "closer" else 1 - near
    meta.update(asked=which, truth=[{"image": 0, "xy": xy[pick]}])
    if qtype == "depth_comparison_dot":
        labels = {"A": xy[0], "B": xy[1]}
        image = D.labelled_dot(D.labelled_dot(image, xy[0], "A", r_dot), xy[1], "B", r_dot)
        meta.update(labels=labels, answer_image=0)
        t = P.DEPTH_COMPARISON_DOT
        return _episode(bank, rng, o, qtype, [image], P.pick(rng, t["descriptions"]),
                        P.pick(rng, t["questions"][which]), t["answers"][which], "AB"[pick], key, meta)
    t = P.DEPTH_COMPARISON_COORD
    question = P.pick(rng, t["questions"][which]).format(x1=coords[0][0], y1=coords[0][1], x2=coords[1][0],
                                                         y2=coords[1][1])
    meta.update(answer_image=0)
    return _episode(bank, rng, o, qtype, [image], P.pick(rng, t["descriptions"]), question, t["answers"][which],
                    coords[pick], key, meta, extra={"width": cam.width, "height": cam.height})


# ---- visual correspondence (§3.1, §3.2.1, §4.3) ----------------------------------------------------------------

def sample_correspondence(bank: FrameBank, rng: np.random.Generator, o: CorrespondenceOptions, qtype: str) -> Episode:
    """A pixel of image 1 and the pixel of image 2 showing the same 3D point: a co-visible point drawn
    uniformly (§3.2.1), found by back-projecting image 1's depth and projecting into image 2 with eq. 3's
    depth test; the multiple-choice version adds three distractors (§4.3: easy = random, hard = near)."""
    for _ in range(o.max_tries):
        i, j = G.sample_pair(bank, rng, o)
        cam1, cam2 = bank.frames[i].camera, bank.frames[j].camera
        d1, _ = bank.maps(i)
        d2, _ = bank.maps(j)
        rows, cols = np.nonzero((d1 > 0) & G.margin_mask(cam1.height, cam1.width, o.point_margin))
        X = G.backproject(cam1, cols, rows, d1[rows, cols])
        ok, uv = G.visible_in(cam2, X, d2, o.visibility_tolerance, o.point_margin)
        cand = np.flatnonzero(ok)
        if len(cand):
            break
    else:
        raise _too_few(bank, "co-visible pixel in a frame pair", o,
                       "overlap_range, visibility_tolerance or point_margin")
    k = int(cand[int(rng.integers(len(cand)))])
    p1, p2 = _px(cols[k], rows[k]), [float(uv[k, 0]), float(uv[k, 1])]
    q1, q2 = G.point1000(p1, cam1), G.point1000(p2, cam2)
    key = f"{i}-{j}/{cols[k]},{rows[k]}"
    meta = {"frames": [i, j], "point_px": p1, "match_px": p2, "world_point": X[k].tolist(),
            "truth": [{"image": 0, "xy": p1}, {"image": 1, "xy": p2}], "answer_image": 1}
    img1, img2 = bank.rgb(i), bank.rgb(j)
    r_dot = D.radius(cam1.width)
    if qtype == "correspondence_coord":
        t = P.CORRESPONDENCE_COORD
        question = P.pick(rng, t["questions"]).format(x=q1[0], y=q1[1])
        return _episode(bank, rng, o, qtype, [img1, img2], P.pick(rng, t["descriptions"]), question, t["answers"], q2,
                        key, meta, extra={"width": cam2.width, "height": cam2.height})
    points = [np.array(p2)]
    W, H = cam2.width, cam2.height
    mx, my = math.ceil(o.point_margin * W), math.ceil(o.point_margin * H)
    sep = o.min_label_separation * W
    for _ in range(o.max_tries * 4):
        if len(points) == 4:
            break
        if o.distractors == "easy":
            p = rng.uniform([mx, my], [W - mx, H - my])
        else:
            angle, rad = rng.uniform(0.0, 2.0 * math.pi), o.hard_radius * W * math.sqrt(rng.random())
            p = points[0] + rad * np.array([math.cos(angle), math.sin(angle)])
            if not (mx <= p[0] < W - mx and my <= p[1] < H - my):
                continue
        p = np.floor(p) + 0.5
        if all(np.linalg.norm(p - q) >= sep for q in points):
            points.append(p)
    else:
        if len(points) < 4:
            raise G.CannotPose(f"scene {bank.scene_id!r}: could not place 3 {o.distractors} distractors "
                             f"min_label_separation={o.min_label_separation} apart (hard_radius={o.hard_radius})")
    order = rng.permutation(4)
    labels = {"ABCD"[int(order[n])]: [float(v) for v in points[n]] for n in range(4)}
    for name in "ABCD":
        img2 = D.labelled_dot(img2, labels[name], name, r_dot)
    meta.update(labels=labels, distractors=o.distractors)
    t = P.CORRESPONDENCE_MCQ
    return _episode(bank, rng, o, qtype, [D.circle(img1, p1, r_dot), img2], P.pick(rng, t["descriptions"]),
                    P.pick(rng, t["questions"]), t["answers"], "ABCD"[int(order[0])], key, meta)


# ---- camera movement (§3.1, §3.2.1, supplementary E) --------------------------------------------------------------

def camera_value(qtype: str, motion: dict, o: CameraMotionOptions) -> str | int | list[int] | None:
    """The answer of a camera-motion question type for a relative motion (None when the motion is below the
    option's threshold, so the question would be ill-posed): §3.2.1's direction rule (x > 0 "right",
    y > 0 "down", z > 0 "forward", otherwise the opposite), millimetres and degrees rounded."""
    t, yaw, pitch = np.asarray(motion["translation"], float), float(motion["yaw"]), float(motion["pitch"])
    axis = {"camera_translation_x": (0, "right", "left"), "camera_translation_y": (1, "down", "up"),
            "camera_translation_z": (2, "forward", "backward")}
    if qtype in axis:
        a, pos, neg = axis[qtype]
        return None if abs(t[a]) < o.min_translation else (pos if t[a] > 0 else neg)
    if qtype in ("camera_translation_distance", "camera_translation_vector"):
        if np.linalg.norm(t) < max(o.min_translation, 1e-9):
            return None
        return int(round(float(np.linalg.norm(t)) * 1000.0)) if qtype.endswith("distance") else \
            [int(round(float(v) * 1000.0)) for v in t]
    angle = yaw if "yaw" in qtype else pitch
    if abs(angle) < max(o.min_rotation_deg, 1e-9):
        return None
    if qtype.endswith("degree"):
        return int(round(abs(angle)))
    # supplementary E: yaw grows counter-clockwise about gravity (a turn to the left), pitch upwards
    return ("left" if angle > 0 else "right") if "yaw" in qtype else ("up" if angle > 0 else "down")


def sample_camera_motion(bank: FrameBank, rng: np.random.Generator, o: CameraMotionOptions, qtype: str) -> Episode:
    """The camera's motion from image 1 to image 2 (relative pose E_i^-1 E_j in image 1's camera axes)."""
    def motion(i: int, j: int) -> dict:
        return G.camera_motion(bank.frames[i].camera, bank.frames[j].camera)

    i, j = G.sample_pair(bank, rng, o, lambda a, b: camera_value(qtype, motion(a, b), o) is not None,
                         what=f"{qtype} (min_translation={o.min_translation}, min_rotation_deg={o.min_rotation_deg})")
    m = motion(i, j)
    value = camera_value(qtype, m, o)
    t = P.CAMERA[qtype]
    meta = {"frames": [i, j], "translation_m": [float(v) for v in m["translation"]], "yaw_deg": float(m["yaw"]),
            "pitch_deg": float(m["pitch"])}
    return _episode(bank, rng, o, qtype, [bank.rgb(i), bank.rgb(j)], P.pick(rng, P.CAMERA_DESCRIPTIONS),
                    P.pick(rng, t["questions"]), t["answers"], value, f"{i}-{j}", meta)


# ---- object movement (§3.1, §3.2.2; the object moved in the simulator) ---------------------------------------------

def sample_object_motion(bank: FrameBank, rng: np.random.Generator, o: ObjectMotionOptions, qtype: str) -> Episode:
    """A point on an object in image 1 and how far (or by which vector, in image 1's camera axes) it travelled
    when the object was moved (:mod:`.motion`) before image 2 was taken from the same camera ("still") or
    another frame of an overlapping pair ("moving"). The displacement bin is drawn first, uniformly
    (§3.2.2's balanced bins); the point must be seen in image 2 too (a tracked point appears in both)."""
    _, out, ref, camera = qtype.split("_")
    scene = bank.scene
    movable = G.cached(bank, "movable", lambda: M.movable_objects(scene))

    def shown(i: int) -> list[int]:
        cam = bank.frames[i].camera
        least = max(1.0, o.min_object_fraction * cam.width * cam.height)
        return [oid for oid in movable
                if (a := bank.frames[i].objects.get(oid)) is not None and a.visible_pixels >= least]

    edges = o.motion_bins
    b = int(rng.integers(len(edges) - 1))
    still_frames = [f.index for f in bank.frames if shown(f.index)] if camera == "still" else []
    if camera == "still" and not still_frames:
        raise G.CannotPose(f"scene {bank.scene_id!r}: no frame shows a movable object over min_object_fraction="
                           f"{o.min_object_fraction} of the image")
    for _ in range(o.max_tries):
        if camera == "still":
            i = j = still_frames[int(rng.integers(len(still_frames)))]
        else:
            i, j = G.sample_pair(bank, rng, o, lambda a, _: bool(shown(a)),
                                 what=f"{qtype} (a movable object in image 1)")
        objects = shown(i)
        oid = objects[int(rng.integers(len(objects)))]
        T = M.sample_move(scene, oid, movable[oid], (edges[b], edges[b + 1]), o.max_object_yaw_deg, rng)
        if T is None:
            continue
        cam1, cam2 = bank.frames[i].camera, bank.frames[j].camera
        depth1, inst1 = bank.maps(i)
        rows, cols = np.nonzero((inst1 == oid) & (depth1 > 0) & G.margin_mask(cam1.height, cam1.width, o.point_margin))
        if len(rows) == 0:
            continue
        X = G.backproject(cam1, cols, rows, depth1[rows, cols])
        X2 = X @ T[:3, :3].T + T[:3, 3]
        uv, z = cam2.project(X2)
        with np.errstate(invalid="ignore"):
            inside = (z > 0) & (uv[:, 0] >= 0) & (uv[:, 0] < cam2.width) & (uv[:, 1] >= 0) & (uv[:, 1] < cam2.height)
        if not inside.any():
            continue  # the object left the view: no render needed to know
        after, _ = bank.render(cam2, object_transforms={oid: T})
        ok, uv = G.visible_in(cam2, X2, after.depth, o.visibility_tolerance, o.point_margin, after.instance, oid)
        cand = np.flatnonzero(ok)
        if len(cand):
            break
    else:
        raise _too_few(bank, f"{qtype} move of {edges[b]}-{edges[b + 1]} m keeping the point in view", o,
                       "motion_bins, min_object_fraction or point_margin")
    k = int(cand[int(rng.integers(len(cand)))])
    shift = X2[k] - X[k]
    local = cam1.pose[:3, :3].T @ shift  # §3.2.2: "with respect to the first view", X right, Y down, Z forward
    value = int(round(float(np.linalg.norm(shift)) * 1000.0)) if out == "distance" else \
        [int(round(float(v) * 1000.0)) for v in local]
    p1, p2 = _px(cols[k], rows[k]), [float(uv[k, 0]), float(uv[k, 1])]
    q1 = G.point1000(p1, cam1)
    image1 = bank.rgb(i)
    if ref == "dot":
        image1 = D.dot(image1, p1, D.radius(cam1.width))
    yaw = math.degrees(math.atan2(T[1, 0], T[0, 0]))
    centre = scene.objects[oid].center
    travel = T[:3, :3] @ centre + T[:3, 3] - centre
    key = f"{i}-{j}/{oid}/{cols[k]},{rows[k]}/{travel[0]:.4f},{travel[1]:.4f},{yaw:.2f}"
    meta = {"frames": [i, j], "object_id": oid, "category": scene.objects[oid].category, "transform": T.tolist(),
            "support": movable[oid], "motion_bin": [edges[b], edges[b + 1]], "point_px": p1, "moved_point_px": p2,
            "world_point": X[k].tolist(), "displacement_m": shift.tolist(),
            "truth": [{"image": 0, "xy": p1}, {"image": 1, "xy": p2}]}
    t = P.OBJECT[(out, ref)]
    question = P.pick(rng, t["questions"]).format(x=q1[0], y=q1[1])
    return _episode(bank, rng, o, qtype, [image1, after.rgb], P.pick(rng, P.OBJECT_DESCRIPTIONS), question,
                    t["answers"], value, key, meta)


# ---- object size (§3.1, §3.2.1, supplementary F) ---------------------------------------------------------------

def size_extents(bank: FrameBank, min_fraction: float) -> dict[int, dict[int, tuple[np.ndarray, np.ndarray]]]:
    """Per nameable object (non-structural, its category unique among the bank's objects) and per frame
    showing it over ``min_fraction`` of the image: the lowest and highest coordinates of its visible points
    (back-projected pixels) along its box axes."""
    counts: dict[str, int] = {}
    for info in bank.objects.values():
        counts[info["category"]] = counts.get(info["category"], 0) + 1
    named = {oid: info for oid, info in bank.objects.items()
             if counts[info["category"]] == 1 and info["category"] not in STRUCTURAL_CATEGORIES}
    out: dict[int, dict[int, tuple[np.ndarray, np.ndarray]]] = {oid: {} for oid in named}
    for f in bank.frames:
        cam = f.camera
        least = max(1.0, min_fraction * cam.width * cam.height)
        here = [oid for oid in named if (a := f.objects.get(oid)) is not None and a.visible_pixels >= least]
        if not here:
            continue
        depth, inst = bank.maps(f.index)
        for oid in here:
            rows, cols = np.nonzero((inst == oid) & (depth > 0))
            if len(rows) == 0:
                continue
            info = named[oid]
            local = (G.backproject(cam, cols, rows, depth[rows, cols]) - np.asarray(info["center"])) \
                @ np.asarray(info["rotation"])
            out[oid][f.index] = (local.min(0), local.max(0))
    return out


def size_sets(bank: FrameBank, o: ObjectSizeOptions, dimension: str) -> dict[int, list[tuple[int, ...]]]:
    """Per nameable object: supplementary F's minimal covering sets of ``size_views`` frames for one dimension,
    whose frames also share content (overlap > 0, §3.2.1 "share overlapping regions")."""
    extents = G.cached(bank, "size_extents", lambda: size_extents(bank, o.min_object_fraction), o.min_object_fraction)
    overlap = G.overlap_matrix(bank)

    def connected(combo: tuple[int, ...]) -> bool:
        reached, todo = {combo[0]}, [combo[0]]
        while todo:
            a = todo.pop()
            for b in combo:
                if b not in reached and overlap[a, b] > 0:
                    reached.add(b)
                    todo.append(b)
        return len(reached) == len(combo)

    out = {}
    for oid, per_frame in extents.items():
        info = bank.objects[oid]
        axis, size = G.box_axes(info["rotation"], info["extents"])[dimension]
        lo = {f: float(v[0][axis]) for f, v in per_frame.items()}
        hi = {f: float(v[1][axis]) for f, v in per_frame.items()}
        out[oid] = G.minimal_cover_sets(list(per_frame), lo, hi, size, o.coverage_tolerance, o.size_views, connected)
    return out


def sample_object_size(bank: FrameBank, rng: np.random.Generator, o: ObjectSizeOptions, qtype: str) -> Episode:
    """An object's height, width or length (its 3D box, §3.2.1) from ``size_views`` images that cover that
    dimension only together (supplementary F); the object is named by its category, unique in the bank."""
    dimension = qtype.rsplit("_", 1)[1]
    sets = G.cached(bank, "size_sets", lambda: size_sets(bank, o, dimension), dimension, o.size_views,
                    o.coverage_tolerance, o.min_object_fraction)
    objects = [oid for oid in sorted(sets) if sets[oid]]
    if not objects:
        raise G.CannotPose(f"scene {bank.scene_id!r}: no uniquely named object has {o.size_views} frames covering its "
                         f"{dimension} only together (coverage_tolerance={o.coverage_tolerance}, min_object_fraction="
                         f"{o.min_object_fraction}, {len(bank)} frames)")
    oid = objects[int(rng.integers(len(objects)))]
    combo = sets[oid][int(rng.integers(len(sets[oid])))]
    shown = [combo[int(n)] for n in rng.permutation(len(combo))]
    info = bank.objects[oid]
    _, size = G.box_axes(info["rotation"], info["extents"])[dimension]
    value = int(round(size * 1000.0))
    category = info["category"].replace("_", " ")
    t = P.SIZE
    question = P.pick(rng, t["questions"]).format(dimension=dimension, object_category=category)
    meta = {"frames": shown, "object_id": oid, "category": info["category"], "dimension": dimension,
            "boxes": [{"image": n, "box": list(bank.frames[f].objects[oid].visible_box)} for n, f in enumerate(shown)]}
    return _episode(bank, rng, o, qtype, [bank.rgb(f) for f in shown], P.pick(rng, t["descriptions"]), question,
                    t["answers"], value, f"{oid}/" + "-".join(map(str, shown)), meta, fields={"dimension": dimension})


_SAMPLERS = {"depth": sample_depth, "correspondence": sample_correspondence, "camera_motion": sample_camera_motion,
             "object_motion": sample_object_motion, "object_size": sample_object_size}
