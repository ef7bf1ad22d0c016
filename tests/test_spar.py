"""SPAR-Bench: questions are well posed and their answers follow from the geometry (spar-7m.txt §7.4-7.6).

Each check recomputes the answer independently of the family's code (camera maths from the bank's
cameras and object centres, ``look_at`` for the moved observer), over many seeded questions.
"""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

import spatial_env
from conftest import make_test_room
from spatial_env.agents import OracleAgent, RandomAgent
from spatial_env.camera import look_at
from spatial_env.frames import load_bank
from spatial_env.tasks import get_task
from spatial_env.tasks.spar import FAMILY, LEVELS, SPECS, TASKS, SparOptions, frames, task_name

OPTIONS = SparOptions(**FAMILY.test_kwargs)
N = 12  # questions per task and check


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    return load_bank(make_test_room(), frames(OPTIONS), cache_dir=str(tmp_path_factory.mktemp("spar")), progress=False)


def episodes(bank, abbreviation: str, n: int = N, options: SparOptions = OPTIONS):
    task = get_task(task_name(abbreviation))
    rng = np.random.default_rng(7)
    return [task.sample(bank, rng, options) for _ in range(n)]


def centre(bank, oid):
    return np.asarray(bank.objects[oid]["center"], float)


def cam_point(bank, frame, oid):
    pose = bank.frames[frame].camera.pose
    return pose[:3, :3].T @ (centre(bank, oid) - pose[:3, 3])


def expected_relation(d, front, thr=OPTIONS.relation_threshold):
    x, y = d[0], d[1]
    return ", ".join(["right" if x > thr else "left" if x < -thr else "",
                      "below" if y > thr else "above" if y < -thr else "",
                      "front" if front > thr else "behind" if front < -thr else ""])


def test_the_twenty_envs_and_the_bench_are_registered_as_table_4():
    ids = {f"SPAR-{abbr}-v0" for abbr, *_ in SPECS}
    assert len(ids) == 20 and ids | {"SPAR-Bench-v0"} <= set(spatial_env.tasks.env_specs())
    assert [len(LEVELS[k]) for k in ("Low", "Medium", "High")] == [8, 3, 9]
    numeric = {a for a, lv, _, kind, _ in SPECS if kind in ("number", "view")}
    # Table 4 leaves the Random row blank exactly for the numeric tasks.
    assert numeric == {"Depth-OC", "Depth-OC-MV", "Depth-OO", "Depth-OO-MV", "Dist-OC", "Dist-OC-MV", "Dist-OO",
                       "Dist-OO-MV", "ViewChgI"}


def test_marked_points_sit_on_the_named_objects_and_items_meet_the_constraints(bank):
    for abbr, *_ in SPECS:
        for ep in episodes(bank, abbr, 6):
            for mark in ep.meta["marks"]:
                frame = ep.meta["frames"][mark["view"]]
                _, instance = bank.maps(frame)
                u, v = mark["pixel"]
                assert instance[v, u] == mark["object_id"], (abbr, mark)
                # The drawn point is the mark's colour in the observation.
                assert tuple(ep.images[mark["view"]][v, u]) == {"red": (235, 40, 40), "blue": (40, 120, 255),
                                                                 "green": (40, 220, 60)}[mark["colour"]]
                ann = bank.frames[frame].objects[mark["object_id"]]
                assert ann.vertex_fraction >= OPTIONS.min_vertex_fraction
                assert OPTIONS.depth_range[0] <= ann.depth_range[0] <= ann.depth_range[1] <= OPTIONS.depth_range[1]
                assert mark["category"].replace("_", " ") in ep.prompt
            if ep.choices is not None:
                assert len(set(ep.choices)) == len(ep.choices) and ep.answer in "ABCD"[:len(ep.choices)]
            if len(ep.meta["marks"]) > 1:  # categories name the objects: one of each
                assert len({m["category"] for m in ep.meta["marks"]}) == len(ep.meta["marks"])


