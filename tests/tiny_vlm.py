"""Tiny randomly initialised VLMs built offline, for tests of the real ``transformers`` generation path.

Each builder trains a small byte-level BPE tokenizer in-process with ``tokenizers``, builds the model from a
config with hidden size 32, attaches the model family's real chat template, and saves everything to a
directory that ``TransformersAgent`` loads like any checkpoint. Nothing touches the network.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# The published chat templates of the two families (Qwen/Qwen2.5-VL-*-Instruct, llava-hf/llava-1.5-*-hf).
QWEN2_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\n"
    "You are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n{% else %}"
    "{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: "
    "{% endif %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
LLAVA_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] != 'system' %}{{ message['role'].upper() + ': '}}"
    "{% endif %}{# Render all images first #}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}"
    "{# Render all text next #}{% if message['role'] != 'assistant' %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ content['text'] + ' '}}"
    "{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{% generation %}{{ content['text'] + ' '}}{% endgeneration %}{% endfor %}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)

QWEN_SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
                "<|image_pad|>", "<|video_pad|>"]
LLAVA_SPECIAL = ["<unk>", "<s>", "</s>", "<image>", "<pad>"]

# Text the tokenizer learns from: the shapes of answers and prompts the tests send.
_CORPUS = [
    "You are an AI with the ability to analyze a series of images, each representing a different perspective.",
    "{'x_min': 120, 'y_min': 340, 'x_max': 560, 'y_max': 980} Image 1: Image 2: ? visible: 45.5%",
    "camera position [1.25, 2.50, 1.40] The bounding box should be in a json format 0123456789",
    "system user assistant USER: ASSISTANT: The object is the chair table cabinet box.",
]


def train_tokenizer(special_tokens: list[str], vocab_size: int = 400, **named_tokens):
    """A byte-level BPE ``PreTrainedTokenizerFast`` trained in-process; ``named_tokens`` set eos/pad/...."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special_tokens,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(_CORPUS * 4, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, model_input_names=["input_ids", "attention_mask"],
                                   **named_tokens)


def make_tiny_qwen2_5_vl(path: str | Path, seed: int = 0) -> Path:
    """A 2-layer Qwen2.5-VL (hidden size 32) saved under ``path`` in the Hub checkpoint layout.

    Like ``Qwen/Qwen2.5-VL-7B-Instruct`` the directory holds the model, the tokenizer, the image processor's
    ``preprocessor_config.json`` (naming the processor class) and ``chat_template.json`` -- saved part by part
    because building ``Qwen2_5_VLProcessor`` itself needs torchvision's video processor, which is exactly the
    situation ``TransformersAgent`` must cope with.
    """
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(QWEN_SPECIAL, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_SPECIAL}
    text = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2, vocab_size=len(tokenizer), max_position_embeddings=4096,
                bos_token_id=None, eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"])
    # head_dim 8 -> 4 rotary frequencies split over (time, height, width).
    rope = {"rope_type": "default", "mrope_section": [1, 1, 2], "rope_theta": 10000.0}
    if "rope_parameters" in getattr(Qwen2_5_VLConfig.sub_configs["text_config"], "__annotations__", {}):
        text["rope_parameters"] = rope  # transformers >= 5
    else:
        text["rope_scaling"] = {"type": "mrope", "mrope_section": [1, 1, 2]}
        text["rope_theta"] = 10000.0
    config = Qwen2_5_VLConfig(
        text_config=text,
        vision_config=dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=4, out_hidden_size=32,
                           patch_size=14, spatial_merge_size=2, temporal_patch_size=2, window_size=56,
                           fullatt_block_indexes=[1], in_channels=3),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"],
    )
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    model.generation_config.eos_token_id = ids["<|im_end|>"]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    # Small images keep the vision tower cheap: at most 112x112 pixels -> at most 16 image tokens per image.
    try:  # transformers >= 5 names the PIL backend explicitly
        from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil as image_cls
    except ImportError:  # transformers 4.x: the slow class is the PIL one
        from transformers.models.qwen2_vl.image_processing_qwen2_vl import Qwen2VLImageProcessor as image_cls
    image_cls(min_pixels=56 * 56, max_pixels=112 * 112).save_pretrained(path)
    pre = json.loads((path / "preprocessor_config.json").read_text())
    pre["processor_class"] = "Qwen2_5_VLProcessor"
    (path / "preprocessor_config.json").write_text(json.dumps(pre, indent=2))
    (path / "chat_template.json").write_text(json.dumps({"chat_template": QWEN2_VL_CHAT_TEMPLATE}))
    return path


def make_tiny_llava(path: str | Path, seed: int = 0) -> Path:
    """A 2-layer LLaVA-1.5 (CLIP tower + Llama, hidden size 32) with its processor and chat template."""
    import torch
    from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor
    try:  # transformers >= 5 names the PIL backend explicitly
        from transformers.models.llava.image_processing_pil_llava import LlavaImageProcessorPil as image_cls
    except ImportError:  # transformers 4.x: the slow class is the PIL one
        from transformers.models.llava.image_processing_llava import LlavaImageProcessor as image_cls

    path = Path(path)
    tokenizer = train_tokenizer(LLAVA_SPECIAL, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
                                pad_token="<pad>")
    image_id = tokenizer.convert_tokens_to_ids("<image>")
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                              image_size=28, patch_size=14, projection_dim=32)
    text = LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                       num_key_value_heads=2, vocab_size=len(tokenizer), max_position_embeddings=2048,
                       bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                       pad_token_id=tokenizer.pad_token_id)
    config = LlavaConfig(vision_config=vision, text_config=text, image_token_index=image_id,
                         vision_feature_select_strategy="default", vision_feature_layer=-2,
                         projector_hidden_act="gelu", pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(config).eval()
    image_processor = image_cls(size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28})
    # 28x28 pixels, 14-pixel patches: 4 patch tokens per image ("default" drops the CLS token).
    processor = LlavaProcessor(image_processor=image_processor, tokenizer=tokenizer, patch_size=14,
                               vision_feature_select_strategy="default", chat_template=LLAVA_CHAT_TEMPLATE,
                               num_additional_image_tokens=1)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


BUILDERS = {"qwen2_5_vl": make_tiny_qwen2_5_vl, "llava": make_tiny_llava}


def tiny_model_dir(tmp_path_factory, family: str) -> Path:
    """The tiny model of ``family`` (``"qwen2_5_vl"`` or ``"llava"``), built once per pytest session."""
    path = Path(tmp_path_factory.getbasetemp()) / "tiny_vlms" / family
    if not (path / "config.json").is_file():
        BUILDERS[family](path)
    return path
