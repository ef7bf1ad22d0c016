"""Golden tests for spatial_env.metrics; each case shows its arithmetic in a comment."""

import math

import numpy as np
import pytest

from spatial_env import metrics as M
from spatial_env.metrics import EMPTY_BOX


# ------------------------------------------------------------------------------ box IoU

@pytest.mark.parametrize(
    "pred, target, expected",
    [
        ((0, 0, 10, 10), (0, 0, 10, 10), 1.0),  # identical: 100 / 100
        ((0, 0, 10, 10), (5, 0, 15, 10), 1 / 3),  # inter 5*10=50, union 100+100-50=150
        ((0, 0, 10, 10), (10, 0, 20, 10), 0.0),  # exclusive max: touching edges share no pixel
        ((0, 0, 4, 4), (2, 2, 6, 6), 1 / 7),  # inter 2*2=4, union 16+16-4=28
        ((0, 0, 10, 10), (2, 2, 8, 8), 0.36),  # contained: inter 6*6=36, union 100
        ((0, 0, 10, 10), (20, 20, 30, 30), 0.0),  # disjoint
        ((0.5, 0, 2.5, 1), (1.5, 0, 3.5, 1), 1 / 3),  # floats: inter 1*1=1, union 2+2-1=3
    ],
)
def test_box_iou_golden(pred, target, expected):
    assert M.box_iou(pred, target) == pytest.approx(expected, abs=1e-12)
    assert M.box_iou(target, pred) == pytest.approx(expected, abs=1e-12)  # symmetric


@pytest.mark.parametrize(
    "pred, target, expected",
    [
        (None, EMPTY_BOX, 1.0),  # both "absent": a correct absence prediction is perfect
        (EMPTY_BOX, EMPTY_BOX, 1.0),
        ((5, 5, 5, 9), None, 1.0),  # zero-width box is empty too
        (EMPTY_BOX, (0, 0, 10, 10), 0.0),  # predicted absent, object visible
        ((0, 0, 10, 10), None, 0.0),  # predicted a box, object absent
        ((10, 10, 0, 0), (0, 0, 10, 10), 0.0),  # inverted box counts as empty, not reordered
        ((0, 0, math.nan, 10), (0, 0, 10, 10), 0.0),  # NaN coordinate → empty
    ],
)
def test_box_iou_empty_convention(pred, target, expected):
    assert M.box_iou(pred, target) == expected


def test_box_area_and_empty():
    assert M.box_area((2, 3, 7, 5)) == 10.0  # (7-2)*(5-3) = 5*2, exclusive max: no +1
    assert M.box_area((7, 3, 2, 5)) == 0.0  # inverted → empty
    assert M.box_is_empty(None) and M.box_is_empty((1, 1, 1, 1))
    assert not M.box_is_empty((0, 0, 1, 1))


def test_norm1000_conversions():
    # Full 512x512 image → (0, 0, 1000, 1000): 512/512*1000.
    assert M.box_to_norm1000((0, 0, 512, 512), 512, 512) == (0, 0, 1000, 1000)
    # W=512, H=256: 128/512*1000=250, 64/256*1000=250, 256/512*1000=500, 192/256*1000=750.
    assert M.box_to_norm1000((128, 64, 256, 192), 512, 256) == (250, 250, 500, 750)
    assert M.box_from_norm1000((250, 250, 500, 750), 512, 256) == (128.0, 64.0, 256.0, 192.0)
    # Rounding: 3/2000*1000 = 1.5 → round-half-even 2, floor 1; 1/2000*1000 = 0.5 → 0 both.
    assert M.to_norm1000((3, 1), (2000, 2000)) == (2, 0)
    assert M.to_norm1000((3, 1), (2000, 2000), rounding="floor") == (1, 0)
    # MultiSPA point on 640x480: 319.5/640*1000 = 499.22 → 499; 239.5/480*1000 = 498.96 → 499.
    assert M.to_norm1000((319.5, 239.5), (640, 480)) == (499, 499)
    assert M.to_norm1000((319.5, 239.5), (640, 480), rounding=None) == pytest.approx((499.21875, 498.9583333))
    with pytest.raises(ValueError):
        M.to_norm1000((1, 1), (2, 2), rounding="ceil")


# ------------------------------------------------------------------ Rep2D-E / Rep2D-AT

