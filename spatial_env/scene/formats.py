"""File-format plumbing the dataset loaders share: JSON fields, PLY meshes, and scene extents.

:mod:`.replica` and :mod:`.scannet` read their files through these helpers, and :mod:`.loaders`
dispatches to those two modules, so imports run one way: ``model`` <- ``formats`` <- ``replica`` /
``scannet`` <- ``loaders``.

PLY files are read with ``plyfile``. Binary meshes whose polygons all have the same size are
memory-mapped (plyfile's ``known_list_len``), so a million-face mesh loads in well under a second;
meshes that mix polygon sizes fall back to plyfile's per-row reader. Every problem with a file
raises :class:`SceneFormatError` naming the file and, where there is one, the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from plyfile import PlyData, PlyElementParseError, PlyHeaderParseError, PlyParseError

from .model import SceneFormatError

#: Object id range: ids are stored in the int32 ``Scene.face_object``, where others would wrap.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
#: Largest ScanNet segment id: segment ids are matched as int64.
INT64_MAX = 2**63 - 1


# ---------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------


def read_json(path: Path) -> dict:
    """A JSON object from ``path``; missing or malformed files raise :class:`SceneFormatError`."""
    if not path.is_file():
        raise SceneFormatError(path, "missing file")
    try:
        with open(path, "rb") as f:
            data = json.load(f)
    except json.JSONDecodeError as e:
        raise SceneFormatError(path, f"malformed JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except (UnicodeDecodeError, OSError) as e:
        raise SceneFormatError(path, f"unreadable JSON: {e}") from None
    if not isinstance(data, dict):
        raise SceneFormatError(path, f"expected a JSON object at the top level, got {type(data).__name__}")
    return data


def field(obj: dict, key: str, path: Path, where: str):
    """``obj[key]``, or a :class:`SceneFormatError` naming the file and the dotted field."""
    if not isinstance(obj, dict) or key not in obj:
        raise SceneFormatError(path, f"missing field '{where}{key}'")
    return obj[key]


def integer(value, path: Path, name: str, lo: int | None = None, hi: int | None = None) -> int:
    """``value`` as an int, within ``[lo, hi]`` where given, or a :class:`SceneFormatError`.

    JSON booleans are not integers here, though Python counts them as such.
    """
    if not isinstance(value, int) or isinstance(value, bool):
        raise SceneFormatError(path, f"field '{name}' must be an integer, got {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise SceneFormatError(path, f"field '{name}' is {value}, outside the supported range [{lo}, {hi}]")
    return value


def vector(value, n: int, path: Path, name: str) -> np.ndarray:
    """``value`` as a finite float64 vector of length ``n``, or a :class:`SceneFormatError`."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise SceneFormatError(path, f"field '{name}' must be {n} numbers, got {value!r}") from None
    if arr.shape != (n,) or not np.all(np.isfinite(arr)):
        raise SceneFormatError(path, f"field '{name}' must be {n} finite numbers, got {value!r}")
    return arr


# ---------------------------------------------------------------------------------------------
# PLY
# ---------------------------------------------------------------------------------------------

_PLY_TYPE_SIZES = {
    "char": 1, "int8": 1, "uchar": 1, "uint8": 1, "short": 2, "int16": 2, "ushort": 2, "uint16": 2,
    "int": 4, "int32": 4, "uint": 4, "uint32": 4, "float": 4, "float32": 4, "double": 8, "float64": 8,
}
_PLY_NUMPY = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1", "short": "i2", "int16": "i2",
    "ushort": "u2", "uint16": "u2", "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
}
_FACE_LIST_NAMES = ("vertex_indices", "vertex_index")


@dataclass
class PlyMesh:
    """A PLY mesh triangulated: float64 vertices, uint8 colours, int64 triangles.

    ``triangle_polygon`` maps each triangle to the polygon (PLY face row) it came from, so per-face
    properties in ``face_props`` (one value per polygon) expand with ``face_props[k][triangle_polygon]``.
    """

    vertices: np.ndarray
    colors: np.ndarray
    triangles: np.ndarray
    triangle_polygon: np.ndarray
    face_props: dict
    num_polygons: int


