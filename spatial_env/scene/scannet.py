"""ScanNet scans: the annotated low-res mesh, its over-segmentation, the aggregation and the meta file.

On-disk format (checked against ScanNet's README, ``BenchmarkScripts`` and
``AnnotationTools/common/Aggregation.h``), for a scan directory ``<scene>/``:

* ``<scene>_vh_clean_2.ply``: binary PLY, vertex ``x, y, z, red, green, blue, alpha``, face
  ``vertex_indices`` (triangles).
* ``<scene>_vh_clean_2.0.010000.segs.json``: ``segIndices``, one segment id per mesh vertex.
* ``<scene>.aggregation.json``: ``segGroups[] = {id, objectId, segments, label}``. Two layouts are
  read. v2 (``appId`` "Aggregator.v2", what ScanNet v2 ships; written by ``Aggregation::saveToJSONFile``)
  has both ``id`` and ``objectId`` (the 0-based group index) and a ``segmentsFile``. v1 (``appId``
  "Aggregator.v1", the raw annotation tool output that ``Aggregation::loadFromJSONFile`` reads) keys
  groups by ``id`` alone, which may be a number, a numeric string, or null. The object id is
  ``objectId`` when present (the id ScanRefer/ScanQA and ScanNet's benchmark scripts use), else
  ``id``, else the group's index.
* ``<scene>.txt``: ``key = value`` lines; ``axisAlignment = m00 m01 ... m33`` (16 numbers, a row-major
  4x4) maps mesh vertices to the axis-aligned, Z-up frame with the floor near z = 0. It is applied to
  the vertices; a file without the key (ScanNet's test scans) gets the identity.
* optional ``scannetv2-labels.combined.tsv`` (looked for in the scan directory and the two above it,
  where the ScanNet release puts it): raw labels (``raw_category``; ``category`` in the v1 file) are
  mapped to the ``category`` column (ScanNet's cleaned class names, which keep "wall", "floor",
  "door", ... as structural categories). Without the file the raw label, lower-cased, is the category.

Decisions:

* A face's object is the majority of its three vertices' objects (the first vertex's when all three
  differ), so faces straddling an object border go to the side that holds two of the corners.
* A segment claimed by several groups belongs to the first one (ScanNet has duplicated groups, e.g.
  scene0217_00); groups left with no faces are dropped.
* Boxes come from the object's vertices after alignment: the axis-aligned box goes in
  ``attributes["aabb"]`` (2x3: min row, max row); the stored oriented box turns only about Z, by the
  principal axis of the vertices' xy spread (PCA), unless the axis-aligned box has the smaller
  footprint (near-square objects, where the principal axis is noise), in which case yaw is 0.
* Floor height: median z of floor-labelled vertices, else the 0.5th percentile of all vertex z.
  Room bounds: 0.1/99.9 percentiles of the vertices, so stray fragments do not inflate them.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from .build import yaw_matrix
from .formats import INT32_MAX, INT64_MAX, floor_height, group_indices, read_json, read_ply_mesh, room_bounds
from .model import Scene, SceneFormatError, SceneObject

LABEL_MAP_NAME = "scannetv2-labels.combined.tsv"

#: Plural raw labels of structural parts, normalised when no label map is given.
_STRUCTURAL_ALIASES = {"walls": "wall", "floors": "floor", "ceilings": "ceiling", "doors": "door",
                       "windows": "window", "stairs": "stair", "beams": "beam"}


def scannet_files(path: str | os.PathLike) -> dict[str, Path]:
    """The expected file paths of a ScanNet scan directory, keyed by role."""
    root = Path(path)
    name = _scan_name(root)
    return {
        "mesh": root / f"{name}_vh_clean_2.ply",
        "segs": root / f"{name}_vh_clean_2.0.010000.segs.json",
        "aggregation": root / f"{name}.aggregation.json",
        "meta": root / f"{name}.txt",
    }


def is_scannet_dir(path: str | os.PathLike) -> bool:
    """True if ``path`` holds any of a ScanNet scan's files."""
    root = Path(path)
    return root.is_dir() and any(p.exists() for p in scannet_files(root).values())


def load_scannet(path: str | os.PathLike, label_map: str | os.PathLike | None = None,
                 label_column: str = "category") -> Scene:
    """Load a ScanNet scan directory as an axis-aligned, Z-up :class:`Scene`."""
    root = Path(path)
    files = scannet_files(root)
    for p in files.values():
        if not p.is_file():
            raise SceneFormatError(p, "missing file (a ScanNet scan needs the mesh, segs, aggregation "
                                      "and meta .txt files)")
    alignment = read_axis_alignment(files["meta"])
    mesh = read_ply_mesh(files["mesh"])
    vertices = mesh.vertices @ alignment[:3, :3].T + alignment[:3, 3]
    seg_indices = _read_segments(files["segs"], len(vertices))
    groups = read_aggregation(files["aggregation"])
    names = _label_mapper(_find_label_map(root, label_map), label_column)
    vertex_object = _vertex_objects(seg_indices, groups, files["aggregation"], files["segs"])
    face_object = majority_face_objects(vertex_object, mesh.triangles)
    vertex_groups = group_indices(vertex_object)
    objects = {}
    for oid, faces in group_indices(face_object).items():
        label, _, scannet_id = groups[oid]
        category, extra = names(label)
        objects[oid] = _make_object(oid, category, vertices[vertex_groups[oid]], faces,
                                    {"raw_label": label, "scannet_id": scannet_id, **extra})
    floor_ids = [i for i, o in objects.items() if o.category == "floor"]
    floor = floor_height(vertices, np.isin(vertex_object, floor_ids) if floor_ids else None, robust=True)
    return Scene(root.name, vertices, mesh.triangles, mesh.colors, face_object, objects,
                 room_bounds(vertices, floor, robust=True), floor, source="scannet")