@pytest.mark.parametrize(
    "pred, target, expected",
    [
        (0.5, 0.3, 0.04),  # (0.5-0.3)^2 = 0.2^2
        (1.0, 1.0, 0.0),
        (0.0, 1.0, 1.0),  # (0-1)^2
        (0.25, 0.75, 0.25),  # (-0.5)^2
        (0.9, 0.6, 0.09),  # 0.3^2
    ],
)
def test_squared_error_golden(pred, target, expected):
    assert M.squared_error(pred, target) == pytest.approx(expected)


def test_squared_error_missing_and_mse():
    assert M.squared_error(None, 0.5) == math.inf
    # mean of (0.5-0.3)^2=0.04 and (0.2-0.2)^2=0 → 0.02
    assert M.mse([0.5, 0.2], [0.3, 0.2]) == pytest.approx(0.02)
    # mean of 1 and 0.25 → 0.625
    assert M.mse([0.0, 0.25], [1.0, 0.75]) == pytest.approx(0.625)
    assert math.isnan(M.mse([], []))


@pytest.mark.parametrize(
    "pred, target, expected",
    [
        ((0, 0, 0), (3, 4, 0), 5.0),  # sqrt(9+16)
        ((1, 2, 3), (1, 2, 3), 0.0),
        ((1, 1, 1), (0, 0, 0), math.sqrt(3)),  # sqrt(1+1+1)
        ((-1, 0, 0), (1, 0, 0), 2.0),
        ((1, 2, 2), (0, 0, 0), 3.0),  # sqrt(1+4+4)
        (None, (0, 0, 0), math.inf),  # missing prediction
        ((1, 2), (1, 2, 3), math.inf),  # wrong length counts as missing
    ],
)
def test_l2_error_golden(pred, target, expected):
    assert M.l2_error(pred, target) == pytest.approx(expected)


def test_mean_l2_error():
    # (5 + 0) / 2 = 2.5
    assert M.mean_l2_error([(0, 0, 0), (1, 1, 1)], [(3, 4, 0), (1, 1, 1)]) == pytest.approx(2.5)


# ----------------------------------------------------------------------------- VSI MRA

def test_mra_thresholds_are_vsi_linspace():
    th = M.mra_thresholds()
    # int((0.95-0.5)/0.05 + 2) = int(10.999999999999998) = 10 points
    assert len(th) == 10
    assert th.tolist() == np.linspace(0.5, 0.95, 10).tolist()


@pytest.mark.parametrize(
    "pred, expected",
    [
        # Golden values of the official code for t = 1 (issue 3).
        (1.05, 1.0),  # |1.05-1| = 0.050000000000000044 == 1-0.95 → passes θ=0.95 by float rounding
        (1.3, 0.5),  # 0.30000000000000004 ≤ 1-0.70 = 0.30000000000000004 → θ .50-.70 pass: 5/10
        (1.5, 0.1),  # 0.5 ≤ 1-0.5 only → 1/10
        (2.0, 0.0),  # 1.0 > 0.5 → 0/10
        (0.95, 1.0),  # |0.95-1| = 0.050000000000000044 again → all 10 pass
    ],
)
def test_vsi_mra_golden_issue_values(pred, expected):
    assert M.mean_relative_accuracy(pred, 1.0) == expected


@pytest.mark.parametrize(
    "pred, target, expected",
    [
        # 1-θ for θ=.50…95: .5, .45, .4, .35, .30000000000000004, .25, .19999999999999996,
        # .15000000000000002, .10000000000000009, .050000000000000044
        (12, 10, 0.6),  # rel 0.2 > 0.19999999999999996 (θ=.8 fails by rounding) → 6/10
        (8, 10, 0.6),  # same |−2|/10 = 0.2 → 6/10
        (11.5, 10, 0.8),  # rel 0.15 ≤ .15000000000000002 → θ .50-.85 pass: 8/10
        (3, 4, 0.6),  # rel 0.25 ≤ 0.25 (θ=.75) → 6/10
        (1.8, 2, 0.9),  # rel 0.09999999999999998 ≤ .10000000000000009 → 9/10
        (10, 10, 1.0),  # exact
        (0, 10, 0.0),  # rel 1.0
    ],
)
def test_vsi_mra_hand_worked(pred, target, expected):
    assert M.mean_relative_accuracy(pred, target) == expected


