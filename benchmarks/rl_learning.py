"""CPU learning check: does GRPO with the project's format reward teach a tiny random VLM anything?

Usage: python benchmarks/rl_learning.py [--steps 40] [--lr 1e-2] [--seed 0] [--quick]

A 2-layer Qwen2.5-VL (hidden size 32, random weights, built offline by ``tests/tiny_vlm.py``) is trained on
Rep2D-Exposure questions of the test room (``tests/conftest.py``; 48x48 images, 3 views) with the format reward
alone (1 when the answer parses as a percentage), twice from the same initial weights: with TRL's
``GRPOTrainer`` on ``build_dataset`` rows, and with the env-driven ``reinforce`` loop over ``gymnasium.make_vec``.
The env reward (minus the squared error of the visible fraction) is logged but not optimised. Before and after
training, the parse rate and mean env reward of sampled answers (temperature 1) are measured on questions from
another seed. Prints a markdown report and writes it into ``benchmarks/README.md`` (section "RL learning check") unless ``--quick``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the test room and the tiny model builders

ENV_ID = "Rep2D-Exposure-v0"
ENV_KWARGS = {"resolution": 48, "num_views": 3,
              "sampler": {"views_visible": 4, "views_invisible": 2, "min_visible_fraction": 0.01, "max_tries": 300}}


def held_out_scores(model, processor, dataset, samples: int, max_new_tokens: int) -> tuple[float, float, list[str]]:
    """Parse rate and mean env reward of ``samples`` sampled answers per question of ``dataset``, and the
    first question's answers."""
    import numpy as np
    import torch

    from spatial_env.rl import VLMPolicy, env_reward, format_reward

    policy = VLMPolicy(model, processor, max_new_tokens=max_new_tokens, temperature=1.0)
    fmt, rew, shown = [], [], []
    torch.manual_seed(1234)
    for row in dataset:
        chat = policy.new_chat()
        policy.add_question(chat, [np.asarray(im) for im in row["images"]], row["prompt"][-1]["content"][-1]["text"])
        texts = [t.text for t in policy.generate([chat] * samples)]
        shown = shown or texts
        cols = {k: [row[k]] * samples for k in ("task", "task_options", "target")}
        fmt += format_reward(texts, **cols)
        rew += env_reward(texts, **cols)
    return sum(fmt) / len(fmt), sum(rew) / len(rew), shown


def dumps(texts: list[str]) -> str:
    """Sampled answers as JSON (byte-level pieces of a random model's vocabulary print as they are)."""
    return json.dumps(texts, ensure_ascii=False)


def relation(value: float, reference: float, tolerance: float = 0.05) -> str:
    """How a reward compares with a reference, in words."""
    if value > reference + tolerance:
        return "above"
    return "below" if value < reference - tolerance else "about level with"


def curve(values: list[tuple[float, float]], window: int = 5) -> list[str]:
    """Markdown rows: (format reward, env reward) averaged over windows of ``window`` steps."""
    rows = []
    for i in range(0, len(values), window):
        chunk = values[i:i + window]
        f, e = (sum(v[j] for v in chunk) / len(chunk) for j in (0, 1))
        rows.append(f"| {i + 1}–{i + len(chunk)} | {f:.3f} | {e:.3f} |")
    return rows


