"""Regression tests of the hardening issue (13): evaluation never loses results, one bad answer never stops
a run, secrets are never written, damaged or shared bank caches work, and the CLI a new user meets.

Each test names the item it guards. Most drive the stand-in env of ``test_evaluate`` (no rendering); the
bank tests build three 32-pixel walkthrough frames of the test room.
"""

from __future__ import annotations

import builtins
import configparser
import io
import json
import os
import stat
import subprocess
import sys
import time
import zlib
from pathlib import Path
from types import SimpleNamespace

import gymnasium as gym
import imageio.v3 as iio
import numpy as np
import pytest

from fake_openai import FakeOpenAI
from test_evaluate import FAKE_ID, FakeExposureEnv

from spatial_env.agents import AgentError, BaseAgent, RandomAgent
from spatial_env.cli import build_parser, main
from spatial_env.evaluation import (EPISODES_FILE, RUN_FILE, Results, _scan_records, evaluate, is_secret_name,
                                    redact)
from spatial_env.frames import FrameSpec, load_bank, scene_identity
from spatial_env.frames import bank as bank_module
from spatial_env.frames.bank import ORPHAN_AGE, DamagedBank, FrameBank
from spatial_env.metrics import ACCURACY

ROOT = Path(__file__).resolve().parents[1]
ACC_ID = "FakeAccuracy-v0"
SPEC = FrameSpec("walkthrough", {"frames": 3, "resolution": 32})


class FakeAccuracyEnv(FakeExposureEnv):
    """The stand-in env scored by accuracy (higher is better): right within 10 percentage points."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.task = SimpleNamespace(name="fake_accuracy", family="fake", metric=ACCURACY, best_reward=1.0,
                                    higher_is_better=True, draw=None)

    def step(self, action):
        obs, _, done, trunc, info = super().step(action)
        acc = float(info["metrics"]["squared_error"] < 0.01)
        info["metrics"] = {"accuracy": acc}
        return obs, acc, done, trunc, info


if ACC_ID not in gym.registry:
    gym.register(ACC_ID, entry_point=FakeAccuracyEnv, kwargs={"task": "rep2d_exposure"})


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in (path / EPISODES_FILE).read_text().splitlines()]


def strip(records: list[dict]) -> list[dict]:
    """Records without timings (those differ between runs)."""
    return [{k: v for k, v in r.items() if k != "timings"} for r in records]


def _bad(observation: dict) -> bool:
    """About a quarter of the questions, chosen by their prompt (the same in every run)."""
    return zlib.crc32(observation["prompt"].encode()) % 4 == 0


class Fussy(BaseAgent):
    """Answers "50", but its model fails on a quarter of the questions; a batch holding one fails whole."""

    name = "fake-model"

    def __init__(self):
        self.asked = 0

    def act(self, observation, info=None):
        self.asked += 1
        if _bad(observation):
            raise AgentError("injected: HTTP 500 after 3 attempts")
        return "50"

    def act_batch(self, observations, infos=None):
        if any(_bad(o) for o in observations):
            raise RuntimeError("injected: the batch failed")
        self.asked += len(observations)
        return ["50"] * len(observations)


class Steady(Fussy):
    """The same model on a good day."""

    def act(self, observation, info=None):
        self.asked += 1
        return "50"

    def act_batch(self, observations, infos=None):
        self.asked += len(observations)
        return ["50"] * len(observations)


# ---- 1: a kill while resume rewrites the log -------------------------------------------------------------

class Killed(KeyboardInterrupt):
    """The process dies (SIGKILL stands in as an exception raised mid-write)."""


def test_a_kill_while_resume_rewrites_the_log_leaves_it_whole(tmp_path, monkeypatch):
    """Item 1: the rewrite goes through a temporary file; dying halfway through it loses nothing."""
    evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), episodes=6, out=tmp_path, progress=False)
    before = (tmp_path / EPISODES_FILE).read_bytes()
    real_open = builtins.open

    class HalfWriter:
        """A file whose write stores half the text, then the process 'dies'."""

        def __init__(self, f):
            self.f = f

        def write(self, text):
            self.f.write(text[: len(text) // 2])
            self.f.flush()
            raise Killed

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    def dying_open(file, mode="r", *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        return HalfWriter(f) if "w" in mode and EPISODES_FILE in os.fspath(file) else f

    monkeypatch.setattr(builtins, "open", dying_open)
    monkeypatch.setattr(io, "open", dying_open)  # what Path.write_text opens with
    with pytest.raises(Killed):
        evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), episodes=9, out=tmp_path, progress=False)
    monkeypatch.undo()
    assert (tmp_path / EPISODES_FILE).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [EPISODES_FILE, RUN_FILE]  # no temporary file left
    res = evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), episodes=9, out=tmp_path, progress=False)
    assert [r["episode"] for r in res.records] == list(range(9))


# ---- 2: a failed agent call is a scored, flagged line; --retry-errors ---------------------------------------

def test_agent_errors_are_scored_lines_and_the_run_goes_on(tmp_path):
    """Item 2: worst metric and reward, an ``error`` field, the batch's other answers kept, rates apart."""
    agent = Fussy()
    res = evaluate(FAKE_ID, agent, episodes=24, batch_size=4, out=tmp_path, progress=False)
    recs = lines(tmp_path)
    assert len(recs) == 24 and len(res.records) == 24
    bad = [r for r in recs if r["error"]]
    assert 0 < len(bad) < 12
    for r in bad:
        assert r["answer"] is None and not r["parse_ok"] and r["parse_error"] is None
        assert r["metrics"]["squared_error"] == 1.0 and r["reward"] == -1.0  # SQUARED_ERROR's worst
        assert r["error"] == "AgentError: injected: HTTP 500 after 3 attempts"
    good = [r for r in recs if not r["error"]]
    # Batches that held a failing question were answered one by one: their other answers are kept.
    assert all(r["answer"] == "50" and r["parse_ok"] for r in good)
    assert agent.asked == 24
    row = res.summary()[0]
    assert row["error_rate"] == pytest.approx(len(bad) / 24) and row["parse_failure_rate"] == 0.0
    assert Results.load(tmp_path).summary()[0]["error_rate"] == row["error_rate"]
    assert "errors" in res.table()


