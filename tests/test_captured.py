"""Captured frames: a ScanNet scan's posed photos (SensReader export layout) served through the frame bank.

The fixture renders a generated room written as a ScanNet scan (non-identity ``axisAlignment``) into
that layout, so the truth is known: the world cameras, the photos, and the renderer's annotations.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import imageio.v3 as iio
import numpy as np
import pytest

from conftest import make_test_room
from scene_fixtures import (CAPTURED_DUPLICATE, CAPTURED_INVALID_POSE, CAPTURED_MISSING_POSE, CAPTURED_VIEWS,
                            replica_scene, scannet_from_scene, write_captured_frames)
from spatial_env.frames import FrameAnnotator, FrameBank, FrameSpec, load_bank, scene_identity
from spatial_env.render import make_renderer
from spatial_env.scene import load_scene
from spatial_env.scene.model import SceneFormatError

CAPTURED = FrameSpec("captured")
SCAN_FILES = ("_vh_clean_2.ply", "_vh_clean_2.0.010000.segs.json", ".aggregation.json", ".txt")


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    """A ScanNet scan of the test room with its captured frames inside, and the truth."""
    root = tmp_path_factory.mktemp("captured")
    fixture = scannet_from_scene(root / "scans", make_test_room())
    truth = write_captured_frames(fixture.root)
    return fixture.root, truth


@pytest.fixture(scope="module")
def bank(scan, tmp_path_factory):
    """The captured bank of the scan with the default config."""
    return load_bank(str(scan[0]), CAPTURED, cache_dir=tmp_path_factory.mktemp("cache"), progress=False)


def _number(source: str) -> int:
    return int(source.split("/")[-1].split(".")[0])


def _scan_only(src, dest):
    """A copy of the scan's own files (no frames) under ``dest``."""
    dest.mkdir(parents=True)
    for suffix in SCAN_FILES:
        shutil.copy2(src / f"{src.name}{suffix}", dest / f"{src.name}{suffix}")
    return dest


def _copy_frames(src, dest):
    for sub in ("color", "depth", "pose", "intrinsic"):
        shutil.copytree(src / sub, dest / sub)


def test_photos_are_served_unchanged_at_their_own_size(scan, bank):
    root, truth = scan
    assert bank.index["image_size"] == [96, 72] and (bank.width, bank.height, bank.resolution) == (96, 72, 96)
    for f in bank.frames:
        photo = iio.imread(root / bank.source_frames[f.index])
        img = bank.rgb(f.index)
        assert img.shape == (72, 96, 3) == photo.shape and img.tobytes() == photo.tobytes()
        assert (f.camera.width, f.camera.height) == (96, 72) and f.role == "captured" and f.target is None


def test_cameras_are_the_true_world_cameras(scan, bank):
    _, truth = scan
    assert not np.allclose(truth["alignment"], np.eye(4))  # the poses on disk are not world poses
    for f in bank.frames:
        true = truth["cameras"][_number(bank.source_frames[f.index])]
        assert np.abs(f.camera.pose - true.pose).max() < 1e-6
        assert np.array_equal(f.camera.K, truth["K_color"])


def test_annotations_are_the_renderers_truth(scan, bank):
    root, truth = scan
    scene = load_scene(root)
    renderer, annotator = make_renderer(scene), FrameAnnotator(scene)
    for f in bank.frames:
        true_cam = truth["cameras"][_number(bank.source_frames[f.index])]
        frame = renderer.render(true_cam)
        depth, instance = bank.maps(f.index)
        assert np.array_equal(instance, frame.instance)
        assert np.allclose(depth, frame.depth, atol=6e-4)  # stored in millimetres
        # Annotated at the bank's camera (equal to the true one to 1e-15: the vertex depth test's pixel
        # lookup can flip on a vertex projecting onto a pixel border at that level).
        expected = annotator.annotate(f.camera, frame.depth, frame.instance)
        for oid in bank.excluded_objects[f.index]:
            del expected[oid]
        assert {o: a.to_json() for o, a in f.objects.items()} == {o: a.to_json() for o, a in expected.items()}
        at_true = annotator.annotate(true_cam, frame.depth, frame.instance)
        assert all(at_true[o].visible_box == a.visible_box and at_true[o].loose_box == a.loose_box
                   and at_true[o].visible_pixels == a.visible_pixels for o, a in f.objects.items())
        assert len(f.objects) >= 2


def test_frames_with_invalid_or_missing_poses_are_skipped_in_numeric_order(bank):
    assert bank.source_frames == [f"color/{n}.jpg" for n in (0, 1, 5, 6, 7, 8, 9, 10)]
    counts = bank.index["sampler_counts"]
    assert counts["photos"] == len(CAPTURED_VIEWS) and counts["invalid_pose"] == 1 and counts["missing_pose"] == 1
    assert counts["valid"] == len(CAPTURED_VIEWS) - 2 and counts["kept"] == len(bank)
    assert all(f"color/{n}.jpg" not in bank.source_frames for n in (CAPTURED_INVALID_POSE, CAPTURED_MISSING_POSE))


