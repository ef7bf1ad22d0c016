"""The evaluation harness: seeded episodes, JSONL logs, exact resume, summaries, the CLI hooks and the report.

Most tests drive a tiny stand-in env (same observation/info contract as SpatialEnv, no rendering) so they
are fast; the last ones run the real Rep2D envs on the small test room.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import string
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

os.environ["HF_HUB_OFFLINE"] = "1"

from spatial_env.agents import BaseAgent, OracleAgent, PriorAgent, RandomAgent

import spatial_env
from spatial_env.cli import add_eval_arguments, run_eval
from spatial_env.evaluation import EPISODES_FILE, Results, bootstrap_ci, episode_seed, evaluate
from spatial_env.metrics import SQUARED_ERROR

FAKE_ID = "FakeExposure-v0"


class FakeExposureEnv(gym.Env):
    """Rep2D-Exposure's contract without rendering: say the visible percentage; 3 scenes; seeded."""

    metadata = {"render_modes": []}

    def __init__(self, task: str = "rep2d_exposure", num_views: int = 3, questions_per_episode: int = 1,
                 resolution: int = 16):
        self.task = SimpleNamespace(name=task, family="rep2d", metric=SQUARED_ERROR, best_reward=0.0,
                                    higher_is_better=False, draw=None)
        self.num_views, self.questions = num_views, questions_per_episode
        self.observation_space = spaces.Dict({
            "images": spaces.Box(0, 255, (num_views, resolution, resolution, 3), np.uint8),
            "prompt": spaces.Text(max_length=4096, charset=string.printable)})
        self.action_space = spaces.Text(max_length=4096, charset=string.printable)
        self.resolution = resolution

    def _sample(self):
        rng = self.np_random
        self.scene = f"scene{int(rng.integers(3))}"
        self.value = round(float(rng.random()), 3)
        self.images = rng.integers(0, 256, (self.num_views, self.resolution, self.resolution, 3), dtype=np.uint8)
        self.eid = f"{self.scene}/{int(rng.integers(1 << 30))}"
        lines = [f"Image {i + 1}: visible: {float(rng.random()) * 100:.1f}%" for i in range(self.num_views - 1)]
        self.prompt = "Say the visible percentage.\n\n" + "\n".join(lines + [f"Image {self.num_views}: ?"])

    def _info(self):
        return {"task": self.task.name, "scene_id": self.scene, "episode_id": self.eid, "question_index": self.q,
                "target": {"visibility": self.value, "visible": True}, "answer": f"{self.value * 100:.1f}"}

    def _obs(self):
        return {"images": self.images.copy(), "prompt": self.prompt}

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.q = 0
        self._sample()
        return self._obs(), self._info()

    def step(self, action):
        info = self._info()
        try:
            pred = min(max(float(action.strip().rstrip("%")) / 100, 0.0), 1.0)
            err, ok, why = (pred - self.value) ** 2, True, None
        except ValueError:
            pred, err, ok, why = None, 1.0, False, "not a number"
        info.update(prediction=pred, parse_ok=ok, parse_error=why, metrics={"squared_error": err, "reward": -err})
        self.q += 1
        done = self.q >= self.questions
        if not done:
            self._sample()
            info.update(next_target={"visibility": self.value, "visible": True},
                        next_answer=f"{self.value * 100:.1f}", next_episode_id=self.eid)
        return self._obs(), -err, done, False, info


if FAKE_ID not in gym.registry:
    gym.register(FAKE_ID, entry_point=FakeExposureEnv, kwargs={"task": "rep2d_exposure"})


class Interrupt(KeyboardInterrupt):
    """A kill or Ctrl-C: unlike an agent's exception (recorded as an error line), it stops the run."""


class FlakyAgent(RandomAgent):
    """A RandomAgent that dies after ``limit`` answers (a crash or Ctrl-C mid-run)."""

    def __init__(self, limit: int):
        super().__init__("rep2d_exposure", seed=0)
        self.limit, self.calls = limit, 0

    def act(self, observation, info=None):
        if self.calls >= self.limit:
            raise Interrupt
        self.calls += 1
        return super().act(observation)

    def __repr__(self):  # same identity as the RandomAgent it stands in for, so resume accepts the run
        return "RandomAgent(task='rep2d_exposure', seed=0)"


