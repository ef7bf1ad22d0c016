"""A new task family is one folder: a toy family written here runs through every part of the product."""

from __future__ import annotations

import importlib
import json
import sys
import textwrap

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import spatial_env
from conftest import make_test_room
from spatial_env.agents import OracleAgent, RandomAgent

TOY = '''
"""Toy family: which of two named objects is nearer the camera (multiple choice, one image)."""
from dataclasses import dataclass, replace

from spatial_env import metrics
from spatial_env.frames import FrameSpec
from spatial_env.parsing import ParseFailure
from spatial_env.tasks import AnswerFormat, Episode, Family, Task, TaskOptions, register_family


@dataclass(frozen=True)
class ToyOptions(TaskOptions):
    frames_per_scene: int = 8   # walkthrough frames per scene


def frames(o):
    return FrameSpec("walkthrough", {"frames": o.frames_per_scene, "resolution": o.resolution})


def sample(bank, rng, o):
    for _ in range(100):
        f = bank.frames[int(rng.integers(len(bank)))]
        seen = sorted(i for i, a in f.objects.items() if a.visible_pixels >= 10)
        cats = {bank.objects[i]["category"] for i in seen}
        if len(cats) >= 2:
            break
    else:
        raise ValueError(f"{bank.scene_id}: no frame shows two kinds of object")
    a = seen[int(rng.integers(len(seen)))]
    b = next(i for i in seen[::-1] if bank.objects[i]["category"] != bank.objects[a]["category"])
    near = "A" if f.objects[a].depth_range[0] < f.objects[b].depth_range[0] else "B"
    names = [bank.objects[i]["category"] for i in (a, b)]
    prompt = f"Which is nearer the camera: (A) the {names[0]} or (B) the {names[1]}? Answer A or B."
    return Episode([bank.rgb(f.index)], prompt, {"answer": near}, near, bank.scene_id,
                   f"{bank.scene_id}/{f.index}/{a}-{b}", "nearer", ["A", "B"], {"frame": f.index})


def parse(text, o):
    t = text.strip().upper()[:1]
    return t if t in ("A", "B") else ParseFailure("not A or B")


def score(prediction, target, o):
    return {"accuracy": float(prediction == target["answer"])}


def sample_farther(bank, rng, o):
    ep = sample(bank, rng, o)
    far = {"A": "B", "B": "A"}[ep.answer]
    return replace(ep, prompt=ep.prompt.replace("nearer", "farther from"), target={"answer": far}, answer=far,
                   question_type="farther")


def sample_mix(bank, rng, o):
    ep = (sample if rng.random() < 0.5 else sample_farther)(bank, rng, o)
    return replace(ep, task="toy_" + ep.question_type)   # the task that scores this question


RANDOM = AnswerFormat(random=lambda rng: "AB"[int(rng.integers(2))])
NEARER = Task("toy_nearer", "toy", metrics.ACCURACY, ToyOptions, frames, sample, parse, score, answers=RANDOM)
FARTHER = Task("toy_farther", "toy", metrics.ACCURACY, ToyOptions, frames, sample_farther, parse, score, answers=RANDOM)
MIX = Task("toy_mix", "toy", metrics.ACCURACY, ToyOptions, frames, sample_mix, parse, score, answers=RANDOM)
register_family(Family("toy", "Toy", "none", (NEARER, FARTHER, MIX),
                       {"Toy-Nearer-v0": {"task": "toy_nearer"}, "Toy-Mix-v0": {"task": "toy_mix"}},
                       groups={"all": ("nearer", "farther")},
                       test_kwargs={"resolution": 48, "frames_per_scene": 6}))
'''


@pytest.fixture(scope="module")
def toy_family(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plugins")
    (folder / "toyfam").mkdir()
    (folder / "toyfam" / "__init__.py").write_text(textwrap.dedent(TOY))
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("toyfam")
    finally:
        sys.path.remove(str(folder))


def test_a_toy_family_runs_through_make_check_evaluate_report_and_export(toy_family, tmp_path):
    kwargs = {"scenes": [make_test_room()], "cache_dir": str(tmp_path / "cache"), "progress": False,
              "resolution": 48, "frames_per_scene": 6}
    env = gym.make("Toy-Nearer-v0", **kwargs)
    check_env(env.unwrapped, skip_render_check=True)
    _, info = env.reset(seed=0)
    assert info["family"] == "toy" and info["choices"] == ["A", "B"] and info["question_type"] == "nearer"
    assert env.step(info["answer"])[1] == 1.0
    assert "Toy-Nearer-v0" in spatial_env.tasks.env_specs()

    with pytest.raises(ValueError, match=r"frames_per_scene=.*must be int"):
        gym.make("Toy-Nearer-v0", **{**kwargs, "frames_per_scene": "6"})
    with pytest.raises(ValueError, match="valid options are .*frames_per_scene: int"):
        gym.make("Toy-Nearer-v0", **{**kwargs, "num_views": 3})

    run = tmp_path / "run"
    env_kwargs = {k: v for k, v in kwargs.items() if k != "progress"}
    res = spatial_env.evaluate("Toy-Nearer-v0", RandomAgent("toy_nearer"), episodes=12, out=run, progress=False,
                               **env_kwargs)
    assert res.metric == "accuracy" and res.config["family"] == "toy"
    assert {r["question_type"] for r in res.records} == {"nearer"}
    oracle = spatial_env.evaluate("Toy-Nearer-v0", OracleAgent(), episodes=4, progress=False, **env_kwargs)
    assert all(r["reward"] == 1.0 for r in oracle.records)

    from spatial_env.report import report

    page = report(run, gallery=1, env_kwargs={"scenes": kwargs["scenes"]}).read_text()
    assert "accuracy" in page and page.count("class='card'") == 2

    from spatial_env.export import export_episodes

    path = export_episodes("Toy-Nearer-v0", tmp_path / "export", episodes=3, drawn=True, **kwargs)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(rows) == 3 and all(r["choices"] == ["A", "B"] and r["answer"] in "AB" for r in rows)
    assert all((path.parent / r["images"][0]).is_file() for r in rows)


def test_an_env_mixing_tasks_scores_each_question_by_its_own_task(toy_family, tmp_path):
    kwargs = {"scenes": [make_test_room()], "cache_dir": str(tmp_path / "cache"), "resolution": 48,
              "frames_per_scene": 6}
    res = spatial_env.evaluate("Toy-Mix-v0", OracleAgent(), episodes=16, progress=False, **kwargs)
    assert {r["question_type"] for r in res.records} == {"nearer", "farther"}
    assert {r["task"] for r in res.records} == {"toy_nearer", "toy_farther"}
    assert all(r["reward"] == 1.0 for r in res.records)
    rows = res.summary()
    assert {r["key"] for r in rows if r["group"] == "question_type"} == {"nearer", "farther"}
    group = next(r for r in rows if r["group"] == "family_group")
    assert group["key"] == "all" and group["mean"] == 1.0 and group["n"] == 16
    env = gym.make("Toy-Mix-v0", progress=False, **kwargs)
    _, info = env.reset(seed=3)
    assert info["task"] == "toy_" + info["question_type"] and info["metric"] == "accuracy"


def test_a_family_cannot_take_an_existing_env_id(toy_family):
    from spatial_env.tasks import Family, register_family

    with pytest.raises(ValueError, match="already registered"):
        register_family(Family("toy2", "Toy 2", "none", (), {"Rep2D-Bbox-v0": {"task": "rep2d_bbox"}}))
