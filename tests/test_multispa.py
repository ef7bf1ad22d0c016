"""MultiSPA: the geometry behind every answer, checked against the rendered images and depth.

Object motion is real (only the moved object's pixels change, the answer is the motion the depth shows,
nothing intersects), correspondence truth re-projects, the coverage sets are minimal, camera-motion
directions agree with the poses, depth answers agree with the depth map; per-object transforms render
exactly a rebuilt scene; scoring follows §3.3.
"""

from __future__ import annotations

import math
import re

import gymnasium as gym
import numpy as np
import pytest

import spatial_env  # noqa: F401  (registers the envs)
from conftest import make_test_room
from spatial_env.camera import Camera
from spatial_env.render import make_renderer
from spatial_env.render import numba_backend
from spatial_env.render.base import transform_vertices
from spatial_env.scene import Scene, SceneBuilder, box
from spatial_env.tasks import families, get_task
from spatial_env.tasks.multispa import geometry as G
from spatial_env.tasks.multispa import motion as M
from spatial_env.tasks.multispa.generate import size_extents
from spatial_env.tasks.multispa.options import ObjectMotionOptions, ObjectSizeOptions
from spatial_env.tasks.multispa.table import GROUPS, QUESTION_TYPES

SMALL = {"resolution": 64, "frames_per_scene": 24}


def make(env_id: str, cache: str, **kwargs):
    """A small env of ``env_id`` on the test room."""
    return gym.make(env_id, scenes=[make_test_room()], cache_dir=cache, progress=False, **{**SMALL, **kwargs})


def episodes(env, seeds):
    """(episode, info) of each seed."""
    out = []
    for seed in seeds:
        _, info = env.reset(seed=seed)
        out.append((env.unwrapped.episode, info))
    return out


# ---- per-object transforms in the renderer ------------------------------------------------------------------

def _turn(yaw: float, shift) -> np.ndarray:
    T = np.eye(4)
    T[:2, :2] = [[math.cos(yaw), -math.sin(yaw)], [math.sin(yaw), math.cos(yaw)]]
    T[:3, 3] = shift
    return T


def _rebuilt(scene: Scene, moves: dict[int, np.ndarray]) -> Scene:
    """The scene rebuilt with the objects' vertices moved."""
    v = scene.vertices.copy()
    for oid, T in moves.items():
        ids = np.unique(scene.faces[scene.objects[oid].face_indices])
        v[ids] = transform_vertices(v[ids], T)
    return Scene(scene.scene_id, v, scene.faces, scene.colors, scene.face_object, scene.objects, scene.bounds,
                 scene.floor_height)


CAMS = [((0.4, 0.4, 1.5), (2.5, 2.0, 0.5)), ((4.6, 3.6, 1.2), (2.4, 2.0, 0.6)), ((2.5, 0.3, 0.6), (2.5, 3.0, 0.4))]


@pytest.mark.parametrize("eye,target", CAMS)
def test_object_transforms_render_a_rebuilt_scene_pixel_for_pixel(eye, target):
    room = make_test_room()
    moves = {8: _turn(0.6, (0.3, -1.1, 0.0)), 11: _turn(-0.3, (-0.4, 0.2, 0.0))}  # a chair, the box
    cam = Camera.looking_at(eye, target, width=64, height=48)
    r = make_renderer(room)
    moved, plain = r.render(cam, object_transforms=moves), r.render(cam)
    truth = make_renderer(_rebuilt(room, moves)).render(cam)
    for a, b in ((moved, truth),):
        assert a.rgb.tobytes() == b.rgb.tobytes() and a.depth.tobytes() == b.depth.tobytes()
        assert a.instance.tobytes() == b.instance.tobytes()
    assert (moved.instance != plain.instance).any()  # the objects did move in view
    again = r.render(cam)  # the scratch copy is the static scene again
    assert again.rgb.tobytes() == plain.rgb.tobytes() and again.depth.tobytes() == plain.depth.tobytes()
    alone = r.render(cam, only_objects=[8], object_transforms=moves)
    truth_alone = make_renderer(_rebuilt(room, moves)).render(cam, only_objects=[8])
    assert alone.instance.tobytes() == truth_alone.instance.tobytes()


