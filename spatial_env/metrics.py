"""Benchmark metrics, reproduced from each benchmark's paper or official code.

Every function here is pure (numbers or strings in, a float out) and depends on numpy only.
Parsing model text into values lives in :mod:`spatial_env.parsing`; a task calls a parser,
then one of these metrics. A prediction that failed to parse is passed as ``None`` and
scores the metric's worst value (the benchmarks' ``WORST_CASE_FOR_METRICS``).

Reward convention (docs/architecture.md): reward = metric, higher is better; error metrics are
negated. Each headline metric is also a :class:`Metric` object (:data:`METRICS`): its direction,
its best value, the worst value a failed parse scores, and how per-question values aggregate.
The env's reward, evaluation summaries, reports and the conformance tests all read those objects.

===================================  ================  ==========================================  =======  =====================
metric (function)                    benchmark         formula                                     higher   reward
                                                                                                   better?
===================================  ================  ==========================================  =======  =====================
``box_iou``                          Rep2D-B           |P∩T| / |P∪T|; empty/empty = 1,             yes      IoU as is
                                                       empty/non-empty = 0
``squared_error`` / ``mse``          Rep2D-E           (p − t)², mean over samples                 no       −(p − t)²
``l2_error`` / ``mean_l2_error``     Rep2D-AT          ‖p − t‖₂ of camera positions, mean          no       −‖p − t‖₂
``mean_relative_accuracy``           VSI-Bench         mean over θ∈{.50,…,.95} of                  yes      MRA as is
                                                       [|p − t| / t ≤ 1 − θ]
``multiple_choice_accuracy``         VSI / SPAR /      "strict": letters equal (case-insens.);     yes      accuracy as is
                                     MultiSPA          "vsi": first token, '.' stripped;
                                                       "spar_official": lenient SPAR match
``spar_mean_relative_accuracy``      SPAR-Bench        MRA with |(p − t)/t|, |p − t| when t = 0    yes      MRA as is
``spar_view_change_score``           SPAR-Bench VCI    mean over 5 signed axes of SPAR MRA,        yes      score as is
                                                       normalised by the prediction (official)
``multispa_exact_match``             MultiSPA          pred == target (qualitative / MC)           yes      accuracy as is
``multispa_vector_correct``          MultiSPA          [‖p − t‖₂ ≤ 0.2 · ‖t‖₂] (scalars, vectors)  yes      accuracy as is
``multispa_point_correct``           MultiSPA          [‖p − t‖₂ (pixels) ≤ 0.05 · W]              yes      accuracy as is
``pck``                              GASP §5.3         fraction of points with ‖p − t‖₂ < δ        yes      PCK as is
``pearson_correlation``              GASP §5.3         Pearson ρ(confidence, correctness)          yes      analysis only
``exact_match``                      SQA3D-style EM    normalised pred == any normalised ref       yes      accuracy as is
===================================  ================  ==========================================  =======  =====================
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Metric",
    "METRICS",
    "register_metric",
    "get_metric",
    "EMPTY_BOX",
    "box_is_empty",
    "box_area",
    "box_iou",
    "box_to_norm1000",
    "box_from_norm1000",
    "to_norm1000",
    "from_norm1000",
    "squared_error",
    "mse",
    "l2_error",
    "mean_l2_error",
    "mra_thresholds",
    "mean_relative_accuracy",
    "spar_mean_relative_accuracy",
    "SPAR_VIEW_AXES",
    "spar_view_change_score",
    "multiple_choice_accuracy",
    "multispa_exact_match",
    "multispa_vector_correct",
    "multispa_point_correct",
    "pck",
    "pearson_correlation",
    "normalize_answer",
    "exact_match",
]

Box = Sequence[float]

#: The "object not visible" box. Any box with zero or negative width or height is empty too.
EMPTY_BOX: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


# --------------------------------------------------------------------------- boxes (Rep2D-B)


def box_is_empty(box: Box | None) -> bool:
    """True for ``None`` and for boxes with no area (x_max <= x_min or y_max <= y_min)."""
    if box is None:
        return True
    x0, y0, x1, y1 = (float(v) for v in box)
    # `not >` rather than `<=` so that NaN coordinates also count as empty.
    return not (x1 > x0 and y1 > y0)


def box_area(box: Box | None) -> float:
    """Area of a box ``(x_min, y_min, x_max, y_max)`` with exclusive max; 0 when empty."""
    if box_is_empty(box):
        return 0.0
    x0, y0, x1, y1 = (float(v) for v in box)
    return (x1 - x0) * (y1 - y0)


def box_iou(pred: Box | None, target: Box | None) -> float:
    """Intersection over union of two boxes (Rep2D-B, rep2d-beat §4.1).

    Boxes are ``(x_min, y_min, x_max, y_max)`` with exclusive max, so width = x_max − x_min
    (no +1). Rep2D has views where the object is absent; the box for "absent" is any empty
    box (``None``, :data:`EMPTY_BOX`, or any zero/negative-area box). We define
    IoU(empty, empty) = 1.0 (correctly predicting absence is a perfect answer) and
    IoU(empty, non-empty) = 0.0 in either order. Inverted boxes (max < min) count as empty
    rather than being reordered, so a malformed prediction is never rewarded by accident.
    Rep2D's evaluation code is unreleased; this is the textbook IoU.
    """
    pred_empty, target_empty = box_is_empty(pred), box_is_empty(target)
    if pred_empty or target_empty:
        return 1.0 if (pred_empty and target_empty) else 0.0
    px0, py0, px1, py1 = (float(v) for v in pred)
    tx0, ty0, tx1, ty1 = (float(v) for v in target)
    inter_w = max(0.0, min(px1, tx1) - max(px0, tx0))
    inter_h = max(0.0, min(py1, ty1) - max(py0, ty0))
    inter = inter_w * inter_h
    union = box_area(pred) + box_area(target) - inter
    return float(inter / union) if union > 0 else 0.0


def _round(values: np.ndarray, rounding: str | None) -> np.ndarray:
    if rounding is None:
        return values
    if rounding == "round":
        # Python's round() is half-to-even, as is np.rint; MultiSPA's data engine uses round().
        return np.rint(values)
    if rounding == "floor":
        return np.floor(values)
    raise ValueError(f"rounding must be 'round', 'floor' or None, got {rounding!r}")


def to_norm1000(coords: Sequence[float], size: Sequence[float], *, rounding: str | None = "round") -> tuple:
    """Pixel coordinates → 0–1000 normalised, pairing ``coords[i]`` with ``size[i % len(size)]``.

    ``size`` is ``(W, H)``; a point ``(x, y)`` or a box ``(x0, y0, x1, y1)`` both work.
    ``rounding="round"`` matches MultiSPA's data engine (``round(x / W * 1000)``);
    ``"floor"`` gives ⌊x/W·1000⌋; ``None`` keeps floats.
    """
    c = np.asarray(coords, dtype=float)
    s = np.resize(np.asarray(size, dtype=float), c.shape)
    out = _round(c / s * 1000.0, rounding)
    return tuple(int(v) if rounding is not None else float(v) for v in out)


def from_norm1000(coords: Sequence[float], size: Sequence[float]) -> tuple:
    """0–1000 normalised coordinates → pixel floats (inverse of :func:`to_norm1000`, no rounding)."""
    c = np.asarray(coords, dtype=float)
    s = np.resize(np.asarray(size, dtype=float), c.shape)
    return tuple(float(v) for v in c / 1000.0 * s)


def box_to_norm1000(box: Box, width: float, height: float, *, rounding: str | None = "round") -> tuple:
    """Pixel box → Rep2D's 0–1000 normalised box (origin top-left; (W, H) ↦ (1000, 1000))."""
    return to_norm1000(box, (width, height), rounding=rounding)


