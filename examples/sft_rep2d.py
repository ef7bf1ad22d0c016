"""Supervised fine-tuning on Rep2D-BEAT's reference answers (TRL ``SFTTrainer`` + LoRA), or export for other trainers.

Rows come from ``spatial_env.rl.build_sft_dataset`` on the training scenes only (a seeded split by scene holds
out ``--test-size`` of them): the env's chat (images in order, then the prompt) with the reference answer as
the assistant turn; the loss is on the answer only. The merged model goes to ``<output-dir>/final``.

    python examples/sft_rep2d.py --env Rep2D-Bbox-v0 --num-views 5 --train-questions 4000 --max-steps 1000
    python examples/sft_rep2d.py --export-llava data/rep2d-bbox-llava      # LLaVA / ShareGPT JSON + PNGs, no training

A warm start before GRPO (``examples/grpo_rep2d.py --model <output-dir>/final``) teaches the answer format, so
the RL rewards start above the parse-failure floor.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module doc)."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="Qwen/Qwen2.5-VL-3B-Instruct", help="Hub id or local checkpoint directory")
    p.add_argument("--env", default="Rep2D-Bbox-v0")
    p.add_argument("--scenes", default=None, help="comma-separated scene specs (default: the embedded set)")
    p.add_argument("--test-size", type=float, default=0.2, help="fraction of scenes held out (0: train on all)")
    p.add_argument("--train-questions", type=int, default=4000)
    p.add_argument("--num-views", type=int, default=5)
    p.add_argument("--resolution", type=int, default=None)
    p.add_argument("--cache-dir", default=None, help="frame bank cache")
    p.add_argument("--env-kwargs", default=None, help="extra gym.make keywords as JSON")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--export-llava", default=None, metavar="DIR", help="write the dataset there and stop")
    p.add_argument("--output-dir", default="runs/sft-rep2d")
    p.add_argument("--max-steps", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--grad-accum", type=int, default=4)
    p.add_argument("--learning-rate", type=float, default=1e-4)
    p.add_argument("--lora-r", type=int, default=16, help="0: full fine-tuning")
    p.add_argument("--cpu", action="store_true", help="train on the CPU in float32")
    return p.parse_args(argv)


def main(argv: list[str] | None = None, *, scenes: list | None = None) -> str:
    """Build the dataset, then export it or train; returns the export's JSON path or the saved model's directory."""
    args = parse_args(argv)
    from spatial_env.rl import build_sft_dataset, export_llava, scene_split

    if scenes is None:
        from spatial_env.scene import default_scenes

        scenes = args.scenes.split(",") if args.scenes else default_scenes()
    train_scenes, test_scenes = scene_split(scenes, args.test_size, seed=args.seed) if args.test_size > 0 \
        else (list(scenes), [])
    print(json.dumps({"test_scenes": [getattr(s, "scene_id", s) for s in test_scenes]}))
    env_kwargs = {"num_views": args.num_views, "cache_dir": args.cache_dir, **json.loads(args.env_kwargs or "{}")}
    if args.resolution:
        env_kwargs["resolution"] = args.resolution
    train = build_sft_dataset(args.env, args.train_questions, seed=args.seed, scenes=train_scenes, **env_kwargs)
    if args.export_llava:
        return str(export_llava(train, args.export_llava))

    import torch
    from trl import SFTConfig, SFTTrainer

    from spatial_env.rl import LANGUAGE_MODEL_LORA_TARGETS, load_vlm, save_vlm

    cpu = args.cpu or not torch.cuda.is_available()
    model, processor = load_vlm(args.model, dtype="float32" if cpu else "bfloat16", device="cpu" if cpu else None)
    peft_config = None
    if args.lora_r > 0:
        from peft import LoraConfig

        peft_config = LoraConfig(r=args.lora_r, lora_alpha=2 * args.lora_r, lora_dropout=0.05,
                                 target_modules=LANGUAGE_MODEL_LORA_TARGETS, task_type="CAUSAL_LM")
    config = SFTConfig(output_dir=args.output_dir, max_steps=args.max_steps,
                       per_device_train_batch_size=args.batch_size, gradient_accumulation_steps=args.grad_accum,
                       learning_rate=args.learning_rate,
                       max_length=None,  # never cut image tokens out of a prompt
                       logging_steps=10, save_strategy="no", seed=args.seed, bf16=not cpu, use_cpu=cpu,
                       report_to="none", gradient_checkpointing=not cpu)
    trainer = SFTTrainer(model=model, args=config, train_dataset=train, processing_class=processor,
                         peft_config=peft_config)
    trainer.train()
    return save_vlm(trainer.model, processor, str(Path(args.output_dir) / "final"))


if __name__ == "__main__":
    main()
