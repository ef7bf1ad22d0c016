"""SPAR answer formats for scripted agents: a random valid answer and the training prior."""

from __future__ import annotations

import numpy as np

from .. import AnswerFormat
from .questions import view_change_text


def _mean_value(targets: list[dict]) -> str:
    return f"{float(np.mean([t['value'] for t in targets])):.1f}"


def _mean_axes(targets: list[dict]) -> str:
    axes = np.mean([t["axes"] for t in targets], axis=0)
    return view_change_text([round(float(a), 1) for a in axes[:3]] + [float(round(a)) for a in axes[3:]])


def _random_axes(rng: np.random.Generator) -> str:
    move = [round(float(v), 1) for v in rng.uniform(-2.0, 2.0, size=3)]
    turn = [float(round(v)) for v in rng.uniform(-90.0, 90.0, size=2)]
    return view_change_text(move + turn)


#: Metres: uniform over 0.1-5 m (an indoor range); the prior is the mean target.
NUMBER = AnswerFormat(random=lambda rng: f"{rng.uniform(0.1, 5.0):.1f}", prior=_mean_value)
#: Four options (A-D); the prior is the most frequent answer letter.
CHOICE4 = AnswerFormat(random=lambda rng: "ABCD"[int(rng.integers(4))])
#: Two options (DistI: B or C named as A / B).
CHOICE2 = AnswerFormat(random=lambda rng: "AB"[int(rng.integers(2))])
#: Five view-change axes: up to 2 m and 90 degrees each way; the prior is the mean axes.
VIEW_CHANGE = AnswerFormat(random=_random_axes, prior=_mean_axes)
