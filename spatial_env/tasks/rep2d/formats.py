"""Rep2D answer formats for scripted agents: random answers, the training prior, the last context value.

Only what the prompts spell out is used: the JSON-like box, the percentage and the position formats."""

from __future__ import annotations

import re

import numpy as np

from .. import AnswerFormat
from .prompts import box_text, percent_text, position_text

_NUM = r"(-?\d+(?:\.\d+)?)"
BOX_RE = re.compile(r"\{'x_min': %s, 'y_min': %s, 'x_max': %s, 'y_max': %s\}" % ((_NUM,) * 4))
PERCENT_RE = re.compile(r"visible: %s%%" % _NUM)
POSITION_RE = re.compile(r"\[%s, %s, %s\]" % ((_NUM,) * 3))
# Context annotations are on lines "Image k: ..." / "Example k: ..."; the instructions above them also
# show example formats, which must not be mistaken for context values.
CONTEXT_LINE_RE = re.compile(r"^(?:Image|Example) \d+: (.*)$", re.MULTILINE)


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


def _maybe(write, value) -> str | None:
    return None if value is None else write(value)


BBOX = AnswerFormat(
    random=lambda rng: box_answer(_random_box(rng)),
    prior=lambda targets: box_answer(_mean_box(targets)),
    last_context=lambda prompt: _maybe(box_answer, _last(BOX_RE, prompt)),
)
EXPOSURE = AnswerFormat(
    random=lambda rng: "%.1f" % (rng.random() * 100),
    prior=lambda targets: percent_text(float(np.mean([t["visibility"] for t in targets]))),
    last_context=lambda prompt: _maybe("%.1f".__mod__, _last(PERCENT_RE, prompt)),
)
CAMERA_POSE = AnswerFormat(
    # No room extent is shown to the agent: draw from a typical room around the origin (rooms have
    # their own origin and yaw, so coordinates are not all positive).
    random=lambda rng: position_text(rng.uniform([-5, -5, 0], [5, 5, 2.5])),
    prior=lambda targets: position_text(np.mean([t["position"] for t in targets], axis=0)),
    last_context=lambda prompt: _maybe(position_text, _last(POSITION_RE, prompt)),
)
