"""Chance rows in a paper's table layout: random and frequency (prior) baselines on every env of a family.

Usage: python benchmarks/chance_table.py --family spar [--episodes 100] [--seed 0] [--resolution N] [--scenes A,B]

Each env of the family (mixing envs such as SPAR-Bench-v0 excepted) is evaluated with the ``random``
agent (a valid random answer: SPAR-Bench Table 4's "Chance Level (Random)") and the ``prior`` agent (the
most frequent answer or mean target of 200 training questions: "Chance Level (Frequency)"). Means per
question type are laid out as the family's summary groups (SPAR's Table 4, MultiSPA's Table 2), x100.
First use builds the scenes' frame banks.
"""

from __future__ import annotations

import argparse
import math
from collections import defaultdict

import gymnasium as gym
import numpy as np

import envargs
import spatial_env
from spatial_env.agents import load_agent
from spatial_env.tasks import env_specs, get_family, get_task

AGENTS = {"random": "Random", "prior": "Frequency"}


def mixes_tasks(env_id: str, env_kwargs: dict) -> bool:
    """Whether the env scores its questions with other tasks than its own (a benchmark mix)."""
    env = gym.make(env_id, progress=False, **env_kwargs)
    _, info = env.reset(seed=0)
    return info["task"] != env.unwrapped.task.name


def main() -> None:
    """Evaluate the baselines on every env of the family and print the table."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--family", default="spar")
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    envargs.add_env_args(p)
    args = p.parse_args()
    env_kwargs = envargs.env_kwargs(args)
    family = get_family(args.family)
    env_ids = [e for e, spec in sorted(env_specs().items()) if get_task(spec["task"]).family == family.name]
    means: dict[str, dict[str, float]] = defaultdict(dict)
    fails: dict[str, float] = defaultdict(float)
    for env_id in env_ids:
        if mixes_tasks(env_id, env_kwargs):
            continue
        for agent in AGENTS:
            res = spatial_env.evaluate(env_id, load_agent(agent, env_id=env_id), episodes=args.episodes,
                                       seed=args.seed, progress=False, **env_kwargs)
            by_type = defaultdict(list)
            for r in res.records:
                by_type[r["question_type"]].append(r["metrics"][r["metric"]])
            for qt, values in by_type.items():
                means[agent][qt] = 100 * float(np.mean(values))
            fails[agent] = max(fails[agent], float(np.mean([not r["parse_ok"] for r in res.records])))
            print(f"{env_id} {agent}: " + ", ".join(f"{qt} {means[agent][qt]:.2f}" for qt in by_type), flush=True)
    header = ["", "Avg."]
    for name, members in family.groups.items():
        header += [name, *members]
    print("\n| " + " | ".join(header) + " |\n|---|" + "---:|" * (len(header) - 1))
    for agent, label in AGENTS.items():
        row = means[agent]
        cells = [float(np.mean(list(row.values())))]
        for members in family.groups.values():
            part = [row[m] for m in members if m in row]
            cells += [float(np.mean(part)) if part else math.nan, *(row.get(m, math.nan) for m in members)]
        print(f"| {label} (ours) | " + " | ".join("-" if math.isnan(c) else f"{c:.2f}" for c in cells) + " |")
    print(f"\nparse failures: at most {max(fails.values()):.0%} per env")


if __name__ == "__main__":
    main()