def test_vsi_mra_edge_cases():
    assert M.mean_relative_accuracy(None, 3.0) == 0.0  # to_float failure → worst case
    assert M.mean_relative_accuracy(math.nan, 3.0) == 0.0  # NaN compares False everywhere
    assert M.mean_relative_accuracy(math.inf, 3.0) == 0.0
    # Official quirk kept: abs(p - t) / t is negative for t < 0, so every θ passes.
    assert M.mean_relative_accuracy(5.0, -2.0) == 1.0
    with pytest.raises(ValueError):
        M.mean_relative_accuracy(1.0, 0.0)  # official code raises ZeroDivisionError here


# ---------------------------------------------------------------------------- SPAR MRA

@pytest.mark.parametrize(
    "pred, target, expected",
    [
        (1.05, 1.0, 1.0),  # same rounding as VSI
        (12, 10, 0.6),  # |(12-10)/10| = 0.2 → 6/10 as in VSI
        (0.03, 0.0, 1.0),  # t=0 → absolute error 0.03 ≤ 0.050000000000000044 → 10/10
        (0.3, 0.0, 0.5),  # |0.3| ≤ 0.30000000000000004 → θ .50-.70: 5/10
        (-1.0, 0.0, 0.0),  # the *_mv "no number" −1 vs t=0: |−1| = 1 → 0/10
        (5.0, -2.0, 0.0),  # |(5+2)/−2| = 3.5: SPAR takes abs of the ratio, unlike VSI
        (-1.0, 2.0, 0.0),  # |(−1−2)/2| = 1.5
    ],
)
def test_spar_mra_golden(pred, target, expected):
    assert M.spar_mean_relative_accuracy(pred, target) == expected


def test_spar_mra_missing():
    assert M.spar_mean_relative_accuracy(None, 2.0) == 0.0


# ------------------------------------------------------------------ SPAR view change

@pytest.mark.parametrize(
    "pred, target, swapped, plain",
    [
        # identical answers: every axis err 0 → 1
        ((1.2, 0.4, 1.4, -90, 5), (1.2, 0.4, 1.4, -90, 5), 1.0, 1.0),
        # axis 0: swapped |(2−1)/1| = 1 → 0; plain |(1−2)/2| = 0.5 → 0.1; four 0-vs-0 axes → 1 each
        ((1, 0, 0, 0, 0), (2, 0, 0, 0, 0), (0 + 4) / 5, (0.1 + 4) / 5),
        # mirrored: swapped |(1−2)/2| = 0.5 → 0.1; plain |(2−1)/1| = 1 → 0
        ((2, 0, 0, 0, 0), (1, 0, 0, 0, 0), (0.1 + 4) / 5, (0 + 4) / 5),
        # prediction 0 on axis 0: swapped uses |t − p| = 0.3 → 0.5; plain |(0−0.3)/0.3| = 1 → 0
        ((0, 0, 0, 0, 0), (0.3, 0, 0, 0, 0), (0.5 + 4) / 5, (0 + 4) / 5),
        # rotation axis: p=−100, t=−90: swapped |(−90+100)/−100| = 0.1 → 0.9 (θ≤.9 pass);
        # plain |(−100+90)/−90| = 0.111… → 0.8 (θ≤.85)
        ((0, 0, 0, -100, 0), (0, 0, 0, -90, 0), (0.9 + 4) / 5, (0.8 + 4) / 5),
    ],
)
def test_spar_view_change_golden(pred, target, swapped, plain):
    assert M.spar_view_change_score(pred, target) == pytest.approx(swapped, abs=1e-12)
    assert M.spar_view_change_score(pred, target, swap_args=False) == pytest.approx(plain, abs=1e-12)


def test_spar_view_change_malformed_scores_zero():
    assert M.spar_view_change_score(None, (0, 0, 0, 0, 0)) == 0.0
    assert M.spar_view_change_score((1, 2, 3), (0, 0, 0, 0, 0)) == 0.0
    assert M.spar_view_change_score("garbage", (0, 0, 0, 0, 0)) == 0.0


# --------------------------------------------------------------------- multiple choice

@pytest.mark.parametrize(
    "pred, target, expected",
    [
        ("B", "b", 1.0),  # case-insensitive
        (" c ", "C", 1.0),  # whitespace stripped
        ("B", "A", 0.0),
        ("", "A", 0.0),  # empty is wrong in strict mode
        (None, "A", 0.0),
    ],
)
def test_mc_strict(pred, target, expected):
    assert M.multiple_choice_accuracy(pred, target) == expected


