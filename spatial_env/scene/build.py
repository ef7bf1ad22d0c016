"""Assemble a :class:`Scene` object by object from meshes (used by generators and tests)."""

from __future__ import annotations

import numpy as np

from .model import Scene, SceneObject
from .primitives import Mesh, rotation_z


#: Rotation about +Z by a yaw in radians (the only rotation object poses use).
yaw_matrix = rotation_z


class SceneBuilder:
    """Collects objects (each a mesh in its own frame plus a pose) and produces a :class:`Scene`.

    Each object's oriented box is the tight box of its mesh in its own frame, so boxes are exact.
    """

    def __init__(self, scene_id: str, source: str = "procedural"):
        self.scene_id, self.source = scene_id, source
        self._meshes: list[Mesh] = []
        self._objects: list[tuple] = []  # (id, category, center, extents, rotation, attributes, n_faces)
        self._next_id = 1
        self.relations: list[tuple[int, str, int]] = []

    def add_object(self, category: str, mesh: Mesh, *, yaw: float = 0.0, translation=(0.0, 0.0, 0.0),
                   object_id: int | None = None, **attributes) -> int:
        """Place ``mesh`` (in object frame) with a yaw about Z and a translation; returns its id."""
        oid = self._next_id if object_id is None else int(object_id)
        if any(o[0] == oid for o in self._objects):
            raise ValueError(f"object id {oid} is already used in scene {self.scene_id!r}")
        self._next_id = max(self._next_id, oid) + 1
        if len(mesh.faces) == 0:
            raise ValueError(f"object {oid} ({category}) has an empty mesh")
        lo, hi = mesh.vertices.min(0), mesh.vertices.max(0)
        R = yaw_matrix(yaw)
        t = np.asarray(translation, dtype=np.float64)
        center = R @ ((lo + hi) / 2) + t
        self._meshes.append(mesh.transformed(R, t))
        self._objects.append((oid, category, center, hi - lo, R, attributes, len(mesh.faces)))
        return oid

    def add_relation(self, subject: int, relation: str, obj: int) -> None:
        """Record a spatial relation triple such as ``(cup, "on", table)``."""
        self.relations.append((int(subject), relation, int(obj)))

    def build(self, bounds=None, floor_height: float = 0.0) -> Scene:
        """The finished scene; ``bounds`` defaults to the mesh's axis-aligned extent."""
        merged = Mesh.concat(self._meshes)
        face_object = np.concatenate(
            [np.full(o[6], o[0], dtype=np.int32) for o in self._objects]
        ) if self._objects else np.zeros(0, np.int32)
        objects, start = {}, 0
        for oid, cat, center, extents, R, attrs, nf in self._objects:
            objects[oid] = SceneObject(oid, cat, center, extents, R, np.arange(start, start + nf), dict(attrs))
            start += nf
        if bounds is None:
            bounds = np.stack([merged.vertices.min(0), merged.vertices.max(0)])
        return Scene(self.scene_id, merged.vertices, merged.faces, merged.colors, face_object, objects,
                     np.asarray(bounds, float), float(floor_height), self.source, list(self.relations))
