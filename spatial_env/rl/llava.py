"""Export a dataset in the LLaVA / ShareGPT JSON layout that other trainers read (LLaVA, LLaMA-Factory, ...).

``export_llava(build_sft_dataset("Rep2D-Bbox-v0", 1000), "out/")`` writes ``out/images/<row>-<k>.png`` and
``out/data.json``, a JSON list of records::

    {"id": "Rep2D-Bbox-v0/0/0",
     "image": "images/000000-0.png"  (a list when a question has several images),
     "images": ["images/000000-0.png", ...],
     "conversations": [{"from": "human", "value": "<image>\\n<image>\\n...prompt"},
                       {"from": "gpt", "value": "<reference answer>"}],
     "system": "..." (only when the chat has a system message),
     "task": ..., "question_type": ..., "scene_id": ..., "episode_id": ..., "target": "<JSON>"}

One ``<image>`` placeholder per image, in the order of the ``images`` list (the order the env shows them).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..export import fresh_directory

IMAGE_TOKEN = "<image>"
_ROLES = {"user": "human", "assistant": "gpt", "system": "system"}
_METADATA = ("task", "env_id", "question_type", "scene_id", "episode_id", "target", "choices")


def _turn_value(message: dict) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    # Placeholders stay where the chat put them (the env's chats put every image before the text).
    return "".join(f"{IMAGE_TOKEN}\n" if part.get("type") == "image" else (part.get("text") or "")
                   for part in content)


def llava_record(row: dict, image_paths: list[str], index: int) -> dict:
    """One row of :func:`spatial_env.rl.build_dataset` (or its SFT form) as a LLaVA / ShareGPT record."""
    messages = list(row["prompt"])
    if row.get("completion"):
        messages += list(row["completion"])
    else:
        messages.append({"role": "assistant", "content": row["answer"]})
    record: dict[str, Any] = {"id": f"{row.get('env_id', 'row')}/{row.get('episode', index)}/"
                                    f"{row.get('question_index', 0)}"}
    if image_paths:
        record["image"] = image_paths[0] if len(image_paths) == 1 else list(image_paths)
    record["images"] = list(image_paths)
    turns = []
    for message in messages:
        if message["role"] == "system":
            record["system"] = _turn_value(message)
        else:
            turns.append({"from": _ROLES[message["role"]], "value": _turn_value(message)})
    record["conversations"] = turns
    placeholders = sum(t["value"].count(IMAGE_TOKEN) for t in turns)
    if placeholders != len(image_paths):
        raise ValueError(f"row {index}: {placeholders} image placeholders for {len(image_paths)} images")
    record.update({k: row[k] for k in _METADATA if k in row})
    return record


def export_llava(dataset, out: str | os.PathLike, *, overwrite: bool = False, filename: str = "data.json") -> Path:
    """Write ``dataset`` (rows with ``prompt``, ``images`` and ``answer`` or ``completion``) to directory ``out``
    as PNG images plus one LLaVA / ShareGPT JSON list; returns the JSON path.

    The directory is filled in a temporary sibling and renamed into place; a non-empty ``out`` is refused
    unless ``overwrite``."""
    out = Path(out)
    with fresh_directory(out, overwrite) as tmp:
        (tmp / "images").mkdir()
        with open(tmp / filename, "w") as f:
            f.write("[")
            for i, row in enumerate(dataset):
                paths = []
                for k, image in enumerate(row.get("images") or []):
                    paths.append(f"images/{i:06d}-{k}.png")
                    image.convert("RGB").save(tmp / paths[-1])
                f.write(("," if i else "") + "\n" + json.dumps(llava_record(row, paths, i)))
            f.write("\n]\n")
    return out / filename