def test_serial_twins_render_the_same_bytes(monkeypatch):
    """A process forked after OpenMP started renders with the serial kernels: same bytes."""
    room = make_test_room()
    cam = Camera.looking_at(*CAMS[0], width=64, height=64)
    r = make_renderer(room)
    moves = {9: _turn(0.2, (0.0, 0.5, 0.0))}
    a, b = r.render(cam), r.render(cam, object_transforms=moves)
    monkeypatch.setattr(numba_backend, "_SERIAL", True)
    assert numba_backend._kernel("_raster_bands") is numba_backend._KERNELS["_raster_bands"][1]
    c, d = r.render(cam), r.render(cam, object_transforms=moves)
    assert a.rgb.tobytes() == c.rgb.tobytes() and a.depth.tobytes() == c.depth.tobytes()
    assert b.rgb.tobytes() == d.rgb.tobytes() and b.instance.tobytes() == d.instance.tobytes()


def test_object_transforms_are_checked():
    room = make_test_room()
    r = make_renderer(room)
    cam = Camera.looking_at(*CAMS[0], width=32, height=32)
    with pytest.raises(ValueError, match="unknown object id 999"):
        r.render(cam, object_transforms={999: np.eye(4)})
    with pytest.raises(ValueError, match="rigid"):
        r.render(cam, object_transforms={8: np.diag([2.0, 1.0, 1.0, 1.0])})
    with pytest.raises(ValueError, match="4x4"):
        r.render(cam, object_transforms={8: np.eye(3)})
    with pytest.raises(TypeError, match="map object ids"):
        r.render(cam, object_transforms=[np.eye(4)])
    # two objects sharing mesh vertices (a scanned mesh) cannot be moved apart
    b = SceneBuilder("shared")
    b.add_object("floor", box((4, 4, 0.02), (0, 0, -0.01), (100, 100, 100)))
    b.add_object("chair", box((0.5, 0.5, 0.5), (0, 0, 0.25), (200, 0, 0)))
    s = b.build()
    floor, chair = (next(k for k, o in s.objects.items() if o.category == c) for c in ("floor", "chair"))
    fo = s.face_object.copy()
    fo[s.objects[chair].face_indices[:1]] = floor  # one triangle of a chair side now belongs to the floor
    shared = Scene("shared", s.vertices, s.faces, s.colors, fo, s.objects, s.bounds, s.floor_height)
    with pytest.raises(ValueError, match="shares mesh vertices"):
        make_renderer(shared).render(cam, object_transforms={chair: np.eye(4)})
    make_renderer(s).render(cam, object_transforms={chair: np.eye(4)})  # its own vertices: fine


# ---- object motion ----------------------------------------------------------------------------------------------

def _after(bank, ep):
    T = np.asarray(ep.meta["transform"])
    i, j = ep.meta["frames"]
    frame, _ = bank.render(bank.frames[j].camera, object_transforms={ep.meta["object_id"]: T})
    return T, i, j, frame