def test_retry_errors_asks_only_the_failed_questions_again(tmp_path):
    """Item 2: multi-question episodes; the retried run equals a run that never failed."""
    kw = dict(episodes=10, seed=2, questions_per_episode=3, batch_size=3, progress=False)
    clean = evaluate(FAKE_ID, Steady(), **kw)
    evaluate(FAKE_ID, Fussy(), out=tmp_path, **kw)
    failed = sum(bool(r["error"]) for r in lines(tmp_path))
    assert failed and len(lines(tmp_path)) == 30
    steady = Steady()
    evaluate(FAKE_ID, steady, out=tmp_path, **kw)  # a plain resume plays nothing
    assert steady.asked == 0
    steady = Steady()
    res = evaluate(FAKE_ID, steady, out=tmp_path, retry_errors=True, **kw)
    assert steady.asked == failed
    assert strip(res.records) == strip(clean.records)
    assert strip(Results.load(tmp_path).records) == strip(clean.records)


def test_a_failed_request_of_a_concurrent_batch_costs_only_itself(tmp_path):
    """Item 2: with concurrency > 1 the batch's other answers are kept, not asked (and paid for) again."""
    pytest.importorskip("openai")
    from spatial_env.agents import OpenAIAgent

    with FakeOpenAI(["ok", "ok", "400"] + ["ok"] * 10, answer="50") as server:
        agent = OpenAIAgent("tiny", base_url=server.url, api_key="k", concurrency=4, max_retries=0, timeout=5)
        res = evaluate(FAKE_ID, agent, episodes=8, progress=False)
        assert len(server.requests) == 8
    assert sum(bool(r["error"]) for r in res.records) == 1
    assert "HTTP 400" in next(r["error"] for r in res.records if r["error"])