class Garbler(BaseAgent):
    """Answers half the questions with text that does not parse."""

    def act(self, observation, info=None):
        return "no idea" if "Image 1: visible: " in observation["prompt"] and len(observation["prompt"]) % 2 else "50"


def scores(results):
    """A summary without timings (those differ between runs)."""
    return [{k: v for k, v in row.items() if k != "agent_s"} for row in results.summary()]


def lines(path):
    return [json.loads(x) for x in (path / EPISODES_FILE).read_text().splitlines()]


# ---- harness on the stand-in env ---------------------------------------------------------------------

def test_episode_seeds_are_stable_and_distinct():
    assert episode_seed(0, 5) == episode_seed(0, 5)
    seeds = {episode_seed(s, k, stream) for s in range(3) for k in range(200) for stream in (0, 1)}
    assert len(seeds) == 3 * 200 * 2


def test_interrupted_run_resumes_exactly(tmp_path):
    n = 60
    full = evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), episodes=n, seed=7, out=tmp_path / "full", progress=False)
    with pytest.raises(Interrupt):
        evaluate(FAKE_ID, FlakyAgent(limit=10), episodes=n, seed=7, out=tmp_path / "cut", progress=False)
    assert len(lines(tmp_path / "cut")) == 10
    resumed = evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), episodes=n, seed=7, out=tmp_path / "cut",
                       progress=False)
    recs = lines(tmp_path / "cut")
    assert len(recs) == n and len({r["episode"] for r in recs}) == n
    assert scores(resumed) == scores(full)
    assert scores(Results.load(tmp_path / "cut")) == scores(full)
    strip = [{k: v for k, v in r.items() if k != "timings"} for r in recs]
    assert sorted(strip, key=lambda r: r["episode"]) == [{k: v for k, v in r.items() if k != "timings"}
                                                         for r in full.records]
    # A finished run resumed again plays nothing.
    again = evaluate(FAKE_ID, FlakyAgent(limit=0), episodes=n, seed=7, out=tmp_path / "cut", progress=False)
    assert scores(again) == scores(full)


def test_resume_drops_a_torn_last_line(tmp_path):
    evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), episodes=5, out=tmp_path, progress=False)
    with open(tmp_path / EPISODES_FILE, "a") as f:
        f.write('{"episode": 5, "num_vi')
    res = evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), episodes=8, out=tmp_path, progress=False)
    assert [r["episode"] for r in lines(tmp_path)] == list(range(8)) and len(res.records) == 8


def test_resume_refuses_a_different_run(tmp_path):
    evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), episodes=3, seed=0, out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="different run"):
        evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), episodes=3, seed=1, out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="different run"):
        evaluate(FAKE_ID, RandomAgent("rep2d_exposure", seed=3), episodes=3, seed=0, out=tmp_path, progress=False)


def test_records_hold_what_the_report_needs(tmp_path):
    res = evaluate(FAKE_ID, Garbler(), episodes=20, seed=1, out=tmp_path, progress=False)
    rec = res.records[0]
    for key in ("episode", "question", "seed", "num_views", "scene_id", "episode_id", "prompt", "answer",
                "prediction", "target", "reference", "parse_ok", "parse_error", "metrics", "reward", "timings"):
        assert key in rec
    assert rec["seed"] == episode_seed(1, 0) and rec["num_views"] == 3
    assert set(rec["timings"]) == {"agent_s", "env_s"}
    failures = [r for r in res.records if not r["parse_ok"]]
    assert failures and all(r["prediction"] is None and r["metrics"]["squared_error"] == 1.0 for r in failures)
    row = res.summary()[0]
    assert row["group"] == "views" and row["n"] == 20
    assert row["parse_failure_rate"] == pytest.approx(len(failures) / 20)