def test_object_motion_is_real_and_the_answer_is_the_motion(bank_cache):
    env = make("MultiSPA-ObjectMotion-v0", bank_cache, question_types="object_vector_coord_still",
               max_object_yaw_deg=0.0)
    bank = env.unwrapped.bank(0)
    whole = 0
    for ep, info in episodes(env, range(10)):
        T, i, j, after = _after(bank, ep)
        oid = ep.meta["object_id"]
        assert i == j
        assert np.array_equal(ep.images[1], after.rgb)  # the "after" image is this render
        depth1, inst1 = bank.maps(i)
        cam = bank.frames[i].camera
        footprint = (inst1 == oid) | (after.instance == oid)
        img1, img2 = ep.images[0], ep.images[1]
        assert (img1 != img2).any(axis=-1)[footprint].any()  # it moved in view
        assert np.array_equal(img1[~footprint], img2[~footprint])  # nothing else changed
        assert np.array_equal(bank.rgb(i)[~footprint], img1[~footprint])
        # the answer is the object's translation, in image 1's camera axes, in mm ...
        answer = np.array(info["target"]["vector"], float)
        np.testing.assert_allclose(answer, np.rint(cam.pose[:3, :3].T @ T[:3, 3] * 1000), atol=1.0)
        # ... and the depth shows it: the object rendered alone (no occluders) after the move is the static
        # object seen from the camera moved by T^-1, pixel for pixel and depth for depth ...
        r = bank._tools()[0]
        alone = r.render(cam, only_objects=[oid], object_transforms={oid: T})
        static = r.render(Camera(cam.K, np.linalg.inv(T) @ cam.pose, cam.width, cam.height), only_objects=[oid])
        assert np.array_equal(alone.instance, static.instance)
        np.testing.assert_allclose(alone.depth, static.depth, atol=1e-5)
        # ... and the centroid of its unprojected pixels moves by the answer (when wholly in view)
        was = r.render(cam, only_objects=[oid])
        masks = [was.instance == oid, alone.instance == oid]
        if not any(m[0].any() or m[-1].any() or m[:, 0].any() or m[:, -1].any() for m in masks):
            before, after_pts = (G.backproject(cam, *np.nonzero(m)[::-1], f.depth[m])
                                 for m, f in zip(masks, (was, alone)))
            moved = cam.pose[:3, :3].T @ (after_pts.mean(0) - before.mean(0)) * 1000
            assert np.linalg.norm(moved - answer) <= 0.2 * np.linalg.norm(answer) + 50, (moved, answer)
            whole += 1
        # the asked point, moved by T, lands on the object's surface in the after render
        X = np.array(ep.meta["world_point"])
        ok, _ = G.visible_in(cam, (X @ T[:3, :3].T + T[:3, 3])[None], after.depth, 0.02, 0.0, after.instance, oid)
        assert ok[0]
    assert whole >= 2


def test_object_motion_moving_camera_distance_and_balance(bank_cache):
    env = make("MultiSPA-ObjectMotion-v0", bank_cache, question_types="object_distance_dot_moving")
    bank = env.unwrapped.bank(0)
    bins = []
    for ep, info in episodes(env, range(12)):
        T, i, j, after = _after(bank, ep)
        assert i != j
        X = np.array(ep.meta["world_point"])
        assert info["target"]["number"] == round(np.linalg.norm(T[:3, :3] @ X + T[:3, 3] - X) * 1000)
        # the moved point is seen in image 2, on the object, where the meta says
        ok, uv = G.visible_in(bank.frames[j].camera, (T[:3, :3] @ X + T[:3, 3])[None], after.depth, 0.02, 0.0,
                              after.instance, ep.meta["object_id"])
        assert ok[0] and np.allclose(uv[0], ep.meta["moved_point_px"])
        lo, hi = ep.meta["motion_bin"]
        centre = bank.scene.objects[ep.meta["object_id"]].center
        assert lo <= np.linalg.norm(T[:3, :3] @ centre + T[:3, 3] - centre) < hi
        bins.append(lo)
    assert len(set(bins)) >= 3  # displacement bins are drawn uniformly (§3.2.2)


def test_moved_objects_stay_clear_of_other_objects(bank_cache):
    env = make("MultiSPA-ObjectMotion-v0", bank_cache)
    scene = env.unwrapped.bank(0).scene
    for ep, _ in episodes(env, range(15)):
        oid, T = ep.meta["object_id"], np.asarray(ep.meta["transform"])
        o = scene.objects[oid]
        c, R = T[:3, :3] @ o.center + T[:3, 3], T[:3, :3] @ o.rotation
        corners = c + (np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]) * o.extents / 2) @ R.T
        assert (corners[:, :2] > scene.bounds[0, :2]).all() and (corners[:, :2] < scene.bounds[1, :2]).all()
        assert abs(c[2] - o.center[2]) < 1e-9  # slid, not lifted
        for k, other in scene.objects.items():
            if k in (oid, ep.meta["support"]) or other.is_structural:
                continue
            assert not M.obb_intersect(c, R, o.extents, other.center, other.rotation, other.extents, slack=0.004), \
                (oid, k)