def test_near_duplicate_is_subsampled_away_and_max_frames_spreads(scan, tmp_path):
    root, _ = scan
    every = FrameSpec("captured", {"translation_threshold": 0.0, "rotation_threshold_deg": 0.0})
    kept = load_bank(str(root), every, cache_dir=tmp_path, progress=False)
    assert kept.source_frames == [f"color/{n}.jpg" for n in (0, 1, CAPTURED_DUPLICATE, 5, 6, 7, 8, 9, 10)]
    # Only translation within reach is not enough: the rotation must be within reach too.
    wide = FrameSpec("captured", {"translation_threshold": 0.25, "rotation_threshold_deg": 1.0})
    assert f"color/{CAPTURED_DUPLICATE}.jpg" in load_bank(str(root), wide, cache_dir=tmp_path, progress=False).source_frames
    three = load_bank(str(root), FrameSpec("captured", {"max_frames": 3}), cache_dir=tmp_path, progress=False)
    assert three.source_frames == ["color/0.jpg", "color/5.jpg", "color/8.jpg"]  # of 8 kept: 0, 2, 5


def test_object_hidden_in_the_depth_image_is_dropped_in_that_frame_only(scan, bank, tmp_path):
    _, truth = scan
    n, oid = truth["occluded"]
    i = bank.source_frames.index(f"color/{n}.jpg")
    assert oid not in bank.frames[i].objects and bank.excluded_objects[i] == [oid]
    assert (bank.maps(i)[1] == oid).sum() > 50  # the stored instance map still shows it
    assert all(not e for k, e in enumerate(bank.excluded_objects) if k != i)
    assert sum(oid in f.objects for f in bank.frames) >= 4
    unchecked = load_bank(str(scan[0]), FrameSpec("captured", {"depth_check": False}), cache_dir=tmp_path,
                          progress=False)
    assert oid in unchecked.frames[i].objects and unchecked.excluded_objects[i] == []


@pytest.mark.parametrize("layout", ["flat", "per_scene"])
def test_frames_dir_given_separately(scan, bank, tmp_path, layout):
    root, _ = scan
    bare = _scan_only(root, tmp_path / "scans" / root.name)
    frames_dir = tmp_path / "frames"
    _copy_frames(root, frames_dir if layout == "flat" else frames_dir / root.name)
    got = load_bank(str(bare), FrameSpec("captured", {"frames_dir": str(frames_dir)}), cache_dir=tmp_path / "c",
                    progress=False)
    assert got.source_frames == bank.source_frames
    assert json.dumps(got.index["frames"]) == json.dumps(bank.index["frames"])
    assert all(got.rgb(i).tobytes() == bank.rgb(i).tobytes() for i in range(len(bank)))


def test_missing_frames_folder_is_named(scan, tmp_path):
    root, _ = scan
    bare = _scan_only(root, tmp_path / "scans" / root.name)
    with pytest.raises(SceneFormatError, match=f"looked for {bare / 'color'}"):
        load_bank(str(bare), CAPTURED, cache_dir=tmp_path, progress=False)
    empty = tmp_path / "frames"
    empty.mkdir()
    spec = FrameSpec("captured", {"frames_dir": str(empty)})
    with pytest.raises(SceneFormatError) as e:
        spec.image_size(str(bare))
    assert str(empty / "color") in str(e.value) and str(empty / root.name / "color") in str(e.value)


@pytest.mark.parametrize("text,why", [("1 2 3\n", "has 3 numbers"), ("1 0 0 0\n0 1 0 0\n0 0 1 x\n0 0 0 1\n",
                                                                     "not a matrix of numbers"),
                                      ("2 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n", "not a rigid")])
def test_malformed_pose_file_is_named(scan, tmp_path, text, why):
    root, _ = scan
    copy = tmp_path / root.name
    shutil.copytree(root, copy)
    (copy / "pose" / "7.txt").write_text(text)
    with pytest.raises(SceneFormatError, match=f"{copy / 'pose' / '7.txt'}: {why}"):
        load_bank(str(copy), CAPTURED, cache_dir=tmp_path, progress=False)


