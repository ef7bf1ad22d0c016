"""Rep2D-BEAT on a scene built in the test: the object-centric sampler, prompts, options, presets."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

import spatial_env  # noqa: F401
from conftest import make_test_room
from spatial_env.frames.object_views import SamplerConfig, ViewSampler
from spatial_env.render import make_renderer
from spatial_env.tasks.rep2d import prompts

SMALL = dict(resolution=48, num_views=3,
             sampler=dict(views_visible=4, views_invisible=2, min_visible_fraction=0.01, max_tries=300))


def make(bank_cache, **kwargs):
    """A small Rep2D env on the test room."""
    return gym.make(kwargs.pop("env_id", "Rep2D-Bbox-v0"), scenes=[make_test_room()], cache_dir=bank_cache,
                    progress=False, **{**SMALL, **kwargs})


def _contains(outer, inner) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and outer[2] >= inner[2] and outer[3] >= inner[3]


def test_loose_box_contains_tight_and_visible_boxes(test_room):
    r = make_renderer(test_room)
    rng = np.random.default_rng(0)
    sampler = ViewSampler(test_room, r, SamplerConfig(resolution=96))
    checked = 0
    for oid in test_room.object_ids():
        for view, rgb, depth, inst in sampler.sample_object(oid, rng):
            assert (inst == oid).sum() == view.annotation.visible_pixels
            a = view.annotation
            if not view.visible:
                assert a.visible_box is None and a.visible_pixels == 0
                continue
            assert _contains(a.loose_box, a.tight_box) and _contains(a.tight_box, a.visible_box)
            assert 0 < a.visibility <= 1
            checked += 1
    assert checked >= 10 * len(test_room.object_ids()) - 10


def test_options_are_validated_naming_valid_keys_and_types(bank_cache):
    for bad, match in ((dict(num_views="5"), r"num_views='5' must be int"),
                       (dict(include_invisible="no"), r"include_invisible='no' must be bool"),
                       (dict(annotate_context="boxes"), r"annotate_context='boxes' must be 'text' \| 'draw'"),
                       (dict(num_view=5), r"unknown option\(s\) \['num_view'\].*num_views: int"),
                       (dict(sampler={"views_visble": 3}), "views_visble"),
                       (dict(resolution=20000), "resolution must be within")):
        with pytest.raises(ValueError, match=match):
            make(bank_cache, **bad)


def test_prompts_follow_the_paper(bank_cache):
    env = make(bank_cache)
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
                   progress=False, **SMALL)
    obs, info = env.reset(seed=0)
    assert info["scene_id"] == "room_x" and obs["images"].shape == (3, 48, 48, 3)
    bank = env.unwrapped.bank(0)
    assert set(bank.by_target) == set(room.object_ids())  # every furniture object found its views
    _, reward, *_ = env.step(info["answer"])
    assert reward == 1.0


def test_paper_strict_is_appendix_e_plus_the_annotations(bank_cache):
    obs, info = make(bank_cache, prompt_style="paper_strict").reset(seed=1)
    assert obs["prompt"].startswith(prompts.BBOX + "\n\n")  # Appendix E verbatim, then the annotations only
    rows = obs["prompt"][len(prompts.BBOX) + 2:].split("\n")
    assert [r.split(":")[0] for r in rows] == ["Image 1", "Image 2"]
    assert all(r.split(": ", 1)[1].startswith("{'x_min': ") for r in rows)
    default, _ = make(bank_cache).reset(seed=1)
    assert default["prompt"].startswith(obs["prompt"]) and default["prompt"].endswith("Image 3: ?")


def test_context_as_text_only_shows_just_the_query_image(bank_cache):
    env = make(bank_cache, env_id="Rep2D-Exposure-v0", context_images=False)
    obs, info = env.reset(seed=4)
    assert obs["images"].shape == (1, 48, 48, 3)
    assert "Example 1: {'x_min'" in obs["prompt"] and "Example 2: " in obs["prompt"]
    assert obs["prompt"].rstrip().endswith("Image 1: ?")
    full, _ = make(bank_cache, env_id="Rep2D-Exposure-v0").reset(seed=4)
    assert full["images"][-1].tobytes() == obs["images"][0].tobytes()  # the same question, fewer images


def test_paper_preset_parses_officially_and_reports_l2_uncapped(bank_cache):
    robust, paper = make(bank_cache, env_id="Rep2D-CameraPose-v0"), make(bank_cache, env_id="Rep2D-CameraPose-v0",
                                                                         preset="paper")
    _, info = robust.reset(seed=2)
    paper.reset(seed=2)
    far = "[100.0, 100.0, 100.0]"
    _, r_robust, *_, i_robust = robust.step(far)
    _, r_paper, *_, i_paper = paper.step(far)
    cap = info["target"]["max_error"]
    assert i_robust["metrics"]["l2_error"] == cap == i_paper["metrics"]["l2_error_capped"]
    assert i_paper["metrics"]["l2_error"] > 100 and r_paper == -i_paper["metrics"]["l2_error"]
    chatty = "Sure! The camera is at " + info["answer"] + ", I think."
    robust.reset(seed=2)
    paper.reset(seed=2)
    assert robust.step(chatty)[4]["parse_ok"] and not paper.step(chatty)[4]["parse_ok"]


def test_exposure_reads_a_bare_number_as_a_percentage(bank_cache):
    env = make(bank_cache, env_id="Rep2D-Exposure-v0")
    _, info = env.reset(seed=0)
    assert env.step("85")[4]["prediction"] == pytest.approx(0.85)
    env.reset(seed=0)
    assert env.step("0.85")[4]["prediction"] == pytest.approx(0.0085)
