"""Parsing and scoring MultiSPA answers (multi-spatialmllm.txt §3.3, "Evaluation metric").

§3.3: "For qualitative and multiple-choice answers, exact string matching is used. For scalar and vector
responses, if the L2 norm of the error is within 20% of the ground truth's L2 norm, the answer is correct.
For pixel coordinates, a prediction is correct if within 5% image width pixels of the ground truth."
Choosing among written coordinates (depth comparison by coordinates) is qualitative: the chosen
coordinates must equal the right ones exactly. ``parse_mode="official"`` reads the first backtick span
strictly (the answer templates hold one); ``"robust"`` cleans the text first (``spatial_env.parsing``).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from ... import metrics, parsing
from .table import QUESTION_TYPES, QType


def parser(qtype: QType) -> Callable[[str, Any], Any]:
    """``parse(text, options)`` of one question type: its value or a ParseFailure, never raising."""

    def parse(text: str, options: Any) -> Any:
        mode = options.parse_mode
        if qtype.kind == "label":
            if mode == "official":
                return parsing.parse_choice(text, mode=mode, benchmark="multispa")
            return parsing.parse_choice(text, mode=mode, benchmark="multispa", options="".join(qtype.options))
        if qtype.kind == "word":
            span = parsing.parse_backtick(text, mode=mode)
            if mode == "official" or parsing.is_failure(span):
                return span
            found = {w for w in qtype.options if re.search(rf"\b{w}\b", span, re.IGNORECASE)}
            if len(found) != 1:
                return parsing.ParseFailure(f"expected one of {list(qtype.options)}, found {sorted(found) or 'none'}")
            return found.pop()
        if qtype.kind == "point":
            return parsing.parse_point(text, mode=mode, benchmark="multispa")
        if qtype.kind == "vector":
            return parsing.parse_vector(text, mode=mode, benchmark="multispa", dim=3)
        return parsing.parse_scalar(text, mode=mode, benchmark="multispa", unit="mm" if qtype.unit == "mm" else None)

    return parse


def correct(prediction: Any, target: dict) -> float:
    """§3.3's 0/1 score of a parsed prediction against a target (its question type says which rule)."""
    qtype = QUESTION_TYPES[target["question_type"]]
    value = target[qtype.key]
    if qtype.kind in ("label", "word"):
        return metrics.multispa_exact_match(prediction, value)
    if qtype.kind == "point":
        if qtype.exact:
            return float([float(v) for v in prediction] == [float(v) for v in value])
        return metrics.multispa_point_correct(prediction, value, width=target["width"], height=target["height"])
    return metrics.multispa_vector_correct(prediction, value)


def score(prediction: Any, target: dict, options: Any) -> dict:
    """The headline accuracy of a parsed prediction."""
    return {"accuracy": correct(prediction, target)}


def env_parser(types: tuple[str, ...]) -> Callable[[str, Any], Any]:
    """``parse`` of an env mixing ``types``: the answer text when it parses as an answer to one of them
    (scoring re-reads it as the question's own type); every MultiSPA episode names its question type's
    task, so this only serves callers that judge with the env-level task directly."""
    parsers = [parser(QUESTION_TYPES[t]) for t in types]

    def parse(text: str, options: Any) -> Any:
        if not isinstance(text, str):
            return parsing.ParseFailure(f"expected str, got {type(text).__name__}")
        if all(parsing.is_failure(p(text, options)) for p in parsers):
            return parsing.ParseFailure("not an answer to any of this env's question types")
        return text

    return parse


def env_score(prediction: str, target: dict, options: Any) -> dict:
    """Score an env-level prediction (the answer text) as the target's question type reads it."""
    value = parser(QUESTION_TYPES[target["question_type"]])(prediction, options)
    return {"accuracy": 0.0 if parsing.is_failure(value) else correct(value, target)}
