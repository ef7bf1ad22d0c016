"""Chance rows: scripted baselines (random, prior, copy-last, a constant answer) and the oracle on every env.

Usage: python benchmarks/chance.py [--episodes 200] [--num-views 1,2,5,10] [--seed 0] [--family rep2d] [--resolution N] [--scenes A,B]
Prints a markdown table of the mean metric per agent and number of views (SPAR-7M Table 4's
"chance level" rows; Rep2D-BEAT Table 6's shape). Env ids come from the registry. First use builds
the default scenes' frame banks.
"""

from __future__ import annotations

import argparse

import envargs
import spatial_env
from spatial_env.agents import PriorAgent, load_agent
from spatial_env.tasks import env_specs, get_task

AGENTS = ("random", "prior", "copy-last", "oracle")
# Constant answers a task must not be solved by (Rep2D-E: "always fully visible").
CONSTANTS = {"rep2d_exposure": "100.0"}


def main() -> None:
    """Evaluate every agent on every env of the family and print the table."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--episodes", type=int, default=200)
    p.add_argument("--num-views", default="1,2,5,10")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--family", default="rep2d")
    envargs.add_env_args(p)
    args = p.parse_args()
    env_kwargs = envargs.env_kwargs(args)
    views = [int(v) for v in args.num_views.split(",")]
    print("| env (metric) | agent | " + " | ".join(f"{v} view{'s' * (v > 1)}" for v in views) + " | parse failures |")
    print("|---|---|" + "---|" * (len(views) + 1))
    for env_id, spec in sorted(env_specs().items()):
        task = get_task(spec["task"])
        if task.family != args.family:
            continue
        metric = f"{task.metric.name} {'↑' if task.higher_is_better else '↓'}"
        agents = [(name, lambda n=name: load_agent(n, env_id=env_id)) for name in AGENTS]
        if task.name in CONSTANTS:
            agents.append((f"constant {CONSTANTS[task.name]}", lambda t=task: PriorAgent(t.name, CONSTANTS[t.name])))
        for k, (name, make) in enumerate(agents):
            res = spatial_env.evaluate(env_id, make(), episodes=args.episodes, seed=args.seed, num_views=views,
                                       progress=False, **env_kwargs)
            rows = {r["num_views"]: r for r in res.summary() if r["group"] == "views"}
            fails = max(r["parse_failure_rate"] for r in rows.values())
            label = f"{env_id.removesuffix('-v0')} ({metric})" if k == 0 else ""
            cells = " | ".join(f"{rows[v]['mean']:.3f}" for v in views)
            print(f"| {label} | {name} | {cells} | {fails:.0%} |", flush=True)


if __name__ == "__main__":
    main()
