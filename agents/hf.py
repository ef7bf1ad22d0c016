"""``TransformersAgent``: any ``AutoModelForImageTextToText`` checkpoint, driven through its chat template."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any, Sequence

from .base import AgentError, BaseAgent, limit_pixels, observation_images

_PROCESSOR_CONFIGS = ("processor_config.json", "preprocessor_config.json")


def _checkpoint_file(model: str, name: str) -> Path | None:
    """A file of a checkpoint: from its directory, or from the Hub (cache) for a Hub id; None if absent."""
    if Path(model).is_dir():
        path = Path(model) / name
        return path if path.is_file() else None
    try:
        from huggingface_hub import hf_hub_download

        return Path(hf_hub_download(model, name))
    except Exception:  # noqa: BLE001 - absent file, offline without a cache, no huggingface_hub: all "no file"
        return None


def _processor_class_name(model: str) -> str | None:
    """The processor class a checkpoint names in its configs (None when it names none)."""
    for name in _PROCESSOR_CONFIGS:
        path = _checkpoint_file(model, name)
        cls = json.loads(path.read_text()).get("processor_class") if path else None
        if cls:
            return cls
    return None


def _chat_template(model: str, tokenizer) -> str | None:
    """The chat template shipped with the checkpoint (tokenizer config, ``chat_template.jinja`` or ``.json``)."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.chat_template
    path = _checkpoint_file(model, "chat_template.jinja")
    if path:
        return path.read_text()
    path = _checkpoint_file(model, "chat_template.json")
    return json.loads(path.read_text())["chat_template"] if path else None


def build_image_only_processor(model: str, tokenizer=None, **kwargs):
    """The checkpoint's processor class with only its image processor and tokenizer (no video processor).

    Qwen-VL-family processors also own a video processor that needs torchvision; without torchvision,
    ``AutoProcessor`` then raises or (older transformers) silently returns just the tokenizer. Images alone
    need only the (PIL) image processor, so this subclasses the processor class without the video part.
    """
    import transformers
    from transformers import AutoImageProcessor, AutoTokenizer

    cls_name = _processor_class_name(model)
    base = getattr(transformers, cls_name, None) if cls_name else None
    if base is None:
        raise AgentError(f"{model}: cannot tell which processor class it uses (no processor_class in "
                         f"{' / '.join(_PROCESSOR_CONFIGS)}); refusing to run a VLM without its images")
    try:
        image_processor = AutoImageProcessor.from_pretrained(model, **kwargs)
    except (ImportError, ValueError):  # a fast (torchvision) class was asked for: use the PIL one
        image_processor = AutoImageProcessor.from_pretrained(model, use_fast=False, **kwargs)
    tokenizer = tokenizer if tokenizer is not None else AutoTokenizer.from_pretrained(model, **kwargs)

    # Older processor classes have no video processor argument at all.
    no_video = {"video_processor": None} if "video_processor" in inspect.signature(base.__init__).parameters else {}

    class ImageOnlyProcessor(base):
        # transformers 4.x reads ``attributes``; 5.x reads the ``__init__`` signature.
        attributes = ["image_processor", "tokenizer"]
        # 4.x also checks each part's class; accept any tokenizer / image processor the checkpoint loads.
        tokenizer_class, image_processor_class = "AutoTokenizer", "AutoImageProcessor"

        def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kw):
            super().__init__(image_processor=image_processor, tokenizer=tokenizer, chat_template=chat_template,
                             **no_video, **kw)

    ImageOnlyProcessor.__name__ = ImageOnlyProcessor.__qualname__ = f"ImageOnly{base.__name__}"
    return ImageOnlyProcessor(image_processor=image_processor, tokenizer=tokenizer,
                              chat_template=_chat_template(model, tokenizer))


def load_processor(model: str, **kwargs):
    """``AutoProcessor.from_pretrained(model)``, repaired when it lost its image processor (see above)."""
    from transformers import AutoProcessor

    try:
        processor = AutoProcessor.from_pretrained(model, **kwargs)
    except ImportError as exc:  # transformers >= 5: the video processor's torchvision requirement raises
        if "torchvision" not in str(exc).lower():
            raise
        processor = None
    if getattr(processor, "image_processor", None) is None:
        tokenizer = processor if processor is not None and hasattr(processor, "apply_chat_template") else None
        processor = build_image_only_processor(model, tokenizer=tokenizer, **kwargs)
    if getattr(processor, "image_processor", None) is None:
        raise AgentError(f"{model}: the processor has no image processor; refusing to run a VLM without images")
    return processor


def dtype_kwargs(dtype: Any) -> dict[str, Any]:
    """``from_pretrained``'s dtype keyword argument for ``dtype`` (a name such as ``"bfloat16"``, a
    ``torch.dtype``, ``"auto"`` or None): named ``dtype`` since transformers 4.56, ``torch_dtype`` before."""
    import torch
    import transformers
    from packaging.version import Version

    key = "dtype" if Version(transformers.__version__) >= Version("4.56") else "torch_dtype"
    if dtype is None or dtype == "auto" or isinstance(dtype, torch.dtype):
        return {key: dtype}
    return {key: getattr(torch, str(dtype).replace("torch.", ""))}