def test_a_retry_cut_short_keeps_the_earlier_attempt(tmp_path):
    """Item 2 (with 1): a retry's lines are appended; until they are complete the earlier ones count."""
    kw = dict(episodes=4, seed=5, questions_per_episode=2, progress=False)
    evaluate(FAKE_ID, Fussy(), out=tmp_path, **kw)
    first = lines(tmp_path)
    retried = next(r for r in first if r["error"])
    again = [dict(r, error=None, answer="50") for r in first if r["episode"] == retried["episode"]]
    with open(tmp_path / EPISODES_FILE, "a") as f:
        f.write(json.dumps(again[0]) + "\n" + json.dumps(again[1])[:40])  # killed in the second line
    records, skipped = _scan_records(tmp_path / EPISODES_FILE)
    assert strip(sorted(records, key=lambda r: (r["episode"], r["question"]))) == strip(first)
    assert len(skipped) == 2  # the torn line and the unfinished attempt
    with open(tmp_path / EPISODES_FILE, "a") as f:
        f.write("\n" + "".join(json.dumps(r) + "\n" for r in again))
    records, _ = _scan_records(tmp_path / EPISODES_FILE)
    assert [r["answer"] for r in records if r["episode"] == retried["episode"]] == ["50", "50"]


def test_failing_server_through_the_cli_then_retry_errors(tmp_path, capsys):
    """Items 2, 3 and 4 end to end: malformed responses become error lines naming the status and body;
    ``--retry-errors`` asks those again; the API key never reaches a file or the output, and a new key
    does not make resume refuse the run."""
    pytest.importorskip("openai")
    yaml = tmp_path / "endpoint.yaml"
    out = tmp_path / "run"
    with FakeOpenAI(["html200", "ok", "ok", "empty_choices"], answer="50") as server:
        yaml.write_text(f"type: openai\nmodel: tiny\nbase_url: {server.url}\nconcurrency: 1\nmax_retries: 0\n"
                        "timeout: 5\n")
        args = ["eval", "--env", FAKE_ID, "--agent", str(yaml), "--episodes", "4", "--out", str(out),
                "--no-progress", "--agent-arg", "api_key=sk-SECRET-one", "--agent-arg", "max_tokens=16"]
        assert main(args) == 0
        first = capsys.readouterr()
        recs = lines(out)
        errors = [r["error"] for r in recs if r["error"]]
        assert len(errors) == 2 and "rerun with --retry-errors" in first.out
        assert any("HTTP 200, but the body is not JSON" in e and "Welcome to nginx" in e for e in errors)
        assert any("HTTP 200, but the response has no choices" in e for e in errors)
        assert server.requests[0]["auth"] == "Bearer sk-SECRET-one"
        args[args.index("api_key=sk-SECRET-one")] = "api_key=sk-SECRET-two"
        assert main(args + ["--retry-errors"]) == 0  # another key: the same run
        second = capsys.readouterr()
        assert len(server.requests) == 6  # only the two failed questions were asked again
    final = Results.load(out).records  # the retries' lines were appended; the last attempt counts
    assert len(final) == 4 and not any(r["error"] for r in final) and {r["answer"] for r in final} == {"50"}
    assert main(["report", str(out), "--gallery", "1"]) == 0
    written = "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file() and p.suffix != ".png")
    everything = written + first.out + first.err + second.out + second.err + capsys.readouterr().out
    assert "sk-SECRET" not in everything
    run = json.loads((out / RUN_FILE).read_text())
    assert run["agent"] == f"{yaml} max_tokens=16"
    assert run["agent_config"]["model"] == "tiny" and "api_key" not in run["agent_config"]