def box_from_norm1000(box: Box, width: float, height: float) -> tuple:
    """Rep2D 0–1000 normalised box → pixel box (floats, exclusive max)."""
    return from_norm1000(box, (width, height))


# --------------------------------------------------------------------- errors (Rep2D-E, -AT)


def squared_error(pred: float | None, target: float) -> float:
    """(p − t)² for one Rep2D-E visible fraction; ``inf`` when the prediction is missing."""
    if pred is None:
        return math.inf
    return float((float(pred) - float(target)) ** 2)


def mse(preds: Iterable[float | None], targets: Iterable[float]) -> float:
    """Mean squared error over samples (Rep2D-E, rep2d-beat §4.1)."""
    errs = [squared_error(p, t) for p, t in zip(preds, targets, strict=True)]
    return float(np.mean(errs)) if errs else math.nan


def l2_error(pred: Sequence[float] | None, target: Sequence[float]) -> float:
    """Euclidean distance ‖p − t‖₂ between camera positions (Rep2D-AT); ``inf`` if missing."""
    if pred is None:
        return math.inf
    p, t = np.asarray(pred, dtype=float), np.asarray(target, dtype=float)
    if p.shape != t.shape:
        return math.inf
    return float(np.linalg.norm(p - t))


def mean_l2_error(preds: Iterable[Sequence[float] | None], targets: Iterable[Sequence[float]]) -> float:
    """Mean L2 error over samples (Rep2D-AT, rep2d-beat §4.1)."""
    errs = [l2_error(p, t) for p, t in zip(preds, targets, strict=True)]
    return float(np.mean(errs)) if errs else math.nan


