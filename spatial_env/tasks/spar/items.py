"""Image items and the geometry SPAR questions are computed from (spar-7m.txt §7.4-7.5).

An *item* is an object seen well enough in one frame to ask about it (§7.4): enough of its vertices
visible, a large enough projected area, and visible depths in a sensible range. Each item carries
the pixel its marker is drawn at and its 3D centre in the frame's camera coordinates (OpenCV axes:
x right, y down, z forward), from which depths, distances and relations follow.

The marker sits at the projected 3D centre when that pixel shows the object (§7.6 draws points at
object centres); otherwise, as a chair's centre between its legs would put the point on the floor,
at the object's pixel nearest the projection (our choice: the point must sit on the named object).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ...frames import FrameBank
from .options import SparOptions

Pixel = tuple[int, int]


@dataclass(frozen=True)
class Item:
    """One object as seen in one frame: its marker pixel, visible box and 3D centre in camera axes."""

    object_id: int
    frame: int
    pixel: Pixel
    box: tuple[int, int, int, int]
    center_cam: tuple[float, float, float]

    @property
    def depth(self) -> float:
        """z of the object's 3D centre in this frame's camera (§7.5 depth prediction)."""
        return self.center_cam[2]


_CACHE: OrderedDict[tuple, dict[int, Item]] = OrderedDict()
_CACHE_SIZE = 2048


def _erode(mask: np.ndarray, r: int) -> np.ndarray:
    """``mask`` shrunk by ``r`` pixels (4-neighbour steps), so a marker of radius r stays inside."""
    out = mask.copy()
    for _ in range(r):
        inner = out.copy()
        inner[1:] &= out[:-1]
        inner[:-1] &= out[1:]
        inner[:, 1:] &= out[:, :-1]
        inner[:, :-1] &= out[:, 1:]
        inner[0] = inner[-1] = False
        inner[:, 0] = inner[:, -1] = False
        if not inner.any():
            break
        out = inner
    return out


def marker_radius(width: int) -> int:
    """The drawn point's radius in pixels for an image ``width`` wide."""
    return max(2, int(round(width / 90)))


def marker_pixel(mask: np.ndarray, projected: np.ndarray | None, radius: int) -> Pixel:
    """Where the marker goes: the projected centre if it lies on the (eroded) mask, else its nearest mask pixel."""
    core = _erode(mask, radius)
    vs, us = np.nonzero(core)
    if projected is not None and np.all(np.isfinite(projected)):
        u, v = int(np.floor(projected[0])), int(np.floor(projected[1]))
        if 0 <= v < core.shape[0] and 0 <= u < core.shape[1] and core[v, u]:
            return u, v
        target = np.asarray(projected, float)
    else:
        target = np.array([us.mean(), vs.mean()])
    k = int(np.argmin((us + 0.5 - target[0]) ** 2 + (vs + 0.5 - target[1]) ** 2))
    return int(us[k]), int(vs[k])


def frame_items(bank: FrameBank, index: int, options: SparOptions) -> dict[int, Item]:
    """The items of frame ``index``: objects passing §7.4's constraints, with marker and camera-frame centre."""
    key = (str(bank.path), index, options.min_vertex_fraction, options.min_area, tuple(options.depth_range))
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    record = bank.frames[index]
    cam = record.camera
    min_px = options.min_area * cam.width * cam.height
    lo, hi = options.depth_range
    keep = [a for a in record.objects.values()
            if a.vertex_fraction >= options.min_vertex_fraction and a.visible_pixels >= max(min_px, 1)
            and a.depth_range is not None and lo <= a.depth_range[0] and a.depth_range[1] <= hi]
    items: dict[int, Item] = {}
    if keep:
        _, instance = bank.maps(index)
        radius = marker_radius(cam.width)
        for ann in sorted(keep, key=lambda a: a.object_id):
            center = np.asarray(bank.objects[ann.object_id]["center"], float)
            pc = cam.to_camera(center)[0]
            projected = (cam.K @ pc)[:2] / pc[2] if pc[2] > 1e-3 else None
            pixel = marker_pixel(instance == ann.object_id, projected, radius)
            items[ann.object_id] = Item(ann.object_id, index, pixel, ann.visible_box,
                                        tuple(round(float(c), 6) for c in pc))
    _CACHE[key] = items
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return items


def name(bank: FrameBank, object_id: int) -> str:
    """The object's category as the question names it."""
    return str(bank.objects[object_id]["category"]).replace("_", " ")


def center(bank: FrameBank, object_id: int) -> np.ndarray:
    """The object's 3D centre in world coordinates."""
    return np.asarray(bank.objects[object_id]["center"], float)


def in_camera(bank: FrameBank, frame: int, object_id: int) -> np.ndarray:
    """The object's 3D centre in frame ``frame``'s camera axes (x right, y down, z forward)."""
    return bank.frames[frame].camera.to_camera(center(bank, object_id))[0]


def boxes_overlap(bank: FrameBank, a: int, b: int) -> bool:
    """Whether two objects' oriented 3D boxes overlap (separating-axis test on the box frames)."""
    oa, ob = bank.objects[a], bank.objects[b]
    ca, cb = np.asarray(oa["center"], float), np.asarray(ob["center"], float)
    ra, rb = np.asarray(oa["rotation"], float), np.asarray(ob["rotation"], float)
    ea, eb = np.asarray(oa["extents"], float) / 2, np.asarray(ob["extents"], float) / 2
    d = cb - ca
    axes = [ra[:, i] for i in range(3)] + [rb[:, i] for i in range(3)]
    axes += [np.cross(ra[:, i], rb[:, j]) for i in range(3) for j in range(3)]
    for axis in axes:
        n = np.linalg.norm(axis)
        if n < 1e-9:
            continue
        axis = axis / n
        reach = np.abs(ra.T @ axis) @ ea + np.abs(rb.T @ axis) @ eb
        if abs(d @ axis) > reach:
            return False
    return True


def boxes2d_overlap(a: tuple, b: tuple) -> bool:
    """Whether two pixel boxes (exclusive max) share a pixel."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def relation(delta: np.ndarray, threshold: float, *, front: float | None = None) -> tuple[str, str, str]:
    """(left/right, above/below, front/behind) of an offset in camera axes; "" when within ``threshold``
    (§7.5: differences under 0.1 m are indistinguishable). ``front`` is the signed nearness used for the
    third term (default: z, ahead of the observer is "front")."""
    x, y, z = (float(v) for v in delta)
    lr = "right" if x > threshold else "left" if x < -threshold else ""
    ab = "below" if y > threshold else "above" if y < -threshold else ""
    f = z if front is None else front
    fb = "front" if f > threshold else "behind" if f < -threshold else ""
    return lr, ab, fb


def facing_pose(a: np.ndarray, b: np.ndarray, up=(0.0, 0.0, 1.0)) -> tuple[np.ndarray, float]:
    """Camera-to-world rotation of an observer at ``a`` facing ``b`` (OpenCV axes; §7.5 Eq. 7-8, world up)
    and the vertical angle of its forward direction in degrees."""
    f = np.asarray(b, float) - np.asarray(a, float)
    f /= np.linalg.norm(f)
    pitch = float(np.degrees(np.arcsin(np.clip(f @ np.asarray(up, float), -1.0, 1.0))))
    right = np.cross(f, np.asarray(up, float))
    if np.linalg.norm(right) < 1e-9:  # looking straight up or down: no heading (callers discard it)
        right = np.cross(f, [1.0, 0.0, 0.0] if abs(f[0]) < 0.9 else [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    down = np.cross(f, right)
    return np.stack([right, down, f], axis=1), pitch
