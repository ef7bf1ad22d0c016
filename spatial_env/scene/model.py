"""The scene model every stage reads: one triangle mesh, per-face object ids, and an object table."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

#: Categories that make up the room shell rather than furniture; tasks skip them as targets.
STRUCTURAL_CATEGORIES = frozenset(
    {"floor", "wall", "ceiling", "door", "window", "skirting", "beam", "stair", "unknown", "undefined"}
)


class SceneFormatError(ValueError):
    """A scene file is missing, malformed or inconsistent; the message names the file and field."""

    def __init__(self, path: object, message: str):
        self.path = str(path)
        super().__init__(f"{self.path}: {message}")


@dataclass(frozen=True, eq=False)
class SceneObject:
    """One object instance: its dataset id, category, oriented bounding box and mesh faces.

    The box is ``center`` (world, metres), full side lengths ``extents`` along the box axes, and
    ``rotation`` whose columns are the box axes in world coordinates (box-to-world).
    """

    id: int
    category: str
    center: np.ndarray
    extents: np.ndarray
    rotation: np.ndarray
    face_indices: np.ndarray
    attributes: dict = field(default_factory=dict)

    def corners(self) -> np.ndarray:
        """The 8 corners of the oriented box in world coordinates, shape (8, 3)."""
        signs = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float64)
        return self.center + (signs * (self.extents / 2.0)) @ self.rotation.T

    def aabb(self) -> np.ndarray:
        """World axis-aligned bounds of the oriented box, shape (2, 3): min row, max row."""
        c = self.corners()
        return np.stack([c.min(0), c.max(0)])

    @property
    def is_structural(self) -> bool:
        """True for walls, floor, ceiling and the like."""
        return self.category in STRUCTURAL_CATEGORIES


@dataclass(eq=False)
class Scene:
    """A static indoor scene: triangle mesh arrays, per-face object ids and an object table.

    Arrays: ``vertices`` float32 (V, 3) world metres, Z up; ``faces`` int32 (F, 3); ``colors`` uint8
    (V, 3); ``face_object`` int32 (F,) the object id of each face, -1 where no object owns it.
    ``bounds`` (2, 3) is the room's axis-aligned extent, ``floor_height`` the floor's z.
    ``relations`` holds (subject id, relation, object id) triples such as ``(12, "on", 3)``.
    """

    scene_id: str
    vertices: np.ndarray
    faces: np.ndarray
    colors: np.ndarray
    face_object: np.ndarray
    objects: dict[int, SceneObject]
    bounds: np.ndarray
    floor_height: float
    source: str = "unknown"
    relations: list[tuple[int, str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.vertices = np.ascontiguousarray(self.vertices, dtype=np.float32)
        self.faces = np.ascontiguousarray(self.faces, dtype=np.int32)
        self.colors = np.ascontiguousarray(self.colors, dtype=np.uint8)
        self.face_object = np.ascontiguousarray(self.face_object, dtype=np.int32)
        self.bounds = np.asarray(self.bounds, dtype=np.float64)
        v, f = len(self.vertices), len(self.faces)
        if self.vertices.ndim != 2 or self.vertices.shape[1] != 3:
            raise ValueError(f"scene {self.scene_id!r}: vertices must be (V, 3), got {self.vertices.shape}")
        if self.faces.ndim != 2 or self.faces.shape[1] != 3:
            raise ValueError(f"scene {self.scene_id!r}: faces must be (F, 3), got {self.faces.shape}")
        if self.colors.shape != (v, 3):
            raise ValueError(f"scene {self.scene_id!r}: colors must be ({v}, 3), got {self.colors.shape}")
        if self.face_object.shape != (f,):
            raise ValueError(f"scene {self.scene_id!r}: face_object must be ({f},), got {self.face_object.shape}")
        if f and (self.faces.min() < 0 or self.faces.max() >= v):
            raise ValueError(f"scene {self.scene_id!r}: face vertex index out of range [0, {v})")

    @property
    def num_triangles(self) -> int:
        """Number of triangles in the mesh."""
        return len(self.faces)

    def object_ids(self, *, include_structural: bool = False) -> list[int]:
        """Sorted ids of the objects, without walls/floor/ceiling unless asked."""
        return sorted(i for i, o in self.objects.items() if include_structural or not o.is_structural)

    def object_mesh(self, object_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Vertices and re-indexed faces of one object's mesh."""
        faces = self.faces[self.objects[object_id].face_indices]
        used, inverse = np.unique(faces, return_inverse=True)
        return self.vertices[used], inverse.reshape(-1, 3).astype(np.int32)

    def transformed(self, rotation: np.ndarray, translation: np.ndarray) -> Scene:
        """A copy of the scene moved rigidly by ``p -> rotation @ p + translation``.

        ``rotation`` must turn about +Z only: the model is Z up and ``floor_height`` is a z value
        (it shifts by the z translation). Vertices, object boxes (centre and axes) and ``bounds``
        move; the new bounds are the axis-aligned box of the old bounds' moved corners, as tight as
        before for quarter turns and looser otherwise. Ids, faces, colours, per-face objects and
        relations are unchanged; of the attributes, the world-frame ``aabb`` and ``yaw`` (ScanNet
        objects) move with the box, the rest are copied.
        """
        R = np.asarray(rotation, dtype=np.float64)
        t = np.asarray(translation, dtype=np.float64)
        if R.shape != (3, 3) or t.shape != (3,):
            raise ValueError(f"rotation must be 3x3 and translation 3 numbers, got {R.shape} and {t.shape}")
        if not (np.allclose(R.T @ R, np.eye(3), atol=1e-9) and np.allclose(R[:, 2], [0, 0, 1], atol=1e-9)
                and np.linalg.det(R) > 0):  # a mirror would also turn every triangle inside out
            raise ValueError(f"rotation must be a rotation about +Z (the scene is Z up), got {R.tolist()}")
        turn = float(np.arctan2(R[1, 0], R[0, 0]))
        objects = {}
        for oid, o in self.objects.items():
            attrs = dict(o.attributes)
            if "aabb" in attrs:
                attrs["aabb"] = _moved_aabb(np.asarray(attrs["aabb"], np.float64), R, t)
            if "yaw" in attrs:
                attrs["yaw"] = float((attrs["yaw"] + turn + np.pi) % (2 * np.pi) - np.pi)
            objects[oid] = SceneObject(o.id, o.category, R @ o.center + t, o.extents.copy(), R @ o.rotation,
                                       o.face_indices, attrs)
        return Scene(self.scene_id, self.vertices.astype(np.float64) @ R.T + t, self.faces.copy(),
                     self.colors.copy(), self.face_object.copy(), objects, _moved_aabb(self.bounds, R, t),
                     self.floor_height + float(t[2]), self.source, list(self.relations))

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 (hex, 16 chars) of the geometry, colours, ids and object table: a cache key."""
        h = hashlib.sha256()
        for arr in (self.vertices, self.faces, self.colors, self.face_object, self.bounds):
            h.update(str(arr.shape).encode())
            h.update(np.ascontiguousarray(arr).tobytes())
        table = [
            [o.id, o.category, np.round(o.center, 6).tolist(), np.round(o.extents, 6).tolist(),
             np.round(o.rotation, 6).tolist()]
            for o in sorted(self.objects.values(), key=lambda o: o.id)
        ]
        h.update(json.dumps([table, self.relations, round(float(self.floor_height), 6)]).encode())
        return h.hexdigest()[:16]

    def summary(self) -> str:
        """One line: id, source, triangles, objects."""
        return (f"{self.scene_id} [{self.source}] {self.num_triangles:,} triangles, "
                f"{len(self.object_ids())} objects ({len(self.objects)} with structure)")


def _moved_aabb(aabb: np.ndarray, R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The axis-aligned box (2, 3) around the 8 corners of ``aabb`` moved by ``p -> R @ p + t``."""
    corners = np.array([[aabb[i, 0], aabb[j, 1], aabb[k, 2]] for i in (0, 1) for j in (0, 1) for k in (0, 1)])
    moved = corners @ R.T + t
    return np.stack([moved.min(0), moved.max(0)])
