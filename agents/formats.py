"""What scripted agents know about each task's answer format: sample, average, write and read from prompts.

Only the public answer formats are used (the ones the prompts spell out), never the tasks' internals.
A task family without an entry here still works with :class:`PriorAgent` (most frequent answer text) and
:class:`OracleAgent`; :class:`RandomAgent` and the copy baselines need an entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..tasks.rep2d import box_text, position_text

_NUM = r"(-?\d+(?:\.\d+)?)"
BOX_RE = re.compile(r"\{'x_min': %s, 'y_min': %s, 'x_max': %s, 'y_max': %s\}" % ((_NUM,) * 4))
PERCENT_RE = re.compile(r"visible: %s%%" % _NUM)
POSITION_RE = re.compile(r"\[%s, %s, %s\]" % ((_NUM,) * 3))
# Context annotations are on lines "Image k: ..."; the instructions above them also show example formats.
CONTEXT_LINE_RE = re.compile(r"^Image \d+: (.*)$", re.MULTILINE)


def box_answer(box) -> str:
    """A 0-1000 box (or None for "not visible") written as the Rep2D-B prompt asks."""
    return box_text(None if box is None else [int(round(v)) for v in box])


def _random_box(rng: np.random.Generator) -> list[int]:
    x = np.sort(rng.integers(0, 1001, size=2))
    y = np.sort(rng.integers(0, 1001, size=2))
    return [int(x[0]), int(y[0]), int(max(x[1], x[0] + 1)), int(max(y[1], y[0] + 1))]


def _mean_box(targets: list[dict]) -> list[float] | None:
    boxes = [t["box"] for t in targets if t.get("box") is not None]
    # The "frequency" prior: answer "not visible" when most training targets were.
    if len(boxes) * 2 < len(targets) or not boxes:
        return None
    return np.mean(np.asarray(boxes, float), axis=0).tolist()


def _last(pattern: re.Pattern, prompt: str):
    for line in reversed(CONTEXT_LINE_RE.findall(prompt)):
        match = pattern.findall(line)
        if match:
            return [float(v) for v in match[-1]] if isinstance(match[-1], tuple) else float(match[-1])
    return None


def _maybe(write: Callable[[Any], str], value) -> str | None:
    return None if value is None else write(value)


@dataclass(frozen=True)
class AnswerFormat:
    """One task's answer format: random answers, the training-set prior, and the last context value."""

    random: Callable[[np.random.Generator], str]
    prior: Callable[[list[dict]], str]
    last_context: Callable[[str], str | None]


FORMATS: dict[str, AnswerFormat] = {
    "rep2d_bbox": AnswerFormat(
        random=lambda rng: box_answer(_random_box(rng)),
        prior=lambda targets: box_answer(_mean_box(targets)),
        last_context=lambda prompt: _maybe(box_answer, _last(BOX_RE, prompt)),
    ),
    "rep2d_exposure": AnswerFormat(
        random=lambda rng: "%.1f" % (rng.random() * 100),
        prior=lambda targets: "%.1f" % (100 * float(np.mean([t["visibility"] for t in targets]))),
        last_context=lambda prompt: _maybe("%.1f".__mod__, _last(PERCENT_RE, prompt)),
    ),
    "rep2d_camera_pose": AnswerFormat(
        # No room size is visible to the agent: draw from a typical room (6 x 6 m, 3 m high).
        random=lambda rng: position_text(rng.uniform([0, 0, 0], [6, 6, 3])),
        prior=lambda targets: position_text(np.mean([t["position"] for t in targets], axis=0)),
        last_context=lambda prompt: _maybe(position_text, _last(POSITION_RE, prompt)),
    ),
}


def answer_format(task: str) -> AnswerFormat:
    """The answer format of task family ``task`` (KeyError names the known ones)."""
    try:
        return FORMATS[task]
    except KeyError:
        raise KeyError(f"no answer format known for task {task!r}; known: {sorted(FORMATS)}") from None


def most_frequent(answers: list[str]) -> str:
    """The most frequent answer text (ties broken by first appearance): the prior for any task."""
    counts: dict[str, int] = {}
    for a in answers:
        counts[a] = counts.get(a, 0) + 1
    return max(counts, key=lambda a: counts[a]) if counts else ""


def targets_and_answers(infos: list[dict[str, Any]]) -> tuple[list[dict], list[str]]:
    """(targets, reference answers) of every question in a list of env ``info`` dicts."""
    return [i["target"] for i in infos], [i["answer"] for i in infos]
