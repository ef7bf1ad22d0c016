"""The frame bank: annotations of every object in a frame, samplers, overlap, renders on demand, caching."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from conftest import make_test_room
from spatial_env.camera import Camera
from spatial_env.frames import (FrameAnnotator, FrameBank, FrameSpec, ImageCache, load_bank, loose_box, mask_box)
from spatial_env.frames.annotate import amodal_item
from spatial_env.render import make_renderer
from spatial_env.scene import SceneBuilder, box

OBJECT_VIEWS = FrameSpec("object_views", {"views_visible": 4, "views_invisible": 2, "resolution": 48,
                                          "min_visible_fraction": 0.01, "max_tries": 300})
WALK = FrameSpec("walkthrough", {"frames": 10, "resolution": 48})


def _contains(outer, inner) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


def test_mask_box_is_exclusive_and_empty_is_none():
    m = np.zeros((10, 12), bool)
    assert mask_box(m) is None
    m[2:5, 3:9] = True
    assert mask_box(m) == (3, 2, 9, 5)


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


def test_every_object_in_a_frame_is_annotated_and_occlusion_counts():
    cam = Camera.looking_at((5.5, 3.0, 1.5), (3.0, 3.0, 0.3), hfov_deg=60, width=128, height=128)
    for occluded in (False, True):
        scene, cube = _cube_room(occluded)
        r = make_renderer(scene)
        full, alone = r.render(cam), r.render(cam, only_objects=[cube])
        anns = FrameAnnotator(scene).annotate(cam, full.depth, full.instance, {cube: amodal_item(alone.instance, cube)})
        ann = anns[cube]
        x0, y0, x1, y1 = ann.tight_box
        assert x0 > 0 and y0 > 0 and x1 < 128 and y1 < 128  # fully inside the frame
        assert _contains(ann.loose_box, ann.tight_box) and _contains(ann.tight_box, ann.visible_box)
        near, far = ann.depth_range
        assert 1.5 < near < far < 3.5  # the cube's faces lie 2.2-2.8 m along the view direction
        if occluded:
            assert 0.2 < ann.visibility < 0.8 and ann.visible_box[0] > x0
            assert 0.05 < ann.vertex_fraction < 0.5
            panel = anns[next(o for o in scene.objects if scene.objects[o].category == "panel")]
            assert panel.visible_pixels > 0 and panel.amodal_pixels is None and panel.visibility is None
        else:
            assert ann.visibility == 1.0 and ann.visible_box == ann.tight_box
            # A box seen from above-front shows 3 faces: half its 8 corners are in front (all 24 face vertices
            # of the box mesh: the visible faces' ones pass the depth test).
            assert 0.4 < ann.vertex_fraction <= 0.75


def test_object_views_bank_is_cached_keyed_and_atomic(tmp_path, test_room):
    bank = load_bank(test_room, OBJECT_VIEWS, cache_dir=tmp_path, progress=False)
    dirs = list((tmp_path / "banks").iterdir())
    assert len(dirs) == 1 and (dirs[0] / "index.json").exists()
    index = json.loads((dirs[0] / "index.json").read_text())
    assert index["scene_hash"] == test_room.content_hash and index["resolution"] == 48
    for oid in bank.by_target:
        assert len(bank.targeted(oid, "visible")) == 4 and len(bank.targeted(oid, "invisible")) == 2
        for i in bank.targeted(oid, "visible"):
            a = bank.frames[i].objects[oid]
            assert a.visible_pixels > 0 and a.amodal_pixels >= a.visible_pixels and 0 < a.visibility <= 1
            assert _contains(a.loose_box, a.tight_box) and _contains(a.tight_box, a.visible_box)
        for i in bank.targeted(oid, "invisible"):
            assert bank.frames[i].objects[oid].visible_pixels == 0
    # Frames annotate every object they show, not only the one they were aimed at.
    assert any(len(f.objects) > 1 for f in bank.frames)
    mtime = os.stat(dirs[0] / "index.json").st_mtime_ns
    again = load_bank(test_room, OBJECT_VIEWS, cache_dir=tmp_path, progress=False)
    assert os.stat(dirs[0] / "index.json").st_mtime_ns == mtime and len(again) == len(bank)
    # Another sampler config is another bank; so is another sampler.
    load_bank(test_room, FrameSpec("object_views", {**OBJECT_VIEWS.config, "seed": 1}), cache_dir=tmp_path,
              progress=False)
    assert len(list((tmp_path / "banks").iterdir())) == 2
    depth, inst = bank.maps(0)
    assert depth.dtype == np.float32 and inst.dtype == np.int32 and (inst == bank.frames[0].target).any()


def test_bank_build_is_deterministic(tmp_path, test_room):
    a = FrameBank.build(test_room, tmp_path / "a", WALK, progress=False)
    b = FrameBank.build(test_room, tmp_path / "b", WALK, progress=False)
    assert json.dumps(a.index["frames"]) == json.dumps(b.index["frames"])
    assert all(a.rgb(i).tobytes() == b.rgb(i).tobytes() for i in range(len(a)))


def test_walkthrough_covers_the_room_and_overlap_falls_with_distance(tmp_path, test_room):
    bank = load_bank(test_room, WALK, cache_dir=tmp_path, progress=False)
    assert len(bank) == 10 and all(f.role == "walk" and f.target is None for f in bank.frames)
    heights = {round(float(f.camera.position[2]), 3) for f in bank.frames}
    assert heights == {1.5}
    seen = {o for f in bank.frames for o in f.objects}
    assert set(test_room.object_ids()) <= seen  # a walk through the room sees every piece of furniture
    assert bank.overlap(3, 3) == 1.0
    assert bank.overlap(0, 1) == bank.overlap(1, 0) and 0 <= bank.overlap(0, 1) <= 1
    # Consecutive frames share more surface than frames far apart on the walk.
    near = np.mean([bank.overlap(i, i + 1) for i in range(len(bank) - 1)])
    far = np.mean([bank.overlap(i, j) for i in range(len(bank)) for j in range(i + 4, len(bank))])
    assert near > far


def test_render_on_demand_matches_the_stored_frame(tmp_path, test_room):
    bank = load_bank(test_room, WALK, cache_dir=tmp_path, progress=False)
    frame, anns = bank.render(bank.frames[2].camera, amodal=tuple(bank.frames[2].objects)[:1])
    assert frame.rgb.tobytes() == bank.rgb(2).tobytes()
    stored = bank.frames[2].objects
    assert set(anns) == set(stored) and all(anns[o].visible_pixels == stored[o].visible_pixels for o in stored)
    oid = next(iter(stored))
    assert anns[oid].amodal_pixels == bank.amodal(2, oid).amodal_pixels >= stored[oid].visible_pixels


def test_image_cache_is_bounded_in_bytes():
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


def test_unknown_sampler_and_sampler_option_are_named():
    with pytest.raises(ValueError, match="unknown frame sampler 'orbit'"):
        FrameSpec("orbit").make()
    with pytest.raises(ValueError, match="views_visble"):
        FrameSpec("object_views", {"views_visble": 3}).make()
    with pytest.raises(ValueError, match=r"walkthrough sampler: option frames='10' must be int"):
        FrameSpec("walkthrough", {"frames": "10"}).make()


def test_sampler_options_from_yaml_or_json_are_checked_and_stored_as_typed():
    # YAML and JSON give lists and ints: stored as the fields' tuples and floats, so the bank key is the same
    config = FrameSpec("object_views", {"eye_height": [1, 2], "hfov_deg": 90, "visibility_bins": [0.5, 0.9],
                                        "max_objects": np.int64(3)}).make().config
    assert config.eye_height == (1.0, 2.0) and isinstance(config.eye_height[0], float)
    assert config.visibility_bins == (0.5, 0.9) and type(config.hfov_deg) is float and type(config.max_objects) is int
    same = FrameSpec("object_views", {"eye_height": (1.0, 2.0), "hfov_deg": 90.0, "visibility_bins": (0.5, 0.9),
                                      "max_objects": 3})
    assert same.key("numba") == FrameSpec("object_views", {"eye_height": [1, 2], "hfov_deg": 90,
                                                           "visibility_bins": [0.5, 0.9], "max_objects": 3}).key("numba")
    for bad, match in [({"eye_height": [1.0, 1.5, 2.0]}, r"eye_height=\[1.0, 1.5, 2.0\] must be tuple\[float, float\]"),
                       ({"visibility_bins": [0.5, "x"]}, r"must be tuple\[float, \.\.\.\]"),
                       ({"max_objects": 2.5}, r"max_objects=2.5 must be int \| None"),
                       ({"seed": True}, "seed=True must be int")]:
        with pytest.raises(ValueError, match=match):
            FrameSpec("object_views", bad).make()


def test_bank_key_covers_renderer_format_and_version(monkeypatch):
    import spatial_env.frames.bank as bank_module

    key = WALK.key("numba")
    assert WALK.key("gl") != key
    monkeypatch.setattr(bank_module, "__version__", "9.9.9")
    assert WALK.key("numba") != key
    monkeypatch.setattr(bank_module, "BANK_FORMAT", 99)
    assert WALK.key("numba") != key
