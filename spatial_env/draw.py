"""Pictures for people: boxes drawn on images, colour-mapped depth and ids, contact sheets."""

from __future__ import annotations

import numpy as np

GREEN, RED, BLUE = (40, 220, 60), (235, 40, 40), (40, 120, 255)


def draw_box(image: np.ndarray, box, color=GREEN, thickness: int = 2) -> np.ndarray:
    """A copy of ``image`` with the outline of pixel box ``(x0, y0, x1, y1)`` (exclusive max) drawn."""
    out = np.array(image, dtype=np.uint8, copy=True)
    if box is None:
        return out
    h, w = out.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, x1 = max(0, min(x0, w - 1)), max(1, min(x1, w))
    y0, y1 = max(0, min(y0, h - 1)), max(1, min(y1, h))
    t = max(1, thickness)
    out[y0:min(y0 + t, y1), x0:x1] = color
    out[max(y1 - t, y0):y1, x0:x1] = color
    out[y0:y1, x0:min(x0 + t, x1)] = color
    out[y0:y1, max(x1 - t, x0):x1] = color
    return out


def colorize_depth(depth: np.ndarray, max_depth: float | None = None) -> np.ndarray:
    """Depth (metres, 0 = nothing) as a uint8 RGB image: near is warm, far is cool, empty is black."""
    d = np.asarray(depth, dtype=np.float32)
    valid = d > 0
    top = max_depth or (float(d[valid].max()) if valid.any() else 1.0)
    t = np.clip(d / max(top, 1e-6), 0, 1)
    # A compact turbo-like ramp: red -> yellow -> green -> cyan -> blue.
    stops = np.array([[180, 30, 30], [250, 200, 40], [90, 200, 90], [40, 180, 220], [30, 50, 150]], np.float32)
    pos = t * (len(stops) - 1)
    i = np.minimum(pos.astype(int), len(stops) - 2)
    f = (pos - i)[..., None]
    rgb = stops[i] * (1 - f) + stops[i + 1] * f
    rgb[~valid] = 0
    return rgb.astype(np.uint8)


def colorize_ids(instance: np.ndarray) -> np.ndarray:
    """Instance ids as distinct stable colours (a hash of the id); background (-1) is black."""
    ids = np.asarray(instance, dtype=np.int64)
    h = (ids * 2654435761) & 0xFFFFFFFF
    rgb = np.stack([(h >> 16) & 255, (h >> 8) & 255, h & 255], -1)
    rgb = 60 + (rgb * 195 // 255)  # keep colours away from black
    rgb[ids < 0] = 0
    return rgb.astype(np.uint8)


def contact_sheet(images: list[np.ndarray], columns: int = 4, pad: int = 4, background=(255, 255, 255)) -> np.ndarray:
    """Images (same size) tiled into a grid with padding."""
    if not images:
        raise ValueError("contact_sheet needs at least one image")
    h, w = images[0].shape[:2]
    rows = -(-len(images) // columns)
    cols = min(columns, len(images))
    sheet = np.empty((rows * (h + pad) + pad, cols * (w + pad) + pad, 3), np.uint8)
    sheet[:] = background
    for k, img in enumerate(images):
        r, c = divmod(k, columns)
        y, x = pad + r * (h + pad), pad + c * (w + pad)
        sheet[y:y + h, x:x + w] = img[..., :3]
    return sheet