def test_views_sweep_and_summary_table(tmp_path):
    res = evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), episodes=12, num_views="1,2,5", out=tmp_path,
                   progress=False)
    rows = res.summary()
    assert [r["num_views"] for r in rows if r["group"] == "views"] == [1, 2, 5]
    for r in rows:
        assert r["ci_low"] <= r["mean"] <= r["ci_high"]
    per_scene = [r for r in rows if r["group"] == "scene" and r["num_views"] == 2]
    assert sum(r["n"] for r in per_scene) == 12 and len(per_scene) >= 2
    table = res.table()
    assert "squared_error mean" in table and "95% CI" in table and "parse fail" in table
    assert re.search(r"^\s+5\s+all\s+12", table, re.MULTILINE)
    assert res.summary() == res.summary()  # seeded bootstrap


def test_bootstrap_ci():
    values = np.random.default_rng(0).normal(1.0, 1.0, 400)
    lo, hi = bootstrap_ci(values)
    assert lo < values.mean() < hi and 0.1 < hi - lo < 0.3
    assert bootstrap_ci([2.0]) == (2.0, 2.0)
    assert bootstrap_ci(values, seed=1) != (lo, hi) and bootstrap_ci(values) == (lo, hi)


def test_batched_and_multi_question_episodes_match_one_by_one(tmp_path):
    kw = dict(episodes=9, seed=3, progress=False, questions_per_episode=3)
    one = evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), batch_size=1, **kw)
    four = evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), batch_size=4, out=tmp_path, **kw)
    assert len(one.records) == 27
    assert [r["question"] for r in one.records[:3]] == [0, 1, 2]
    drop = lambda recs: [{k: v for k, v in r.items() if k != "timings"} for r in recs]  # noqa: E731
    assert drop(one.records) == drop(four.records)
    oracle = evaluate(FAKE_ID, OracleAgent(), batch_size=4, **kw)
    assert all(r["reward"] == pytest.approx(0.0, abs=1e-12) and r["parse_ok"] for r in oracle.records)


def test_prior_agent_is_fitted_by_the_harness():
    agent = PriorAgent()
    res = evaluate(FAKE_ID, agent, episodes=30, fit_episodes=50, progress=False)
    assert not agent.needs_fit and re.fullmatch(r"\d+\.\d", agent.answer)
    assert 40 < float(agent.answer) < 60  # the mean of uniform visible fractions
    assert len({r["answer"] for r in res.records}) == 1


def test_to_pandas(tmp_path):
    pd = pytest.importorskip("pandas")
    df = evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), episodes=4, progress=False).to_pandas()
    assert isinstance(df, pd.DataFrame) and len(df) == 4 and "metric.squared_error" in df


def test_evaluate_is_exported_lazily():
    import subprocess
    import sys

    code = "import spatial_env, sys; assert 'spatial_env.evaluation' not in sys.modules and 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
    res = spatial_env.evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), episodes=2, progress=False)
    assert isinstance(res, Results) and len(res.records) == 2