# ------------------------------------------------------------------------- MRA (VSI, SPAR)


def mra_thresholds(start: float = 0.5, end: float = 0.95, interval: float = 0.05) -> np.ndarray:
    """Confidence thresholds θ exactly as VSI-Bench builds them (10 values for the defaults).

    The official code computes ``int((end - start) / interval + 2)`` = int(10.999…) = 10
    points with ``np.linspace``; we keep that expression so the floats are bit-identical.
    """
    return np.linspace(start, end, int((end - start) / interval + 2))


def mean_relative_accuracy(pred: float | None, target: float, *, start: float = 0.5,
                           end: float = 0.95, interval: float = 0.05) -> float:
    """VSI-Bench MRA: mean over θ of [|p − t| / t ≤ 1 − θ].

    Reproduces ``mean_relative_accuracy`` / ``abs_dist_norm`` in lmms-eval
    ``lmms_eval/tasks/vsibench/utils.py`` (thinking-in-space), float for float:

    * For t = 1, p = 1.05 scores 1.0: |1.05 − 1| = 0.050000000000000044 and
      1 − 0.95 = 0.050000000000000044 as well, so the θ = 0.95 test passes only through
      float rounding (with exact decimals it would be a tie either way). We keep it.
      Likewise p = 1.3 → 0.5 (θ = 0.70 passes by rounding), p = 1.5 → 0.1, p = 2 → 0.0.
    * A missing prediction (``None``; the official ``to_float`` failure → ``TypeError``)
      scores 0.0, the official worst case. NaN and ±inf predictions score 0.0.
    * The error is ``abs(p - t) / t``, not ``abs((p - t) / t)``: a negative target would
      make every threshold pass. VSI targets are positive; we do not "fix" this.
    * t = 0 raises ``ZeroDivisionError`` in the official code; we raise ``ValueError``
      (targets are ours, so this is a task bug). Use :func:`spar_mean_relative_accuracy`
      for quantities that can be 0.
    """
    if pred is None:
        return 0.0
    p, t = float(pred), float(target)
    if t == 0.0:
        raise ValueError("VSI MRA is undefined for target 0; use spar_mean_relative_accuracy")
    rel = abs(p - t) / t
    return float((rel <= 1 - mra_thresholds(start, end, interval)).mean())


def _spar_abs_dist_norm(pred: float, target: float) -> float:
    # SPAR's abs_dist_norm: absolute error when the target is exactly 0, else |(p − t)/t|.
    if target == 0.0:
        return abs(pred - target)
    return abs((pred - target) / target)


def spar_mean_relative_accuracy(pred: float | None, target: float, *, start: float = 0.5,
                                end: float = 0.95, interval: float = 0.05) -> float:
    """SPAR-Bench MRA: VSI's MRA with |(p − t)/t|, and the absolute error |p − t| when t = 0.

    Reproduces ``mean_relative_accuracy`` / ``abs_dist_norm`` in the SPAR repository's
    ``lmms-eval/lmms_eval/tasks/sparbench/utils.py`` (fudan-zvg/spar). Same thresholds and
    rounding quirks as :func:`mean_relative_accuracy`. A missing prediction scores 0.0 (the
    official bare ``except`` → worst case). For the ``*_mv`` depth/distance tasks the
    official parser yields −1 when no number is found; pass that −1 here, it scores like
    any other wrong number (0.0 unless the target is near −1).
    """
    if pred is None:
        return 0.0
    err = _spar_abs_dist_norm(float(pred), float(target))
    return float((err <= 1 - mra_thresholds(start, end, interval)).mean())


