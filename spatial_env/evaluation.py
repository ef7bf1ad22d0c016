"""The evaluation harness: run an agent on an env for N seeded episodes, log JSONL, resume, summarise.

``evaluate("Rep2D-Bbox-v0", agent, episodes=500, num_views=[1, 2, 5, 10], out="runs/qwen")`` writes
``runs/qwen/run.json`` (the run's settings) and ``runs/qwen/episodes.jsonl`` (one line per question: prompt,
raw answer, parsed prediction, target, metrics, parse_ok, timings) and returns :class:`Results`.

Episode ``k`` always starts from ``env.reset(seed=episode_seed(seed, k))``, so a run cut short and started
again with the same ``out`` only plays the missing episodes, and the result equals an uninterrupted run.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

RUN_FILE, EPISODES_FILE = "run.json", "episodes.jsonl"
# Settings that do not change which questions are asked or how they are scored.
_NEUTRAL_KWARGS = {"cache_dir", "progress"}


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


@dataclass
class Results:
    """The records of a run (one dict per question) and its settings, with summaries."""

    records: list[dict]
    config: dict = field(default_factory=dict)

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
        config = json.loads((run_dir / RUN_FILE).read_text()) if (run_dir / RUN_FILE).is_file() else {}
        return cls(_sorted(_read_records(run_dir / EPISODES_FILE)), config)

    def summary(self, n_boot: int = 1000, seed: int = 0) -> list[dict]:
        """Rows ``{group, num_views, key, scene_id, n, metric, mean, ci_low, ci_high, reward,
        parse_failure_rate, agent_s}`` per number of views: ``group="views"`` (all questions),
        ``"question_type"`` (when there are several), ``"family_group"`` (the family's named
        groups of question types, such as SPAR's Low / Medium / High: the mean of their question
        types' means) and ``"scene"``."""
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
                                 "agent_s": float(np.mean([p["agent_s"] for p in parts]))})
            for scene in sorted({r["scene_id"] for r in recs}):
                rows.append(self._row("scene", nv, scene, [r for r in recs if r["scene_id"] == scene], n_boot, seed))
        return rows

    def _row(self, group: str, nv: int, key: str | None, recs: list[dict], n_boot: int, seed: int) -> dict:
        values = [r["metrics"][_metric_name(r, self.config.get("metric"))] for r in recs]
        lo, hi = bootstrap_ci(values, n_boot, seed)
        return {"group": group, "num_views": nv, "key": key, "scene_id": key if group == "scene" else None,
                "n": len(recs), "metric": _common(_metric_name(r, self.config.get("metric")) for r in recs),
                "mean": float(np.mean(values)) if values else math.nan, "ci_low": lo, "ci_high": hi,
                "reward": float(np.mean([r["reward"] for r in recs])) if recs else math.nan,
                "parse_failure_rate": float(np.mean([not r["parse_ok"] for r in recs])) if recs else math.nan,
                "agent_s": float(np.mean([r["timings"]["agent_s"] for r in recs])) if recs else math.nan}

    def table(self, scenes: bool = True, n_boot: int = 1000, seed: int = 0) -> str:
        """The summary as a text table (the shape of Rep2D-BEAT's Tables 6-9 plus failure rates)."""
        head = f"{'views':>5}  {'scene':<24} {'n':>5}  {self.metric + ' mean':>18}  {'95% CI':>19}  " \
               f"{'parse fail':>10}  {'s/answer':>8}"
        lines = [head, "-" * len(head)]
        for row in self.summary(n_boot, seed):
            if row["group"] == "scene" and not scenes:
                continue
            scene = "all" if row["group"] == "views" else "  " + str(row["key"])[:22]
            lines.append(f"{row['num_views']:>5}  {scene:<24} {row['n']:>5}  {row['mean']:>18.4f}  "
                         f"[{row['ci_low']:>8.4f}, {row['ci_high']:>8.4f}]  {row['parse_failure_rate']:>9.1%}  "
                         f"{row['agent_s']:>8.3f}")
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
            row.update({f"time.{k}": v for k, v in r["timings"].items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"Results({len(self.records)} records, env={self.config.get('env_id')!r}, metric={self.metric!r})"


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


def _read_records(path: Path) -> list[dict]:
    """Complete episodes from a JSONL file: torn last lines and half-written episodes are dropped."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["num_views"], r["episode"]), []).append(r)
    out = []
    for recs in groups.values():
        by_q = {r["question"]: r for r in recs}  # duplicates (should not happen) collapse to one
        if len(by_q) == recs[0]["questions"]:
            out.extend(by_q[q] for q in sorted(by_q))
    return out


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


def _agent_name(agent: Any) -> str:
    return getattr(agent, "name", None) or repr(agent)


def _check_config(out: Path, config: dict) -> None:
    """Refuse to resume a run directory that holds a different run (other env, seed, settings or agent)."""
    path = out / RUN_FILE
    if not path.is_file():
        return
    old = json.loads(path.read_text())
    for key in ("env_id", "seed", "env_kwargs", "agent"):
        if old.get(key) != config.get(key):
            raise ValueError(f"{out} holds a different run ({key}: {old.get(key)!r} there, {config.get(key)!r} now); "
                             f"use another --out or delete it")


def _act(agent: Any, observations: list[dict], infos: list[dict]) -> list[str]:
    if getattr(agent, "needs_info", False):
        return list(agent.act_batch(observations, infos=infos))
    if len(observations) == 1:
        return [agent.act(observations[0])]
    return list(agent.act_batch(observations))


def _question_info(step_info: dict) -> dict:
    """The info of the next question of a multi-question episode, from the step that revealed it."""
    return {**step_info, "target": step_info["next_target"], "answer": step_info["next_answer"],
            "episode_id": step_info.get("next_episode_id", step_info.get("episode_id")),
            "question_type": step_info.get("next_question_type", step_info.get("question_type"))}


class _Episode:
    """One episode in flight: its seed, the answers given so far, the current observation and info."""

    def __init__(self, k: int, seed: int):
        self.k, self.seed = k, seed
        self.answers: list[str] = []
        self.records: list[dict] = []
        self.obs: dict | None = None
        self.info: dict | None = None
        self.done = False
        self.env_s = 0.0


def _play_batch(env, agent, batch: list[_Episode], base: dict) -> None:
    """Play a batch of episodes to the end, one ``act_batch`` call per question round.

    One env serves the whole batch: before stepping an episode the env is reset to it with its seed and
    its earlier answers are replayed (envs are deterministic given the seed and the answers), so a batch
    costs one env and its view banks, not ``batch_size`` of them.
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
        t = time.perf_counter()
        answers = _act(agent, [ep.obs for ep in live], [ep.info for ep in live])
        agent_s = (time.perf_counter() - t) / len(live)
        if len(answers) != len(live):
            raise RuntimeError(f"{_agent_name(agent)} returned {len(answers)} answers for {len(live)} observations")
        for ep, answer in zip(live, answers):
            t = time.perf_counter()
            if current != (ep.k, len(ep.answers)):
                env.reset(seed=ep.seed)
                for old in ep.answers:
                    env.step(old)
            obs, reward, terminated, truncated, info = env.step(answer)
            ep.env_s += time.perf_counter() - t
            current = (ep.k, len(ep.answers) + 1)
            ep.records.append(_record(base, ep, answer, reward, info, agent_s))
            ep.answers.append(answer)
            ep.env_s = 0.0
            if terminated or truncated:
                ep.done = True
                for r in ep.records:
                    r["questions"] = len(ep.records)
            else:
                ep.obs, ep.info = obs, _question_info(info)


def _record(base: dict, ep: _Episode, answer: str, reward: float, info: dict, agent_s: float) -> dict:
    metric = base.get("metric")
    return _plain({
        **base, "episode": ep.k, "question": len(ep.answers), "seed": ep.seed,
        "num_views": int(np.asarray(ep.obs["images"]).shape[0]),
        "task": info.get("task"), "question_type": ep.info.get("question_type"), "metric": metric,
        "scene_id": info.get("scene_id"), "episode_id": ep.info.get("episode_id"),
        "prompt": ep.obs["prompt"], "answer": answer, "prediction": info.get("prediction"),
        "target": ep.info.get("target"), "reference": ep.info.get("answer"), "parse_ok": bool(info.get("parse_ok")),
        "parse_error": info.get("parse_error"), "metrics": info.get("metrics", {}), "reward": float(reward),
        "timings": {"agent_s": agent_s, "env_s": ep.env_s},
    })


def evaluate(env_id: str, agent: Any, episodes: int = 100, *, seed: int = 0,
             num_views: int | Iterable[int] | str | None = None, out: str | os.PathLike | None = None,
             batch_size: int | None = None, fit_episodes: int = 200, progress: bool = True,
             **env_kwargs: Any) -> Results:
    """Run ``agent`` on ``episodes`` seeded episodes of ``env_id`` (for each of ``num_views``) -> :class:`Results`.

    Args:
        env_id: a registered id such as ``"Rep2D-Bbox-v0"``.
        agent: an :class:`~spatial_env.agents.Agent`, or the name/path of an agent YAML.
        episodes: episodes per number of views; episode ``k`` is reset with ``episode_seed(seed, k)``.
        seed: the run's seed.
        num_views: one int, several (``[1, 2, 5, 10]`` or ``"1,2,5,10"``: one pass each), or None for the
            env's default.
        out: a run directory for ``run.json`` + ``episodes.jsonl``; an existing one is resumed (episodes
            already there are not played again). None keeps results in memory only.
        batch_size: observations per ``act_batch`` call (default: the agent's ``batch_size`` or
            ``concurrency`` attribute, else 1).
        fit_episodes: training episodes for agents that need fitting (``PriorAgent``), on a separate seed stream.
        progress: show a tqdm bar with the running mean metric and parse-failure rate.
        **env_kwargs: passed to ``gym.make`` (``scenes``, ``resolution``, ``cache_dir``, ...).
    """
    import gymnasium as gym

    import spatial_env  # noqa: F401  (registers the env ids)

    if isinstance(agent, str):
        from .agents import load_agent

        agent_label = agent
        agent = load_agent(agent, env_id=env_id)
        agent.name = agent_label
    from .envs import ENTRY_POINT

    if "progress" not in env_kwargs and gym.spec(env_id.split(":", 1)[-1]).entry_point == ENTRY_POINT:
        env_kwargs["progress"] = progress  # SpatialEnv's own bar (building view banks) follows ours
    views = _views_list(num_views)
    if "num_views" in env_kwargs:
        if num_views is not None:
            raise ValueError("give num_views once (as evaluate's argument)")
        views = _views_list(env_kwargs.pop("num_views"))
    batch_size = int(batch_size or getattr(agent, "batch_size", None) or getattr(agent, "concurrency", None) or 1)
    config = _plain({"env_id": env_id, "agent": _agent_name(agent), "seed": seed, "episodes": episodes,
                     "num_views": views, "env_kwargs": {k: v for k, v in env_kwargs.items()
                                                       if k not in _NEUTRAL_KWARGS}})
    out_dir = Path(out) if out is not None else None
    records: list[dict] = []
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        _check_config(out_dir, config)
        records = _read_records(out_dir / EPISODES_FILE)
        # Rewrite without torn lines or half episodes, so appended lines start on a clean line; through a
        # temporary file and a rename, so a kill midway leaves the old log whole.
        _write_atomic(out_dir / EPISODES_FILE, "".join(_dumps(r) + "\n" for r in _sorted(records)))
    done = {(r["num_views"], r["episode"]) for r in records}

    for nv in views:
        make_kwargs = dict(env_kwargs)
        if nv is not None:
            make_kwargs["num_views"] = nv
        env = gym.make(env_id, **make_kwargs)
        task = env.unwrapped.task
        config.update(task=task.name, family=task.family, metric=task.metric.name, best_reward=task.best_reward,
                      higher_is_better=task.higher_is_better)
        if out_dir is not None:
            _write_atomic(out_dir / RUN_FILE, json.dumps({**config, "env_kwargs_full": _plain(env_kwargs)},
                                                         indent=2, sort_keys=True))
        n_views = env.observation_space["images"].shape[0]
        if getattr(agent, "needs_fit", False):
            agent.fit(env, episodes=fit_episodes, seed=seed)
        agent.reset()
        todo = [k for k in range(episodes) if (n_views, k) not in done]
        recs = [r for r in records if r["num_views"] == n_views]
        bar = _progress(len(todo), f"{env_id} views={n_views}", progress)
        try:
            for i in range(0, len(todo), batch_size):
                batch = [_Episode(k, episode_seed(seed, k)) for k in todo[i:i + batch_size]]
                _play_batch(env, agent, batch, {"env_id": env_id, "metric": config["metric"]})
                new = [r for ep in batch for r in ep.records]
                if out_dir is not None:
                    with open(out_dir / EPISODES_FILE, "a") as f:
                        f.write("".join(_dumps(r) + "\n" for r in new))
                        f.flush()
                records.extend(new)
                recs.extend(new)
                if bar is not None:
                    bar.update(len(batch))
                    bar.set_postfix({config["metric"]: f"{np.mean([r['metrics'][config['metric']] for r in recs]):.4f}",
                                     "fail": f"{np.mean([not r['parse_ok'] for r in recs]):.1%}"})
        finally:
            if bar is not None:
                bar.close()
            env.close()
    return Results(_sorted(records), config)


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory and a rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _progress(total: int, desc: str, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="ep", dynamic_ncols=True)