def test_depth_and_distance_answers_follow_from_the_geometry(bank):
    for ep in episodes(bank, "Depth-OC"):
        (m,) = ep.meta["marks"]
        assert ep.target["value"] == round(cam_point(bank, ep.meta["frames"][0], m["object_id"])[2], 1)
    for ep in episodes(bank, "Depth-OC-MV"):
        ref, other = ep.meta["marks"]
        main = ep.meta["frames"][0]
        assert ref["view"] == 0 and other["view"] > 0
        assert f"{round(cam_point(bank, main, ref['object_id'])[2], 1):.1f} meters" in ep.prompt
        assert ep.target["value"] == round(cam_point(bank, main, other["object_id"])[2], 1)
    for abbr in ("Depth-OO", "Depth-OO-MV"):
        for ep in episodes(bank, abbr):
            main = ep.meta["frames"][0]
            za, zb = (cam_point(bank, main, m["object_id"])[2] for m in ep.meta["marks"])
            assert abs(za - zb) >= OPTIONS.min_gap and ep.target["value"] == round(abs(za - zb), 1)
            if abbr == "Depth-OO":
                a, b = (m["box"] for m in ep.meta["marks"])
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]  # §7.5: no overlapping boxes
    for abbr in ("Dist-OC", "Dist-OC-MV"):
        for ep in episodes(bank, abbr):
            (m,) = ep.meta["marks"]
            cam = bank.frames[ep.meta["frames"][0]].camera
            assert ep.target["value"] == round(float(np.linalg.norm(centre(bank, m["object_id"]) - cam.position)), 1)
    for abbr in ("Dist-OO", "Dist-OO-MV"):
        for ep in episodes(bank, abbr):
            a, b = (centre(bank, m["object_id"]) for m in ep.meta["marks"])
            d = float(np.linalg.norm(a - b))
            assert d >= OPTIONS.min_distance and ep.target["value"] == round(d, 1)


def _option(ep):
    return ep.choices["ABCD".index(ep.answer)]


def test_relations_are_computed_in_the_main_view_camera(bank):
    for ep in episodes(bank, "ObjRel-OC-MV"):
        (m,) = ep.meta["marks"]
        assert m["view"] > 0
        p = cam_point(bank, ep.meta["frames"][0], m["object_id"])
        assert _option(ep) == expected_relation(p, p[2])
    for abbr in ("ObjRel-OO", "ObjRel-OO-MV"):
        for ep in episodes(bank, abbr):
            main = ep.meta["frames"][0]
            pa, pb = (cam_point(bank, main, m["object_id"]) for m in ep.meta["marks"])
            assert _option(ep) == expected_relation(pa - pb, np.linalg.norm(pb) - np.linalg.norm(pa))


def test_spatial_imagination_moves_the_observer_to_a_facing_b(bank):
    for abbr in ("SpImag-OC", "SpImag-OC-MV", "SpImag-OO", "SpImag-OO-MV"):
        for ep in episodes(bank, abbr):
            target, at, face = (centre(bank, m["object_id"]) for m in ep.meta["marks"])
            assert [m["colour"] for m in ep.meta["marks"]] == ["red", "green", "blue"]
            pose = look_at(at, face)  # independent construction of §7.5 Eq. 7-8
            to_new = lambda p: pose[:3, :3].T @ (p - at)  # noqa: E731
            pitch = np.degrees(np.arcsin((face - at)[2] / np.linalg.norm(face - at)))
            assert abs(pitch) <= OPTIONS.max_vertical_angle_deg
            if abbr.startswith("SpImag-OC"):
                p = to_new(target)
                assert _option(ep) == expected_relation(p, p[2])
            else:
                pc, pb = to_new(target), to_new(face)
                assert _option(ep) == expected_relation(pc - pb, np.linalg.norm(pb) - np.linalg.norm(pc))


def test_distance_inference_names_the_nearer_or_farther_object(bank):
    for ep in episodes(bank, "DistI-OO") + episodes(bank, "DistI-OO-MV"):
        a, b, c = (centre(bank, m["object_id"]) for m in ep.meta["marks"])
        dab, dac = np.linalg.norm(a - b), np.linalg.norm(a - c)
        closer = "closer to" in ep.prompt
        names = [m["category"].replace("_", " ") for m in ep.meta["marks"]]
        assert _option(ep) == (names[1] if (dab < dac) == closer else names[2])
        assert abs(dab - dac) >= OPTIONS.min_gap


