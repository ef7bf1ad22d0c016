"""Parsing and scoring SPAR answers (spar-7m.txt §3.3: MRA for numeric tasks, accuracy for the rest).

``parse_mode="official"`` reproduces SPAR-Bench's own evaluation code (fudan-zvg/spar
``sparbench/utils.py``, read through :mod:`spatial_env.parsing` and :mod:`spatial_env.metrics`): the
first unsigned number (the last for ``*_mv`` tasks), the view-change ``key:value`` split, and the
lenient option match on the raw answer, quirks included (an empty answer matches any option there).
The default ``"robust"`` mode reads numbers with units, view changes in words and a single option
letter, and a failed read scores the worst value.
"""

from __future__ import annotations

from ... import metrics
from ...metrics import Metric, register_metric
from ...parsing import ParseFailure, parse_choice, parse_scalar, parse_view_change
from .options import SparOptions

VIEW_CHANGE = register_metric(Metric(
    "spar_view_change", True, 1.0, 0.0,
    description="SPAR-Bench ViewChgI: mean SPAR MRA over the five signed view-change axes (official argument order)"))
BENCH = register_metric(Metric(
    "spar_score", True, 1.0, 0.0,
    description="SPAR-Bench-v0: each question's own metric (MRA, view-change score or accuracy), as Table 4 mixes them"))


def number_parser(official_task: str):
    """A parser for one numeric task; ``official_task`` is the name SPAR's code keys its rules on."""
    def parse(text: str, o: SparOptions):
        if o.parse_mode == "official":
            return parse_scalar(text, mode="official", benchmark="spar", task=official_task)
        return parse_scalar(text, unit="m")
    return parse


def score_number(prediction: float, target: dict, o: SparOptions) -> dict[str, float]:
    """SPAR's mean relative accuracy (absolute error when the target is 0)."""
    return {"spar_mra": metrics.spar_mean_relative_accuracy(prediction, target["value"])}


def parse_option(text: str, o: SparOptions):
    """One option letter (robust), or the raw answer for SPAR's lenient match (official)."""
    if o.parse_mode == "official":
        return parse_choice(text, mode="official", benchmark="spar")
    return parse_choice(text, options="ABCD")


def score_option(prediction: str, target: dict, o: SparOptions) -> dict[str, float]:
    """Accuracy: the letter (robust), or SPAR's lenient match of the raw answer (official)."""
    mode = "spar_official" if o.parse_mode == "official" else "strict"
    return {"accuracy": metrics.multiple_choice_accuracy(prediction, target["answer"], mode=mode)}


def parse_view(text: str, o: SparOptions):
    """The five signed view-change axes."""
    return parse_view_change(text, mode="official" if o.parse_mode == "official" else "robust")


def score_view(prediction, target: dict, o: SparOptions) -> dict[str, float]:
    """SPAR's view-change score (official argument order, normalised by the prediction)."""
    return {"spar_view_change": metrics.spar_view_change_score(prediction, target["axes"])}


def parse_mixed(text: str, o: SparOptions):
    """SPAR-Bench-v0 scores each question with the task it came from (``info["task"]``), never itself."""
    return ParseFailure("SPAR-Bench-v0 mixes tasks: judge the answer with the question's own task (info['task'])")


def score_mixed(prediction, target: dict, o: SparOptions) -> dict[str, float]:
    """Never reached: see :func:`parse_mixed`."""
    raise ValueError("SPAR-Bench-v0 mixes tasks: score with the question's own task (info['task'])")
