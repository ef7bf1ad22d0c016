"""MultiSPA answer formats for scripted agents: a random valid answer and the training prior, per question
type (labels and words: the most frequent target; numbers, points and vectors: the mean target), and for
the mixing envs (the question type asked most often in the fit episodes)."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from .. import AnswerFormat
from .prompts import point_text, vector_text
from .table import QUESTION_TYPES, QType


def _text(qtype: QType, value) -> str:
    """A value written as the answers write it, in backticks."""
    if qtype.kind == "point":
        return f"`{point_text(np.rint(value))}`"
    if qtype.kind == "vector":
        return f"`{vector_text(np.rint(value))}` mm"
    if qtype.kind == "scalar":
        return f"`{int(round(float(value)))}`" + (" mm" if qtype.unit == "mm" else " degrees")
    return f"`{value}`"


def _random(qtype: QType, rng: np.random.Generator) -> str:
    if qtype.kind in ("label", "word"):
        return _text(qtype, qtype.options[int(rng.integers(len(qtype.options)))])
    if qtype.kind == "point":
        return _text(qtype, rng.integers(0, 1000, size=2))
    lo, hi = qtype.random_range
    return _text(qtype, rng.uniform(lo, hi, size=3) if qtype.kind == "vector" else rng.uniform(lo, hi))


def _prior(qtype: QType, targets: list[dict]) -> str:
    values = [t[qtype.key] for t in targets if t.get("question_type") == qtype.name] or \
        [t[qtype.key] for t in targets if qtype.key in t]
    if qtype.kind in ("label", "word"):
        counts = Counter(values)
        return _text(qtype, max(qtype.options, key=lambda v: (counts[v], -qtype.options.index(v))))
    # numbers, vectors and points: the mean (for a choice among written coordinates, the mean point)
    return _text(qtype, np.mean(np.asarray(values, float), axis=0))


_WRITTEN_POINT = re.compile(r"\[(\d+), (\d+)\]")


def _last_written_point(prompt: str) -> str | None:
    """The last 0-1000 point written in a prompt (a depth comparison's second candidate): a prompt-reading
    guess, right half the time, where a prompt-blind random point is never exactly right."""
    found = _WRITTEN_POINT.findall(prompt)
    return f"`[{found[-1][0]}, {found[-1][1]}]`" if found else None


def answer_format(qtype: QType) -> AnswerFormat:
    """The answer format of one question type's task (choosing among written coordinates also has the
    last written point as its "last context" answer, for the copy-last agent)."""
    return AnswerFormat(random=lambda rng: _random(qtype, rng), prior=lambda targets: _prior(qtype, targets),
                        last_context=_last_written_point if qtype.kind == "point" and qtype.exact else None)


def env_answer_format(types: tuple[str, ...]) -> AnswerFormat:
    """The answer format of an env mixing ``types``: a random question type's random answer, and the prior of
    the type most frequent among the fit targets (one answer text cannot suit every type at once)."""

    def prior(targets: list[dict]) -> str:
        counts = Counter(t.get("question_type") for t in targets)
        best = max(types, key=lambda t: (counts[t], -types.index(t)))
        return _prior(QUESTION_TYPES[best], [t for t in targets if t.get("question_type") == best])

    return AnswerFormat(random=lambda rng: _random(QUESTION_TYPES[types[int(rng.integers(len(types)))]], rng),
                        prior=prior)
