"""Chance rows: scripted baselines (random, prior, copy-last) and the oracle on the three Rep2D envs.

Usage: python benchmarks/chance.py [--episodes 200] [--num-views 1,2,5,10] [--seed 0]
Prints a markdown table of the mean metric per agent and number of views (SPAR-7M Table 4's
"chance level" rows; Rep2D-BEAT Table 6's shape). First use builds the default scenes' view banks.
"""

from __future__ import annotations

import argparse

import spatial_env
from spatial_env.agents import load_agent

ENVS = {"Rep2D-Bbox-v0": "IoU ↑", "Rep2D-Exposure-v0": "squared error ↓", "Rep2D-CameraPose-v0": "L2 m ↓"}
AGENTS = ("random", "prior", "copy-last", "oracle")


def main() -> None:
    """Evaluate every agent on every env and print the table."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--episodes", type=int, default=200)
    p.add_argument("--num-views", default="1,2,5,10")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    views = [int(v) for v in args.num_views.split(",")]
    print("| env (metric) | agent | " + " | ".join(f"{v} view{'s' * (v > 1)}" for v in views) + " | parse failures |")
    print("|---|---|" + "---|" * (len(views) + 1))
    for env_id, metric in ENVS.items():
        for k, name in enumerate(AGENTS):
            res = spatial_env.evaluate(env_id, load_agent(name, env_id=env_id), episodes=args.episodes,
                                       seed=args.seed, num_views=views, progress=False)
            rows = {r["num_views"]: r for r in res.summary() if r["group"] == "views"}
            fails = max(r["parse_failure_rate"] for r in rows.values())
            label = f"{env_id.removesuffix('-v0')} ({metric})" if k == 0 else ""
            cells = " | ".join(f"{rows[v]['mean']:.3f}" for v in views)
            print(f"| {label} | {name} | {cells} | {fails:.0%} |", flush=True)


if __name__ == "__main__":
    main()
