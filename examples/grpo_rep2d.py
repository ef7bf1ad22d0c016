"""Fine-tune a VLM on Rep2D-BEAT with GRPO (TRL) and LoRA (peft), rewarded with the benchmark metric.

The training questions come from ``spatial_env.rl.build_dataset`` on the training scenes only (a seeded split
by scene holds out ``--test-size`` of them); each completion is rewarded with ``env_reward`` (the env's own
reward: IoU for Rep2D-B, minus the squared error for Rep2D-E, minus the L2 error for Rep2D-AT) plus
``--format-weight`` times ``format_reward`` (1 when the answer parses). At the end the LoRA adapters are merged
and the model saved to ``<output-dir>/final``, ready for ``spatial-env eval``.

GPU recipe (one 80 GB GPU; settings chosen for Qwen2.5-VL-3B, not yet measured on a GPU in this repository)::

    pip install -e ".[rl,vlm]"
    python examples/grpo_rep2d.py --env Rep2D-Bbox-v0 --num-views 5 --train-questions 4000 \\
        --max-steps 500 --batch-size 8 --num-generations 8 --grad-accum 4 --learning-rate 5e-5 \\
        --max-completion-length 48 --output-dir runs/grpo-rep2d-bbox
    spatial-env eval --env Rep2D-Bbox-v0 --agent qwen2.5-vl-7b --agent-arg model=runs/grpo-rep2d-bbox/final \\
        --num-views 5 --scenes <the held-out scenes it printed first> --episodes 500 --out runs/grpo-eval

Defaults: Qwen/Qwen2.5-VL-3B-Instruct in bfloat16, LoRA r=16 / alpha=32 on the language model's attention and
MLP projections (the vision tower stays frozen), 8 completions per question at temperature 1.0, no KL term
(``--beta 0``, TRL's default), 512x512 images as the env renders them. The first run builds the scenes' frame
banks (minutes per scene on the CPU; ``--cache-dir`` keeps them) and ``--dataset-proc N`` builds the dataset in
N processes. More GPUs: ``accelerate launch examples/grpo_rep2d.py ...`` (``--batch-size`` is per device).

CPU smoke run, unchanged script, with a tiny local model (``tests/tiny_vlm.py`` builds one; the first run
also builds the room's frame bank, a few minutes)::

    python examples/grpo_rep2d.py --model /tmp/tiny-qwen --cpu --scenes procedural:bathroom-0 --resolution 48 \\
        --num-views 2 --env-kwargs '{"sampler": {"views_visible": 4, "views_invisible": 2}}' \\
        --train-questions 8 --max-steps 2 --batch-size 4 --num-generations 4 --grad-accum 1 \\
        --max-completion-length 8 --test-size 0 --output-dir /tmp/grpo-smoke
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

DEFAULT_MODEL = "Qwen/Qwen2.5-VL-3B-Instruct"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module doc)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=DEFAULT_MODEL, help="Hub id or local checkpoint directory")
    p.add_argument("--env", default="Rep2D-Bbox-v0")
    p.add_argument("--scenes", default=None, help="comma-separated scene specs (default: the embedded set)")
    p.add_argument("--test-size", type=float, default=0.2, help="fraction of scenes held out (0: train on all)")
    p.add_argument("--train-questions", type=int, default=4000)
    p.add_argument("--num-views", type=int, default=5)
    p.add_argument("--resolution", type=int, default=None, help="image side (default: the env's, 512)")
    p.add_argument("--cache-dir", default=None, help="frame bank cache (default: the env's)")
    p.add_argument("--env-kwargs", default=None, help="extra gym.make keywords as JSON, e.g. '{\"sampler\": {...}}'")
    p.add_argument("--dataset-proc", type=int, default=None, help="processes building the dataset")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output-dir", default="runs/grpo-rep2d")
    p.add_argument("--max-steps", type=int, default=500)
    p.add_argument("--batch-size", type=int, default=8, help="completions per device per step")
    p.add_argument("--num-generations", type=int, default=8, help="completions per question (GRPO's group)")
    p.add_argument("--grad-accum", type=int, default=4)
    p.add_argument("--learning-rate", type=float, default=5e-5)
    p.add_argument("--max-completion-length", type=int, default=48)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--beta", type=float, default=0.0, help="KL coefficient (0: no reference model)")
    p.add_argument("--format-weight", type=float, default=0.1)
    p.add_argument("--lora-r", type=int, default=16, help="0: full fine-tuning")
    p.add_argument("--lora-alpha", type=int, default=32)
    p.add_argument("--logging-steps", type=int, default=10)
    p.add_argument("--save-steps", type=int, default=100, help="checkpoint every N steps (0: none)")
    p.add_argument("--cpu", action="store_true", help="train on the CPU in float32")
    return p.parse_args(argv)


def main(argv: list[str] | None = None, *, scenes: list | None = None) -> dict:
    """Build the datasets, train, save the merged model; returns the trainer's last logs and the paths.

    ``scenes`` (Python callers only) overrides ``--scenes`` with scene specs or ``Scene`` objects."""
    args = parse_args(argv)
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    import torch
    from trl import GRPOConfig, GRPOTrainer

    from spatial_env.rl import (LANGUAGE_MODEL_LORA_TARGETS, build_dataset, env_reward, format_reward, load_vlm,
                                save_vlm, scene_split)

    if scenes is None:
        from spatial_env.scene import default_scenes

        scenes = args.scenes.split(",") if args.scenes else default_scenes()
    train_scenes, test_scenes = scene_split(scenes, args.test_size, seed=args.seed) if args.test_size > 0 \
        else (list(scenes), [])
    names = lambda ss: [getattr(s, "scene_id", s) for s in ss]  # noqa: E731
    print(json.dumps({"train_scenes": names(train_scenes), "test_scenes": names(test_scenes)}))

    env_kwargs = {"num_views": args.num_views, "cache_dir": args.cache_dir, **json.loads(args.env_kwargs or "{}")}
    if args.resolution:
        env_kwargs["resolution"] = args.resolution
    train = build_dataset(args.env, args.train_questions, seed=args.seed, scenes=train_scenes,
                          num_proc=args.dataset_proc, **env_kwargs)

    cpu = args.cpu or not torch.cuda.is_available()
    dtype = "float32" if cpu else "bfloat16"
    model, processor = load_vlm(args.model, dtype=dtype, device="cpu" if cpu else None)
    peft_config = None
    if args.lora_r > 0:
        from peft import LoraConfig

        peft_config = LoraConfig(r=args.lora_r, lora_alpha=args.lora_alpha, lora_dropout=0.05,
                                 target_modules=LANGUAGE_MODEL_LORA_TARGETS, task_type="CAUSAL_LM")
    config = GRPOConfig(
        output_dir=args.output_dir, max_steps=args.max_steps, per_device_train_batch_size=args.batch_size,
        num_generations=args.num_generations, gradient_accumulation_steps=args.grad_accum,
        learning_rate=args.learning_rate, max_completion_length=args.max_completion_length,
        temperature=args.temperature, beta=args.beta, reward_weights=[1.0, args.format_weight],
        logging_steps=args.logging_steps, save_strategy="steps" if args.save_steps else "no",
        save_steps=args.save_steps or 500, seed=args.seed, bf16=not cpu, use_cpu=cpu, report_to="none",
        gradient_checkpointing=not cpu, remove_unused_columns=False)
    trainer = GRPOTrainer(model=model, reward_funcs=[env_reward, format_reward], args=config, train_dataset=train,
                          processing_class=processor, peft_config=peft_config)
    trainer.train()
    final = save_vlm(trainer.model, processor, str(Path(args.output_dir) / "final"))
    logs = [r for r in trainer.state.log_history if "reward" in r]
    print(json.dumps({"final": final, "steps": trainer.state.global_step,
                      "last_reward": logs[-1]["reward"] if logs else None}))
    return {"final": final, "log_history": trainer.state.log_history, "test_scenes": names(test_scenes)}


if __name__ == "__main__":
    main()
