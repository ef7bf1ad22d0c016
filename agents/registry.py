"""Agent YAMLs: ``load_agent("qwen2.5-vl-7b")`` builds the agent that ``agents/qwen2.5-vl-7b.yaml`` describes.

A YAML has ``type`` (``transformers``, ``openai``, ``random``, ``prior``, ``oracle``, ``copy_last``,
``copy_last_box``) and the constructor arguments of that agent class; a ``description`` is ignored.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

TYPES = {
    "transformers": ("hf", "TransformersAgent"),
    "openai": ("api", "OpenAIAgent"),
    "random": ("scripted", "RandomAgent"),
    "prior": ("scripted", "PriorAgent"),
    "oracle": ("scripted", "OracleAgent"),
    "copy_last": ("scripted", "CopyLastAgent"),
    "copy_last_box": ("scripted", "CopyLastBoxAgent"),
}
NEEDS_TASK = {"random", "copy_last", "copy_last_box", "prior"}


def agent_names() -> list[str]:
    """Names of the agent YAMLs shipped in this package."""
    return sorted(p.name[:-5] for p in resources.files(__package__).iterdir() if p.name.endswith(".yaml"))


def agent_spec(name_or_path: str) -> dict[str, Any]:
    """The spec dict of a shipped agent name or a path to a YAML file."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        text = path.read_text()
    else:
        entry = resources.files(__package__) / f"{name_or_path}.yaml"
        if not entry.is_file():
            raise ValueError(f"unknown agent {name_or_path!r}: not a YAML file, and not one of {agent_names()}")
        text = entry.read_text()
    spec = yaml.safe_load(text) or {}
    if spec.get("type") not in TYPES:
        raise ValueError(f"agent {name_or_path!r}: 'type' must be one of {sorted(TYPES)}, got {spec.get('type')!r}")
    return spec


def load_agent(name_or_path: str, env_id: str | None = None, **overrides: Any):
    """Build the agent a YAML describes; ``overrides`` replace its fields, ``env_id`` tells scripted agents
    the task (when the YAML gives none)."""
    import importlib

    spec = {**agent_spec(name_or_path), **overrides}
    kind = spec.pop("type")
    spec.pop("description", None)
    if kind in NEEDS_TASK and spec.get("task") is None:
        if env_id is None and kind != "prior":
            raise ValueError(f"agent type {kind!r} needs the task: pass env_id=... or set 'task' in the YAML")
        spec["task"] = env_id
    module, cls = TYPES[kind]
    agent = getattr(importlib.import_module(f"{__package__}.{module}"), cls)(**spec)
    # The resolved spec, for run.json (the harness drops secret fields before writing it).
    agent.spec = {"type": kind, **spec}
    return agent