@dataclass
class _Header:
    """What ``_scan_header`` learns from a PLY header: format, data offset, element layout."""

    binary: str | None  # "<" / ">" for binary files, None for ASCII
    data_offset: int
    elements: list  # [(name, count, [property words after "property"])]


def read_ply_mesh(path: Path, face_scalars: tuple[str, ...] = ()) -> PlyMesh:
    """Read a coloured polygon mesh and fan-triangulate it; ``face_scalars`` are required per-face
    properties (e.g. ``object_id``) returned in ``face_props``."""
    if not path.is_file():
        raise SceneFormatError(path, "missing file")
    ply = _read_plydata(path)
    names = [el.name for el in ply.elements]
    for required in ("vertex", "face"):
        if required not in names:
            raise SceneFormatError(path, f"no '{required}' element in the PLY header")
    vertex, face = ply["vertex"], ply["face"]
    vertices = np.stack([_prop(vertex, path, k).astype(np.float64) for k in "xyz"], axis=1)
    if not np.all(np.isfinite(vertices)):
        raise SceneFormatError(path, "vertex positions (x, y, z) contain NaN or infinity")
    colors = np.stack([_color(_prop(vertex, path, k)) for k in ("red", "green", "blue")], axis=1)
    list_name = next((n for n in _FACE_LIST_NAMES if n in face), None)
    if list_name is None:
        raise SceneFormatError(path, "missing face property 'vertex_indices'")
    props = {k: np.array(_prop(face, path, k)) for k in face_scalars}  # a copy, not a view of the mmap
    triangles, tri_poly = fan_triangulate(face[list_name], len(vertices), path, f"face.{list_name}")
    return PlyMesh(vertices, colors, triangles, tri_poly, props, face.count)


def _prop(element, path: Path, name: str) -> np.ndarray:
    if name not in element:
        raise SceneFormatError(path, f"missing {element.name} property '{name}'")
    return element[name]


def _color(channel: np.ndarray) -> np.ndarray:
    """uint8 colour channel; float colours (0..1) are scaled, wider integers clipped."""
    if np.issubdtype(channel.dtype, np.floating):
        return np.clip(np.rint(channel * 255.0), 0, 255).astype(np.uint8)
    return np.clip(channel, 0, 255).astype(np.uint8)


def _read_plydata(path: Path) -> PlyData:
    """plyfile's parse, memory-mapped when every polygon has the first polygon's size."""
    header = _scan_header(path)
    size = path.stat().st_size
    if header is not None:
        _check_counts_fit(path, header, size)
    known = _known_list_len(path, header)
    try:
        with open(path, "rb") as f:
            try:
                ply = PlyData.read(f, known_list_len=known)
            except PlyElementParseError as e:
                # The first polygon's size does not hold for all of them: mixed polygon sizes, which
                # only the per-row reader handles. Retry only when the file could hold the faces at
                # all, so a truncated mesh fails fast instead of being parsed row by row.
                if not known or not _may_be_mixed(e, header, size):
                    raise
                f.seek(0)
                ply = PlyData.read(f, mmap=False)
            if header is not None and header.binary:  # plyfile closes the file after an ASCII read
                _check_trailing(f, path, header, f.tell(), size)
    except SceneFormatError:
        raise
    except PlyElementParseError as e:
        raise SceneFormatError(path, f"truncated or corrupt PLY data ({e})") from None
    except PlyHeaderParseError as e:
        raise SceneFormatError(path, f"malformed PLY header ({e})") from None
    except (PlyParseError, ValueError, OSError, EOFError) as e:
        raise SceneFormatError(path, f"unreadable PLY file ({type(e).__name__}: {e})") from None
    return ply