class TransformersAgent(BaseAgent):
    """A Hugging Face ``AutoModelForImageTextToText`` model answering with all images (in order), then the prompt.

    Args:
        model: a Hub id or a local checkpoint directory (``HF_HUB_OFFLINE=1`` works with local ones).
        system_prompt: an extra system message before the user turn (None: the template's default).
        dtype: ``"auto"``, ``"bfloat16"``, ``"float16"``, ``"float32"``...
        device: where to put the whole model (``"cuda"``, ``"cpu"``); ignored when ``device_map`` is set.
        device_map: passed to ``from_pretrained`` (``"auto"`` spreads a big model over the GPUs).
        max_new_tokens: generation length cap.
        do_sample: False for greedy decoding; True samples with ``temperature``/``top_p`` seeded by ``seed``.
        batch_size: observations per ``generate`` call in :meth:`act_batch`.
        max_pixels: shrink each image to at most this many pixels before the processor sees it.
        processor_kwargs / model_kwargs / generate_kwargs: passed through to the respective calls.
    """

    def __init__(self, model: str, *, system_prompt: str | None = None, dtype: Any = "auto",
                 device: str | None = None, device_map: Any = None, max_new_tokens: int = 128,
                 do_sample: bool = False, temperature: float = 1.0, top_p: float = 1.0, batch_size: int = 1,
                 max_pixels: int | None = None, seed: int = 0, trust_remote_code: bool = False,
                 processor_kwargs: dict | None = None, model_kwargs: dict | None = None,
                 generate_kwargs: dict | None = None):
        import torch
        from transformers import AutoModelForImageTextToText

        self.model_id = str(model)
        self.system_prompt = system_prompt
        self.max_new_tokens, self.do_sample = int(max_new_tokens), bool(do_sample)
        self.temperature, self.top_p = float(temperature), float(top_p)
        self.batch_size, self.max_pixels, self.seed = max(1, int(batch_size)), max_pixels, seed
        self.generate_kwargs = dict(generate_kwargs or {})
        pkw = {"trust_remote_code": trust_remote_code, **(processor_kwargs or {})}
        self.processor = load_processor(self.model_id, **pkw)
        # Decoder-only generation in a batch needs the prompts aligned at the right end.
        self.processor.tokenizer.padding_side = "left"
        mkw = {"trust_remote_code": trust_remote_code, **(model_kwargs or {})}
        if device_map is not None:
            mkw["device_map"] = device_map
        mkw.update(dtype_kwargs(dtype))
        self.model = AutoModelForImageTextToText.from_pretrained(self.model_id, **mkw)
        if device_map is None:
            self.model.to(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model.eval()
        self.last_inputs = None  # the processed inputs of the last batch (for inspection and tests)
        self.reset()

    def reset(self) -> None:
        """Reseed sampling so a rerun samples the same answers."""
        if self.do_sample:
            from transformers import set_seed

            set_seed(self.seed)

    def messages(self, observation: dict) -> list[dict]:
        """The chat: optional system message, then one user turn with every image in order and the prompt."""
        n = len(observation_images(observation))
        content = [{"type": "image"} for _ in range(n)] + [{"type": "text", "text": observation["prompt"]}]
        msgs = [{"role": "user", "content": content}]
        if self.system_prompt:
            msgs.insert(0, {"role": "system", "content": [{"type": "text", "text": self.system_prompt}]})
        return msgs

    def act(self, observation: dict, info: dict | None = None) -> str:
        """The model's answer to one observation."""
        return self._generate([observation])[0]

    def act_batch(self, observations: Sequence[dict], infos: Sequence[dict] | None = None) -> list[str]:
        """Answers for several observations, ``batch_size`` per ``generate`` call."""
        out: list[str] = []
        for i in range(0, len(observations), self.batch_size):
            out.extend(self._generate(list(observations[i:i + self.batch_size])))
        return out

    def _generate(self, observations: list[dict]) -> list[str]:
        import torch
        from PIL import Image

        texts, images = [], []
        for obs in observations:
            texts.append(self.processor.apply_chat_template(self.messages(obs), tokenize=False,
                                                            add_generation_prompt=True))
            images.append([Image.fromarray(limit_pixels(img, self.max_pixels)) for img in observation_images(obs)])
        inputs = self.processor(text=texts, images=images, padding=True, return_tensors="pt")
        if not any(k.startswith("pixel_values") for k in inputs):
            raise AgentError(f"{self.model_id}: the processor produced no pixel values; refusing to run without images")
        # Some tokenizers add token_type_ids that the model's forward does not take (generate would refuse).
        if "token_type_ids" in inputs and "token_type_ids" not in inspect.signature(self.model.forward).parameters:
            inputs.pop("token_type_ids")
        inputs = inputs.to(self.model.device)
        self.last_inputs = inputs
        gen = {"max_new_tokens": self.max_new_tokens, "do_sample": self.do_sample, **self.generate_kwargs}
        if self.do_sample:
            gen.update(temperature=self.temperature, top_p=self.top_p)
        pad_id = self.processor.tokenizer.pad_token_id
        if pad_id is not None:
            gen.setdefault("pad_token_id", pad_id)
        with torch.inference_mode():
            sequences = self.model.generate(**inputs, **gen)
        new_tokens = sequences[:, inputs["input_ids"].shape[1]:]
        return [t.strip() for t in self.processor.batch_decode(new_tokens, skip_special_tokens=True)]

    def describe(self) -> dict:
        """The resolved settings: checkpoint and its revision (a Hub commit, when known), dtype, device,
        generation settings."""
        cfg = getattr(self.model, "config", None)
        return {**super().describe(), "model": self.model_id, "revision": getattr(cfg, "_commit_hash", None),
                "model_class": type(self.model).__name__, "dtype": str(getattr(self.model, "dtype", None)),
                "device": str(getattr(self.model, "device", None)), "max_new_tokens": self.max_new_tokens,
                "do_sample": self.do_sample, "temperature": self.temperature, "top_p": self.top_p,
                "batch_size": self.batch_size, "max_pixels": self.max_pixels, "seed": self.seed,
                "generate_kwargs": self.generate_kwargs}

    def __repr__(self) -> str:
        return f"TransformersAgent({self.model_id!r}, do_sample={self.do_sample})"