def test_obb_intersection_and_movable_objects():
    I = np.eye(3)
    assert M.obb_intersect([0, 0, 0], I, [1, 1, 1], [0.9, 0, 0], I, [1, 1, 1])
    assert not M.obb_intersect([0, 0, 0], I, [1, 1, 1], [1.1, 0, 0], I, [1, 1, 1])
    R45 = _turn(math.pi / 4, (0, 0, 0))[:3, :3]
    # a diamond's corner reaches sqrt(0.5) from its centre: 1.2 apart clears, 1.15 does not (edge-edge axis)
    assert not M.obb_intersect([0, 0, 0], I, [1, 1, 1], [1.22, 0, 0], R45, [1, 1, 1])
    assert M.obb_intersect([0, 0, 0], I, [1, 1, 1], [1.15, 0, 0], R45, [1, 1, 1])
    room = make_test_room()
    movable = M.movable_objects(room)
    assert movable[11] == 7  # the box rests on the table
    assert movable[8] is None and movable[9] is None and movable[10] is None  # chairs and cabinet on the floor
    assert 7 not in movable  # the table carries the box


# ---- correspondence ----------------------------------------------------------------------------------------------

def test_correspondence_truth_reprojects(bank_cache):
    env = make("MultiSPA-Correspondence-v0", bank_cache)
    bank = env.unwrapped.bank(0)
    for ep, info in episodes(env, range(10)):
        i, j = ep.meta["frames"]
        c1, c2 = bank.frames[i].camera, bank.frames[j].camera
        d1, _ = bank.maps(i)
        d2, _ = bank.maps(j)
        col, row = (int(v) for v in np.floor(ep.meta["point_px"]))
        X = c1.unproject(d1)[row, col]  # independent unprojection of the pixel
        np.testing.assert_allclose(X, ep.meta["world_point"], atol=1e-6)
        uv, z = c2.project(X[None])
        np.testing.assert_allclose(uv[0], ep.meta["match_px"], atol=1e-6)
        assert abs(z[0] - d2[int(uv[0, 1]), int(uv[0, 0])]) <= 0.02 + 0.01 * z[0]  # seen, not occluded
        truth = [int(uv[0, 0] / c2.width * 1000), int(uv[0, 1] / c2.height * 1000)]
        if ep.question_type == "correspondence_coord":
            assert info["target"]["point"] == truth
            q1 = [int(ep.meta["point_px"][0] / c1.width * 1000), int(ep.meta["point_px"][1] / c1.height * 1000)]
            assert f"[{q1[0]}, {q1[1]}]" in ep.prompt
        else:
            labels = ep.meta["labels"]
            assert np.allclose(labels[info["target"]["choice"]], ep.meta["match_px"])
            pts = np.array(list(labels.values()))
            gaps = np.linalg.norm(pts[:, None] - pts[None], axis=-1)[np.triu_indices(4, 1)]
            assert (gaps >= 0.06 * c2.width).all()
            assert (ep.images[1] != bank.rgb(j)).any() and (ep.images[0] != bank.rgb(i)).any()  # dots drawn


def test_hard_distractors_lie_near_the_answer(bank_cache):
    env = make("MultiSPA-Correspondence-v0", bank_cache, question_types="correspondence_mcq", distractors="hard")
    for ep, _ in episodes(env, range(6)):
        pts = np.array(list(ep.meta["labels"].values()))
        assert (np.linalg.norm(pts - np.array(ep.meta["match_px"]), axis=1) <= 0.15 * 64 + 1).all()


# ---- object size: minimum coverage sets ------------------------------------------------------------------------------

def test_minimal_cover_sets_search():
    lo = {0: 0.0, 1: 0.5, 2: 0.0, 3: 0.4}
    hi = {0: 0.6, 1: 1.0, 2: 1.0, 3: 0.7}
    # frame 2 alone covers; 0+1 cover together; 0+3, 1+3 do not; no superset of a cover is minimal
    assert G.minimal_cover_sets([0, 1, 2, 3], lo, hi, 1.0, 0.05, 2) == [(0, 1)]
    assert G.minimal_cover_sets([0, 1, 2, 3], lo, hi, 1.0, 0.05, 1) == [(2,)]
    assert G.minimal_cover_sets([0, 1, 3], lo, hi, 1.0, 0.05, 2, connected=lambda c: False) == []
    lo3, hi3 = {0: 0.0, 1: 0.3, 2: 0.6}, {0: 0.4, 1: 0.7, 2: 1.0}
    assert G.minimal_cover_sets([0, 1, 2], lo3, hi3, 1.0, 0.05, 3) == []  # 0+2 already covers
    assert G.minimal_cover_sets([0, 1, 2], lo3, hi3, 1.0, 0.05, 2) == [(0, 2)]


