"""Per-frame object annotations: boxes, pixel counts, visibility, visible vertices, depth range.

The box and visibility definitions follow Rep2D-BEAT (rep2d-beat.txt §4.1); the vertex and depth
items are SPAR-7M's image-item constraints (spar-7m.txt §7.4):

====================  ==========================================================================
item                  definition
====================  ==========================================================================
``loose_box``         the object's 3D oriented box projected into the image, clipped to it
``visible_box``       tight box of the object's pixels in the full render
``visible_pixels``    the object's pixels in the full render
``tight_box``         tight box of the object rendered alone (amodal: occluded parts included)
``amodal_pixels``     pixels of the object rendered alone, in frame
``visibility``        visible_pixels / amodal_pixels: the share of the in-frame part not occluded
``vertex_fraction``   share of the object's mesh vertices in frame and not occluded (depth test)
``depth_range``       (min, max) z-depth in metres over the object's visible pixels
====================  ==========================================================================

Boxes are pixel ``(x_min, y_min, x_max, y_max)`` with exclusive max, inside the image; ``None``
means the object covers no pixel. Rendering an object alone costs a render, so amodal items are
computed for the objects a sampler aims at (and on demand, :meth:`FrameBank.amodal`); for the
other objects in a frame they are ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..camera import Camera
from ..scene.model import Scene, SceneObject

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


def projected_box(obj: SceneObject, camera: Camera, *, clip: bool = True) -> tuple[float, float, float, float] | None:
    """The object's 3D box projected into the image (float pixels), or None when it is behind the camera.

    Box edges crossing the camera plane are cut at a near plane first, so a box that surrounds or
    straddles the camera still projects to the right region instead of wrapping around. ``clip``
    clips to the image (None when nothing is left).
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
    (x0, y0), (x1, y1) = uv.min(0), uv.max(0)
    if clip:
        x0, x1 = np.clip([x0, x1], 0, camera.width)
        y0, y1 = np.clip([y0, y1], 0, camera.height)
        if x1 <= x0 or y1 <= y0:
            return None
    return float(x0), float(y0), float(x1), float(y1)


def loose_box(obj: SceneObject, camera: Camera) -> Box | None:
    """The loose box: the projected 3D box clipped to the image, widened to whole pixels."""
    box = projected_box(obj, camera)
    if box is None:
        return None
    x0, y0 = int(np.floor(box[0])), int(np.floor(box[1]))
    x1, y1 = int(np.ceil(box[2])), int(np.ceil(box[3]))
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


@dataclass(frozen=True)
class ObjectAnnotation:
    """One object's annotation in one frame (see the module table)."""

    object_id: int
    loose_box: Box | None
    visible_box: Box | None
    visible_pixels: int
    tight_box: Box | None = None
    amodal_pixels: int | None = None
    vertex_fraction: float = 0.0
    depth_range: tuple[float, float] | None = None

    @property
    def visibility(self) -> float | None:
        """Visible over amodal pixels (0 when out of frame); None when the amodal render was not made."""
        if self.amodal_pixels is None:
            return None
        return self.visible_pixels / self.amodal_pixels if self.amodal_pixels else 0.0

    def to_json(self) -> dict:
        """JSON-ready dict."""
        return {"id": self.object_id, "loose": _list(self.loose_box), "visible": _list(self.visible_box),
                "vis_px": self.visible_pixels, "tight": _list(self.tight_box), "amodal_px": self.amodal_pixels,
                "vertex_fraction": round(self.vertex_fraction, 6),
                "depth": None if self.depth_range is None else [round(d, 5) for d in self.depth_range]}

    @classmethod
    def from_json(cls, d: dict) -> "ObjectAnnotation":
        """Inverse of :meth:`to_json`."""
        return cls(int(d["id"]), _tuple(d["loose"]), _tuple(d["visible"]), int(d["vis_px"]), _tuple(d["tight"]),
                   None if d["amodal_px"] is None else int(d["amodal_px"]), float(d["vertex_fraction"]),
                   None if d["depth"] is None else (float(d["depth"][0]), float(d["depth"][1])))


class FrameAnnotator:
    """Annotates every object seen in a rendered frame of one scene (vertex lists precomputed once)."""

    def __init__(self, scene: Scene, depth_tolerance: float = 0.02):
        self.scene = scene
        self.depth_tolerance = float(depth_tolerance)
        self.ids = np.array(scene.object_ids(), dtype=np.int64)
        verts, owner = [], []
        for k, oid in enumerate(self.ids):
            v = np.unique(scene.faces[scene.objects[int(oid)].face_indices])
            verts.append(v)
            owner.append(np.full(len(v), k, np.int64))
        self._verts = np.concatenate(verts) if verts else np.zeros(0, np.int64)
        self._owner = np.concatenate(owner) if owner else np.zeros(0, np.int64)
        self._counts = np.bincount(self._owner, minlength=len(self.ids))

    def vertex_fractions(self, camera: Camera, depth: np.ndarray) -> np.ndarray:
        """Per object (in ``self.ids`` order): share of its vertices in frame and not occluded.

        A vertex is unoccluded when its z-depth is within ``depth_tolerance`` (plus 1 % of the
        distance, for grazing surfaces) of the rendered depth at its pixel."""
        pc = camera.to_camera(self.scene.vertices[self._verts].astype(np.float64))
        z = pc[:, 2]
        front = z > _NEAR
        uv = np.full((len(z), 2), -1.0)
        uv[front] = (pc[front] @ camera.K.T)[:, :2] / z[front, None]
        u, v = np.floor(uv[:, 0]).astype(np.int64), np.floor(uv[:, 1]).astype(np.int64)
        inside = front & (u >= 0) & (u < camera.width) & (v >= 0) & (v < camera.height)
        d = np.zeros(len(z), np.float64)
        d[inside] = depth[v[inside], u[inside]]
        seen = inside & (d > 0) & (z <= d + self.depth_tolerance + 0.01 * d)
        hits = np.bincount(self._owner, weights=seen.astype(np.float64), minlength=len(self.ids))
        return hits / np.maximum(self._counts, 1)

    def annotate(self, camera: Camera, depth: np.ndarray, instance: np.ndarray,
                 amodal: dict[int, tuple[Box | None, int]] | None = None) -> dict[int, ObjectAnnotation]:
        """Annotations of every non-structural object with a visible pixel, plus those in ``amodal``
        (object id -> (tight box, amodal pixels) from a render of the object alone)."""
        amodal = amodal or {}
        counts = np.bincount(instance.ravel() + 1, minlength=int(max(self.ids.max(initial=0), 0)) + 2)
        fractions = self.vertex_fractions(camera, depth)
        out = {}
        for k, oid in enumerate(self.ids):
            oid = int(oid)
            n = int(counts[oid + 1]) if oid + 1 < len(counts) else 0
            if n == 0 and oid not in amodal:
                continue
            mask = instance == oid if n else None
            tight, amodal_px = amodal.get(oid, (None, None))
            out[oid] = ObjectAnnotation(
                oid, loose_box(self.scene.objects[oid], camera), mask_box(mask) if n else None, n,
                tight, amodal_px, float(fractions[k]),
                (float(depth[mask].min()), float(depth[mask].max())) if n else None)
        return out


def amodal_item(instance_alone: np.ndarray, object_id: int) -> tuple[Box | None, int]:
    """(tight box, amodal pixels) of an object from the instance image of its render alone."""
    alone = instance_alone == object_id
    return mask_box(alone), int(alone.sum())


def _list(box) -> list[int] | None:
    return None if box is None else list(box)


def _tuple(box) -> Box | None:
    return None if box is None else tuple(int(v) for v in box)
