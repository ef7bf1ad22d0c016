"""Parsing and scoring Rep2D answers (IoU, squared error, L2; rep2d-beat.txt §4.1)."""

from __future__ import annotations

from ... import metrics, parsing
from .options import Rep2DOptions

#: Side column of Rep2D-AT: the L2 error capped at the room diagonal (the headline under the paper preset
#: is uncapped, as the paper's Table 9 reports; by default the headline is capped, so one wild answer
#: cannot dominate a mean).
L2_CAPPED = metrics.register_metric(metrics.Metric(
    "l2_error_capped", False, 0.0, metrics.L2_ERROR.worst,
    description="Rep2D-AT: L2 error of the camera position capped at the room diagonal, metres"))


def parse_bbox(text: str, options: Rep2DOptions):
    """A 0-1000 box, None for the all-zero (empty) box, or a ParseFailure."""
    box = parsing.parse_box(text, mode=options.parsing)
    if isinstance(box, parsing.ParseFailure):
        return box
    return None if all(v == 0 for v in box) else [float(v) for v in box]


def score_bbox(prediction, target: dict, options: Rep2DOptions) -> dict:
    """IoU of the predicted and true 0-1000 boxes (empty vs empty is 1)."""
    return {"iou": metrics.box_iou(prediction, target["box"])}


def parse_exposure(text: str, options: Rep2DOptions):
    """The visible fraction: the answer is read as a percentage, with or without '%' ("73.5" -> 0.735,
    and a bare "0.85" -> 0.0085), because the prompt asks for "the percentage as a float" and the
    paper's MSEs (0.15-0.63 in Table 8, on a 0-1 scale) are what fractions read as percentages give."""
    return parsing.parse_fraction(text, mode=options.parsing)


def score_exposure(prediction, target: dict, options: Rep2DOptions) -> dict:
    """Squared error of the visible fraction (prediction clipped to [0, 1], so 1 is the largest error)."""
    return {"squared_error": metrics.squared_error(min(max(float(prediction), 0.0), 1.0), target["visibility"])}


def parse_camera_pose(text: str, options: Rep2DOptions):
    """An (x, y, z) position in metres, or a ParseFailure."""
    return parsing.parse_vector(text, dim=3, mode=options.parsing)


def score_camera_pose(prediction, target: dict, options: Rep2DOptions) -> dict:
    """L2 error of the camera position: capped at the room diagonal by default, uncapped under the
    paper preset; the capped value is always a side column."""
    err = metrics.l2_error(prediction, target["position"])
    capped = min(err, float(target["max_error"]))
    return {"l2_error": err if options.preset == "paper" else capped, "l2_error_capped": capped}