#: Order of the five signed axes of SPAR view-change inference (as in the official code).
SPAR_VIEW_AXES: tuple[str, ...] = (
    "move_right_left",
    "move_up_down",
    "move_forward_backward",
    "rotate_right_left",
    "rotate_up_down",
)


def spar_view_change_score(pred_axes: Sequence[float] | None, target_axes: Sequence[float], *,
                           swap_args: bool = True) -> float:
    """SPAR-Bench view-change inference (VCI) score: mean over 5 signed axes of SPAR MRA.

    Axes (see :data:`SPAR_VIEW_AXES`): right − left, up − down, forward − backward (metres),
    rotate right − left, rotate up − down (degrees); :func:`spatial_env.parsing.parse_view_change`
    produces them. Reproduces ``compute_vci_metric`` in fudan-zvg/spar
    ``lmms-eval/lmms_eval/tasks/sparbench/utils.py``, including its quirk: it calls
    ``mean_relative_accuracy(gt, answer)``, i.e. with the arguments swapped, so each axis
    is normalised by the *prediction*: err = |(t − p) / p|, or |t − p| when p = 0.
    ``swap_args=False`` gives the intended |(p − t) / t| instead (not comparable with
    published tables). The official code wraps everything in a bare ``except`` → 0, so a
    missing or malformed prediction (not 5 finite-or-not numbers) scores 0.0 here.
    """
    try:
        p = np.asarray(pred_axes, dtype=float).reshape(5)
        t = np.asarray(target_axes, dtype=float).reshape(5)
    except (TypeError, ValueError):
        return 0.0
    scores = []
    for pi, ti in zip(p.tolist(), t.tolist()):
        if swap_args:
            scores.append(spar_mean_relative_accuracy(ti, pi))
        else:
            scores.append(spar_mean_relative_accuracy(pi, ti))
    return float(np.mean(scores))


# --------------------------------------------------------------------------- multiple choice


def _vsi_fuzzy_matching(text: str) -> str:
    # VSI's fuzzy_matching: first *space*-separated token (not any whitespace), '.' stripped.
    return text.split(" ")[0].rstrip(".").strip()


def multiple_choice_accuracy(prediction: str | None, target: str, *, mode: str = "strict") -> float:
    """Multiple-choice accuracy in one of three modes.

    * ``"strict"`` (default, for rewards): the prediction is an already-parsed option
      (e.g. from :func:`spatial_env.parsing.parse_choice`); 1.0 iff it equals the target
      case-insensitively after stripping whitespace. Empty or missing → 0.0.
    * ``"vsi"``: VSI-Bench ``exact_match(fuzzy_matching(pred), gt)`` on the raw text:
      the first space-separated token with trailing '.' stripped, compared lower-cased.
    * ``"spar_official"``: SPAR-Bench's lenient ``exact_match`` on the raw text
      (fudan-zvg/spar ``sparbench/utils.py``), lower-cased: 1 if pred == target, or pred is
      a substring of the target, or pred's first character equals the target. Quirk kept:
      an empty answer is a substring of every target and scores 1.0; so does any answer
      that merely starts with the right letter ("a lamp" for target "A").
    """
    if prediction is None:
        return 0.0
    if mode == "strict":
        pred = prediction.strip()
        return 1.0 if pred and pred.lower() == target.strip().lower() else 0.0
    if mode == "vsi":
        return 1.0 if _vsi_fuzzy_matching(prediction).lower() == target.lower() else 0.0
    if mode == "spar_official":
        pred, tgt = prediction.lower(), target.lower()
        if pred == tgt or pred in tgt:
            return 1.0
        return 1.0 if pred[0] == tgt else 0.0
    raise ValueError(f"mode must be 'strict', 'vsi' or 'spar_official', got {mode!r}")


# --------------------------------------------------------------------------------- MultiSPA


def multispa_exact_match(prediction: str | None, target: str, *, ignore_case: bool = False) -> float:
    """MultiSPA qualitative / multiple-choice score: exact string match (multi-spatialmllm §3.3).

    Both sides are whitespace-stripped; the prediction is the backtick content from
    :func:`spatial_env.parsing.parse_backtick`. MultiSPA's evaluation code is unreleased,
    so case handling is our choice: exact by default, ``ignore_case`` for a lenient variant.
    """
    if prediction is None:
        return 0.0
    p, t = prediction.strip(), target.strip()
    if ignore_case:
        p, t = p.lower(), t.lower()
    return 1.0 if p == t else 0.0


