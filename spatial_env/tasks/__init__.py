"""Task families: each is data plus three functions (``sample``, ``parse``, ``score``), no classes to subclass.

``sample(bank, rng, options) -> Episode`` draws one question from a scene's view bank;
``parse(text, mode) -> prediction | ParseFailure`` reads an answer; ``score(prediction, target) -> dict``
gives every metric and ``"reward"`` (higher is better; the worst value for a parse failure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

ANNOTATE_MODES = ("text", "draw", "both", "none")
PROMPT_STYLES = ("paper",)


@dataclass(frozen=True)
class TaskOptions:
    """Per-environment choices a task reads when it samples a question."""

    num_views: int = 5
    annotate_context: str = "text"
    include_invisible: bool = False
    prompt_style: str = "paper"

    def __post_init__(self) -> None:
        if self.num_views < 1:
            raise ValueError(f"num_views must be >= 1, got {self.num_views}")
        if self.annotate_context not in ANNOTATE_MODES:
            raise ValueError(f"annotate_context must be one of {ANNOTATE_MODES}, got {self.annotate_context!r}")
        if self.prompt_style not in PROMPT_STYLES:
            raise ValueError(f"prompt_style must be one of {PROMPT_STYLES}, got {self.prompt_style!r}")


@dataclass(frozen=True)
class Episode:
    """One question: the images shown, the prompt, the structured target and its reference answer."""

    images: list[np.ndarray]
    prompt: str
    target: dict
    answer: str
    scene_id: str
    episode_id: str
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """A task family: its name, its three functions and the reward range."""

    name: str
    sample: Callable[..., Episode]
    parse: Callable[[str, str], Any]
    score: Callable[[Any, dict], dict]
    metric: str
    best_reward: float
    description: str = ""

    @property
    def higher_is_better(self) -> bool:
        """Direction of the headline metric (its reward is the metric, or minus it)."""
        from ..metrics import HIGHER_IS_BETTER

        return HIGHER_IS_BETTER[self.metric]


_TASKS: dict[str, Task] = {}


def register_task(task: Task) -> Task:
    """Add a task family to the registry (name must be new)."""
    if task.name in _TASKS:
        raise ValueError(f"task {task.name!r} is already registered")
    _TASKS[task.name] = task
    return task


def get_task(name: str) -> Task:
    """The registered task family called ``name``."""
    from . import rep2d  # noqa: F401  (registers the Rep2D families)

    try:
        return _TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; registered: {sorted(_TASKS)}") from None

