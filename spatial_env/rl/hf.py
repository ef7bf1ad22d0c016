"""Load a vision-language model and its processor for training (TRL trainers and :mod:`spatial_env.rl.loop`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load_vlm(model: str, *, dtype: Any = "float32", device: str | None = None, padding_side: str = "left",
             trust_remote_code: bool = False, **model_kwargs: Any):
    """``(model, processor)`` of a Hub id or local checkpoint (``AutoModelForImageTextToText``).

    The processor comes from :func:`spatial_env.agents.hf.load_processor`, which also works where
    ``AutoProcessor`` fails for want of torchvision (Qwen-VL processors own a video processor); pass it to
    TRL's trainers as ``processing_class``. Prompts are padded on the left, as generation needs."""
    import torch
    from transformers import AutoModelForImageTextToText

    from spatial_env.agents.hf import dtype_kwargs, load_processor

    processor = load_processor(model, trust_remote_code=trust_remote_code)
    cls = type(processor)
    if cls.__name__.startswith("ImageOnly"):
        # The image-only stand-in is built per call; named as the real class, the processor_config.json that
        # trainers save with every checkpoint names a class that loads again (AutoProcessor or load_processor).
        cls.__name__ = cls.__qualname__ = cls.__name__[len("ImageOnly"):]
    processor.tokenizer.padding_side = padding_side
    if processor.tokenizer.pad_token is None:
        processor.tokenizer.pad_token = processor.tokenizer.eos_token
    kwargs = {"trust_remote_code": trust_remote_code, **dtype_kwargs(dtype), **model_kwargs}
    vlm = AutoModelForImageTextToText.from_pretrained(model, **kwargs)
    if "device_map" not in model_kwargs:
        vlm.to(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    return vlm, processor


#: LoRA targets: the language model's attention and MLP projections (not the vision tower's), for the
#: transformers 5 layout of Qwen2.5-VL, LLaVA and most ``AutoModelForImageTextToText`` models.
LANGUAGE_MODEL_LORA_TARGETS = r".*language_model\..*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"


def save_vlm(model, processor, out: str) -> str:
    """Save a (possibly LoRA-wrapped) model merged into full weights, with its processor, to ``out``: a
    checkpoint ``spatial-env eval --model out`` and ``TransformersAgent`` load like any other."""
    if hasattr(model, "merge_and_unload"):  # a peft model: fold the adapters into the weights
        model = model.merge_and_unload()
    model.save_pretrained(out)
    processor.save_pretrained(out)
    image_processor = getattr(processor, "image_processor", None)
    if image_processor is not None:
        # Also the Hub layout (preprocessor_config.json naming the processor class): without torchvision,
        # AutoProcessor cannot load a Qwen-VL processor_config.json alone (no video processor config), and
        # spatial_env.agents.hf.load_processor reads the class from here to build the image-only processor.
        image_processor.save_pretrained(out)
        path = Path(out) / "preprocessor_config.json"
        config = json.loads(path.read_text())
        config.setdefault("processor_class", type(processor).__name__)
        path.write_text(json.dumps(config, indent=2))
    return out