@pytest.mark.parametrize(
    "pred, target, expected",
    [
        ("B. chair", "B", 1.0),  # first token "B." → rstrip('.') → "B"
        ("b", "B", 1.0),  # lower-cased comparison
        ("C.", "c", 1.0),
        ("The answer is B", "B", 0.0),  # first token "The"
        ("B\nchair", "B", 0.0),  # official splits on ' ' only: token "B\nchair"
    ],
)
def test_mc_vsi(pred, target, expected):
    assert M.multiple_choice_accuracy(pred, target, mode="vsi") == expected


@pytest.mark.parametrize(
    "pred, target, expected",
    [
        ("", "A", 1.0),  # quirk: "" is a substring of every target
        ("a lamp", "A", 1.0),  # first character 'a' equals target 'a'
        ("a", "A. lamp", 1.0),  # prediction is a substring of the target
        ("b", "B", 1.0),  # equal after lower()
        ("The answer is B", "B", 0.0),  # 't' != 'b' and not a substring
        ("C", "B", 0.0),
        (" b", "B", 0.0),  # ' b' not in 'b', first char ' ' != 'b'
    ],
)
def test_mc_spar_official(pred, target, expected):
    assert M.multiple_choice_accuracy(pred, target, mode="spar_official") == expected


def test_mc_bad_mode():
    with pytest.raises(ValueError):
        M.multiple_choice_accuracy("A", "A", mode="fuzzy")


# -------------------------------------------------------------------------------- MultiSPA

@pytest.mark.parametrize(
    "pred, target, kwargs, expected",
    [
        ("closer", "closer", {}, 1.0),
        (" closer ", "closer", {}, 1.0),  # stripped
        ("Closer", "closer", {}, 0.0),  # exact by default
        ("Closer", "closer", {"ignore_case": True}, 1.0),
        ("farther", "closer", {}, 0.0),
        (None, "closer", {}, 0.0),
    ],
)
def test_multispa_exact_match(pred, target, kwargs, expected):
    assert M.multispa_exact_match(pred, target, **kwargs) == expected


@pytest.mark.parametrize(
    "pred, target, expected",
    [
        (1100, 1000, 1.0),  # |100| ≤ 0.2*1000 = 200
        (1200, 1000, 1.0),  # |200| ≤ 200: boundary is inclusive
        (1201, 1000, 0.0),  # 201 > 200
        ([110, 0, 0], [100, 0, 0], 1.0),  # ‖(10,0,0)‖ = 10 ≤ 0.2*100 = 20
        ([100, 30, 0], [100, 0, 0], 0.0),  # ‖(0,30,0)‖ = 30 > 20
        ([0, 0, 0], [3, 4, 0], 0.0),  # ‖(−3,−4,0)‖ = 5 > 0.2*5 = 1
        ([3, 4.5, 0], [3, 4, 0], 1.0),  # ‖(0,0.5,0)‖ = 0.5 ≤ 1
        (0, 0, 1.0),  # zero target: only an exact 0 passes (0 ≤ 0)
        ([1, 2], [1, 2, 3], 0.0),  # shape mismatch
        (None, 5, 0.0),
    ],
)
def test_multispa_vector_correct(pred, target, expected):
    assert M.multispa_vector_correct(pred, target) == expected


@pytest.mark.parametrize(
    "pred, target, size, normalized, expected",
    [
        ((500, 500), (530, 540), (1000, 1000), True, 1.0),  # sqrt(30²+40²) = 50 ≤ 0.05*1000
        ((500, 500), (530, 541), (1000, 1000), True, 0.0),  # sqrt(900+1681) = 50.8 > 50
        ((500, 500), (540, 500), (640, 480), True, 1.0),  # dx = 40/1000*640 = 25.6 px ≤ 32
        ((500, 500), (500, 560), (640, 480), True, 1.0),  # dy = 60*0.48 = 28.8 px ≤ 32
        ((500, 500), (500, 570), (640, 480), True, 0.0),  # dy = 70*0.48 = 33.6 px > 32
        ((100, 100), (100, 131), (640, 480), False, 1.0),  # pixels: 31 ≤ 32
        ((100, 100), (100, 133), (640, 480), False, 0.0),  # pixels: 33 > 32
    ],
)
def test_multispa_point_correct(pred, target, size, normalized, expected):
    w, h = size
    assert M.multispa_point_correct(pred, target, width=w, height=h, normalized=normalized) == expected