def test_object_size_images_cover_only_together(bank_cache):
    env = make("MultiSPA-ObjectSize-v0", bank_cache)
    bank = env.unwrapped.bank(0)
    o = ObjectSizeOptions(**SMALL)
    asked = set()
    for ep, info in episodes(env, range(8)):
        oid, dim = ep.meta["object_id"], ep.meta["dimension"]
        asked.add(dim)
        obj = bank.objects[oid]
        assert sum(b["category"] == obj["category"] for b in bank.objects.values()) == 1  # named unambiguously
        axis, size = G.box_axes(obj["rotation"], obj["extents"])[dim]
        assert info["target"]["number"] == round(size * 1000)
        spans = []
        for f in ep.meta["frames"]:  # coverage recomputed from the depth maps
            depth, inst = bank.maps(f)
            rows, cols = np.nonzero(inst == oid)
            local = (G.backproject(bank.frames[f].camera, cols, rows, depth[rows, cols]) - obj["center"]) @ \
                np.asarray(obj["rotation"])
            spans.append((local[:, axis].min(), local[:, axis].max()))
        tol = o.coverage_tolerance * size
        assert all(abs((b - a) - size) > tol for a, b in spans)  # no proper subset covers
        union = max(b for _, b in spans) - min(a for a, _ in spans)
        assert abs(union - size) <= tol  # the set does
        assert G.overlap_matrix(bank)[ep.meta["frames"][0], ep.meta["frames"][1]] > 0
    assert len(asked) >= 2


def test_a_question_type_the_scene_cannot_pose_says_so(bank_cache):
    env = make("MultiSPA-ObjectSize-v0", bank_cache, question_types="object_size_height")
    with pytest.raises(G.CannotPose, match="covering its height only together"):
        env.reset(seed=0)
    assert size_extents(env.unwrapped.bank(0), 0.002)  # the bank does show nameable objects


# ---- camera motion and depth -----------------------------------------------------------------------------------------

def test_camera_motion_answers_agree_with_the_poses(bank_cache):
    env = make("MultiSPA-CameraMotion-v0", bank_cache)
    bank = env.unwrapped.bank(0)
    seen = set()
    for ep, info in episodes(env, range(40)):
        i, j = ep.meta["frames"]
        c1, c2 = bank.frames[i].camera, bank.frames[j].camera
        d = c1.to_camera(c2.position[None])[0]  # camera 2's centre in camera 1's axes
        f1, f2 = c1.pose[:3, 2], c2.pose[:3, 2]
        turn = f1[0] * f2[1] - f1[1] * f2[0]  # > 0: counter-clockwise seen from above, a turn to the left
        qt, t = ep.question_type, info["target"]
        seen.add(qt)
        if qt == "camera_translation_x":
            assert t["choice"] == ("right" if d[0] > 0 else "left")
        elif qt == "camera_translation_y":
            assert t["choice"] == ("down" if d[1] > 0 else "up")
        elif qt == "camera_translation_z":
            assert t["choice"] == ("forward" if d[2] > 0 else "backward")
        elif qt == "camera_yaw_direction":
            assert t["choice"] == ("left" if turn > 0 else "right")
        elif qt == "camera_pitch_direction":
            assert t["choice"] == ("up" if f2[2] > f1[2] else "down")
        elif qt == "camera_translation_distance":
            assert t["number"] == round(np.linalg.norm(d) * 1000)
        elif qt == "camera_translation_vector":
            np.testing.assert_allclose(t["vector"], np.rint(d * 1000), atol=1)
        elif qt == "camera_yaw_degree":
            a1, a2 = math.atan2(f1[1], f1[0]), math.atan2(f2[1], f2[0])
            assert abs(t["number"] - abs(math.degrees((a2 - a1 + math.pi) % (2 * math.pi) - math.pi))) <= 0.5
        elif qt == "camera_pitch_degree":
            assert abs(t["number"] - abs(math.degrees(math.asin(f2[2]) - math.asin(f1[2])))) <= 0.5
        ov = bank.overlap(i, j)
        assert 0.06 <= ov <= 0.35  # §3.2's overlap range
    assert len(seen) >= 7