def test_secret_names_and_redaction():
    """Item 3: which settings are secrets (words, so max_tokens is not), and redaction of names."""
    for name in ("api_key", "hf_token", "client_secret", "apiKey", "password", "OPENAI-API-KEY", "auth_token"):
        assert is_secret_name(name), name
    for name in ("max_tokens", "max_new_tokens", "api_key_env", "model", "top_k", "keypoints", "monkey"):
        assert not is_secret_name(name), name
    assert redact("gpt-4o api_key=sk-1234 temperature=0", []) == "gpt-4o api_key=*** temperature=0"
    assert redact("failed for sk-abcdef", ["sk-abcdef"]) == "failed for ***"


# ---- 5-7: frame bank caching ---------------------------------------------------------------------------------

def test_bank_identity_covers_every_file_the_loader_reads(tmp_path, monkeypatch):
    """Item 5: a mesh-file spec keys on its JSON; a ScanNet scan on its label map two folders up;
    files the loader does not read do not count; the package version is in the key."""
    from scene_fixtures import replica_scene, scannet_scene

    rep = replica_scene(tmp_path / "replica")
    mesh_spec = str(rep.files["mesh"])
    before = scene_identity(mesh_spec)
    assert before == scene_identity(rep.root)  # the mesh file stands for its scene
    (rep.root / "notes.txt").write_text("not read by the loader")
    assert scene_identity(mesh_spec) == before
    info = rep.files["info"]
    info.write_text(info.read_text().replace('"chair"', '"armchair"'))  # relabelled objects
    assert scene_identity(mesh_spec) != before

    scan = scannet_scene(tmp_path / "scans" / "release")
    labels = tmp_path / "scans" / "release" / "scannetv2-labels.combined.tsv"
    moved = tmp_path / "scans" / labels.name
    labels.rename(moved)  # two folders above the scan: still read
    before = scene_identity(scan.root)
    moved.write_text(moved.read_text().replace("dining table", "desk"))
    assert scene_identity(scan.root) != before

    key = SPEC.key("numba")
    monkeypatch.setattr(bank_module, "__version__", "0.0.0-other")
    assert SPEC.key("numba") != key