def multispa_vector_correct(pred: float | Sequence[float] | None, target: float | Sequence[float], *,
                            rel_tol: float = 0.2) -> float:
    """MultiSPA scalar/vector score: 1.0 iff ‖p − t‖₂ ≤ 0.2 · ‖t‖₂ (multi-spatialmllm §3.3).

    Works for scalars (|p − t| ≤ 0.2·|t|) and vectors of any length; units must agree
    (MultiSPA distances are millimetres). A zero target is only matched exactly.
    Inclusive ≤ is our reading of "within 20%"; the official code is unreleased.
    """
    if pred is None:
        return 0.0
    p, t = np.atleast_1d(np.asarray(pred, dtype=float)), np.atleast_1d(np.asarray(target, dtype=float))
    if p.shape != t.shape:
        return 0.0
    return 1.0 if np.linalg.norm(p - t) <= rel_tol * np.linalg.norm(t) else 0.0


def multispa_point_correct(pred: Sequence[float] | None, target: Sequence[float], *, width: float,
                           height: float, normalized: bool = True, tol: float = 0.05) -> float:
    """MultiSPA pixel-coordinate score: 1.0 iff ‖p − t‖₂ ≤ 5% of the image width, in pixels.

    With ``normalized=True`` the points are MultiSPA's 0–1000 coordinates and are first
    mapped to pixels with (W, H), so the tolerance is isotropic in pixels as the paper
    states ("within 5% image width pixels", multi-spatialmllm §3.3). Euclidean distance
    and inclusive ≤ are our reading; the official code is unreleased.
    """
    if pred is None:
        return 0.0
    p, t = np.asarray(pred, dtype=float), np.asarray(target, dtype=float)
    if p.shape != (2,) or t.shape != (2,):
        return 0.0
    if normalized:
        scale = np.array([width, height], dtype=float) / 1000.0
        p, t = p * scale, t * scale
    return 1.0 if np.linalg.norm(p - t) <= tol * float(width) else 0.0


# ------------------------------------------------------------------------------------ GASP


def pck(pred_points: Sequence[Sequence[float]], target_points: Sequence[Sequence[float]], *,
        delta: float = 2.0, patch_size: float | None = None,
        visible: Sequence[bool] | None = None) -> float:
    """Percentage of correct keypoints, PCK@δ, as a fraction in [0, 1] (GASP §5.3).

    A point is correct when its Euclidean distance to the truth is *strictly* below δ, as
    in DiffTrack's ``MatchingEvaluator`` (utils/evaluation.py), which GASP follows. δ is in
    the points' units (GASP: δ = 2 feature patches); if the points are in pixels and δ in
    patches, pass ``patch_size`` (pixels per patch) and the threshold becomes δ·patch_size.
    ``visible`` masks out points without ground truth. No counted points → NaN.
    """
    p = np.asarray(pred_points, dtype=float).reshape(-1, 2)
    t = np.asarray(target_points, dtype=float).reshape(-1, 2)
    if p.shape != t.shape:
        raise ValueError(f"shape mismatch: {p.shape} vs {t.shape}")
    mask = np.ones(len(t), dtype=bool) if visible is None else np.asarray(visible, dtype=bool).reshape(-1)
    if not mask.any():
        return math.nan
    thr = delta * (patch_size if patch_size is not None else 1.0)
    dist = np.linalg.norm(p - t, axis=1)
    return float((dist[mask] < thr).mean())


def pearson_correlation(confidence: Sequence[float], correct: Sequence[float]) -> float:
    """Pearson ρ between confidences and 0/1 correctness labels (GASP §5.3, eq. 13).

    NaN when undefined (fewer than 2 samples, or either side has zero variance).
    """
    c = np.asarray(confidence, dtype=float).reshape(-1)
    y = np.asarray(correct, dtype=float).reshape(-1)
    if c.shape != y.shape:
        raise ValueError(f"shape mismatch: {c.shape} vs {y.shape}")
    if c.size < 2:
        return math.nan
    dc, dy = c - c.mean(), y - y.mean()
    denom = math.sqrt(float((dc * dc).sum())) * math.sqrt(float((dy * dy).sum()))
    return float((dc * dy).sum() / denom) if denom > 0 else math.nan