def test_depth_answers_agree_with_the_depth_map(bank_cache):
    env = make("MultiSPA-Depth-v0", bank_cache)
    bank = env.unwrapped.bank(0)
    for ep, info in episodes(env, range(30)):
        depth, _ = bank.maps(ep.meta["frame"])
        d = [float(depth[int(y), int(x)]) for x, y in ep.meta["points_px"]]
        t = info["target"]
        if ep.question_type.startswith("depth_value"):
            assert t["number"] == round(d[0] * 1000)
            continue
        closer = re.search(r"shorter|nearer", ep.prompt) is not None
        assert closer == (ep.meta["asked"] == "closer")
        pick = int(np.argmin(d) if closer else np.argmax(d))
        if ep.question_type == "depth_comparison_dot":
            assert t["choice"] == "AB"[pick]
        else:
            x, y = ep.meta["points_px"][pick]
            assert t["point"] == [int(x / 64 * 1000), int(y / 64 * 1000)] and f"`[{t['point'][0]}, " in info["answer"]


def test_overlap_matrix_is_the_banks_overlap(bank_cache):
    env = make("MultiSPA-CameraMotion-v0", bank_cache)
    bank = env.unwrapped.bank(0)
    ov = G.overlap_matrix(bank)
    for i in range(0, len(bank), 5):
        for j in range(i + 1, len(bank), 3):
            assert ov[i, j] == bank.overlap(i, j) == ov[j, i]
    o = env.unwrapped.options
    rng = np.random.default_rng(0)
    for _ in range(20):
        i, j = G.sample_pair(bank, rng, o)
        assert 0.06 <= bank.overlap(i, j) <= 0.35


# ---- scoring, parsing, options, formats ---------------------------------------------------------------------------

class _O:
    parse_mode = "robust"


class _Official:
    parse_mode = "official"


def _judge(qtype: str, text: str, target: dict, options=_O) -> float:
    task = get_task(QUESTION_TYPES[qtype].task)
    return task.judge(text, {"question_type": qtype, **target}, options).metrics["accuracy"]


def test_scoring_follows_section_3_3():
    t = {"number": 1000}
    assert _judge("depth_value_dot", "`1199` mm", t) == 1.0 and _judge("depth_value_dot", "`1201` mm", t) == 0.0
    assert _judge("depth_value_dot", "about 1.1 m", t) == 1.0  # robust: units converted to mm
    assert _judge("depth_value_dot", "about 1.1 m", t, _Official) == 0.0  # official: a backtick span only
    v = {"vector": [300, 0, 400]}  # |t| = 500: an error of 100 is within 20 %
    assert _judge("camera_translation_vector", "`[380, 0, 460]`", v) == 1.0
    assert _judge("camera_translation_vector", "`[400, 0, 480]`", v) == 0.0
    p = {"point": [500, 500], "width": 640, "height": 480}  # 5 % of 640 = 32 px
    assert _judge("correspondence_coord", "`[545, 500]`", p) == 1.0  # 45/1000*640 = 28.8 px
    assert _judge("correspondence_coord", "`[500, 570]`", p) == 0.0  # 70/1000*480 = 33.6 px
    assert _judge("depth_comparison_coord", "`[500, 500]`", {"point": [500, 500]}) == 1.0
    assert _judge("depth_comparison_coord", "`[501, 500]`", {"point": [500, 500]}) == 0.0  # a choice: exact
    assert _judge("camera_translation_x", "It moved `left`.", {"choice": "left"}) == 1.0
    assert _judge("camera_translation_x", "`Left`", {"choice": "left"}, _Official) == 0.0  # exact match
    assert _judge("correspondence_mcq", "The correct point is labeled `C`.", {"choice": "C"}) == 1.0
    task = get_task("multispa_camera_translation_x")
    assert not task.judge("left or right, hard to say", {"question_type": "camera_translation_x", "choice": "left"},
                          _O).parse_ok
    assert not task.judge("It moved 'left'.", {"question_type": "camera_translation_x", "choice": "left"},
                          _Official).parse_ok


def test_groups_are_table_2s_columns():
    fam = families()["multispa"]
    assert list(fam.groups) == list(GROUPS) and len(fam.groups) == 12
    assert sorted(q for g in fam.groups.values() for q in g) == sorted(QUESTION_TYPES)
    assert len(QUESTION_TYPES) == 26  # the paper's 26 subtasks (supplementary A)