def test_position_matching_camera_pose_and_view_change_follow_the_cameras(bank):
    for ep in episodes(bank, "PosMatch"):
        (m,) = ep.meta["marks"]
        cam = bank.frames[ep.meta["frames"][1]].camera
        box = bank.frames[ep.meta["frames"][1]].objects[m["object_id"]].loose_box
        expected = [round(box[0] / cam.width * 1000), round(box[1] / cam.height * 1000),
                    round(box[2] / cam.width * 1000), round(box[3] / cam.height * 1000)]
        assert _option(ep) == "[" + ", ".join(map(str, expected)) + "]"
    for ep in episodes(bank, "CamMotion"):
        c1, c2 = (bank.frames[f].camera for f in ep.meta["frames"])
        p = c1.pose[:3, :3].T @ (c2.position - c1.position)
        u, v = c1.K[0, 0] * p[0] / p[2] + c1.K[0, 2], c1.K[1, 1] * p[1] / p[2] + c1.K[1, 2]
        assert _option(ep) == (f"Image Coor: ({round(u / c1.width * 1000)}, {round(v / c1.height * 1000)}), "
                               f"Depth: {round(p[2], 1):.1f} meters")
    for ep in episodes(bank, "ViewChgI"):
        c1, c2 = (bank.frames[f].camera for f in ep.meta["frames"])
        right, up, forward, rot_right, rot_up = ep.target["axes"]
        # Walking the answer from camera 1 lands on camera 2 (to the answer's 0.1 m rounding).
        moved = c1.position + c1.pose[:3, :3] @ np.array([right, -up, forward])
        assert np.linalg.norm(moved - c2.position) <= 0.09
        f2 = c2.pose[:3, 2]
        yaw, pitch = np.radians(rot_right), np.radians(rot_up)
        f_answer = c1.pose[:3, :3] @ np.array([np.sin(yaw) * np.cos(pitch), -np.sin(pitch), np.cos(yaw) * np.cos(pitch)])
        assert np.degrees(np.arccos(np.clip(f_answer @ f2, -1, 1))) < 1.5
        assert get_task("spar_viewchgi").judge(ep.answer, ep.target, OPTIONS).reward == 1.0


def test_same_seed_same_question_and_scoring_conventions(bank):
    for task in TASKS:
        a, b = (task.sample(bank, np.random.default_rng(3), OPTIONS) for _ in range(2))
        assert a.prompt == b.prompt and a.answer == b.answer and all(np.array_equal(x, y) for x, y in zip(a.images, b.images))
        assert task.judge(a.answer, a.target, OPTIONS).reward == task.best_reward
        bad = task.judge("I cannot tell.", a.target, OPTIONS)
        assert not bad.parse_ok and bad.reward == task.metric.reward(task.metric.worst)


def test_official_parsing_reproduces_spar_quirks(bank):
    official = SparOptions(**{**FAMILY.test_kwargs, "parse_mode": "official"})
    ep = episodes(bank, "ObjRel-OO", 1)[0]
    task = get_task("spar_objrel_oo")
    assert task.judge("", ep.target, official).metrics["accuracy"] == 1.0  # SPAR's lenient match: "" matches
    assert task.judge(ep.answer.lower() + ". because", ep.target, official).metrics["accuracy"] == 1.0
    assert task.judge("", ep.target, OPTIONS).reward == 0.0  # robust: an empty answer is a parse failure
    mv = episodes(bank, "Depth-OC-MV", 1)[0]
    # Official *_mv rule: the last number in the answer.
    assert get_task("spar_depth_oc_mv").judge(f"1.0 or maybe {mv.answer}", mv.target, official).reward == 1.0


def test_bench_mixes_the_tasks_and_summarises_as_table_4(tmp_path):
    kwargs = {"scenes": [make_test_room()], "cache_dir": str(tmp_path / "cache"), **FAMILY.test_kwargs}
    env = gym.make("SPAR-Bench-v0", progress=False, **kwargs)
    space = env.observation_space
    assert space["images"].shape[0] == OPTIONS.mv_views and "num_images" in space.spaces
    seen = set()
    for seed in range(40):
        obs, info = env.reset(seed=seed)
        n = int(obs["num_images"])
        seen.add(info["question_type"])
        assert info["task"] == task_name(info["question_type"])
        assert n == len(env.unwrapped.episode.images) and not obs["images"][n:].any()
        _, reward, *_ = env.step(info["answer"])
        assert reward == 1.0
    assert len(seen) >= 12
    res = spatial_env.evaluate("SPAR-Bench-v0", RandomAgent("SPAR-Bench-v0"), episodes=40, progress=False, **kwargs)
    rows = {(r["group"], r["key"]) for r in res.summary(n_boot=10)}
    assert {("family_group", "Low"), ("family_group", "Medium"), ("family_group", "High")} <= rows
    table = res.benchmark_table()
    assert table.splitlines()[0].startswith("| Avg. | Low |") and "PosMatch" in table
    assert {r["metric"] for r in res.records} <= {"spar_mra", "spar_view_change", "accuracy"}


def test_export_writes_one_record_per_question_with_its_geometry(tmp_path):
    from spatial_env.export import export_episodes

    kwargs = {"scenes": [make_test_room()], "cache_dir": str(tmp_path / "cache"), "progress": False,
              **FAMILY.test_kwargs}
    path = export_episodes("SPAR-SpImag-OO-MV-v0", tmp_path / "out", episodes=3, drawn=True, **kwargs)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows) == 3
    for r in rows:
        assert r["task"] == "spar_spimag_oo_mv" and len(r["images"]) == OPTIONS.mv_views
        assert r["answer"] in "ABCD" and len(r["choices"]) == 4
        geometry = r["geometry"]["geometry"]
        assert len(geometry["camera_poses"]) == OPTIONS.mv_views and "moved_camera_pose" in geometry
        assert all((path.parent / name).is_file() for name in r["images"])
    bench = export_episodes("SPAR-Bench-v0", tmp_path / "bench", episodes=6, **kwargs)
    for r in (json.loads(line) for line in bench.read_text().splitlines()):
        assert len(r["images"]) == len(r["geometry"]["frames"])  # padding slots are not exported


