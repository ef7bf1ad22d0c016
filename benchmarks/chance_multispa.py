"""Chance rows of MultiSPA: the random and frequency (prior) baselines per question type and per Table 2 column.

Usage: python benchmarks/chance_multispa.py [--episodes 100] [--fit-episodes 100] [--resolution 256]
       [--scenes procedural:living_room-0,procedural:bedroom-0] [--seed 0] [--envs Depth,CameraMotion]

Each question type is evaluated on its own (``question_types=<type>``) with the scripted agents of its own
task (``multispa_<type>``): ``random`` answers a random valid value, ``prior`` the most frequent label /
word or the mean number, point or vector of ``--fit-episodes`` training questions (a seed stream apart
from the evaluation's). Where the answer is a choice among coordinates written in the prompt (depth
comparison by coordinates), a prompt-blind random point is never exactly right, so ``copy-last`` (the
last written point, i.e. a coin flip) is shown beside it. A Table 2 column is the mean of its question
types' accuracies (the summary's family groups); beside it, three of Table 2's model rows
(multi-spatialmllm.txt §4.1) for comparison. Accuracy is in percent, as Table 2 prints it.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import spatial_env
from spatial_env.agents import CopyLastAgent, PriorAgent, RandomAgent
from spatial_env.tasks import get_task
from spatial_env.tasks.multispa.table import GROUPS, QUESTION_TYPES

ENVS = {"depth": "MultiSPA-Depth-v0", "correspondence": "MultiSPA-Correspondence-v0",
        "camera_motion": "MultiSPA-CameraMotion-v0", "object_motion": "MultiSPA-ObjectMotion-v0",
        "object_size": "MultiSPA-ObjectSize-v0"}

#: Table 2 (multi-spatialmllm.txt §4.1): InternVL-8B, GPT-4o, Multi-SpatialMLLM per column.
TABLE_2 = {
    "Depth perception: Comparison": (49.50, 54.84, 74.00),
    "Depth perception: Value": (3.34, 22.50, 75.33),
    "Visual correspondence: Coordinate": (1.67, 2.00, 49.00),
    "Visual correspondence: MCQ": (33.33, 67.67, 90.00),
    "Camera orientation: Direction": (48.17, 58.84, 90.83),
    "Camera orientation: Degree": (3.34, 17.50, 45.50),
    "Camera translation: Direction": (52.33, 54.78, 85.89),
    "Camera translation: Distance": (14.33, 13.67, 42.33),
    "Camera translation: Vector": (0.33, 0.00, 18.00),
    "Object movement: Distance": (8.84, 8.92, 40.42),
    "Object movement: Vector": (2.50, 5.25, 12.92),
    "Object perception: Size": (27.45, 40.44, 49.11),
}
TABLE_2_AVERAGE = (20.43, 28.87, 56.11)


def main() -> None:
    """Evaluate both baselines on every question type and print the two tables."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--episodes", type=int, default=100, help="questions per question type")
    p.add_argument("--fit-episodes", type=int, default=100, help="training questions of the prior")
    p.add_argument("--resolution", type=int, default=256)
    p.add_argument("--scenes", default="procedural:living_room-0,procedural:bedroom-0")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--envs", default=None, help="comma-separated env names (Depth, CameraMotion, ...; default all)")
    args = p.parse_args()
    wanted = None if args.envs is None else {e.strip().lower() for e in args.envs.split(",")}
    kwargs = {"scenes": args.scenes.split(","), "resolution": args.resolution, "progress": False}
    results: dict[str, dict[str, float]] = {}
    print("| question type | n | random | prior | prior answer | s |")
    print("|---|---|---|---|---|---|")
    for name, q in QUESTION_TYPES.items():
        env_id = ENVS[q.env]
        if wanted is not None and env_id.split("-")[1].lower() not in wanted:
            continue
        start = time.monotonic()
        row = {}
        prior = PriorAgent(q.task)
        agents = [("random", RandomAgent(q.task, seed=args.seed)), ("prior", prior)]
        if get_task(q.task).answers.last_context is not None:  # a choice among coordinates written in the prompt
            agents.append(("copy-last", CopyLastAgent(q.task)))
        for label, agent in agents:
            res = spatial_env.evaluate(env_id, agent, episodes=args.episodes, seed=args.seed,
                                       fit_episodes=args.fit_episodes, question_types=name, **kwargs)
            acc = [r["metrics"]["accuracy"] for r in res.records]
            row[label] = 100.0 * float(np.mean(acc))
            row["n"] = len(acc)
        results[name] = row
        extra = f" (copy-last {row['copy-last']:.1f})" if "copy-last" in row else ""
        print(f"| {name} | {row['n']} | {row['random']:.1f}{extra} | {row['prior']:.1f} | {prior.answer} | "
              f"{time.monotonic() - start:.0f} |", flush=True)
    print()
    print("| Table 2 column | random | prior | InternVL-8B | GPT-4o | Multi-SpatialMLLM |")
    print("|---|---|---|---|---|---|")
    means = {"random": [], "prior": []}
    for group, members in GROUPS.items():
        got = [results[m] for m in members if m in results]
        if not got:
            continue
        cells = {k: float(np.mean([g[k] for g in got])) for k in ("random", "prior")}
        for k in means:
            means[k].append(cells[k])
        paper = " | ".join(f"{v:.2f}" for v in TABLE_2[group])
        print(f"| {group} | {cells['random']:.1f} | {cells['prior']:.1f} | {paper} |")
    if len(means["random"]) == len(GROUPS):
        paper = " | ".join(f"{v:.2f}" for v in TABLE_2_AVERAGE)
        print(f"| Average | {np.mean(means['random']):.1f} | {np.mean(means['prior']):.1f} | {paper} |")


if __name__ == "__main__":
    main()