def test_multispa_point_missing():
    assert M.multispa_point_correct(None, (1, 1), width=10, height=10) == 0.0


# ------------------------------------------------------------------------------------ GASP

PRED = [[0, 0], [1, 1], [3, 0]]
TRUE = [[0, 0], [0, 0], [0, 0]]


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"delta": 2}, 2 / 3),  # distances 0, 1.414, 3 → first two < 2
        ({"delta": 3}, 2 / 3),  # 3 < 3 is False: strict, as DiffTrack
        ({"delta": 3.01}, 1.0),  # all three < 3.01
        ({"delta": 1}, 1 / 3),  # only the exact hit
        ({"delta": 2, "visible": [True, False, True]}, 1 / 2),  # distances 0, 3 counted
        ({"delta": 0.1, "patch_size": 14}, 1 / 3),  # threshold 1.4 px: 1.414 > 1.4
        ({"delta": 0.11, "patch_size": 14}, 2 / 3),  # threshold 1.54 px: 1.414 passes
    ],
)
def test_pck_golden(kwargs, expected):
    assert M.pck(PRED, TRUE, **kwargs) == pytest.approx(expected)


def test_pck_undefined_and_bad_shapes():
    assert math.isnan(M.pck(PRED, TRUE, visible=[False, False, False]))
    with pytest.raises(ValueError):
        M.pck([[0, 0]], TRUE)


@pytest.mark.parametrize(
    "conf, correct, expected",
    [
        ([1, 2, 3], [1, 2, 3], 1.0),
        ([1, 2, 3], [3, 2, 1], -1.0),
        # means .5/.5; Σdc·dy = .2+.15+.2+.15 = .7; Σdc² = .5; Σdy² = 1 → .7/√.5
        ([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0], 0.7 / math.sqrt(0.5)),
        # dc = (−1.5,−.5,.5,1.5), dy = (−.5,.5,−.5,.5): Σ = 1; Σdc² = 5; Σdy² = 1 → 1/√5
        ([1, 2, 3, 4], [0, 1, 0, 1], 1 / math.sqrt(5)),
        # dc = (−1, 0, 1), dy = (1/3, −2/3, 1/3): Σ = 0 → uncorrelated
        ([0, 1, 2], [1, 0, 1], 0.0),
    ],
)
def test_pearson_golden(conf, correct, expected):
    assert M.pearson_correlation(conf, correct) == pytest.approx(expected, abs=1e-12)


def test_pearson_undefined():
    assert math.isnan(M.pearson_correlation([1, 2, 3], [1, 1, 1]))  # zero variance
    assert math.isnan(M.pearson_correlation([1], [1]))  # one sample


# ------------------------------------------------------------------------------ free-form EM

@pytest.mark.parametrize(
    "pred, refs, expected",
    [
        ("three", "3", 1.0),  # number word → digit
        ("A table", "table", 1.0),  # article dropped
        ("Kitchen!", "kitchen", 1.0),  # case and punctuation
        ("two", ["1", "2"], 1.0),  # any reference
        ("left", "right", 0.0),
        ("the  brown   chair.", "brown chair", 1.0),  # whitespace collapsed
        (None, "x", 0.0),
    ],
)
def test_exact_match_golden(pred, refs, expected):
    assert M.exact_match(pred, refs) == expected


def test_normalize_answer():
    assert M.normalize_answer("The Three chairs.") == "3 chairs"
    assert M.normalize_answer("An apple, a pear") == "apple pear"


def test_metric_objects_carry_direction_best_and_worst():
    assert M.METRICS["iou"].higher_is_better and M.METRICS["spar_mra"].higher_is_better
    assert not M.METRICS["squared_error"].higher_is_better and not M.METRICS["l2_error"].higher_is_better
    for m in M.METRICS.values():
        worst = m.worst_value({"max_error": 7.5})
        assert m.better(m.best, worst) and not m.better(worst, m.best)
        assert m.reward(m.best) > m.reward(worst)  # rewards always point up
    assert M.METRICS["l2_error"].worst_value({"max_error": 7.5}) == 7.5
    with pytest.raises(ValueError, match="max_error"):
        M.METRICS["l2_error"].worst_value({})
    with pytest.raises(ValueError, match="unknown metric 'nope'"):
        M.get_metric("nope")
    assert M.METRICS["squared_error"].aggregate([0.0, 0.5]) == 0.25
