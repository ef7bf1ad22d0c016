"""Evaluate a VLM on Rep2D with 1, 2, 5 and 10 images (the shape of Rep2D-BEAT's Table 6), then write a report.

    python examples/evaluate_vlm.py                                   # Qwen2.5-VL-7B via transformers
    python examples/evaluate_vlm.py --agent vllm-local                # a model served by vLLM on :8000
    python examples/evaluate_vlm.py --agent random --episodes 50      # the chance row, no GPU needed
    python examples/evaluate_vlm.py --model /path/to/checkpoint       # any AutoModelForImageTextToText dir

The same run from the command line: ``spatial-env eval --env Rep2D-Bbox-v0 --agent qwen2.5-vl-7b
--episodes 500 --num-views 1,2,5,10 --out runs/qwen`` and ``spatial-env report runs/qwen``.
"""

from __future__ import annotations

import argparse

from spatial_env.agents import load_agent

import spatial_env
from spatial_env.report import report


def main() -> None:
    """Parse the options, run the evaluation (resumable), print the table and write the report."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env", default="Rep2D-Bbox-v0")
    p.add_argument("--agent", default="qwen2.5-vl-7b", help="agent YAML name or path (see spatial_env/agents)")
    p.add_argument("--model", default=None, help="override the YAML's model (a Hub id or a local directory)")
    p.add_argument("--episodes", type=int, default=500)
    p.add_argument("--num-views", default="1,2,5,10")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="run directory (default runs/<env>-<agent>)")
    args = p.parse_args()

    overrides = {"model": args.model} if args.model else {}
    agent = load_agent(args.agent, env_id=args.env, **overrides)
    agent.name = args.agent + (f" model={args.model}" if args.model else "")
    out = args.out or f"runs/{args.env}-{args.agent}"
    # Interrupt at any time: rerunning the same command resumes where it stopped.
    results = spatial_env.evaluate(args.env, agent, episodes=args.episodes, seed=args.seed,
                                   num_views=args.num_views, out=out)
    print(results.table(scenes=False))
    print("report:", report(out))


if __name__ == "__main__":
    main()
