"""How a SPAR episode is pictured: the marked images as the model saw them, plus, for the questions
about places in an image, the true option in green and the chosen one in red."""

from __future__ import annotations

import numpy as np

from ...draw import GREEN, RED, draw_box
from ...metrics import box_from_norm1000
from .. import Episode
from .items import marker_radius


def _dot(image: np.ndarray, point, colour) -> np.ndarray:
    h, w = image.shape[:2]
    u, v = point[0] / 1000 * w, point[1] / 1000 * h
    yy, xx = np.mgrid[0:h, 0:w]
    r = marker_radius(w) + 1
    out = image.copy()
    out[((xx + 0.5 - u) ** 2 + (yy + 0.5 - v) ** 2 <= r * r) & ((xx + 0.5 - u) ** 2 + (yy + 0.5 - v) ** 2 >= (r - 2) ** 2)] = colour
    return out


def draw(episode: Episode, prediction=None) -> list[np.ndarray]:
    """The episode's images; PosMatch adds the true box (green) and the chosen one (red) on image 2,
    CamMotion the true camera position (green ring) and the chosen one (red ring) on image 1."""
    images = [np.array(img) for img in episode.images]
    meta, letters = episode.meta, "ABCD"
    chosen = letters.index(prediction) if isinstance(prediction, str) and len(prediction) == 1 \
        and prediction in letters[:len(episode.choices or [])] else None
    truth = letters.index(episode.target["answer"]) if "answer" in episode.target else None
    if "option_boxes" in meta and len(images) > 1:
        h, w = images[1].shape[:2]
        thick = max(2, w // 170)
        for k, colour in ((truth, GREEN), (chosen, RED)):
            if k is not None:
                images[1] = draw_box(images[1], box_from_norm1000(meta["option_boxes"][k], w, h), colour, thick)
    if "option_points" in meta:
        for k, colour in ((truth, GREEN), (chosen, RED)):
            if k is not None:
                images[0] = _dot(images[0], meta["option_points"][k], colour)
    return images
