"""The evaluation harness: run an agent on an env for N seeded episodes, log JSONL, resume, summarise.

``evaluate("Rep2D-Bbox-v0", agent, episodes=500, num_views=[1, 2, 5, 10], out="runs/qwen")`` writes
``runs/qwen/run.json`` (the run's settings, the versions and the agent's configuration, never its
secrets) and ``runs/qwen/episodes.jsonl`` (one line per question: prompt, raw answer, parsed prediction,
target, metrics, parse_ok, error, timings) and returns :class:`Results`.

Episode ``k`` always starts from ``env.reset(seed=episode_seed(seed, k))``, so a run cut short and started
again with the same ``out`` only plays the missing episodes, and the result equals an uninterrupted run.

A question the agent fails on (an exception from ``act``/``act_batch``, such as an API error after its
retries) is recorded as a scored line with the metric's worst value and an ``error`` field, and the run
goes on; ``evaluate(..., retry_errors=True)`` on the same ``out`` asks those questions again.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .progress import progress_bar as _progress

RUN_FILE, EPISODES_FILE = "run.json", "episodes.jsonl"
# Settings that do not change which questions are asked or how they are scored.
_NEUTRAL_KWARGS = {"cache_dir", "progress"}
# What makes two runs the same run (resume refuses a directory that differs in any of them).
_IDENTITY = ("env_id", "seed", "env_kwargs", "agent")
# Keys of a record the harness and the report cannot do without.
_RECORD_KEYS = ("num_views", "episode", "question", "questions", "metrics")

log = logging.getLogger(__name__)


# ---- secrets ------------------------------------------------------------------------------------------

_SECRET_WORDS = {"key", "apikey", "token", "secret", "password", "passwd", "credential", "credentials"}


def is_secret_name(name: str) -> bool:
    """True for a setting whose value is a secret (``api_key``, ``hf_token``, ``client_secret``, ``apiKey``...).

    Names are split into words, so ``max_tokens`` is not a secret; ``*_env`` names (``api_key_env``)
    hold the name of a variable, not its value.
    """
    words = [w for w in re.split(r"[^a-z0-9]+", str(name).lower()) if w]
    return bool(words) and words[-1] != "env" and any(w in _SECRET_WORDS for w in words)


def public_config(value: Any) -> Any:
    """``value`` (nested dicts and lists) without the entries whose key names a secret."""
    if isinstance(value, dict):
        return {k: public_config(v) for k, v in value.items() if not is_secret_name(k)}
    if isinstance(value, (list, tuple)):
        return [public_config(v) for v in value]
    return value


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value, and every ``<secret name>=<value>``, replaced by ``***``."""
    for s in sorted({s for s in secrets if isinstance(s, str) and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(s, "***")
    return re.sub(r"([\w.-]+)(\s*[=:]\s*)(\S+)",
                  lambda m: f"{m[1]}{m[2]}***" if is_secret_name(m[1]) and not m[3].startswith("***") else m[0],
                  text)


def secret_values(agent: Any) -> list[str]:
    """The secret strings an agent holds (attributes and spec fields named like secrets, its client's key)."""
    found = []
    fields = dict(vars(agent)) if hasattr(agent, "__dict__") else {}
    fields.update(getattr(agent, "spec", None) or {})
    for name, value in fields.items():
        if is_secret_name(name) and isinstance(value, str):
            found.append(value)
    client_key = getattr(getattr(agent, "client", None), "api_key", None)
    if isinstance(client_key, str):
        found.append(client_key)
    return [s for s in found if s and s != "EMPTY"]


# ---- JSON ------------------------------------------------------------------------------------------------

def episode_seed(seed: int, k: int, stream: int = 0) -> int:
    """The reset seed of episode ``k`` of a run seeded ``seed`` (``stream`` separates e.g. fit episodes)."""
    return int(np.random.SeedSequence([int(stream), int(seed), int(k)]).generate_state(1)[0])


def _json_default(value: Any):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    # Scene objects and the like: their name, so run.json stays stable across processes.
    for attr in ("scene_id", "name"):
        if isinstance(getattr(value, attr, None), str):
            return f"<{type(value).__name__} {getattr(value, attr)}>"
    return f"<{type(value).__name__}>"


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, sort_keys=True)


def _plain(value: Any) -> Any:
    """``value`` as plain JSON types (what it reads back as from a file)."""
    return json.loads(_dumps(value))


def bootstrap_ci(values: Sequence[float], n_boot: int = 1000, seed: int = 0,
                 level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean (seeded, so summaries are reproducible)."""
    v = np.asarray(values, float)
    if v.size == 0:
        return (math.nan, math.nan)
    if v.size == 1 or n_boot <= 0:
        return (float(v.mean()), float(v.mean()))
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, v.size, size=(n_boot, v.size))].mean(axis=1)
    alpha = (1 - level) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def ci_text(row: dict, digits: int = 4) -> str:
    """A summary row's interval as ``[lo, hi]``, or ``""`` when it has none (one question, or none)."""
    if row.get("n", 0) < 2 or not (math.isfinite(row["ci_low"]) and math.isfinite(row["ci_high"])):
        return ""
    return f"[{row['ci_low']:.{digits}f}, {row['ci_high']:.{digits}f}]"


# ---- results ------------------------------------------------------------------------------------------

@dataclass
class Results:
    """The records of a run (one dict per question) and its settings, with summaries.

    ``skipped`` lists the lines of ``episodes.jsonl`` that were not used (torn, not a record, or part
    of an unfinished episode), as ``"line N: why"``.
    """

    records: list[dict]
    config: dict = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    @property
    def metric(self) -> str:
        """The run's headline metric (IoU, squared_error, l2_error, ...): the run's config, else the
        records' own; ``"mixed"`` when the questions are scored by different metrics."""
        if self.config.get("metric"):
            return self.config["metric"]
        names = {_metric_name(r) for r in self.records}
        if not names:
            raise ValueError("an empty run without run.json has no metric")
        return names.pop() if len(names) == 1 else "mixed"

    @property
    def higher_is_better(self) -> bool:
        """Direction of :attr:`metric` (rewards of mixed runs always point up)."""
        if "higher_is_better" in self.config:
            return bool(self.config["higher_is_better"])
        from .metrics import METRICS

        return METRICS[self.metric].higher_is_better if self.metric in METRICS else True

    @classmethod
    def load(cls, run_dir: str | os.PathLike) -> "Results":
        """The results stored in a run directory."""
        run_dir = Path(run_dir)
        path = run_dir / RUN_FILE
        try:
            config = json.loads(path.read_text()) if path.is_file() else {}
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: not a readable run file ({exc})") from None
        records, skipped = _scan_records(run_dir / EPISODES_FILE)
        return cls(_sorted(records), config, skipped)

    def summary(self, n_boot: int = 1000, seed: int = 0) -> list[dict]:
        """Rows ``{group, num_views, key, scene_id, n, metric, mean, ci_low, ci_high, reward,
        parse_failure_rate, error_rate, agent_s}`` per number of views: ``group="views"`` (all
        questions), ``"question_type"`` (when there are several), ``"family_group"`` (the family's
        named groups of question types, such as SPAR's Low / Medium / High: the mean of their question
        types' means) and ``"scene"``. Agent errors count in ``error_rate``, not as parse failures."""
        rows = []
        groups = _family_groups(self.config.get("env_id"))
        for nv in sorted({r["num_views"] for r in self.records}):
            recs = [r for r in self.records if r["num_views"] == nv]
            rows.append(self._row("views", nv, None, recs, n_boot, seed))
            types = sorted({r.get("question_type") for r in recs if r.get("question_type")})
            by_type = {}
            if len(types) > 1:
                for qt in types:
                    by_type[qt] = self._row("question_type", nv, qt, [r for r in recs if r.get("question_type") == qt],
                                            n_boot, seed)
                    rows.append(by_type[qt])
            for name, members in groups.items():
                parts = [by_type[qt] for qt in members if qt in by_type]
                if parts:
                    rows.append({"group": "family_group", "num_views": nv, "key": name, "scene_id": None,
                                 "n": sum(p["n"] for p in parts), "metric": _common(p["metric"] for p in parts),
                                 "mean": float(np.mean([p["mean"] for p in parts])), "ci_low": math.nan,
                                 "ci_high": math.nan, "reward": float(np.mean([p["reward"] for p in parts])),
                                 "parse_failure_rate": float(np.mean([p["parse_failure_rate"] for p in parts])),
                                 "error_rate": float(np.mean([p["error_rate"] for p in parts])),
                                 "agent_s": float(np.mean([p["agent_s"] for p in parts]))})
            for scene in sorted({str(r.get("scene_id")) for r in recs}):
                rows.append(self._row("scene", nv, scene, [r for r in recs if str(r.get("scene_id")) == scene],
                                      n_boot, seed))
        return rows

    def _row(self, group: str, nv: int, key: str | None, recs: list[dict], n_boot: int, seed: int) -> dict:
        values = [r["metrics"][_metric_name(r, self.config.get("metric"))] for r in recs]
        lo, hi = bootstrap_ci(values, n_boot, seed)
        return {"group": group, "num_views": nv, "key": key, "scene_id": key if group == "scene" else None,
                "n": len(recs), "metric": _common(_metric_name(r, self.config.get("metric")) for r in recs),
                "mean": float(np.mean(values)) if values else math.nan, "ci_low": lo, "ci_high": hi,
                "reward": float(np.mean([r["reward"] for r in recs])) if recs else math.nan,
                "parse_failure_rate": float(np.mean([_parse_failed(r) for r in recs])) if recs else math.nan,
                "error_rate": float(np.mean([_errored(r) for r in recs])) if recs else math.nan,
                "agent_s": float(np.mean([r.get("timings", {}).get("agent_s", math.nan) for r in recs]))
                if recs else math.nan}

    def table(self, scenes: bool = True, n_boot: int = 1000, seed: int = 0) -> str:
        """The summary as a text table (the shape of Rep2D-BEAT's Tables 6-9 plus failure rates);
        rows of a single question show no interval."""
        head = f"{'views':>5}  {'scene':<24} {'n':>5}  {self.metric + ' mean':>18}  {'95% CI':>20}  " \
               f"{'parse fail':>10}  {'errors':>7}  {'s/answer':>8}"
        lines = [head, "-" * len(head)]
        for row in self.summary(n_boot, seed):
            if row["group"] == "scene" and not scenes:
                continue
            scene = "all" if row["group"] == "views" else "  " + str(row["key"])[:22]
            lines.append(f"{row['num_views']:>5}  {scene:<24} {row['n']:>5}  {row['mean']:>18.4f}  "
                         f"{ci_text(row):>20}  {row['parse_failure_rate']:>9.1%}  {row['error_rate']:>7.1%}  "
                         f"{row['agent_s']:>8.3f}")
        return "\n".join(lines)

    def benchmark_table(self) -> str:
        """The summary laid out as the family's paper table (SPAR-Bench's Table 4, MultiSPA's Table 2):
        a markdown row per number of views with the average over question types, then each summary
        group's mean followed by its question types' means, all x100 as the papers print them."""
        groups = _family_groups(self.config.get("env_id"))
        if not groups:
            raise ValueError(f"env {self.config.get('env_id')!r} has no summary groups to lay a table out by")
        header = ["Avg."]
        for name, members in groups.items():
            header += [name, *members]
        lines = ["| " + " | ".join(header) + " |", "|" + "---:|" * len(header)]
        for nv in sorted({r["num_views"] for r in self.records}):
            by_type = {}
            for r in self.records:
                if r["num_views"] == nv and r.get("question_type"):
                    by_type.setdefault(r["question_type"], []).append(r["metrics"][_metric_name(r, self.metric)])
            means = {k: 100 * float(np.mean(v)) for k, v in by_type.items()}
            cells = [np.mean(list(means.values())) if means else math.nan]
            for members in groups.values():
                part = [means[m] for m in members if m in means]
                cells += [np.mean(part) if part else math.nan, *(means.get(m, math.nan) for m in members)]
            lines.append("| " + " | ".join("-" if math.isnan(c) else f"{c:.2f}" for c in cells) + " |")
        return "\n".join(lines)

    def to_pandas(self):
        """One row per question (metrics flattened to ``metric.<name>`` columns); needs pandas."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("Results.to_pandas needs pandas: pip install pandas") from exc
        rows = []
        for r in self.records:
            row = {k: v for k, v in r.items() if k not in ("metrics", "timings")}
            row.update({f"metric.{k}": v for k, v in r["metrics"].items()})
            row.update({f"time.{k}": v for k, v in r.get("timings", {}).items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"Results({len(self.records)} records, env={self.config.get('env_id')!r}, metric={self.metric!r})"


def _errored(record: dict) -> bool:
    return bool(record.get("error"))


def _parse_failed(record: dict) -> bool:
    """A parse failure proper: the agent answered, and the answer did not parse (errors are not)."""
    return not record.get("parse_ok") and not _errored(record)


def _metric_name(record: dict, default: str | None = None) -> str:
    """The metric a record is scored by (its own, else the run's headline)."""
    return record.get("metric") or default or next(iter(record["metrics"]))


def _common(names) -> str:
    names = set(names)
    return names.pop() if len(names) == 1 else "mixed"


def _family_groups(env_id: str | None) -> dict[str, tuple[str, ...]]:
    """The summary groups of the family behind ``env_id`` (none for unknown ids)."""
    if not env_id:
        return {}
    from .tasks import family_of

    try:
        return dict(family_of(env_id).groups)
    except ValueError:
        return {}


def _record_problem(r: Any) -> str | None:
    """Why a parsed JSONL line is not a usable record (None when it is one)."""
    if not isinstance(r, dict):
        return f"a JSON {type(r).__name__}, not a record"
    for key in _RECORD_KEYS:
        if key not in r:
            return f"no {key!r} field"
    for key in ("num_views", "episode", "question", "questions"):
        if not isinstance(r[key], int) or isinstance(r[key], bool):
            return f"{key} is {r[key]!r}, not an integer"
    if not isinstance(r["metrics"], dict):
        return f"metrics is {type(r['metrics']).__name__}, not an object"
    return None


def _scan_records(path: Path) -> tuple[list[dict], list[str]]:
    """(records of complete episodes, skipped lines as ``"line N: why"``) of a JSONL log.

    An episode's lines are written together, in question order, so a run of lines of one episode whose
    question index restarts is a new attempt (``retry_errors`` appends one): the last complete attempt
    of each episode wins. Torn lines, lines that are not records and unfinished attempts are skipped.
    """
    if not path.is_file():
        return [], []
    best: dict[tuple, list[dict]] = {}
    skipped: list[str] = []
    key, attempt, first_line = None, [], 0

    def close() -> None:
        if not attempt:
            return
        n = attempt[0]["questions"]
        if [r["question"] for r in attempt] == list(range(n)) and all(r["questions"] == n for r in attempt):
            best[key] = attempt
        else:
            skipped.append(f"lines {first_line}-{first_line + len(attempt) - 1}: an unfinished episode "
                           f"({attempt[0]['num_views']} views, episode {attempt[0]['episode']})")

    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except ValueError:
                skipped.append(f"line {number}: not JSON (a torn or damaged line)")
                continue
            why = _record_problem(r)
            if why:
                skipped.append(f"line {number}: {why}")
                continue
            k = (r["num_views"], r["episode"])
            if k != key or r["question"] <= attempt[-1]["question"]:
                close()
                key, attempt, first_line = k, [], number
            attempt.append(r)
    close()
    return [r for recs in best.values() for r in recs], skipped


def _read_records(path: Path) -> list[dict]:
    """Complete episodes from a JSONL file: torn last lines and half-written episodes are dropped."""
    return _scan_records(path)[0]


def _sorted(records: list[dict]) -> list[dict]:
    return sorted(records, key=lambda r: (r["num_views"], r["episode"], r["question"]))


def _views_list(num_views: int | Iterable[int] | str | None) -> list[int | None]:
    if num_views is None:
        return [None]
    if isinstance(num_views, str):
        return [int(v) for v in num_views.split(",") if v.strip()]
    if isinstance(num_views, (int, np.integer)):
        return [int(num_views)]
    return [int(v) for v in num_views]


# ---- agents -------------------------------------------------------------------------------------------

class FunctionAgent:
    """A plain function ``observation -> answer text`` used as an agent."""

    def __init__(self, fn: Callable[[dict], str]):
        self.fn = fn
        # Module and qualified name, not repr (which holds an address), so a resumed run keeps its identity.
        self.name = f"function {getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}"

    def act(self, observation: dict) -> str:
        """``fn(observation)``."""
        return self.fn(observation)

    def __repr__(self) -> str:
        return f"FunctionAgent({self.name})"


def as_agent(agent: Any, env_id: str | None = None) -> Any:
    """An agent from what ``evaluate`` accepts: an agent, a function ``observation -> str``, or the
    name/path of an agent YAML."""
    if isinstance(agent, (str, os.PathLike)):
        from .agents import load_agent

        label = os.fspath(agent)
        built = load_agent(label, env_id=env_id)
        built.name = label
        return built
    if callable(getattr(agent, "act", None)):
        return agent
    if callable(agent):
        return FunctionAgent(agent)
    raise TypeError(f"{agent!r} is not an agent: an agent has act(observation) -> str (and optionally "
                    f"act_batch(observations) and reset()), or is a function observation -> str, "
                    f"or is the name of an agent YAML (spatial-env list agents)")


def _agent_name(agent: Any) -> str:
    return getattr(agent, "name", None) or repr(agent)


def agent_config(agent: Any) -> dict:
    """The agent's resolved configuration as run.json records it (its ``describe()`` or spec), no secrets."""
    describe = getattr(agent, "describe", None)
    try:
        config = describe() if callable(describe) else {"class": type(agent).__name__,
                                                         **(getattr(agent, "spec", None) or {})}
    except Exception as exc:  # noqa: BLE001 - a description must never stop a run
        config = {"class": type(agent).__name__, "describe_error": f"{type(exc).__name__}: {exc}"}
    secrets = secret_values(agent)
    return _plain(_redact_values(public_config(config), secrets))


def _redact_values(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, dict):
        return {k: _redact_values(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_values(v, secrets) for v in value]
    return redact(value, secrets) if isinstance(value, str) else value


def _check_config(out: Path, config: dict) -> dict:
    """Refuse to resume a run directory that holds a different run (other env, seed, settings or agent);
    returns the stored run.json (empty for a new directory)."""
    path = out / RUN_FILE
    if not path.is_file():
        return {}
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable run file ({exc}); use another --out or delete it") from None
    for key in _IDENTITY:
        if old.get(key) != config.get(key):
            raise ValueError(f"{out} holds a different run ({key}: {old.get(key)!r} there, {config.get(key)!r} now); "
                             f"use another --out or delete it")
    return old


def _act(agent: Any, observations: list[dict], infos: list[dict]) -> list:
    if getattr(agent, "needs_info", False):
        return list(agent.act_batch(observations, infos=infos))
    if len(observations) == 1 or not callable(getattr(agent, "act_batch", None)):
        return [agent.act(obs) for obs in observations]
    return list(agent.act_batch(observations))


def _answers(agent: Any, observations: list[dict], infos: list[dict]) -> list[tuple[Any, float]]:
    """(answer text or the exception that stopped it, agent seconds) per observation.

    A batch call that raises is asked again one observation at a time, so one bad question does not
    cost the answers of the others."""
    t = time.perf_counter()
    try:
        answers = _act(agent, observations, infos)
        if len(answers) != len(observations):
            raise RuntimeError(f"{_agent_name(agent)} returned {len(answers)} answers for "
                               f"{len(observations)} observations")
    except Exception as exc:  # noqa: BLE001 - any agent failure is recorded, the run goes on
        partial = getattr(exc, "results", None)  # a BatchError: the answers it has, and the failures
        if isinstance(partial, list) and len(partial) == len(observations):
            answers = partial
        elif len(observations) == 1:
            return [(exc, time.perf_counter() - t)]
        else:
            return [_answers(agent, [o], [i])[0] for o, i in zip(observations, infos)]
    per = (time.perf_counter() - t) / len(observations)
    return [(a if isinstance(a, (str, BaseException)) else
             TypeError(f"the agent answered {type(a).__name__} {a!r:.80}, not text"), per) for a in answers]


# ---- playing episodes ---------------------------------------------------------------------------------

def _question_info(step_info: dict) -> dict:
    """The info of the next question of a multi-question episode, from the step that revealed it."""
    from .env import next_question_info

    return next_question_info(step_info)


class _Episode:
    """One episode in flight: its seed, the answers given so far, the current observation and info.

    ``keep`` holds answered questions of an earlier attempt (by question index) that a retry reuses
    instead of asking the agent again, as long as the env shows the same question."""

    def __init__(self, k: int, seed: int, keep: dict[int, dict] | None = None):
        self.k, self.seed = k, seed
        self.keep = keep or {}
        self.answers: list[str] = []  # what the env was stepped with ("" for a failed agent call)
        self.records: list[dict] = []
        self.obs: dict | None = None
        self.info: dict | None = None
        self.done = False
        self.env_s = 0.0

    def kept(self) -> dict | None:
        """The earlier record of the current question, if the env shows that very question again."""
        old = self.keep.get(len(self.answers))
        if old is not None and old.get("episode_id") == self.info.get("episode_id") \
                and old.get("prompt") == self.obs.get("prompt") and isinstance(old.get("answer"), str):
            return old
        return None


@dataclass
class _Context:
    """What every record of a run shares, and how a failed agent call is scored and reported."""

    base: dict
    metric: Any  # the task's headline Metric
    secrets: list[str]
    errors_logged: int = 0


def _play_batch(env, agent, batch: list[_Episode], ctx: _Context) -> None:
    """Play a batch of episodes to the end, one ``act_batch`` call per question round.

    One env serves the whole batch: before stepping an episode the env is reset to it with its seed and
    its earlier answers are replayed (envs are deterministic given the seed and the answers), so a batch
    costs one env and its frame banks, not ``batch_size`` of them.
    """
    current = None  # (k, number of answers) the env is positioned at
    for ep in batch:
        t = time.perf_counter()
        ep.obs, ep.info = env.reset(seed=ep.seed)
        ep.env_s += time.perf_counter() - t
        current = (ep.k, 0)
    while True:
        live = [ep for ep in batch if not ep.done]
        if not live:
            return
        ask = [ep for ep in live if ep.kept() is None]
        asked = dict(zip(map(id, ask), _answers(agent, [ep.obs for ep in ask], [ep.info for ep in ask]))) \
            if ask else {}
        for ep in live:
            old = ep.kept()
            answer, agent_s = (old["answer"], old.get("timings", {}).get("agent_s", 0.0)) if old is not None \
                else asked[id(ep)]
            failed = isinstance(answer, BaseException)
            t = time.perf_counter()
            if current != (ep.k, len(ep.answers)):
                env.reset(seed=ep.seed)
                for earlier in ep.answers:
                    env.step(earlier)
            # A failed call still moves the episode on (its later questions are asked); the empty
            # answer is what the env is stepped with, and what a replay of this episode steps with.
            text = "" if failed else answer
            obs, reward, terminated, truncated, info = env.step(text)
            ep.env_s += time.perf_counter() - t
            current = (ep.k, len(ep.answers) + 1)
            record = _record(ctx.base, ep, text, reward, info, agent_s)
            if failed:
                _mark_error(record, answer, ep, ctx)
            ep.records.append(record)
            ep.answers.append(text)
            ep.env_s = 0.0
            if terminated or truncated:
                ep.done = True
                for r in ep.records:
                    r["questions"] = len(ep.records)
            else:
                ep.obs, ep.info = obs, _question_info(info)


def _mark_error(record: dict, exc: BaseException, ep: _Episode, ctx: _Context) -> None:
    """Turn a record into a failed agent call's: the metric's worst value and reward, and the error."""
    from .metrics import METRICS

    # A mixing env's question may be scored by another task's metric than the run's headline.
    metric = METRICS.get(record.get("metric"), ctx.metric) if record.get("metric") != ctx.metric.name else ctx.metric
    worst = metric.worst_value(ep.info.get("target"))
    message = redact(f"{type(exc).__name__}: {exc}", ctx.secrets)[:2000]
    record.update(answer=None, prediction=None, parse_ok=False, parse_error=None, error=message,
                  metrics={**record["metrics"], metric.name: worst}, reward=metric.reward(worst))
    ctx.errors_logged += 1
    if ctx.errors_logged <= 3:  # the first few, so a broken endpoint is noticed at once; the rest are counted
        log.warning("episode %d question %d: the agent failed (%s); recorded with the worst %s, the run goes on"
                    "%s", ep.k, len(ep.answers), message[:300], metric.name,
                    "" if ctx.errors_logged < 3 else " (further errors are only counted)")


def _record(base: dict, ep: _Episode, answer: str, reward: float, info: dict, agent_s: float) -> dict:
    # An env mixing tasks names the metric of each question; others score every question by the run's.
    metric = ep.info.get("metric") or base.get("metric")
    return _plain({
        **base, "episode": ep.k, "question": len(ep.answers), "seed": ep.seed,
        "num_views": int(np.asarray(ep.obs["images"]).shape[0]),
        "task": info.get("task"), "question_type": ep.info.get("question_type"), "metric": metric,
        "scene_id": info.get("scene_id"), "episode_id": ep.info.get("episode_id"),
        "prompt": ep.obs["prompt"], "answer": answer, "prediction": info.get("prediction"),
        "target": ep.info.get("target"), "reference": ep.info.get("answer"), "parse_ok": bool(info.get("parse_ok")),
        "parse_error": info.get("parse_error"), "metrics": info.get("metrics", {}), "reward": float(reward),
        "error": None, "timings": {"agent_s": agent_s, "env_s": ep.env_s},
    })


# ---- provenance ---------------------------------------------------------------------------------------

def provenance() -> dict:
    """What makes a result reproducible: package, Python and library versions, and the git commit of the
    package's checkout (when it is one)."""
    from importlib import metadata

    from . import __version__

    versions = {"python": sys.version.split()[0]}
    for dist in ("numpy", "gymnasium", "torch", "transformers", "openai"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    out: dict[str, Any] = {"spatial_env_version": __version__, "versions": versions}
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10)
        if commit.returncode == 0:
            status = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
                                    capture_output=True, text=True, timeout=10)
            out["git"] = {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        pass  # no git, or not a checkout: an installed package has its version only
    return out


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


# ---- the harness ---------------------------------------------------------------------------------------

def evaluate(env_id: str, agent: Any, episodes: int = 100, *, seed: int = 0,
             num_views: int | Iterable[int] | str | None = None, out: str | os.PathLike | None = None,
             batch_size: int | None = None, fit_episodes: int = 200, progress: bool = True,
             retry_errors: bool = False, **env_kwargs: Any) -> Results:
    """Run ``agent`` on ``episodes`` seeded episodes of ``env_id`` (for each of ``num_views``) -> :class:`Results`.

    Args:
        env_id: a registered id such as ``"Rep2D-Bbox-v0"``.
        agent: an :class:`~spatial_env.agents.Agent`, a function ``observation -> str``, or the
            name/path of an agent YAML.
        episodes: episodes per number of views; episode ``k`` is reset with ``episode_seed(seed, k)``.
        seed: the run's seed.
        num_views: one int, several (``[1, 2, 5, 10]`` or ``"1,2,5,10"``: one pass each), or None for the
            env's default.
        out: a run directory for ``run.json`` + ``episodes.jsonl``; an existing one is resumed (episodes
            already there are not played again). None keeps results in memory only.
        batch_size: observations per ``act_batch`` call (default: the agent's ``batch_size`` or
            ``concurrency`` attribute, else 1).
        fit_episodes: training episodes for agents that need fitting (``PriorAgent``), on a separate seed stream.
        progress: show progress with the running mean metric, parse-failure and error rates (a bar on a
            terminal, plain lines otherwise).
        retry_errors: ask again the questions of ``out`` whose agent call failed (their lines are replaced).
        **env_kwargs: passed to ``gym.make`` (``scenes``, ``resolution``, ``cache_dir``, ...).
    """
    import gymnasium as gym

    import spatial_env  # noqa: F401  (registers the env ids)

    gym.spec(env_id.split(":", 1)[-1])  # an unknown id fails here, with Gymnasium's "did you mean"
    agent = as_agent(agent, env_id)
    from .envs import ENTRY_POINT

    if "progress" not in env_kwargs and gym.spec(env_id.split(":", 1)[-1]).entry_point == ENTRY_POINT:
        env_kwargs["progress"] = progress  # SpatialEnv's own progress (building frame banks) follows ours
    views = _views_list(num_views)
    if "num_views" in env_kwargs:
        if num_views is not None:
            raise ValueError("give num_views once (as evaluate's argument)")
        views = _views_list(env_kwargs.pop("num_views"))
    batch_size = int(batch_size or getattr(agent, "batch_size", None) or getattr(agent, "concurrency", None) or 1)
    secrets = secret_values(agent)
    config = _plain({"env_id": env_id, "agent": redact(_agent_name(agent), secrets), "seed": seed,
                     "episodes": episodes, "num_views": views,
                     "env_kwargs": {k: v for k, v in env_kwargs.items() if k not in _NEUTRAL_KWARGS}})
    out_dir = Path(out) if out is not None else None
    by_episode: dict[tuple, list[dict]] = {}
    stored: dict = {}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        stored = _check_config(out_dir, config)
        for r in _read_records(out_dir / EPISODES_FILE):
            by_episode.setdefault((r["num_views"], r["episode"]), []).append(r)
        # Rewrite without torn lines or half episodes, so appended lines start on a clean line; through a
        # temporary file and a rename, so a kill midway leaves the old log whole.
        _write_atomic(out_dir / EPISODES_FILE,
                      "".join(_dumps(r) + "\n" for r in _sorted([r for v in by_episode.values() for r in v])))
    retry = {key for key, recs in by_episode.items() if any(_errored(r) for r in recs)} if retry_errors else set()
    meta = {**provenance(), "agent_config": agent_config(agent), "created": stored.get("created", _now())}

    for nv in views:
        make_kwargs = dict(env_kwargs)
        if nv is not None:
            make_kwargs["num_views"] = nv
        env = gym.make(env_id, **make_kwargs)
        task = env.unwrapped.task
        config.update(task=task.name, family=task.family, metric=task.metric.name, best_reward=task.best_reward,
                      higher_is_better=task.higher_is_better)
        if out_dir is not None:
            _write_atomic(out_dir / RUN_FILE, json.dumps(
                {**config, **meta, "updated": _now(), "env_kwargs_full": _plain(env_kwargs)},
                indent=2, sort_keys=True))
        n_views = env.observation_space["images"].shape[0]
        if getattr(agent, "needs_fit", False):
            agent.fit(env, episodes=fit_episodes, seed=seed)
        if callable(getattr(agent, "reset", None)):
            agent.reset()
        todo = [k for k in range(episodes) if (n_views, k) not in by_episode or (n_views, k) in retry]
        if progress and todo and nv == views[0]:
            _announce_banks(env.unwrapped, [episode_seed(seed, k) for k in todo])
        ctx = _Context({"env_id": env_id, "metric": config["metric"]}, task.metric, secrets)
        bar = _progress(len(todo), f"{env_id} views={n_views}", progress)
        tally = _Tally(config["metric"], [r for (v, _), rs in by_episode.items() if v == n_views for r in rs])
        try:
            for i in range(0, len(todo), batch_size):
                batch = [_Episode(k, episode_seed(seed, k),
                                  {r["question"]: r for r in by_episode.get((n_views, k), []) if not _errored(r)})
                         for k in todo[i:i + batch_size]]
                _play_batch(env, agent, batch, ctx)
                new = [r for ep in batch for r in ep.records]
                if out_dir is not None:
                    with open(out_dir / EPISODES_FILE, "a") as f:
                        f.write("".join(_dumps(r) + "\n" for r in new))
                        f.flush()
                for ep in batch:
                    tally.replace(by_episode.get((n_views, ep.k), []), ep.records)
                    by_episode[(n_views, ep.k)] = ep.records
                if bar is not None:
                    bar.update(len(batch), tally.postfix())
        finally:
            if bar is not None:
                bar.close()
            env.close()
    return Results(_sorted([r for recs in by_episode.values() for r in recs]), config)


def _announce_banks(env, seeds: list[int]) -> None:
    """Say on stderr, before playing, which frame banks the episodes will build and roughly what that costs."""
    if not hasattr(env, "frame_spec"):  # not a SpatialEnv: it builds nothing of ours
        return
    from .distributed import episode_plan

    try:
        plan = episode_plan(env, seeds)
    except (OSError, ValueError):  # a scene that cannot be found: reset says so, naming it
        return
    if plan:
        print(plan, file=sys.stderr, flush=True)


class _Tally:
    """Running mean metric, parse-failure and error rates of one pass, for the progress display."""

    def __init__(self, metric: str, records: list[dict]):
        self.metric = metric
        self.n = self.total = self.fails = self.errors = 0
        self.replace([], records)

    def replace(self, old: list[dict], new: list[dict]) -> None:
        """Swap an episode's earlier records (none for a new episode) for its new ones."""
        for sign, recs in ((-1, old), (1, new)):
            for r in recs:
                self.n += sign
                self.total += sign * float(r["metrics"].get(self.metric, 0.0))
                self.fails += sign * _parse_failed(r)
                self.errors += sign * _errored(r)

    def postfix(self) -> dict:
        """``{metric: mean, "fail": rate, "err": rate}`` as short strings."""
        n = max(self.n, 1)
        return {self.metric: f"{self.total / n:.4f}", "fail": f"{self.fails / n:.1%}", "err": f"{self.errors / n:.1%}"}


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory and a rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


