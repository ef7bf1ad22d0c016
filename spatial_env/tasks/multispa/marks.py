"""MultiSPA's visual references and pictures: dots on pixels (§3.1 "visual dots"), labelled dots for
multiple choice, the circle of a correspondence query, and the episode drawn for people (truth in green,
the prediction in red)."""

from __future__ import annotations

import math

import numpy as np

from ...draw import GREEN, RED, draw_box
from .. import Episode

DOT = (255, 40, 40)
RING = (255, 255, 255)
LABEL_FG, LABEL_BG = (255, 255, 255), (20, 20, 20)

# 5x7 bitmaps of the labels the questions use.
_FONT = {
    "A": ["01110", "10001", "10001", "11111", "10001", "10001", "10001"],
    "B": ["11110", "10001", "10001", "11110", "10001", "10001", "11110"],
    "C": ["01110", "10001", "10000", "10000", "10000", "10001", "01110"],
    "D": ["11110", "10001", "10001", "10001", "10001", "10001", "11110"],
}


def radius(width: int) -> int:
    """Dot radius in pixels for an image ``width`` wide (visible at 512, still a dot at 48)."""
    return max(2, int(round(width / 100)))


def _disc(img: np.ndarray, xy, r: float, color, inner: float = -1.0) -> None:
    """Fill the pixels whose centres lie within ``r`` of ``xy`` (and beyond ``inner``), in place."""
    h, w = img.shape[:2]
    x, y = float(xy[0]), float(xy[1])
    x0, x1 = max(0, int(math.floor(x - r))), min(w, int(math.ceil(x + r)) + 1)
    y0, y1 = max(0, int(math.floor(y - r))), min(h, int(math.ceil(y + r)) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1] + 0.5
    d2 = (xx - x) ** 2 + (yy - y) ** 2
    img[y0:y1, x0:x1][(d2 <= r * r) & (d2 > inner * inner if inner >= 0 else True)] = color


def dot(image: np.ndarray, xy, r: int) -> np.ndarray:
    """A copy of ``image`` with a red dot ringed in white at pixel position ``xy`` (continuous, centres +0.5)."""
    out = np.array(image, dtype=np.uint8, copy=True)
    _disc(out, xy, r + max(1, r // 3), RING)
    _disc(out, xy, r, DOT)
    return out


def circle(image: np.ndarray, xy, r: int, color=DOT) -> np.ndarray:
    """A copy of ``image`` with a circle (a ring, hollow so the pixel stays visible) around ``xy``."""
    out = np.array(image, dtype=np.uint8, copy=True)
    t = max(1, r // 2)
    _disc(out, xy, 2 * r + t, RING, 2 * r - 1)
    _disc(out, xy, 2 * r, color, 2 * r - t)
    return out


def label(image: np.ndarray, xy, text: str, r: int) -> np.ndarray:
    """A copy of ``image`` with ``text`` (letters of the 5x7 font) in a dark box beside ``xy``, kept inside."""
    out = np.array(image, dtype=np.uint8, copy=True)
    h, w = out.shape[:2]
    s = max(1, r // 3)
    glyphs = [_FONT[c] for c in text]
    bw, bh = (6 * len(glyphs) + 1) * s, 9 * s
    x = int(xy[0]) + r + 1
    y = int(xy[1]) - r - bh
    if x + bw > w:
        x = int(xy[0]) - r - 1 - bw
    if y < 0:
        y = int(xy[1]) + r + 1
    x, y = max(0, min(x, w - bw)), max(0, min(y, h - bh))
    out[y:y + bh, x:x + bw] = LABEL_BG
    for k, glyph in enumerate(glyphs):
        for row, bits in enumerate(glyph):
            for col, bit in enumerate(bits):
                if bit == "1":
                    gx, gy = x + (1 + 6 * k + col) * s, y + (1 + row) * s
                    out[gy:gy + s, gx:gx + s] = LABEL_FG
    return out


def labelled_dot(image: np.ndarray, xy, text: str, r: int) -> np.ndarray:
    """A dot at ``xy`` with its label beside it."""
    return label(dot(image, xy, r), xy, text, r)


def draw(episode: Episode, prediction=None) -> list[np.ndarray]:
    """The episode's images (with their dots and labels) plus, for people: the true answer's point and the
    referenced pixels in green, the object's boxes in green, and a predicted point or label in red."""
    images = [np.array(img) for img in episode.images]
    meta = episode.meta
    h, w = images[0].shape[:2]
    r = radius(w)
    for mark in meta.get("truth", []):  # a wider ring than the question's own circle, which stays visible
        images[mark["image"]] = circle(images[mark["image"]], mark["xy"], r + max(1, r // 2), GREEN)
    for box in meta.get("boxes", []):
        images[box["image"]] = draw_box(images[box["image"]], box["box"], GREEN, max(1, w // 170))
    if prediction is None:
        return images
    k = meta.get("answer_image")
    if k is not None and isinstance(prediction, (list, tuple)) and len(prediction) == 2:
        xy = [float(prediction[0]) / 1000.0 * w, float(prediction[1]) / 1000.0 * h]
        images[k] = circle(images[k], xy, r, RED)
    elif k is not None and isinstance(prediction, str) and prediction in meta.get("labels", {}):
        images[k] = circle(images[k], meta["labels"][prediction], r, RED)
    return images