def test_changing_a_pose_file_changes_the_bank(scan, tmp_path):
    root, _ = scan
    copy = tmp_path / root.name
    shutil.copytree(root, copy)
    before = scene_identity(str(copy), CAPTURED.source_files(str(copy)))
    bank = load_bank(str(copy), CAPTURED, cache_dir=tmp_path / "c", progress=False)
    assert bank.path.name.startswith(before)
    pose_file = copy / "pose" / "7.txt"
    pose = np.loadtxt(pose_file)
    pose[0, 3] += 0.01
    pose_file.write_text("".join(" ".join(repr(float(v)) for v in row) + "\n" for row in pose))
    st = pose_file.stat()
    os.utime(pose_file, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert scene_identity(str(copy), CAPTURED.source_files(str(copy))) != before
    moved = load_bank(str(copy), CAPTURED, cache_dir=tmp_path / "c", progress=False)
    assert moved.path != bank.path
    k = moved.source_frames.index("color/7.jpg")
    assert not np.allclose(moved.frames[k].camera.pose, bank.frames[k].camera.pose)


def test_build_is_deterministic(scan, bank, tmp_path):
    again = FrameBank.build(load_scene(scan[0]), tmp_path / "b", CAPTURED, progress=False, scene_spec=scan[0])
    assert json.dumps(again.index["frames"]) == json.dumps(bank.index["frames"])
    assert all(again.rgb(i).tobytes() == bank.rgb(i).tobytes() for i in range(len(bank)))
    with pytest.raises(ValueError, match="need the scan directory"):
        FrameBank.build(load_scene(scan[0]), tmp_path / "c", CAPTURED, progress=False)


def test_scenes_without_captured_frames_are_refused(scan, tmp_path):
    with pytest.raises(ValueError, match="generated room"):
        load_bank("procedural:bathroom-1", CAPTURED, cache_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match="not a loaded Scene"):
        load_bank(make_test_room(), CAPTURED, cache_dir=tmp_path, progress=False)
    replica = replica_scene(tmp_path)
    with pytest.raises(ValueError, match="not a ScanNet scan"):
        CAPTURED.image_size(str(replica.root))


def test_config_is_validated():
    assert CAPTURED.make().config.translation_threshold == 0.25 and CAPTURED.make().config.max_frames is None
    assert FrameSpec("captured", {"frames_dir": Path("photos"), "max_frames": 5}).make().config.frames_dir == "photos"
    for bad, match in [({"max_frames": "3"}, "max_frames='3' must be int | None"), ({"max_frames": 0}, "max_frames"),
                       ({"rotation_threshold_deg": "x"}, "rotation_threshold_deg='x' must be float"), ({"frames_dir": 3}, "frames_dir"),
                       ({"max_occluded_fraction": 1.5}, "max_occluded_fraction"), ({"resolution": 64}, "unknown")]:
        with pytest.raises(ValueError, match=match):
            FrameSpec("captured", bad).make()


# -- an env on captured frames ---------------------------------------------------------------------

PROBE_ENV = "CapturedProbe-v0"


@pytest.fixture
def probe_family():
    """A test-only family asking about one captured photo, unregistered afterwards."""
    from spatial_env import metrics, tasks
    from spatial_env.parsing import ParseFailure
    from spatial_env.tasks import AnswerFormat, Episode, Family, Task, TaskOptions, register_family

    @dataclass(frozen=True)
    class ProbeOptions(TaskOptions):
        max_frames: int = 4

    def frames(o):
        return FrameSpec("captured", {"max_frames": o.max_frames})

    def sample(bank, rng, o):
        f = bank.frames[int(rng.integers(len(bank)))]
        answer = "A" if len(f.objects) % 2 else "B"
        return Episode([bank.rgb(f.index)], "Odd number of objects? Answer A (yes) or B (no).", {"answer": answer},
                       answer, bank.scene_id, f"{bank.scene_id}/{f.index}", "probe", ["A", "B"], {"frame": f.index})

    def parse(text, o):
        t = text.strip().upper()[:1]
        return t if t in ("A", "B") else ParseFailure("not A or B")

    task = Task("captured_probe", "captured_probe", metrics.ACCURACY, ProbeOptions, frames, sample, parse,
                lambda p, t, o: {"accuracy": float(p == t["answer"])},
                answers=AnswerFormat(random=lambda rng: "AB"[int(rng.integers(2))]))
    register_family(Family("captured_probe", "Captured probe", "none", (task,), {PROBE_ENV: {"task": task.name}}))
    try:
        yield task
    finally:
        tasks._FAMILIES.pop("captured_probe", None)
        tasks._TASKS.pop("captured_probe", None)
        tasks._ENVS.pop(PROBE_ENV, None)
        gym.registry.pop(PROBE_ENV, None)


def test_env_observations_have_the_photos_size(scan, probe_family, tmp_path):
    root, _ = scan
    env = gym.make(PROBE_ENV, scenes=[str(root)], cache_dir=str(tmp_path), progress=False)
    assert env.observation_space["images"].shape == (1, 72, 96, 3)
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs) and obs["images"].shape == (1, 72, 96, 3)
    assert env.step(info["answer"])[1] == 1.0
    # Scans whose photos differ in size cannot share an env.
    other = scannet_from_scene(tmp_path / "scans", make_test_room(), name="scene0001_00")
    write_captured_frames(other.root, views={0: CAPTURED_VIEWS[0], 1: CAPTURED_VIEWS[1]}, size=(80, 60), occlude=None)
    with pytest.raises(ValueError, match=r"'.*scene0000_00'.*'.*scene0001_00'.*96x72 and 80x60"):
        gym.make(PROBE_ENV, scenes=[str(root), str(other.root)], cache_dir=str(tmp_path), progress=False)
    with pytest.raises(ValueError, match="generated room"):
        gym.make(PROBE_ENV, scenes=["procedural:bathroom-1"], cache_dir=str(tmp_path), progress=False)
