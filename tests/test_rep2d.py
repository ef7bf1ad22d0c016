"""Rep2D-BEAT pipeline correctness on a scene built in the test: annotations, view bank, tasks."""

from __future__ import annotations

import json
import os

import gymnasium as gym
import numpy as np
import pytest

import spatial_env  # noqa: F401
from conftest import make_test_room
from spatial_env.annotate import annotate_object, loose_box, mask_box
from spatial_env.camera import Camera
from spatial_env.render import make_renderer
from spatial_env.scene import SceneBuilder, box
from spatial_env.views import SamplerConfig, ViewBank, ViewSampler, load_bank

SMALL = SamplerConfig(views_visible=4, views_invisible=2, resolution=48, min_visible_fraction=0.01, max_tries=300)


def _contains(outer, inner) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


def test_mask_box_is_exclusive_and_empty_is_none():
    m = np.zeros((10, 12), bool)
    assert mask_box(m) is None
    m[2:5, 3:9] = True
    assert mask_box(m) == (3, 2, 9, 5)


def test_loose_box_contains_tight_and_visible_boxes(test_room):
    r = make_renderer(test_room)
    rng = np.random.default_rng(0)
    sampler = ViewSampler(test_room, r, SamplerConfig(resolution=96))
    checked = 0
    for oid in test_room.object_ids():
        for view, rgb, depth, inst in sampler.sample_object(oid, rng):
            a = view.annotation
            if not view.visible:
                assert a.visible_box is None and a.visible_pixels == 0
                continue
            assert _contains(a.loose_box, a.tight_box) and _contains(a.tight_box, a.visible_box)
            assert 0 < a.visibility <= 1
            checked += 1
    assert checked >= 10 * len(test_room.object_ids()) - 10


def test_loose_box_when_the_camera_is_inside_the_box(test_room):
    floor = next(o for o in test_room.objects.values() if o.category == "floor")
    cam = Camera.looking_at((2.5, 2.0, 1.5), (4.0, 2.0, 0.0), width=64, height=64)
    # The floor's box straddles the camera plane: its projection must cover the lower image, not wrap.
    x0, y0, x1, y1 = loose_box(floor, cam)
    assert (x0, x1, y1) == (0, 64, 64) and y0 > 20


def _cube_room(occluder: bool):
    b = SceneBuilder("cube_room", source="test")
    b.add_object("floor", box((6, 6, 0.02), (3, 3, -0.01), (150, 120, 90)))
    cube = b.add_object("box", box((0.6, 0.6, 0.6), (0, 0, 0.3), (200, 40, 40)), translation=(3, 3, 0))
    if occluder:  # a panel between the camera and the cube's left half
        b.add_object("panel", box((0.05, 0.3, 1.5), (0, 0, 0.75), (90, 160, 90)), translation=(4.0, 2.85, 0))
    return b.build(floor_height=0.0), cube


def test_visibility_is_one_unoccluded_and_drops_with_an_occluder():
    cam = Camera.looking_at((5.5, 3.0, 1.5), (3.0, 3.0, 0.3), hfov_deg=60, width=128, height=128)
    for occluded in (False, True):
        scene, cube = _cube_room(occluded)
        r = make_renderer(scene)
        full, alone = r.render(cam), r.render(cam, only_objects=[cube])
        ann = annotate_object(scene.objects[cube], cam, full.instance, alone.instance)
        x0, y0, x1, y1 = ann.tight_box
        assert x0 > 0 and y0 > 0 and x1 < 128 and y1 < 128  # fully inside the frame
        if occluded:
            assert 0.2 < ann.visibility < 0.8 and ann.visible_box[0] > x0
        else:
            assert ann.visibility == 1.0 and ann.visible_box == ann.tight_box


def test_bank_is_cached_keyed_and_atomic(tmp_path, test_room):
    bank = load_bank(test_room, SMALL, cache_dir=tmp_path, progress=False)
    dirs = [p for p in (tmp_path / "banks").iterdir()]
    assert len(dirs) == 1 and (dirs[0] / "index.json").exists()
    assert not any(p.name.startswith(".") for p in (tmp_path / "banks").iterdir())  # no temp dirs left
    index = json.loads((dirs[0] / "index.json").read_text())
    assert index["scene_hash"] == test_room.content_hash and index["config"]["resolution"] == 48
    for oid in bank.objects:
        assert len(bank.visible_views(oid)) == 4 and len(bank.invisible_views(oid)) == 2
    mtime = os.stat(dirs[0] / "index.json").st_mtime_ns
    again = load_bank(test_room, SMALL, cache_dir=tmp_path, progress=False)
    assert os.stat(dirs[0] / "index.json").st_mtime_ns == mtime and len(again.views) == len(bank.views)
    # Other sampler parameters are another bank.
    load_bank(test_room, SamplerConfig(**{**SMALL.to_dict(), "seed": 1}), cache_dir=tmp_path, progress=False)
    assert len(list((tmp_path / "banks").iterdir())) == 2
    # The stored maps round-trip at millimetre precision.
    depth, inst = bank.maps(0)
    assert depth.dtype == np.float32 and inst.dtype == np.int32 and (inst == bank.views[0].object_id).any()