def test_oracle_scores_best_over_many_bench_questions(tmp_path):
    kwargs = {"scenes": [make_test_room()], "cache_dir": str(tmp_path / "cache"), **FAMILY.test_kwargs}
    res = spatial_env.evaluate("SPAR-Bench-v0", OracleAgent(), episodes=30, progress=False, **kwargs)
    assert all(r["reward"] == 1.0 and r["parse_ok"] for r in res.records)


def test_spar_runs_on_a_scans_captured_photos(tmp_path):
    from scene_fixtures import scannet_from_scene, write_captured_frames

    fixture = scannet_from_scene(tmp_path / "scans", make_test_room())
    write_captured_frames(fixture.root)
    kwargs = {"scenes": [str(fixture.root)], "cache_dir": str(tmp_path / "cache"), "progress": False,
              **{**FAMILY.test_kwargs, "frames": "captured", "sampler": {"translation_threshold": 0.0}}}
    kwargs.pop("frames_per_scene")
    env = gym.make("SPAR-Dist-OC-v0", **kwargs)
    obs, info = env.reset(seed=0)
    bank = env.unwrapped.bank(0)
    assert obs["images"].shape[1:3] == (bank.height, bank.width) != (bank.height, bank.height)  # photos, not squares
    ep = env.unwrapped.episode
    (m,) = ep.meta["marks"]
    frame = ep.meta["frames"][0]
    cam = bank.frames[frame].camera
    assert info["target"]["value"] == round(float(np.linalg.norm(centre(bank, m["object_id"]) - cam.position)), 1)
    photo = bank.rgb(frame)
    changed = np.any(obs["images"][0] != photo, axis=-1)
    assert changed.any() and changed.mean() < 0.05  # the photo itself, with only the marker drawn on it
    assert env.step(info["answer"])[1] == 1.0


def _two_object_room():
    """make_test_room's shell with only a table and a cabinet: DistI (three objects) cannot be posed."""
    from spatial_env.scene.build import SceneBuilder
    from spatial_env.scene.primitives import box

    b = SceneBuilder("two_objects", source="test")
    b.add_object("floor", box((5.0, 4.0, 0.02), (2.5, 2.0, -0.01), (150, 120, 90), max_edge=0.5))
    for size, c in [((5.0, 0.02, 2.6), (2.5, -0.01, 1.3)), ((5.0, 0.02, 2.6), (2.5, 4.01, 1.3)),
                    ((0.02, 4.0, 2.6), (-0.01, 2.0, 1.3)), ((0.02, 4.0, 2.6), (5.01, 2.0, 1.3))]:
        b.add_object("wall", box(size, c, (200, 195, 185), max_edge=0.5))
    b.add_object("table", box((1.2, 0.8, 0.75), (0, 0, 0.375), (120, 80, 50)), translation=(2.5, 2.0, 0.0))
    b.add_object("cabinet", box((0.5, 1.0, 1.1), (0, 0, 0.55), (180, 170, 150)), translation=(0.3, 3.0, 0.0))
    return b.build(bounds=[[0, 0, 0], [5.0, 4.0, 2.6]], floor_height=0.0)


def test_a_scene_that_cannot_pose_the_question_gives_way_to_another(tmp_path):
    from spatial_env.tasks import CannotPose

    kwargs = {"cache_dir": str(tmp_path / "cache"), "progress": False, **FAMILY.test_kwargs, "max_tries": 50}
    env = gym.make("SPAR-DistI-OO-v0", scenes=[_two_object_room(), make_test_room()], **kwargs)
    for seed in range(6):
        _, info = env.reset(seed=seed)
        assert info["scene_id"] == "test_room"
    a, b = (gym.make("SPAR-DistI-OO-v0", scenes=[_two_object_room(), make_test_room()], **kwargs).reset(seed=4)
            for _ in range(2))
    assert a[1]["episode_id"] == b[1]["episode_id"]  # still the same episode for the same seed
    with pytest.raises(CannotPose, match="two_objects.*DistI-OO"):
        env.reset(seed=0, options={"scene_index": 0})
    alone = gym.make("SPAR-DistI-OO-v0", scenes=[_two_object_room()], **kwargs)
    with pytest.raises(CannotPose, match="no scene of this env"):
        alone.reset(seed=0)
