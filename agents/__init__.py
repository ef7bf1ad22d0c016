"""Agents that answer spatial-env observations: VLMs (transformers), API endpoints, scripted baselines.

``TransformersAgent`` and ``OpenAIAgent`` are imported on first use, so ``import spatial_env.agents`` does
not import torch or openai.
"""

from __future__ import annotations

from .base import Agent, AgentError, BaseAgent, BatchError
from .registry import agent_names, load_agent
from .scripted import CopyLastAgent, CopyLastBoxAgent, OracleAgent, PriorAgent, RandomAgent

_LAZY = {"TransformersAgent": ".hf", "OpenAIAgent": ".api"}

__all__ = ["Agent", "AgentError", "BaseAgent", "BatchError", "CopyLastAgent", "CopyLastBoxAgent", "OpenAIAgent",
           "OracleAgent", "PriorAgent", "RandomAgent", "TransformersAgent", "agent_names", "load_agent"]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