def test_bank_build_is_deterministic(tmp_path, test_room):
    a = ViewBank.build(test_room, tmp_path / "a", SMALL, progress=False)
    b = ViewBank.build(test_room, tmp_path / "b", SMALL, progress=False)
    assert json.dumps(a.index["views"]) == json.dumps(b.index["views"])
    assert all(a.rgb(i).tobytes() == b.rgb(i).tobytes() for i in range(len(a.views)))


def test_image_cache_is_bounded_in_bytes():
    from spatial_env.views import ImageCache

    cache, loads = ImageCache(max_bytes=3 * 100), []

    def load(k):
        loads.append(k)
        return np.full(100, k, np.uint8)

    for k in (0, 1, 2, 0, 3):  # 0 is used again before 3 arrives, so 1 is the one evicted
        assert cache.get(("bank", k), lambda: load(k))[0] == k
    assert cache.nbytes == 300 and loads == [0, 1, 2, 3]
    cache.get(("bank", 1), lambda: load(1))
    assert loads[-1] == 1 and cache.nbytes == 300
    with pytest.raises(ValueError):
        cache.get(("bank", 0), lambda: load(0))[0] = 9  # cached arrays are read-only


def test_unknown_sampler_option_is_named():
    with pytest.raises(ValueError, match="views_visble"):
        SamplerConfig.from_dict({"views_visble": 3})


def test_prompts_follow_the_paper(bank_cache):
    env = gym.make("Rep2D-Bbox-v0", scenes=[make_test_room()], cache_dir=bank_cache, progress=False, resolution=48,
                   num_views=3, sampler=dict(views_visible=4, views_invisible=2, min_visible_fraction=0.01,
                                             max_tries=300))
    obs, info = env.reset(seed=0)
    prompt = obs["prompt"]
    assert prompt.startswith("You are an AI with the ability to analyze a series of images")
    assert "{'x_min': x_min, 'y_min': y_min, 'x_max': x_max, 'y_max': y_max}" in prompt
    assert prompt.count("Image ") == 3 and prompt.rstrip().endswith("Image 3: ?")
    assert obs["images"].shape == (3, 48, 48, 3)
    box = info["target"]["box"]
    assert all(0 <= v <= 1000 for v in box) and box[0] < box[2] and box[1] < box[3]
    # Half the true box (same height, half the width) scores an IoU near 0.5.
    x0, y0, x1, y1 = box
    _, r, *_ = env.step(str({"x_min": x0, "y_min": y0, "x_max": (x0 + x1) // 2, "y_max": y1}))
    assert 0.3 < r < 0.7


def test_num_views_larger_than_the_bank_is_refused():
    with pytest.raises(ValueError, match="num_views=11"):
        gym.make("Rep2D-Bbox-v0", scenes=[make_test_room()], num_views=11)


def test_env_runs_on_a_replica_directory(tmp_path):
    """The real-data path end to end: a scene written in Replica's on-disk format, loaded by path."""
    from scene_fixtures import quat_xyzw, write_ply

    room = make_test_room()
    habitat = tmp_path / "room_x" / "habitat"
    habitat.mkdir(parents=True)
    write_ply(habitat / "mesh_semantic.ply", room.vertices, room.faces, colors=room.colors,
              face_props={"object_id": ("i4", room.face_object)}, normals=True)
    objects = [{"id": o.id, "class_name": o.category, "oriented_bbox": {
        "abb": {"center": [0, 0, 0], "sizes": o.extents.tolist()},
        "orientation": {"rotation": quat_xyzw(o.rotation), "translation": o.center.tolist()}}}
        for o in room.objects.values()]
    (habitat / "info_semantic.json").write_text(json.dumps({"objects": objects, "gravity_dir": [0, 0, -1]}))
    env = gym.make("Rep2D-Bbox-v0", scenes=[str(tmp_path / "room_x")], cache_dir=str(tmp_path / "cache"),
                   progress=False, resolution=48, num_views=3,
                   sampler=dict(views_visible=4, views_invisible=2, min_visible_fraction=0.01, max_tries=300))
    obs, info = env.reset(seed=0)
    assert info["scene_id"] == "room_x" and obs["images"].shape == (3, 48, 48, 3)
    bank = env.unwrapped.bank(0)
    assert set(bank.objects) == set(room.object_ids())  # every furniture object found its views
    _, reward, *_ = env.step(info["answer"])
    assert reward == 1.0
