"""Replica scenes from their habitat export: ``habitat/mesh_semantic.ply`` + ``info_semantic.json``.

On-disk format (checked against habitat-sim's ``GenericInstanceMeshData::loadPLY`` and
``SemanticScene::buildReplicaHouse``):

* ``mesh_semantic.ply``: binary PLY; vertex ``x, y, z`` (float), optional normals, ``red, green,
  blue`` (uchar); face ``vertex_indices`` (a list; Replica ships quads) and a per-face ``object_id``
  (int or ushort). Polygons are fan-triangulated, ``[0, 1, 2], [0, 2, 3]`` for a quad, as habitat does.
* ``info_semantic.json``: ``objects[]`` with ``id``, ``class_id``, ``class_name`` and
  ``oriented_bbox = {abb: {center, sizes}, orientation: {rotation: [x, y, z, w], translation}}``;
  ``classes[] = {id, name}``, ``id_to_label`` (object id -> class id, negative for none) and
  ``gravity_dir``. The box is ``abb`` (an axis-aligned box in the box frame) moved by the box-to-world
  transform ``(rotation, translation)``: centre ``R @ abb.center + t``, axes the columns of ``R``,
  full side lengths ``abb.sizes``. The quaternion is stored x, y, z, w (Eigen's coefficient order).

World frame: Replica is Z up with gravity ``(0, 0, -1)``; if ``gravity_dir`` says otherwise the
vertices and boxes are rotated so that it holds.

Decisions, for data that does not fit the table exactly:

* Faces whose ``object_id`` has no entry in ``objects`` (Replica leaves some surface unannotated,
  often id 0) get object -1, background, like habitat's null semantic objects. They are not an error.
* Objects listed in the json that own no faces are dropped: a scene object must be renderable.
* A scene with only ``<scene>/mesh.ply`` loads as geometry without semantics (all faces -1).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .formats import (INT32_MAX, INT32_MIN, PlyMesh, field, floor_height, group_indices, integer, read_json,
                      read_ply_mesh, room_bounds, vector)
from .model import Scene, SceneFormatError, SceneObject

DOWN = np.array([0.0, 0.0, -1.0])


def is_replica_dir(path: str | os.PathLike) -> bool:
    """True if ``path`` looks like a Replica scene (or its ``habitat`` sub-directory)."""
    root, habitat = _layout(Path(path))
    return any(p.exists() for p in (habitat / "mesh_semantic.ply", habitat / "info_semantic.json",
                                     root / "mesh.ply"))


def load_replica(path: str | os.PathLike) -> Scene:
    """Load a Replica scene directory (or its ``habitat`` folder) as a Z-up :class:`Scene`."""
    root, habitat = _layout(Path(path))
    mesh_path, info_path = habitat / "mesh_semantic.ply", habitat / "info_semantic.json"
    if mesh_path.exists() or info_path.exists():
        if not mesh_path.is_file():
            raise SceneFormatError(mesh_path, "missing file (info_semantic.json needs its mesh)")
        if not info_path.is_file():
            raise SceneFormatError(info_path, "missing file (mesh_semantic.ply needs its object table)")
        return _load_semantic(root.name, mesh_path, info_path)
    plain = root / "mesh.ply"
    if not plain.is_file():
        raise SceneFormatError(root, "not a Replica scene: no habitat/mesh_semantic.ply or mesh.ply")
    mesh = read_ply_mesh(plain)
    empty = np.full(len(mesh.triangles), -1, dtype=np.int32)
    floor = floor_height(mesh.vertices, None, robust=False)
    return Scene(root.name, mesh.vertices, mesh.triangles, mesh.colors, empty, {},
                 room_bounds(mesh.vertices, floor, robust=False), floor, source="replica")


def _layout(path: Path) -> tuple[Path, Path]:
    """(scene root, habitat dir), accepting either as ``path``."""
    if path.name == "habitat" and (path / "mesh_semantic.ply").exists():
        return path.parent, path
    return path, path / "habitat"


def _load_semantic(scene_id: str, mesh_path: Path, info_path: Path) -> Scene:
    info = read_json(info_path)
    mesh = read_ply_mesh(mesh_path, face_scalars=("object_id",))
    world = gravity_rotation(info, info_path)
    vertices = mesh.vertices @ world.T
    table = _object_table(info, info_path)
    face_object = _face_objects(mesh, table)
    objects = {}
    for oid, faces in group_indices(face_object).items():
        category, center, extents, rotation, attrs = table[oid]
        objects[oid] = SceneObject(oid, category, world @ center, extents, world @ rotation, faces, attrs)
    floor_ids = [i for i, o in objects.items() if o.category == "floor"]
    floor_mask = None
    if floor_ids:
        floor_mask = np.zeros(len(vertices), bool)
        floor_mask[mesh.triangles[np.isin(face_object, floor_ids)].ravel()] = True
    floor = floor_height(vertices, floor_mask, robust=False)
    return Scene(scene_id, vertices, mesh.triangles, mesh.colors, face_object, objects,
                 room_bounds(vertices, floor, robust=False), floor, source="replica")


def _face_objects(mesh: PlyMesh, table: dict) -> np.ndarray:
    """Per-triangle object id; ids without a json entry become -1 (unannotated surface)."""
    ids = mesh.face_props["object_id"].astype(np.int64)[mesh.triangle_polygon]
    known = np.isin(ids, np.fromiter(table, dtype=np.int64, count=len(table)))
    return np.where(known, ids, -1).astype(np.int32)


def gravity_rotation(info: dict, path: Path) -> np.ndarray:
    """Rotation taking ``gravity_dir`` (default ``(0, 0, -1)``) onto ``(0, 0, -1)``."""
    if "gravity_dir" not in info:
        return np.eye(3)
    g = vector(info["gravity_dir"], 3, path, "gravity_dir")
    norm = np.linalg.norm(g)
    if norm < 1e-9:
        raise SceneFormatError(path, "field 'gravity_dir' is the zero vector")
    return rotation_between(g / norm, DOWN)


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking unit vector ``a`` onto unit vector ``b`` (Rodrigues)."""
    v, c = np.cross(a, b), float(np.dot(a, b))
    if c < -1.0 + 1e-12:
        # Opposite vectors: turn half a circle about any axis perpendicular to a.
        axis = np.cross(a, [1.0, 0.0, 0.0])
        if np.linalg.norm(axis) < 1e-6:
            axis = np.cross(a, [0.0, 1.0, 0.0])
        axis /= np.linalg.norm(axis)
        return 2.0 * np.outer(axis, axis) - np.eye(3)
    vx = np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])
    return np.eye(3) + vx + vx @ vx / (1.0 + c)