def _scan_name(root: Path) -> str:
    """The file prefix: the directory name, or the one ``*_vh_clean_2.ply`` if it was renamed."""
    if (root / f"{root.name}_vh_clean_2.ply").exists() or not root.is_dir():
        return root.name
    meshes = sorted(root.glob("*_vh_clean_2.ply"))
    return meshes[0].name[: -len("_vh_clean_2.ply")] if len(meshes) == 1 else root.name


def read_axis_alignment(path: Path) -> np.ndarray:
    """The 4x4 ``axisAlignment`` from a ScanNet meta ``.txt`` (identity when the key is absent)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise SceneFormatError(path, f"unreadable meta file ({e})") from None
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if not sep or key.strip() != "axisAlignment":
            continue
        try:
            numbers = [float(x) for x in value.split()]
        except ValueError:
            raise SceneFormatError(path, f"field 'axisAlignment' is not a list of numbers: {value.strip()!r}") from None
        if len(numbers) != 16:
            raise SceneFormatError(path, f"field 'axisAlignment' must have 16 numbers (a 4x4 matrix), "
                                         f"got {len(numbers)}")
        matrix = np.array(numbers).reshape(4, 4)
        if not np.all(np.isfinite(matrix)) or not np.allclose(matrix[3], [0, 0, 0, 1], atol=1e-6):
            raise SceneFormatError(path, f"field 'axisAlignment' is not an affine transform: {numbers}")
        return matrix
    return np.eye(4)


def _read_segments(path: Path, num_vertices: int) -> np.ndarray:
    """Per-vertex segment ids; their count must match the mesh's vertex count."""
    data = read_json(path)
    if "segIndices" not in data:
        raise SceneFormatError(path, "missing field 'segIndices'")
    bad = SceneFormatError(path, "field 'segIndices' must be a list of integers")
    try:
        seg = np.asarray(data["segIndices"])
    except ValueError:  # ragged nesting
        raise bad from None
    if seg.dtype.kind == "f" and np.all(np.isfinite(seg) & (seg == np.rint(seg)) & (np.abs(seg) < 2.0**63)):
        seg = seg.astype(np.int64)  # integral floats, accepted as for the aggregation's ids
    # Anything else (1.5, strings, ids past int64 that numpy keeps as uint64 or objects) would be
    # truncated or wrapped by a cast to int64.
    if seg.ndim != 1 or seg.dtype.kind != "i":
        raise bad
    seg = seg.astype(np.int64, copy=False)
    if len(seg) != num_vertices:
        raise SceneFormatError(path, f"field 'segIndices' has {seg.size} entries but the mesh has "
                                     f"{num_vertices} vertices")
    return seg


def read_aggregation(path: Path) -> dict[int, tuple[str, list[int], object]]:
    """``{object id: (label, segment ids, original id)}`` from a v1 or v2 aggregation file, in file order."""
    data = read_json(path)
    groups = data.get("segGroups")
    if not isinstance(groups, list):
        raise SceneFormatError(path, "missing field 'segGroups' (a list)")
    out: dict[int, tuple] = {}
    for i, group in enumerate(groups):
        where = f"segGroups[{i}]"
        if not isinstance(group, dict):
            raise SceneFormatError(path, f"field '{where}' must be an object")
        label = group.get("label")
        if not isinstance(label, str):
            raise SceneFormatError(path, f"missing field '{where}.label'")
        if "segments" not in group:
            raise SceneFormatError(path, f"missing field '{where}.segments'")
        # Segment ids are matched against the int64 segIndices; object ids end up in int32 face_object.
        segments = [_uint(s, path, f"{where}.segments", INT64_MAX)
                    for s in _as_list(group["segments"], path, where)]
        raw_id = group.get("id")
        oid = group.get("objectId", raw_id)
        oid = i if oid is None else _uint(oid, path, f"{where}.objectId" if "objectId" in group else f"{where}.id",
                                          INT32_MAX)
        if oid in out:
            raise SceneFormatError(path, f"field '{where}': object id {oid} appears twice")
        out[oid] = (label, segments, raw_id)
    return out


def _as_list(value, path: Path, where: str) -> list:
    if not isinstance(value, list):
        raise SceneFormatError(path, f"field '{where}.segments' must be a list")
    return value


