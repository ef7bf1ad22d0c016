"""How a Rep2D episode is pictured: the object's box in green (context views and the true query box),
the predicted box in red on the query view."""

from __future__ import annotations

import numpy as np

from ...draw import GREEN, RED, draw_box
from ...metrics import box_from_norm1000
from .. import Episode


def draw(episode: Episode, prediction=None) -> list[np.ndarray]:
    """The episode's images with its boxes drawn; ``prediction`` (a parsed 0-1000 box) on the last one."""
    images = [np.array(img) for img in episode.images]
    h, w = images[0].shape[:2]
    thick = max(2, w // 170)
    meta = episode.meta
    if meta.get("context_images", True):
        for i, box in enumerate(meta.get("context_boxes", [])):
            images[i] = draw_box(images[i], box, GREEN, thick)
    images[-1] = draw_box(images[-1], meta.get("query_box"), GREEN, thick)
    if isinstance(prediction, (list, tuple)) and len(prediction) == 4:
        images[-1] = draw_box(images[-1], box_from_norm1000(prediction, w, h), RED, thick)
    return images