def quaternion_matrix(xyzw: np.ndarray) -> np.ndarray:
    """Rotation matrix of a quaternion given as (x, y, z, w); normalised first."""
    x, y, z, w = xyzw / np.linalg.norm(xyzw)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def _object_table(info: dict, path: Path) -> dict:
    """``{id: (category, center, extents, rotation, attributes)}`` from ``objects[]``, in the
    file's own frame (the gravity rotation is applied by the caller)."""
    objects = field(info, "objects", path, "")
    if not isinstance(objects, list):
        raise SceneFormatError(path, "field 'objects' must be a list")
    class_names = _class_names(info, path)
    id_to_label = info.get("id_to_label") if isinstance(info.get("id_to_label"), list) else []
    table = {}
    for i, obj in enumerate(objects):
        where = f"objects[{i}]."
        oid = integer(field(obj, "id", path, where), path, f"{where}id", INT32_MIN, INT32_MAX)
        if oid in table:
            raise SceneFormatError(path, f"field '{where}id': object id {oid} appears twice")
        fallback = (id_to_label[oid], f"id_to_label[{oid}]") if 0 <= oid < len(id_to_label) else (None, "")
        category, class_id = _category(obj, class_names, fallback, path, where)
        center, extents, rotation = _oriented_box(field(obj, "oriented_bbox", path, where), path,
                                                  where + "oriented_bbox.")
        attrs = {"class_id": class_id, "class_name": obj.get("class_name", category)}
        table[oid] = (category, center, extents, rotation, attrs)
    return table


def _class_names(info: dict, path: Path) -> dict[int, str]:
    classes = info.get("classes", [])
    if not isinstance(classes, list):
        raise SceneFormatError(path, "field 'classes' must be a list")
    names = {}
    for i, c in enumerate(classes):
        cid = integer(field(c, "id", path, f"classes[{i}]."), path, f"classes[{i}].id")
        names[cid] = str(field(c, "name", path, f"classes[{i}]."))
    return names


def _category(obj: dict, class_names: dict, fallback: tuple, path: Path, where: str):
    """(name, class id): ``class_name``, else ``class_id`` (or ``id_to_label[id]``) in ``classes``.

    ``fallback`` is ``(class id from id_to_label or None, its field name)``.
    """
    class_id, source = (obj["class_id"], f"{where}class_id") if "class_id" in obj else fallback
    if class_id is not None:  # a list or float here would fail the lookup below with a TypeError
        class_id = integer(class_id, path, source)
    name = obj.get("class_name")
    if name is None and class_id in class_names:
        name = class_names[class_id]
    if not isinstance(name, str) or not name.strip():
        raise SceneFormatError(path, f"missing field '{where}class_name' (and no usable class_id)")
    return name.strip(), class_id


def _oriented_box(obb: dict, path: Path, where: str):
    """(center, extents, rotation) of a Replica oriented box: abb moved by box-to-world (R, t)."""
    abb = field(obb, "abb", path, where)
    orientation = field(obb, "orientation", path, where)
    center = vector(field(abb, "center", path, where + "abb."), 3, path, where + "abb.center")
    sizes = vector(field(abb, "sizes", path, where + "abb."), 3, path, where + "abb.sizes")
    quat = vector(field(orientation, "rotation", path, where + "orientation."), 4, path,
                  where + "orientation.rotation")
    trans = vector(field(orientation, "translation", path, where + "orientation."), 3, path,
                   where + "orientation.translation")
    if np.any(sizes < 0):
        raise SceneFormatError(path, f"field '{where}abb.sizes' has a negative size: {sizes.tolist()}")
    if np.linalg.norm(quat) < 1e-9:
        raise SceneFormatError(path, f"field '{where}orientation.rotation' is a zero quaternion")
    rotation = quaternion_matrix(quat)
    return rotation @ center + trans, sizes, rotation