def test_random_and_prior_answers_parse_and_score():
    rng = np.random.default_rng(0)
    for name, q in QUESTION_TYPES.items():
        task = get_task(q.task)
        for mode in (_O, _Official):
            answer = task.answers.random(rng)
            assert task.parse(answer, mode) is not None and task.judge(answer, {"question_type": name, q.key: (
                q.options[0] if q.options else [1, 2, 3] if q.kind == "vector" else [1, 2] if q.kind == "point" else 5)
                , "width": 64, "height": 64}, mode).parse_ok, (name, answer)
    prior = get_task("multispa_camera_translation_z").answers.prior(
        [{"question_type": "camera_translation_z", "choice": c} for c in ("forward", "backward", "forward")])
    assert prior == "`forward`"
    prior = get_task("multispa_depth_value_coord").answers.prior(
        [{"question_type": "depth_value_coord", "number": n} for n in (1000, 2000)])
    assert prior == "`1500` mm"
    mixed = get_task("multispa_camera_motion").answers.prior(
        [{"question_type": "camera_yaw_degree", "number": 10}] * 2 + [{"question_type": "camera_translation_x",
                                                                       "choice": "left"}])
    assert mixed == "`10` degrees"


def test_options_are_checked():
    with pytest.raises(ValueError, match="question_types.*unknown"):
        gym.make("MultiSPA-Depth-v0", question_types="camera_translation_x")
    with pytest.raises(ValueError, match="frames_dir is only used"):
        gym.make("MultiSPA-Depth-v0", frames_dir="/tmp")
    with pytest.raises(ValueError, match="needs frames='rendered'"):
        ObjectMotionOptions(frames="captured")
    with pytest.raises(ValueError, match="motion_bins"):
        ObjectMotionOptions(motion_bins=(0.5, 0.2))
    with pytest.raises(ValueError, match="overlap_range"):
        gym.make("MultiSPA-CameraMotion-v0", overlap_range=(0.4, 0.1))
    with pytest.raises(ValueError, match="size_views"):
        ObjectSizeOptions(size_views=1)
    with pytest.raises(ValueError, match="unknown option"):
        gym.make("MultiSPA-Depth-v0", distractors="hard")  # a correspondence option


def test_draw_marks_truth_and_prediction(bank_cache):
    for env_id in ("MultiSPA-Correspondence-v0", "MultiSPA-ObjectSize-v0", "MultiSPA-Depth-v0"):
        env = make(env_id, bank_cache)
        env.reset(seed=1)
        ep = env.unwrapped.episode
        task = get_task(ep.task)
        drawn = task.draw(ep, None)
        assert [d.shape for d in drawn] == [im.shape for im in ep.images]
        assert any((d != im).any() for d, im in zip(drawn, ep.images))
        pred = task.parse(ep.answer, env.unwrapped.options)
        with_pred = task.draw(ep, pred)
        assert len(with_pred) == len(ep.images)


def test_runs_on_a_scans_captured_photos(tmp_path):
    from scene_fixtures import scannet_from_scene, write_captured_frames

    fixture = scannet_from_scene(tmp_path / "scans", make_test_room())
    write_captured_frames(fixture.root)
    # nine photos: a wider overlap range than §3.2's still finds pairs
    kwargs = {"scenes": [str(fixture.root)], "cache_dir": str(tmp_path / "cache"), "progress": False,
              "frames": "captured", "sampler": {"translation_threshold": 0.0}, "overlap_range": (0.01, 0.6)}
    for env_id in ("MultiSPA-Depth-v0", "MultiSPA-Correspondence-v0", "MultiSPA-CameraMotion-v0"):
        env = gym.make(env_id, **kwargs)
        bank = env.unwrapped.bank(0)
        for seed in range(4):
            obs, info = env.reset(seed=seed)
            ep = env.unwrapped.episode
            assert obs["images"].shape[1:3] == (72, 96)  # the photos' own size
            frames = ep.meta.get("frames", [ep.meta.get("frame")])
            for img, f in zip(obs["images"], frames):
                changed = np.any(img != bank.rgb(f), axis=-1)
                assert changed.mean() < 0.2  # the photo itself, at most with dots drawn on it
            assert env.step(info["answer"])[1] == 1.0
    with pytest.raises(ValueError, match="needs frames='rendered'"):
        gym.make("MultiSPA-ObjectMotion-v0", **kwargs)
