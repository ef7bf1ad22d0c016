"""Per-view annotations of one object: loose, tight and visible boxes and the visible proportion.

The definitions follow Rep2D-BEAT (§4.1 of the seed paper):

* *loose* box: the object's 3D oriented box projected into the image and clipped to it;
* *tight* box: the pixels of the object rendered alone (amodal: occluded parts included);
* *visible* box: the object's pixels in the full render;
* visibility: visible pixels / pixels of the object rendered alone, i.e. the share of the in-frame
  part of the object that is not occluded.

Boxes are pixel ``(x_min, y_min, x_max, y_max)`` with exclusive max, inside the image; ``None``
means the object covers no pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .camera import Camera
from .scene.model import SceneObject

Box = tuple[int, int, int, int]

# Box edges as pairs of corner indices of SceneObject.corners() (corners vary x slowest, z fastest).
_EDGES = [(a, b) for a in range(8) for b in range(a + 1, 8) if bin(a ^ b).count("1") == 1]
_NEAR = 1e-3


def mask_box(mask: np.ndarray) -> Box | None:
    """Tight pixel box of a boolean mask, or None when it is empty."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def loose_box(obj: SceneObject, camera: Camera) -> Box | None:
    """The object's 3D box projected and clipped to the image, or None if it is out of view.

    Box edges crossing the camera plane are cut at a near plane first, so a box that surrounds or
    straddles the camera still projects to the right region instead of wrapping around.
    """
    pc = camera.to_camera(obj.corners())
    points = [p for p in pc if p[2] >= _NEAR]
    for a, b in _EDGES:
        za, zb = pc[a, 2], pc[b, 2]
        if (za < _NEAR) != (zb < _NEAR):
            t = (_NEAR - za) / (zb - za)
            points.append(pc[a] + t * (pc[b] - pc[a]))
    if not points:
        return None
    p = np.array(points)
    uv = (p @ camera.K.T)[:, :2] / p[:, 2:3]
    x0, y0 = np.clip(np.floor(uv.min(0)), 0, [camera.width, camera.height])
    x1, y1 = np.clip(np.ceil(uv.max(0)), 0, [camera.width, camera.height])
    if x1 <= x0 or y1 <= y0:
        return None
    return int(x0), int(y0), int(x1), int(y1)


@dataclass(frozen=True)
class ObjectAnnotation:
    """One object's annotation in one view (pixel boxes, counts, visible proportion)."""

    object_id: int
    loose_box: Box | None
    tight_box: Box | None
    visible_box: Box | None
    visible_pixels: int
    amodal_pixels: int

    @property
    def visibility(self) -> float:
        """Visible pixels over pixels of the object alone in frame; 0 when it is out of frame."""
        return self.visible_pixels / self.amodal_pixels if self.amodal_pixels else 0.0

    def to_json(self) -> dict:
        """JSON-ready dict."""
        return {"object_id": self.object_id, "loose_box": _list(self.loose_box), "tight_box": _list(self.tight_box),
                "visible_box": _list(self.visible_box), "visible_pixels": self.visible_pixels,
                "amodal_pixels": self.amodal_pixels, "visibility": self.visibility}

    @classmethod
    def from_json(cls, d: dict) -> "ObjectAnnotation":
        """Inverse of :meth:`to_json`."""
        return cls(int(d["object_id"]), _tuple(d["loose_box"]), _tuple(d["tight_box"]), _tuple(d["visible_box"]),
                   int(d["visible_pixels"]), int(d["amodal_pixels"]))


def annotate_object(obj: SceneObject, camera: Camera, instance: np.ndarray, amodal: np.ndarray) -> ObjectAnnotation:
    """Annotate ``obj`` given the full render's instance ids and its alone-render's instance ids."""
    visible = instance == obj.id
    alone = amodal == obj.id
    return ObjectAnnotation(obj.id, loose_box(obj, camera), mask_box(alone), mask_box(visible),
                            int(visible.sum()), int(alone.sum()))


def _list(box: Box | None) -> list[int] | None:
    return None if box is None else list(box)


def _tuple(box) -> Box | None:
    return None if box is None else tuple(int(v) for v in box)
