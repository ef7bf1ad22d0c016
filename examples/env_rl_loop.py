"""Env-driven RL in plain PyTorch: a VLM answers inside ``gymnasium.make_vec`` envs and learns from ``env.step``.

Each of ``--num-envs`` sub-envs plays episodes of ``--questions-per-episode`` questions as one multi-turn chat
(question images and prompt as a user turn, the sampled answer as the assistant turn); after each batch of
episodes, REINFORCE with a per-question batch baseline updates the policy (``spatial_env.rl.reinforce``).
The env's reward drives the update and its ``info["parse_ok"]`` adds ``--format-weight`` for a parseable
answer. TRL's GRPO on a dataset is ``examples/grpo_rep2d.py``; this loop is for what a dataset cannot hold:
the policy's own earlier answers in the chat.

    python examples/env_rl_loop.py --env Rep2D-Exposure-v0 --questions-per-episode 3 --iterations 200
    python examples/env_rl_loop.py --model /tmp/tiny-qwen --cpu --scenes procedural:bathroom-0 \\
        --resolution 48 --num-views 2 --num-envs 2 --iterations 2 --max-new-tokens 8       # CPU smoke run

Prints one JSON line per iteration (mean env reward, parse rate, loss) and saves the merged model at the end.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module doc)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="Qwen/Qwen2.5-VL-3B-Instruct", help="Hub id or local checkpoint directory")
    p.add_argument("--env", default="Rep2D-Exposure-v0")
    p.add_argument("--scenes", default=None, help="comma-separated scene specs (default: the embedded set)")
    p.add_argument("--num-envs", type=int, default=8, help="episodes per update")
    p.add_argument("--questions-per-episode", type=int, default=3)
    p.add_argument("--num-views", type=int, default=5)
    p.add_argument("--resolution", type=int, default=None)
    p.add_argument("--cache-dir", default=None, help="frame bank cache")
    p.add_argument("--env-kwargs", default=None, help="extra gym.make keywords as JSON")
    p.add_argument("--vector-mode", choices=("sync", "async"), default="sync",
                   help="async: sub-envs in spawned processes (uncached banks fill in parallel; gl renders there)")
    p.add_argument("--iterations", type=int, default=200)
    p.add_argument("--learning-rate", type=float, default=2e-5)
    p.add_argument("--max-new-tokens", type=int, default=32)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--gamma", type=float, default=0.0, help="discount of later questions' rewards")
    p.add_argument("--format-weight", type=float, default=0.1)
    p.add_argument("--lora-r", type=int, default=16, help="0: full fine-tuning")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output-dir", default="runs/env-rl")
    p.add_argument("--cpu", action="store_true", help="train on the CPU in float32")
    return p.parse_args(argv)


def main(argv: list[str] | None = None, *, scenes: list | None = None) -> list[dict]:
    """Train and save; returns the per-iteration statistics. ``scenes`` (Python callers) overrides ``--scenes``."""
    args = parse_args(argv)
    import torch

    from spatial_env.rl import LANGUAGE_MODEL_LORA_TARGETS, VLMPolicy, load_vlm, make_vector_env, reinforce, save_vlm

    cpu = args.cpu or not torch.cuda.is_available()
    model, processor = load_vlm(args.model, dtype="float32" if cpu else "bfloat16", device="cpu" if cpu else None)
    if args.lora_r > 0:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=args.lora_r, lora_alpha=2 * args.lora_r, lora_dropout=0.0,
                                                 target_modules=LANGUAGE_MODEL_LORA_TARGETS, task_type="CAUSAL_LM"))
    if scenes is None and args.scenes:
        scenes = args.scenes.split(",")
    env_kwargs = {"num_views": args.num_views, "questions_per_episode": args.questions_per_episode,
                  "cache_dir": args.cache_dir, **({"scenes": scenes} if scenes else {}),
                  **json.loads(args.env_kwargs or "{}")}
    if args.resolution:
        env_kwargs["resolution"] = args.resolution
    envs = make_vector_env(args.env, args.num_envs, mode=args.vector_mode, **env_kwargs)
    policy = VLMPolicy(model, processor, max_new_tokens=args.max_new_tokens, temperature=args.temperature)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.learning_rate)
    try:
        history = reinforce(policy, envs, iterations=args.iterations, optimizer=optimizer, seed=args.seed,
                            gamma=args.gamma, format_weight=args.format_weight,
                            callback=lambda stats: print(json.dumps(stats), flush=True))
    finally:
        envs.close()
    save_vlm(model, processor, str(Path(args.output_dir) / "final"))
    return history


if __name__ == "__main__":
    main()