def _check_counts_fit(path: Path, header: _Header, size: int) -> None:
    """Reject element counts the file is too small to hold, before plyfile allocates arrays for them.

    plyfile checks the size only on its memory-mapped binary path; its ASCII and per-row binary
    readers first allocate ``count`` rows, so a header claiming 2e9 vertices raised MemoryError.
    """
    text = header.binary is None
    room, need = size - header.data_offset, 0
    try:
        for name, count, props in header.elements:
            need += count * _min_row_bytes(props, text)
            # An ASCII file may end without the last newline: one byte less than the minimum.
            if need - text > room:
                raise SceneFormatError(
                    path, f"element '{name}' count {count} in the header: the {max(room, 0)} bytes of data "
                          f"after the header cannot hold that many rows (wrong count or truncated file)")
    except (KeyError, IndexError):
        return  # an unknown property type: plyfile's own parse reports it


def _min_row_bytes(props: list, text: bool) -> int:
    """The fewest bytes one row can take: every list empty; in ASCII, each value one digit and a
    separator (a row is a line, so at least its newline)."""
    if text:
        return max(2 * len(props), 1)
    return sum(_PLY_TYPE_SIZES[p[1]] if p[0] == "list" else _PLY_TYPE_SIZES[p[0]] for p in props)


def _may_be_mixed(err: PlyElementParseError, header: _Header | None, size: int) -> bool:
    if err.message == "unexpected list length":
        return True
    if err.message != "early end-of-file" or header is None:
        return False
    # Smallest possible size: every polygon a triangle.
    need = header.data_offset
    for name, count, props in header.elements:
        row = 0
        for p in props:
            if p[0] == "list":
                row += _PLY_TYPE_SIZES[p[1]] + 3 * _PLY_TYPE_SIZES[p[2]]
            else:
                row += _PLY_TYPE_SIZES[p[0]]
        need += count * row
    return size >= need


def _check_trailing(f, path: Path, header: _Header, end: int, size: int) -> None:
    """Bytes after the last element mean the header's counts disagree with the data."""
    if end >= size:
        return
    f.seek(end)
    tail = f.read(65)
    if len(tail) > 64 or tail.strip(b" \t\r\n"):
        counts = ", ".join(f"{name} {count}" for name, count, _ in header.elements)
        raise SceneFormatError(
            path, f"{size - end} bytes of data after the last element: the header's element counts "
                  f"({counts}) do not match the data (face count mismatch?)")


def _scan_header(path: Path) -> _Header | None:
    """A light look at the header (plyfile does the real parse); None if it is unusual."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
        end = head.find(b"end_header")
        newline = head.find(b"\n", end)
        if end < 0 or newline < 0:
            return None
        fmt, elements = None, []
        for line in head[:end].decode("ascii", "replace").splitlines():
            words = line.split()
            if not words:
                continue
            if words[0] == "format":
                fmt = words[1]
            elif words[0] == "element":
                elements.append((words[1], int(words[2]), []))
            elif words[0] == "property" and elements:
                elements[-1][2].append(words[1:])
        order = {"binary_little_endian": "<", "binary_big_endian": ">"}.get(fmt)
        return _Header(order, newline + 1, elements)
    except (OSError, ValueError, IndexError):
        return None


def _known_list_len(path: Path, header: _Header | None) -> dict:
    """``{"face": {list_name: n}}`` with n the first polygon's size, when it can be found cheaply."""
    if header is None or header.binary is None:
        return {}
    offset = header.data_offset
    try:
        for name, count, props in header.elements:
            if name != "face":
                if any(p[0] == "list" for p in props):
                    return {}
                offset += count * sum(_PLY_TYPE_SIZES[p[0]] for p in props)
                continue
            lists = [p for p in props if p[0] == "list"]
            if count == 0 or len(lists) != 1 or lists[0][3] not in _FACE_LIST_NAMES:
                return {}
            for p in props:
                if p[0] == "list":
                    dtype = np.dtype(header.binary + _PLY_NUMPY[p[1]])
                    with open(path, "rb") as f:
                        f.seek(offset)
                        raw = f.read(dtype.itemsize)
                    if len(raw) < dtype.itemsize:
                        return {}
                    return {"face": {p[3]: int(np.frombuffer(raw, dtype)[0])}}
                offset += _PLY_TYPE_SIZES[p[0]]
    except (KeyError, IndexError, OSError):
        return {}
    return {}