def _uint(value, path: Path, name: str, limit: int) -> int:
    """An integer in ``[0, limit]`` from an int or a numeric string (ScanNet's tools accept both)."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().isdecimal():  # isdigit() also passes "²", which int() rejects
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or value < 0:
        raise SceneFormatError(path, f"field '{name}' must be a non-negative integer, got {value!r}")
    if value > limit:
        raise SceneFormatError(path, f"field '{name}' is {value}, outside the supported range [0, {limit}]")
    return value


def _vertex_objects(seg_indices: np.ndarray, groups: dict, agg_path: Path, segs_path: Path) -> np.ndarray:
    """Object id of each vertex through its segment; -1 for unannotated segments."""
    present, inverse = np.unique(seg_indices, return_inverse=True)
    seg_object = np.full(len(present), -1, dtype=np.int64)
    for oid, (_, segments, _) in groups.items():
        segs = np.asarray(segments, dtype=np.int64)
        pos = np.searchsorted(present, segs)
        pos = np.minimum(pos, len(present) - 1) if len(present) else pos
        found = (present[pos] == segs) if len(present) else np.zeros(len(segs), bool)
        if not found.all():
            missing = int(segs[~found][0])
            raise SceneFormatError(agg_path, f"object {oid}: segment {missing} in 'segments' does not "
                                             f"exist in {segs_path.name} 'segIndices'")
        free = pos[seg_object[pos] == -1]  # first group claiming a segment keeps it
        seg_object[free] = oid
    return seg_object[inverse.reshape(-1)].astype(np.int32)


def majority_face_objects(vertex_object: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Per-face object: the label two or three corners share, else the first corner's."""
    if len(triangles) == 0:
        return np.zeros(0, np.int32)
    a, b, c = (vertex_object[triangles[:, k]] for k in range(3))
    return np.where((b == c) & (a != b), b, a).astype(np.int32)


def yaw_box(points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(center, extents, rotation, yaw) of a box turned about Z only, fitted to ``points``.

    Yaw follows the principal axis of the xy spread; the axis-aligned box wins unless that footprint
    is clearly smaller.
    """
    lo, hi = points.min(0), points.max(0)
    best = ((lo + hi) / 2, hi - lo, np.eye(3), 0.0)
    xy = points[:, :2] - points[:, :2].mean(0)
    if len(points) < 3:
        return best
    _, vecs = np.linalg.eigh(xy.T @ xy)
    axis = vecs[:, 1]
    yaw = float(np.arctan2(axis[1], axis[0]))
    yaw = (yaw + np.pi / 2) % np.pi - np.pi / 2  # a box axis and its opposite are the same box
    R = yaw_matrix(yaw)
    local = points @ R  # world -> box frame
    llo, lhi = local.min(0), local.max(0)
    ext = lhi - llo
    # Turn only for a clearly smaller footprint (1% and 1 cm^2): thin axis-aligned walls and doors
    # have ~zero area either way, and rounding must not decide their yaw.
    if ext[0] * ext[1] < best[1][0] * best[1][1] * 0.99 - 1e-4:
        best = (R @ ((llo + lhi) / 2), ext, R, yaw)
    return best


def _make_object(oid: int, category: str, points: np.ndarray, faces: np.ndarray, attrs: dict) -> SceneObject:
    center, extents, rotation, yaw = yaw_box(points)
    attrs = dict(attrs, aabb=np.stack([points.min(0), points.max(0)]), yaw=yaw)
    return SceneObject(oid, category, center, extents, rotation, faces, attrs)


# ---------------------------------------------------------------------------------------------
# Label mapping
# ---------------------------------------------------------------------------------------------


def _find_label_map(root: Path, given) -> Path | None:
    if given is not None:
        given = Path(given)
        if not given.is_file():
            raise SceneFormatError(given, "missing file (label map)")
        return given
    for folder in (root, root.parent, root.parent.parent):
        if (folder / LABEL_MAP_NAME).is_file():
            return folder / LABEL_MAP_NAME
    return None


def read_label_map(path: Path, column: str = "category") -> dict[str, dict[str, str]]:
    """``{raw label: row}`` from a ScanNet labels tsv; ``column`` must exist."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f, delimiter="\t"))
            header = rows[0].keys() if rows else []
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise SceneFormatError(path, f"unreadable label map ({e})") from None
    key = "raw_category" if "raw_category" in header else "category"
    for needed in (key, column):
        if needed not in header:
            raise SceneFormatError(path, f"missing column '{needed}' in the label map header")
    return {row[key]: row for row in rows if row.get(key)}


def _label_mapper(path: Path | None, column: str):
    """A function raw label -> (category, extra attributes)."""
    table = read_label_map(path, column) if path is not None else {}

    def name(label: str) -> tuple[str, dict]:
        row = table.get(label) or table.get(label.strip().lower())
        extra = {}
        if row is not None:
            category = (row.get(column) or label).strip().lower()
            if row.get("nyu40class"):
                extra["nyu40class"] = row["nyu40class"]
        else:
            category = label.strip().lower()
        return _STRUCTURAL_ALIASES.get(category, category), extra

    return name