def test_cli_hooks(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_eval_arguments(parser)
    args = parser.parse_args(["--env", FAKE_ID, "--agent", "random", "--episodes", "6", "--num-views", "1,2",
                              "--out", str(tmp_path), "--no-progress", "--agent-arg", "seed=4"])
    assert run_eval(args) == 0
    out = capsys.readouterr().out
    assert "95% CI" in out and "spatial-env report" in out
    assert len(lines(tmp_path)) == 12
    assert run_eval(args) == 0  # resumes: nothing left to do
    assert len(lines(tmp_path)) == 12


# ---- report ----------------------------------------------------------------------------------------------

def test_report_writes_html_plots_and_gallery(tmp_path):
    from spatial_env.cli import add_report_arguments, run_report
    from spatial_env.report import report

    for name, agent in (("random", RandomAgent("rep2d_exposure")), ("garbler", Garbler())):
        evaluate(FAKE_ID, agent, episodes=8, num_views=[1, 2, 5], out=tmp_path / name, progress=False)
    path = report(tmp_path / "random", gallery=2)
    page = path.read_text()
    assert path == tmp_path / "random" / "report.html"
    assert page.count("<svg") == 2 and "number of views" in page and "parse-failure rate" in page
    assert "95% CI" in page and page.count("class='card'") == 4
    images = sorted((tmp_path / "random" / "gallery").glob("*.png"))
    assert len(images) == 4 and (tmp_path / "random" / "plots" / "metric.svg").is_file()
    # Several runs: one line each; the CLI hook.
    parser = argparse.ArgumentParser()
    add_report_arguments(parser)
    args = parser.parse_args([str(tmp_path / "random"), str(tmp_path / "garbler"), "--out", str(tmp_path / "cmp"),
                              "--gallery", "0"])
    assert run_report(args) == 0
    page = (tmp_path / "cmp" / "report.html").read_text()
    assert page.count("<polyline") == 4 and "garbler" in page
    assert run_report(parser.parse_args([str(tmp_path / "nothing")])) == 1


def test_line_plot_svg_is_well_formed():
    import xml.etree.ElementTree as ET

    from spatial_env.report import line_plot_svg

    svg = line_plot_svg([{"label": "a<b", "x": [1, 2, 5, 10], "y": [0.1, 0.2, 0.25, 0.3], "lo": [0, 0.1, 0.2, 0.2],
                          "hi": [0.2, 0.3, 0.3, 0.4]}, {"label": "flat", "x": [1], "y": [0.5]}], "views", "IoU", "t")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg") and "a&lt;b" in svg


# ---- the real Rep2D envs on the small test room -------------------------------------------------------------

SMALL = {"resolution": 48, "sampler": {"views_visible": 4, "views_invisible": 2, "min_visible_fraction": 0.01,
                                       "max_tries": 300}}
REP2D = ["Rep2D-Bbox-v0", "Rep2D-Exposure-v0", "Rep2D-CameraPose-v0"]


def small(bank_cache, **kw):
    from conftest import make_test_room

    return {**SMALL, "scenes": [make_test_room()], "cache_dir": bank_cache, **kw}


@pytest.mark.parametrize("env_id", REP2D)
def test_oracle_scores_the_maximum_through_the_harness(env_id, bank_cache):
    res = evaluate(env_id, OracleAgent(), episodes=6, num_views=[1, 3], progress=False, **small(bank_cache))
    best = res.config["best_reward"]
    assert len(res.records) == 12
    assert all(r["parse_ok"] and r["reward"] == pytest.approx(best, abs=1e-12) for r in res.records)
    assert all(row["parse_failure_rate"] == 0 for row in res.summary())


@pytest.mark.parametrize("env_id", REP2D)
def test_scripted_baselines_run_on_rep2d(env_id, bank_cache):
    from spatial_env.agents import CopyLastAgent

    for agent in (RandomAgent(env_id), PriorAgent(), CopyLastAgent(env_id)):
        res = evaluate(env_id, agent, episodes=5, num_views=3, fit_episodes=10, progress=False, **small(bank_cache))
        assert all(r["parse_ok"] for r in res.records), (agent, [r["answer"] for r in res.records])
        if env_id == "Rep2D-Bbox-v0":
            assert all(0.0 <= r["metrics"]["iou"] <= 1.0 for r in res.records)


def test_tiny_vlm_through_the_harness_counts_parse_failures(bank_cache, tmp_path_factory, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from spatial_env.agents import TransformersAgent
    from tiny_vlm import tiny_model_dir

    from spatial_env.report import report

    agent = TransformersAgent(str(tiny_model_dir(tmp_path_factory, "qwen2_5_vl")), max_new_tokens=8, batch_size=2,
                              device="cpu")
    res = evaluate("Rep2D-Bbox-v0", agent, episodes=3, num_views=3, out=tmp_path, **small(bank_cache))
    image_pad = agent.processor.tokenizer.convert_tokens_to_ids("<|image_pad|>")
    # The last batch held one observation of 3 images, 48 px -> 56 px -> 4 tokens each.
    assert (agent.last_inputs["input_ids"] == image_pad).sum().item() == 3 * 4
    failures = sum(not r["parse_ok"] for r in res.records)
    assert len(res.records) == 3 and res.summary()[0]["parse_failure_rate"] == pytest.approx(failures / 3)
    assert all(r["metrics"]["iou"] == 0.0 for r in res.records if not r["parse_ok"])
    from conftest import make_test_room

    page = report(tmp_path, gallery=1, env_kwargs={"scenes": [make_test_room()]}).read_text()
    assert page.count("class='card'") == 2 and "gallery images unavailable" not in page