@pytest.mark.parametrize("damage", ["no_index", "truncated_index", "wrong_size_png", "missing_png"])
def test_a_damaged_bank_is_rebuilt(tmp_path, test_room, damage):
    """Item 6: checked on open; rebuilt and swapped in (no ENOTEMPTY); images match the observation space."""
    path = load_bank(test_room, SPEC, cache_dir=tmp_path, progress=False).path
    if damage == "no_index":
        (path / "index.json").unlink()
    elif damage == "truncated_index":
        text = (path / "index.json").read_text()
        (path / "index.json").write_text(text[: len(text) // 2])
    elif damage == "wrong_size_png":
        iio.imwrite(path / "rgb" / "00001.png", np.zeros((7, 9, 3), np.uint8))
    else:
        (path / "rgb" / "00002.png").unlink()
    with pytest.raises(DamagedBank):
        FrameBank.open(path)
    bank = load_bank(test_room, SPEC, cache_dir=tmp_path, progress=False)
    assert bank.path == path and len(bank) == 3
    assert all(iio.imread(bank.image_path(i)).shape == (32, 32, 3) for i in range(3))
    assert sorted(p.name for p in (tmp_path / "banks").iterdir()) == [path.name]  # nothing left aside


def test_orphaned_build_directories_are_removed(tmp_path, test_room):
    """Item 6: temporary directories of killed builds go; a live builder's stays."""
    banks = tmp_path / "banks"
    banks.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    killed = banks / f".room-abc.{bank_module._HOST}.{dead}.q1w2e3"
    (killed / "rgb").mkdir(parents=True)
    ancient = banks / ".room-old.k3j4l5"  # another host's, or from before names carried a pid
    ancient.mkdir()
    os.utime(ancient, (time.time() - 2 * ORPHAN_AGE,) * 2)
    building = banks / f".room-new.{bank_module._HOST}.{os.getpid()}.z9x8"
    building.mkdir()
    bank_module._SWEPT.discard(banks)
    load_bank(test_room, SPEC, cache_dir=tmp_path, progress=False)
    assert not killed.exists() and not ancient.exists() and building.exists()


def test_bank_directories_follow_the_umask(tmp_path, test_room):
    """Item 7: a shared cache is readable by the team (mkdtemp's 0700 is not kept)."""
    old = os.umask(0o022)
    try:
        bank = load_bank(test_room, SPEC, cache_dir=tmp_path, progress=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE(bank.path.stat().st_mode) == 0o755
    assert stat.S_IMODE((bank.path / "rgb" / "00000.png").stat().st_mode) == 0o644


def test_a_read_only_cache_without_the_bank_says_so_in_one_line(tmp_path, test_room, monkeypatch, capsys):
    """Item 7: one line naming the cache and what to do (root ignores modes, so the denial is injected)."""
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(bank_module.tempfile, "mkdtemp", denied)
    with pytest.raises(PermissionError) as err:
        load_bank(test_room, SPEC, cache_dir=tmp_path, progress=False)
    message = str(err.value)
    assert "\n" not in message and "read-only" in message and str(tmp_path / "banks") in message
    assert "SPATIAL_ENV_CACHE" in message


def test_bank_building_prints_plain_lines_when_not_a_terminal(tmp_path, test_room, capsys):
    """New-user list: no escape codes or carriage returns in a log file."""
    load_bank(test_room, SPEC, cache_dir=tmp_path, progress=True)
    err = capsys.readouterr().err
    assert "building frame bank" in err and "built frame bank" in err and "3 frames" in err
    assert "\r" not in err and "\x1b" not in err


# ---- 8: export --------------------------------------------------------------------------------------------

def test_export_refuses_two_scenes_with_the_same_id(tmp_path, capsys):
    """Item 8: two scans in directories of the same name would overwrite each other's images."""
    from scene_fixtures import scannet_scene

    a = scannet_scene(tmp_path / "site_a", label_map=False)
    b = scannet_scene(tmp_path / "site_b", label_map=False)
    for what in ("rep2d", "Rep2D-Bbox-v0"):
        out = tmp_path / f"out-{what}"
        assert main(["export", what, "--out", str(out), "--scenes", f"{a.root},{b.root}"]) == 2
        assert "same scene id 'scene0000_00'" in capsys.readouterr().err and not out.exists()


def test_family_export_refuses_a_full_directory_and_overwrite_replaces_it(tmp_path, monkeypatch, capsys):
    """Item 8: a family's whole-dataset export into a non-empty folder is refused; ``--overwrite``
    replaces the folder (no mix of runs), and a failed export leaves the old one whole."""
    import spatial_env.tasks as tasks

    calls = []

    def export(out, scenes=None, resolution=512, cache_dir=None, progress=False):
        calls.append(out)
        if len(calls) == 2:
            raise RuntimeError("injected export failure")
        (Path(out) / "data.jsonl").write_text(f"export {len(calls)}\n")
        return f"| table | {out} |"

    fake = SimpleNamespace(export=export, tasks=())
    monkeypatch.setattr(tasks, "families", lambda: {"fakefam": fake})
    monkeypatch.setattr(tasks, "get_family", lambda name: fake)
    out = tmp_path / "data"
    out.mkdir()
    (out / "old-run.jsonl").write_text("another run\n")
    assert main(["export", "fakefam", "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err and not calls
    assert main(["export", "fakefam", "--out", str(out), "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["data.jsonl"] and str(out) in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="injected"):
        main(["export", "fakefam", "--out", str(out), "--overwrite"])
    assert (out / "data.jsonl").read_text() == "export 1\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ---- 9: the report -----------------------------------------------------------------------------------------

def test_report_shows_bad_records_and_keeps_metrics_apart(tmp_path):
    """Item 9: a lone surrogate, a None answer and a line that is no record are shown, not fatal; runs of
    different metrics get their own plot, axis label and direction."""
    from spatial_env.report import report

    exposure, accuracy = tmp_path / "exposure", tmp_path / "accuracy"
    evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), episodes=4, num_views=[1, 2], out=exposure, progress=False)
    recs = lines(exposure)
    recs[0].update(answer="\ud800 broken", reward=-5.0)  # the two worst: shown in the gallery
    recs[1].update(answer=None, reward=-4.0)
    (exposure / EPISODES_FILE).write_text("".join(json.dumps(r) + "\n" for r in recs) + "[1, 2]\n")
    evaluate(ACC_ID, lambda obs: "50", episodes=4, num_views=[1, 2], out=accuracy, progress=False)
    page = report([exposure, accuracy], out=tmp_path / "r", gallery=2).read_text(encoding="utf-8")
    assert "\\ud800 broken" in page and "answer: <code><i>None</i></code>" in page
    assert "1 line(s) of episodes.jsonl not used: line 9: a JSON list, not a record" in page
    plots = {p.name: p.read_text() for p in (tmp_path / "r" / "plots").glob("*.svg")}
    assert {"metric-squared_error.svg", "metric-accuracy.svg", "failures.svg"} <= set(plots)
    assert "mean squared_error (lower is better)" in plots["metric-squared_error.svg"]
    assert "mean accuracy (higher is better)" in plots["metric-accuracy.svg"]
    assert plots["metric-accuracy.svg"].count("<polyline") == 1  # the other run is not on this axis


# ---- where a new user gets lost ----------------------------------------------------------------------------

def test_a_mistyped_env_id_is_one_line_with_did_you_mean(capsys):
    assert main(["eval", "--env", "Rep2D-Bbx-v0", "--agent", "random", "--episodes", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Did you mean: `Rep2D-Bbox`?" in err and "spatial-env list envs" in err
    assert main(["show-episode", "Rep2d-Exposure-v0"]) == 2
    assert "Did you mean: `Rep2D-Exposure`?" in capsys.readouterr().err


def test_several_envs_in_one_eval_then_report_and_compare(tmp_path, capsys):
    out = tmp_path / "runs"
    args = ["eval", "--env", f"{FAKE_ID},{ACC_ID}", "--agent", "random", "--episodes", "3", "--out", str(out),
            "--no-progress"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert f"== {FAKE_ID} ==" in printed and f"== {ACC_ID} ==" in printed
    assert len(lines(out / FAKE_ID)) == 3 and len(lines(out / ACC_ID)) == 3
    assert json.loads((out / ACC_ID / RUN_FILE).read_text())["metric"] == "accuracy"
    assert main(args) == 0  # resumes both
    assert main(["report", str(out), "--gallery", "0"]) == 0
    page = (out / "report.html").read_text()
    assert "<h2>Comparison</h2>" in page and FAKE_ID in page and ACC_ID in page
    assert main(["compare", str(out), "--out", str(tmp_path / "cmp")]) == 0
    assert {p.name for p in (tmp_path / "cmp").iterdir()} == {"compare.html", "compare.md", "compare.csv"}


def test_compare_table_as_markdown_html_and_csv(tmp_path, capsys):
    import csv

    evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), episodes=1, out=tmp_path / "run-one", progress=False)
    evaluate(FAKE_ID, Fussy(), episodes=12, num_views=[1, 2], out=tmp_path / "run-many", progress=False)
    assert main(["compare", str(tmp_path / "run-one"), str(tmp_path / "run-many"), "--out", str(tmp_path / "c"),
                 "--scenes"]) == 0
    md = capsys.readouterr().out
    head, rule, *rows = [line for line in md.splitlines() if line.startswith("|")]
    assert "95% CI" in head and "parse failures" in head and "agent errors" in head
    one = next(r for r in rows if r.startswith("| one |") and "| all |" in r)
    assert "|  |" in one  # n = 1: no interval
    many = [r for r in rows if r.startswith("| many |") and "| all |" in r]
    assert len(many) == 2 and all(" [" in r for r in many)
    table = list(csv.DictReader(open(tmp_path / "c" / "compare.csv")))
    assert {r["num_views"] for r in table if r["run"] == "many"} == {"1", "2"}
    assert next(r for r in table if r["run"] == "one")["ci_low"] == ""
    assert float(next(r for r in table if r["run"] == "many")["error_rate"]) > 0
    assert "<table>" in (tmp_path / "c" / "compare.html").read_text()
    assert (tmp_path / "c" / "compare.md").read_text().splitlines() == [head, rule, *rows]


def test_a_plain_function_is_an_agent():
    res = evaluate(FAKE_ID, lambda obs: "50", episodes=3, progress=False)
    assert all(r["parse_ok"] for r in res.records)
    assert res.config["agent"].startswith("function ") and "<lambda>" in res.config["agent"]
    with pytest.raises(TypeError, match=r"act\(observation\) -> str"):
        evaluate(FAKE_ID, 42, episodes=1, progress=False)


def test_an_api_agent_without_its_key_fails_up_front(tmp_path, monkeypatch, capsys):
    pytest.importorskip("openai")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["eval", "--env", FAKE_ID, "--agent", "gpt-4o", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "OPENAI_API_KEY" in err and "\n" not in err.strip() and not (tmp_path / "run").exists()


def test_run_json_records_what_reproduces_the_result(tmp_path):
    evaluate(FAKE_ID, "random", episodes=2, out=tmp_path, progress=False)
    run = json.loads((tmp_path / RUN_FILE).read_text())
    import spatial_env

    assert run["spatial_env_version"] == spatial_env.__version__
    assert run["versions"]["numpy"] == np.__version__ and "python" in run["versions"]
    for dist in ("torch", "transformers"):
        try:
            from importlib.metadata import version

            assert run["versions"][dist] == version(dist)
        except ImportError:  # pragma: no cover - not installed: not recorded
            assert dist not in run["versions"]
    if (ROOT / ".git").exists():
        assert len(run["git"]["commit"]) == 40 and isinstance(run["git"]["dirty"], bool)
    assert run["agent_config"] == {"class": "RandomAgent", "type": "random", "seed": 0, "task": FAKE_ID}
    assert run["created"] and run["updated"]
    evaluate(FAKE_ID, "random", episodes=3, out=tmp_path, progress=False)  # timestamps are not the run's identity
    assert json.loads((tmp_path / RUN_FILE).read_text())["created"] == run["created"]


def test_every_option_of_demo_show_and_show_episode_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in ("demo", "show", "show-episode"):
        for action in sub.choices[name]._actions:
            if action.dest != "help":
                assert action.help, (name, action.dest)


def test_evaluation_progress_is_plain_lines_when_not_a_terminal(capsys):
    evaluate(FAKE_ID, RandomAgent("rep2d_exposure"), episodes=20, progress=True)
    err = capsys.readouterr().err
    assert f"{FAKE_ID} views=3: 20/20 ep" in err and "squared_error" in err and "err 0.0%" in err
    assert "\r" not in err and "\x1b" not in err and len(err.splitlines()) <= 12


def test_extras_and_ci_install_step():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    extras = {k: [x.strip() for x in v.splitlines() if x.strip()] for k, v in cfg["options.extras_require"].items()}
    assert any(x.startswith("accelerate") for x in extras["vlm"])  # device_map: auto in the shipped YAMLs
    torch = next(x for x in extras["test"] if x.startswith("torch"))
    assert ">=" in torch and "==" not in torch  # a user's CUDA build is not replaced
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index("torch==2.13.0") < ci.index("pip install -e")

