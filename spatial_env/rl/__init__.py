"""RL and SFT fine-tuning glue: Hugging Face datasets, TRL reward functions and an env-driven loop.

Nothing here is imported by ``import spatial_env``; this subpackage needs the ``[rl]`` extra
(``datasets``, ``trl``, ``peft``) and ``torch``/``transformers`` for the loop. Names load on first use::

    from spatial_env.rl import build_dataset, env_reward, format_reward
    ds = build_dataset("Rep2D-Bbox-v0", 1000, seed=0)        # prompt, images, target, ...
    GRPOTrainer(model, reward_funcs=[env_reward, format_reward], train_dataset=ds, ...)

=====================  ==========================================================================
module                 what
=====================  ==========================================================================
``rl.data``            ``build_dataset`` / ``build_sft_dataset`` (any env id, seeded, sharded),
                       ``split_by_scene``, ``scene_split``, ``question_rows``
``rl.rewards``         ``env_reward`` (= ``env.step``'s reward), ``format_reward``, ``completion_text``
``rl.llava``           ``export_llava``: the LLaVA / ShareGPT JSON layout with PNG files
``rl.loop``            ``VLMPolicy`` and ``reinforce``: REINFORCE in the Gymnasium (vector) env itself,
                       multi-question episodes as multi-turn chats
``rl.hf``              ``load_vlm`` / ``save_vlm``: model and processor (also without torchvision)
=====================  ==========================================================================
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "build_dataset": "data", "build_sft_dataset": "data", "split_by_scene": "data", "scene_split": "data",
    "question_rows": "data", "dataset_features": "data", "user_message": "data",
    "env_reward": "rewards", "format_reward": "rewards", "completion_text": "rewards", "judge_completion": "rewards",
    "export_llava": "llava", "llava_record": "llava",
    "VLMPolicy": "loop", "Chat": "loop", "Turn": "loop", "reinforce": "loop", "make_vector_env": "loop",
    "load_vlm": "hf", "save_vlm": "hf", "LANGUAGE_MODEL_LORA_TARGETS": "hf",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    """Load each public name's module on first use, so importing ``spatial_env.rl`` stays cheap."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