# ---------------------------------------------------------------------- free-form EM (SQA3D)

_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "thirteen": "13", "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17",
    "eighteen": "18", "nineteen": "19", "twenty": "20",
}
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD-style normalisation: lower-case, drop punctuation and articles, number words → digits.

    Number words zero…twenty become digits ("three" → "3") so that "3" and "three" match,
    since SQA3D asks for words and ScanQA for digits (rep2d-beat App. D).
    """
    text = text.lower().translate(_PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(_NUMBER_WORDS.get(tok, tok) for tok in text.split())


def exact_match(prediction: str | None, references: str | Iterable[str]) -> float:
    """EM@1: 1.0 iff the normalised prediction equals any normalised reference."""
    if prediction is None:
        return 0.0
    refs = [references] if isinstance(references, str) else list(references)
    pred = normalize_answer(prediction)
    return 1.0 if any(pred == normalize_answer(r) for r in refs) else 0.0


# --------------------------------------------------------------------------- metric objects


@dataclass(frozen=True)
class Metric:
    """A benchmark metric as envs, summaries and reports use it.

    ``worst`` is what a failed parse scores: a number, or a callable of the question's target for
    metrics whose worst value depends on the question (an L2 error capped at the room diagonal).
    ``aggregation`` names how per-question values combine into the benchmark figure (all of ours
    are means: MSE is the mean squared error, accuracy the mean of 0/1 scores).
    """

    name: str
    higher_is_better: bool
    best: float
    worst: float | Callable[[dict], float]
    aggregation: str = "mean"
    description: str = ""

    def worst_value(self, target: dict | None = None) -> float:
        """The value a failed parse scores for ``target``."""
        return float(self.worst(target or {}) if callable(self.worst) else self.worst)

    def reward(self, value: float) -> float:
        """The reward for a metric value: the value itself, negated for error metrics."""
        return float(value) if self.higher_is_better else -float(value)

    def aggregate(self, values: Sequence[float]) -> float:
        """The benchmark figure of per-question values."""
        if self.aggregation != "mean":
            raise ValueError(f"metric {self.name!r}: unknown aggregation {self.aggregation!r}")
        return float(np.mean(values)) if len(values) else math.nan

    def better(self, a: float, b: float) -> bool:
        """True if value ``a`` is strictly better than ``b``."""
        return a > b if self.higher_is_better else a < b


METRICS: dict[str, Metric] = {}


def register_metric(metric: Metric) -> Metric:
    """Add a metric to :data:`METRICS` (a name registered twice must be the same object's twin)."""
    old = METRICS.get(metric.name)
    if old is not None and old != metric:
        raise ValueError(f"metric {metric.name!r} is already registered differently: {old}")
    METRICS[metric.name] = metric
    return metric


def get_metric(name: str) -> Metric:
    """The registered metric called ``name`` (ValueError lists the known ones)."""
    try:
        return METRICS[name]
    except KeyError:
        raise ValueError(f"unknown metric {name!r}; registered: {sorted(METRICS)}") from None


def _max_error(target: dict) -> float:
    if "max_error" not in target:
        raise ValueError("an L2 error's worst value is the target's 'max_error' (the largest possible error)")
    return float(target["max_error"])


IOU = register_metric(Metric("iou", True, 1.0, 0.0, description="Rep2D-B: IoU of 0-1000 boxes"))
# Predictions are clipped to [0, 1] before squaring, so 1 is the largest error.
SQUARED_ERROR = register_metric(Metric("squared_error", False, 0.0, 1.0,
                                       description="Rep2D-E: squared error of the visible fraction (MSE as a mean)"))
L2_ERROR = register_metric(Metric("l2_error", False, 0.0, _max_error,
                                  description="Rep2D-AT: L2 error of the camera position, metres"))
ACCURACY = register_metric(Metric("accuracy", True, 1.0, 0.0, description="share of correct answers"))
SPAR_MRA = register_metric(Metric("spar_mra", True, 1.0, 0.0, description="SPAR-Bench mean relative accuracy"))
MRA = register_metric(Metric("mra", True, 1.0, 0.0, description="VSI-Bench mean relative accuracy"))
PCK = register_metric(Metric("pck", True, 1.0, 0.0, description="GASP percentage of correct keypoints"))