def fan_triangulate(polygons: np.ndarray, num_vertices: int, path: Path, name: str):
    """Triangles ``(v0, vi, vi+1)`` of each polygon and the polygon index of each triangle.

    ``polygons`` is an (F, n) integer array (fixed size) or an object array of index arrays. Faces
    with fewer than 3 vertices yield no triangles. Indices outside ``[0, num_vertices)`` raise.
    """
    if polygons.dtype == object:
        # Mixed sizes: only reached from plyfile's per-row reader, already a loop over faces.
        lengths = np.fromiter((len(p) for p in polygons), dtype=np.int64, count=len(polygons))
        flat = np.concatenate(list(polygons)).astype(np.int64) if len(polygons) else np.zeros(0, np.int64)
    else:
        polygons = np.asarray(polygons).reshape(len(polygons), -1)
        lengths = np.full(len(polygons), polygons.shape[1], dtype=np.int64)
        flat = polygons.astype(np.int64).ravel()
    if flat.size and (flat.min() < 0 or flat.max() >= num_vertices):
        bad = int(np.flatnonzero((flat < 0) | (flat >= num_vertices))[0])
        row = int(np.searchsorted(np.cumsum(lengths), bad, side="right"))
        raise SceneFormatError(path, f"{name}: face {row} refers to vertex {int(flat[bad])}, "
                                     f"outside [0, {num_vertices})")
    if polygons.dtype != object and lengths.size and lengths[0] == 3:
        return flat.reshape(-1, 3), np.arange(len(lengths), dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    per_poly = np.maximum(lengths - 2, 0)
    tri_poly = np.repeat(np.arange(len(lengths), dtype=np.int64), per_poly)
    first_tri = np.cumsum(per_poly) - per_poly
    j = np.arange(len(tri_poly), dtype=np.int64) - first_tri[tri_poly] + 1  # fan step 1..n-2
    s = starts[tri_poly]
    triangles = np.stack([flat[s], flat[s + j], flat[s + j + 1]], axis=1)
    return triangles, tri_poly


# ---------------------------------------------------------------------------------------------
# Shared scene helpers
# ---------------------------------------------------------------------------------------------


def group_indices(labels: np.ndarray) -> dict[int, np.ndarray]:
    """``{label: sorted indices}`` for every label except -1, without a Python loop over items."""
    order = np.argsort(labels, kind="stable")
    ids, starts = np.unique(labels[order], return_index=True)
    parts = np.split(order, starts[1:])
    return {int(i): p for i, p in zip(ids, parts) if i != -1}


def floor_height(vertices: np.ndarray, floor_vertex_mask: np.ndarray | None, robust: bool) -> float:
    """Median z of floor-labelled vertices if any, else the lowest z (robust: 0.5th percentile)."""
    if floor_vertex_mask is not None and floor_vertex_mask.any():
        return float(np.median(vertices[floor_vertex_mask, 2]))
    if len(vertices) == 0:
        return 0.0
    return float(np.percentile(vertices[:, 2], 0.5) if robust else vertices[:, 2].min())


def room_bounds(vertices: np.ndarray, floor_z: float, robust: bool) -> np.ndarray:
    """(2, 3) room extent; robust bounds use the 0.1/99.9 percentiles so stray scan fragments
    outside the room do not inflate it. The lower z is never above the floor."""
    if len(vertices) == 0:
        return np.zeros((2, 3))
    if robust:
        lo, hi = np.percentile(vertices, [0.1, 99.9], axis=0)
    else:
        lo, hi = vertices.min(0), vertices.max(0)
    lo = lo.copy()
    lo[2] = min(lo[2], floor_z)
    return np.stack([lo, hi])