def main() -> None:
    """Train with GRPO and with the env-driven REINFORCE loop, measure, print (and write) the report."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--generations", type=int, default=8, help="completions per question (one question per step)")
    p.add_argument("--max-new-tokens", type=int, default=8)
    p.add_argument("--eval-questions", type=int, default=16)
    p.add_argument("--eval-samples", type=int, default=4)
    p.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) / "spatial_env_rl_bench"))
    p.add_argument("--threads", type=int, default=1, help="torch threads (a tiny model gains nothing from more)")
    p.add_argument("--quick", action="store_true", help="print only; leave benchmarks/README.md alone")
    args = p.parse_args()

    import numpy as np
    import torch
    from trl import GRPOConfig, GRPOTrainer

    from conftest import make_test_room
    from spatial_env.tasks import get_task
    from spatial_env.rl import (VLMPolicy, build_dataset, env_reward, format_reward, load_vlm, make_vector_env,
                                reinforce)
    from tiny_vlm import make_tiny_qwen2_5_vl

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    cache = Path(args.cache_dir)
    model_dir = cache / f"tiny-qwen2.5-vl-seed{args.seed}"
    if not (model_dir / "config.json").is_file():
        make_tiny_qwen2_5_vl(model_dir, seed=args.seed)
    kw = {"scenes": [make_test_room()], "cache_dir": str(cache / "banks"), **ENV_KWARGS}
    train = build_dataset(ENV_ID, args.steps, seed=args.seed, dataset_cache_dir=str(cache / "datasets"), **kw)
    test = build_dataset(ENV_ID, args.eval_questions, seed=args.seed + 1000,
                         dataset_cache_dir=str(cache / "datasets"), **kw)
    held_out = lambda m, proc: held_out_scores(m, proc, test, args.eval_samples, args.max_new_tokens)  # noqa: E731

    # 1. TRL GRPO on the dataset, format reward only (env reward logged with weight 0).
    model, processor = load_vlm(str(model_dir), device="cpu")
    before = held_out(model, processor)
    config = GRPOConfig(output_dir=str(cache / "run"), max_steps=args.steps,
                        per_device_train_batch_size=args.generations, num_generations=args.generations,
                        max_completion_length=args.max_new_tokens, learning_rate=args.lr,
                        lr_scheduler_type="constant", reward_weights=[1.0, 0.0], logging_steps=1,
                        report_to="none", use_cpu=True, save_strategy="no", seed=args.seed, disable_tqdm=True,
                        temperature=1.0)
    trainer = GRPOTrainer(model=model, reward_funcs=[format_reward, env_reward], args=config, train_dataset=train,
                          processing_class=processor)
    t1 = time.perf_counter()
    trainer.train()
    grpo_s = time.perf_counter() - t1
    grpo_after = held_out(model, processor)
    grpo = [(r["rewards/format_reward/mean"], r["rewards/env_reward/mean"])
            for r in trainer.state.log_history if "rewards/format_reward/mean" in r]

    # 2. The env-driven loop: the same model afresh, REINFORCE in make_vec envs, reward = info["parse_ok"].
    model, processor = load_vlm(str(model_dir), device="cpu")
    envs = make_vector_env(ENV_ID, args.generations, **kw)
    policy = VLMPolicy(model, processor, max_new_tokens=args.max_new_tokens)
    t1 = time.perf_counter()
    history = reinforce(policy, envs, iterations=args.steps, seed=args.seed, env_weight=0.0, format_weight=1.0,
                        optimizer=torch.optim.AdamW(model.parameters(), lr=args.lr))
    loop_s = time.perf_counter() - t1
    envs.close()
    loop_after = held_out(model, processor)
    loop = [(h["parse_rate"], h["reward"]) for h in history]

    # Reference: random answers in the right format (the random agent's), scored on the same questions.
    rng = np.random.default_rng(args.seed)
    answers = [(get_task(row["task"]).answers.random(rng), row) for row in test for _ in range(args.eval_samples)]
    random_reward = float(np.mean([env_reward([a], **{k: [r[k]] for k in ("task", "task_options", "target")})[0]
                                   for a, r in answers]))

    lines = [f"`python benchmarks/rl_learning.py --steps {args.steps} --lr {args.lr} --seed {args.seed}` "
             f"({time.perf_counter() - t0:.0f} s, {args.threads} torch thread(s) on a shared {os.cpu_count()}-core "
             f"machine; torch {torch.__version__}, "
             f"Python {platform.python_version()}).", "",
             f"A tiny random Qwen2.5-VL (2 layers, hidden size 32, 400-token vocabulary, built offline by "
             f"`tests/tiny_vlm.py`) answers {ENV_ID} questions of the test room (48×48 images, 3 views). The reward "
             f"is the format reward alone (1 when the answer parses as a percentage); the env reward (−squared error "
             f"of the visible fraction, −1 for an unparseable answer) is logged, not optimised. Each step: one "
             f"question, {args.generations} sampled answers of at most {args.max_new_tokens} tokens (temperature 1), "
             f"one update, constant learning rate {args.lr}.", "",
             f"**GRPO** (`GRPOTrainer`, `reward_funcs=[format_reward, env_reward]`, `reward_weights=[1, 0]`; "
             f"{grpo_s:.0f} s):", "",
             "| steps | format reward | env reward |", "|---|---:|---:|", *curve(grpo), "",
             f"**Env-driven REINFORCE** (`spatial_env.rl.reinforce` over `gymnasium.make_vec`, {args.generations} "
             f"envs, reward `info[\"parse_ok\"]`; {loop_s:.0f} s):", "",
             "| iterations | parse rate | env reward |", "|---|---:|---:|", *curve(loop), "",
             f"Held out ({args.eval_questions} questions of another seed × {args.eval_samples} sampled answers):", "",
             "| model | parse rate | mean env reward |", "|---|---:|---:|",
             f"| before training | {before[0]:.3f} | {before[1]:.3f} |",
             f"| after {args.steps} GRPO steps | {grpo_after[0]:.3f} | {grpo_after[1]:.3f} |",
             f"| after {args.steps} REINFORCE iterations | {loop_after[0]:.3f} | {loop_after[1]:.3f} |",
             f"| reference: random well-formed answers | 1.000 | {random_reward:.3f} |", "",
             "Sampled answers to the first held-out question: before " + dumps(before[2]) + "; after GRPO "
             + dumps(grpo_after[2]) + "; after REINFORCE " + dumps(loop_after[2]) + ".", "",
             "What this shows: the answer format is learnable at CPU scale, by both paths, from rewards alone (the "
             "model learns to emit digits). It shows nothing about spatial understanding: the env reward rises "
             "only because a parseable answer scores its squared error instead of the parse-failure value (−1); "
             f"it ends {relation(grpo_after[1], random_reward)} (GRPO) and {relation(loop_after[1], random_reward)} "
             "(REINFORCE) the reference row of random well-formed answers.", "",
             "GRPO per-step format reward: " + ", ".join(f"{f:.2f}" for f, _ in grpo) + ".", "",
             "REINFORCE per-iteration parse rate: " + ", ".join(f"{f:.2f}" for f, _ in loop) + "."]
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        readme = ROOT / "benchmarks" / "README.md"
        old = readme.read_text()
        start, end = "<!-- rl-learning:start -->", "<!-- rl-learning:end -->"
        block = f"{start}\n{text}\n{end}"
        if start in old and end in old:
            new = old[:old.index(start)] + block + old[old.index(end) + len(end):]
        else:
            new = old.rstrip() + "\n\n## RL learning check (CPU)\n\n" + block + "\n"
        readme.write_text(new)


if __name__ == "__main__":
    main()
