"""Tiny scenes written in the real Replica and ScanNet on-disk formats, with their ground truth.

Everything is generated here (boxes and planes); no dataset files are copied. The writers follow the
layouts habitat-sim and ScanNet's own tools read: binary little-endian PLY, Replica quads with a
per-face ``object_id``, ScanNet triangles with per-vertex segment ids and an aggregation file.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from plyfile import PlyData, PlyElement

# Unit-cube corners (x fastest) and its six faces as outward quads.
_CORNERS = np.array([[x, y, z] for z in (-0.5, 0.5) for y in (-0.5, 0.5) for x in (-0.5, 0.5)])
_CUBE_QUADS = np.array([[0, 2, 3, 1], [4, 5, 7, 6], [0, 1, 5, 4], [2, 6, 7, 3], [0, 4, 6, 2], [1, 3, 7, 5]])


@dataclass
class ExpectedObject:
    """Ground truth of one object: world-frame box and the object's own world vertices."""

    category: str
    center: np.ndarray
    extents: np.ndarray
    rotation: np.ndarray
    vertices: np.ndarray
    num_faces: int  # triangles after loading


@dataclass
class SceneFixture:
    """A written scene: its directory, main files and what loading it must give."""

    root: Path
    files: dict[str, Path]
    objects: dict[int, ExpectedObject]
    world_vertices: np.ndarray
    num_triangles: int
    extra: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Geometry helpers
# ---------------------------------------------------------------------------------------------


def axis_angle(axis, angle: float) -> np.ndarray:
    """Rotation matrix about ``axis`` by ``angle`` radians."""
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    K = np.array([[0, -a[2], a[1]], [a[2], 0, -a[0]], [-a[1], a[0], 0]])
    return np.eye(3) + math.sin(angle) * K + (1 - math.cos(angle)) * K @ K


def quat_xyzw(R: np.ndarray) -> list[float]:
    """Quaternion (x, y, z, w) of a rotation matrix."""
    w = math.sqrt(max(0.0, 1 + R[0, 0] + R[1, 1] + R[2, 2])) / 2
    x = math.copysign(math.sqrt(max(0.0, 1 + R[0, 0] - R[1, 1] - R[2, 2])) / 2, R[2, 1] - R[1, 2])
    y = math.copysign(math.sqrt(max(0.0, 1 - R[0, 0] + R[1, 1] - R[2, 2])) / 2, R[0, 2] - R[2, 0])
    z = math.copysign(math.sqrt(max(0.0, 1 - R[0, 0] - R[1, 1] + R[2, 2])) / 2, R[1, 0] - R[0, 1])
    return [x, y, z, w]


def box_corners(size, R=np.eye(3), center=(0, 0, 0)) -> np.ndarray:
    """The 8 corners of a box of full sizes ``size``, rotated by ``R`` and centred at ``center``."""
    return (_CORNERS * np.asarray(size, float)) @ np.asarray(R).T + np.asarray(center, float)


def grid(origin, u, v, nu: int, nv: int) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and quads of a planar grid ``origin + s u + t v``."""
    s, t = np.meshgrid(np.linspace(0, 1, nu + 1), np.linspace(0, 1, nv + 1), indexing="ij")
    verts = (np.asarray(origin, float) + s.reshape(-1, 1) * np.asarray(u, float)
             + t.reshape(-1, 1) * np.asarray(v, float))
    idx = np.arange((nu + 1) * (nv + 1)).reshape(nu + 1, nv + 1)
    quads = np.stack([idx[:-1, :-1], idx[1:, :-1], idx[1:, 1:], idx[:-1, 1:]], -1).reshape(-1, 4)
    return verts, quads


def quads_to_tris(quads: np.ndarray) -> np.ndarray:
    """Fan triangles of quads, the split the loaders must produce."""
    return np.concatenate([quads[:, [0, 1, 2]], quads[:, [0, 2, 3]]], axis=1).reshape(-1, 3)


# ---------------------------------------------------------------------------------------------
# PLY writers
# ---------------------------------------------------------------------------------------------


def write_ply(path: Path, vertices, faces, *, colors=None, face_props: dict | None = None,
              normals: bool = False, alpha: bool = False, drop_vertex: tuple = (), text: bool = False) -> Path:
    """Write a PLY with plyfile: float xyz (+normals), uchar rgb (+alpha), ``list uchar int
    vertex_indices`` (fixed or mixed polygon sizes) and extra per-face scalars ``{name: (dtype, values)}``."""
    vertices = np.asarray(vertices, float)
    n = len(vertices)
    colors = np.full((n, 3), 128, np.uint8) if colors is None else np.asarray(colors, np.uint8)
    vfields = [("x", "f4"), ("y", "f4"), ("z", "f4")]
    if normals:
        vfields += [("nx", "f4"), ("ny", "f4"), ("nz", "f4")]
    vfields += [("red", "u1"), ("green", "u1"), ("blue", "u1")] + ([("alpha", "u1")] if alpha else [])
    vfields = [f for f in vfields if f[0] not in drop_vertex]
    v = np.zeros(n, dtype=vfields)
    for i, k in enumerate("xyz"):
        if k in v.dtype.names:
            v[k] = vertices[:, i]
    if normals:
        v["nz"] = 1.0
    for i, k in enumerate(("red", "green", "blue")):
        if k in v.dtype.names:
            v[k] = colors[:, i]
    if alpha:
        v["alpha"] = 255
    sizes = {len(f) for f in faces}
    face_props = face_props or {}
    if len(sizes) == 1:
        ffields = [("vertex_indices", "i4", (sizes.pop(),))]
    else:
        ffields = [("vertex_indices", object)]
    ffields += [(name, dt) for name, (dt, _) in face_props.items()]
    f = np.empty(len(faces), dtype=ffields)
    if ffields[0][1] == object:
        f["vertex_indices"] = [np.asarray(p, np.int32) for p in faces]
    else:
        f["vertex_indices"] = np.asarray(faces, np.int32)
    for name, (_, values) in face_props.items():
        f[name] = values
    face_el = PlyElement.describe(f, "face", len_types={"vertex_indices": "u1"}, val_types={"vertex_indices": "i4"})
    PlyData([PlyElement.describe(v, "vertex"), face_el], text=text, byte_order="<").write(str(path))
    return path


def write_quad_grid_ply(path: Path, n_side: int) -> int:
    """A large binary quad grid with ``object_id`` written straight from numpy (plyfile's list
    writer loops in Python); returns the number of quads."""
    verts, quads = grid((0, 0, 0), (10, 0, 0), (0, 10, 0), n_side, n_side)
    v = np.zeros(len(verts), dtype=[("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("nx", "<f4"), ("ny", "<f4"),
                                    ("nz", "<f4"), ("red", "u1"), ("green", "u1"), ("blue", "u1")])
    v["x"], v["y"], v["z"] = verts.T
    f = np.zeros(len(quads), dtype=[("n", "u1"), ("idx", "<i4", (4,)), ("object_id", "<i4")])
    f["n"], f["idx"], f["object_id"] = 4, quads, np.arange(len(quads)) % 7
    header = (f"ply\nformat binary_little_endian 1.0\nelement vertex {len(v)}\n"
              "property float x\nproperty float y\nproperty float z\nproperty float nx\nproperty float ny\n"
              "property float nz\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n"
              f"element face {len(f)}\nproperty list uchar int vertex_indices\nproperty int object_id\n"
              "end_header\n")
    with open(path, "wb") as fh:
        fh.write(header.encode("ascii"))
        fh.write(v.tobytes())
        fh.write(f.tobytes())
    return len(quads)


# ---------------------------------------------------------------------------------------------
# Replica
# ---------------------------------------------------------------------------------------------

#: Box objects of the Replica fixture: id -> (class, sizes, rotation, world centre, abb centre in box frame).
REPLICA_BOXES = {
    5: ("table", (1.2, 0.6, 0.75), axis_angle((0, 0, 1), math.radians(30)), (0.5, -0.3, 0.375), (0.2, 0.1, 0.0)),
    7: ("chair", (0.5, 0.45, 0.9), axis_angle((1, 2, 3), 0.4), (-1.0, 1.0, 0.6), (0.0, -0.05, 0.1)),
}


def replica_scene(root: Path, name: str = "room_0", *, file_frame: np.ndarray | None = None) -> SceneFixture:
    """A Replica scene: a quad floor (id 1), two boxes (ids 5, 7), an unannotated quad (id 0, no json
    entry) and a json object (id 99) with no faces. ``file_frame`` rotates everything in the files
    (and ``gravity_dir``) away from Z-up, as a habitat-style Y-up export would."""
    G = np.eye(3) if file_frame is None else np.asarray(file_frame, float)
    scene = root / name
    (scene / "habitat").mkdir(parents=True, exist_ok=True)
    verts, quads, ids, expected, json_objects = [], [], [], {}, []

    def add(v, q, oid):
        quads.append(np.asarray(q) + sum(len(x) for x in verts))
        verts.append(np.asarray(v, float))
        ids.append(np.full(len(q), oid))

    fv, fq = grid((-2, -2, 0), (4, 0, 0), (0, 4, 0), 4, 4)
    add(fv, fq, 1)
    expected[1] = ExpectedObject("floor", np.zeros(3), np.array([4.0, 4.0, 0.02]), np.eye(3), fv, 2 * len(fq))
    json_objects.append(_replica_obj(1, "floor", np.zeros(3), (4, 4, 0.02), np.eye(3), np.zeros(3), G))
    for oid, (cls, size, R, center, abb_center) in REPLICA_BOXES.items():
        v = box_corners(size, R, center)
        add(v, _CUBE_QUADS, oid)
        expected[oid] = ExpectedObject(cls, np.array(center, float), np.array(size, float), R, v, 12)
        translation = np.asarray(center, float) - R @ np.asarray(abb_center, float)
        json_objects.append(_replica_obj(oid, cls, np.asarray(abb_center, float), size, R, translation, G))
    wv, wq = grid((-2, 2, 0.5), (1, 0, 0), (0, 0, 1), 1, 1)
    add(wv, wq, 0)  # unannotated patch: id 0 has no json entry
    json_objects.append(_replica_obj(99, "lamp", np.zeros(3), (0.2, 0.2, 0.5), np.eye(3),
                                     np.array([1.5, 1.5, 0.25]), G))

    world = np.concatenate(verts)
    all_quads = np.concatenate(quads)
    colors = (np.abs(world) * 60 % 255).astype(np.uint8)
    mesh = write_ply(scene / "habitat" / "mesh_semantic.ply", world @ G.T, all_quads, colors=colors,
                     face_props={"object_id": ("i4", np.concatenate(ids))}, normals=True)
    info = {
        "classes": [{"id": 1, "name": "floor"}, {"id": 2, "name": "table"}, {"id": 3, "name": "chair"},
                    {"id": 4, "name": "lamp"}],
        "objects": json_objects,
        "id_to_label": [-1, 1, -1, -1, -1, 2, -1, 3],
        "gravity_dir": (G @ np.array([0.0, 0.0, -1.0])).tolist(),
    }
    info_path = scene / "habitat" / "info_semantic.json"
    info_path.write_text(json.dumps(info, indent=1))
    return SceneFixture(scene, {"mesh": mesh, "info": info_path}, expected, world, 2 * len(all_quads),
                        {"face_ids": np.repeat(np.concatenate(ids), 2)})


def _replica_obj(oid, cls, abb_center, sizes, R, translation, G) -> dict:
    """One ``objects[]`` entry, written in the file frame ``G``."""
    class_ids = {"floor": 1, "table": 2, "chair": 3, "lamp": 4}
    return {
        "id": oid, "class_id": class_ids[cls], "class_name": cls,
        "oriented_bbox": {
            "abb": {"center": np.asarray(abb_center, float).tolist(), "sizes": list(map(float, sizes))},
            "orientation": {"rotation": quat_xyzw(G @ R), "translation": (G @ translation).tolist()},
        },
    }


# ---------------------------------------------------------------------------------------------
# ScanNet
# ---------------------------------------------------------------------------------------------

LABEL_TSV_HEADER = ["id", "raw_category", "category", "count", "nyu40id", "eigen13id", "nyuClass",
                    "nyu40class", "eigen13class", "ModelNet40", "ModelNet10", "ShapeNetCore55",
                    "synsetoffset", "wnsynsetid", "wnsynsetkey", "mpcat40", "mpcat40index"]
LABEL_TSV_ROWS = [  # raw_category, category, nyu40id, nyu40class
    ("wall", "wall", 1, "wall"), ("floor", "floor", 2, "floor"), ("chair", "chair", 5, "chair"),
    ("dining table", "table", 7, "table"), ("doors", "door", 8, "door"),
]
SCANNET_YAW = math.radians(30)


def default_alignment() -> np.ndarray:
    """A ScanNet-like axisAlignment: a turn about Z and a shift."""
    M = np.eye(4)
    M[:3, :3] = axis_angle((0, 0, 1), math.radians(-17))
    M[:3, 3] = (-1.7, 2.4, 0.05)
    return M


def scannet_scene(root: Path, name: str = "scene0000_00", *, layout: str = "v2", alignment=None,
                  label_map: bool = True, duplicate_group: bool = False) -> SceneFixture:
    """A ScanNet scan: floor (2 segments), wall, yawed table (2 segments), chair, doors, and an
    unannotated box. Vertices are written in the raw scan frame (``alignment`` inverted)."""
    M = default_alignment() if alignment is None else np.asarray(alignment, float)
    scene = root / name
    scene.mkdir(parents=True, exist_ok=True)
    parts = []  # (vertices world, triangles, segment ids per vertex)

    def add(v, tris, segs):
        parts.append((np.asarray(v, float), np.asarray(tris), np.asarray(segs)))

    fv, fq = grid((0, 0, 0), (4, 0, 0), (0, 3, 0), 4, 3)
    add(fv, quads_to_tris(fq), np.where(fv[:, 0] < 2, 101, 102))
    wv, wq = grid((0, 3, 0), (4, 0, 0), (0, 0, 2.5), 2, 2)
    add(wv, quads_to_tris(wq), np.full(len(wv), 201))
    table = box_corners((1.2, 0.6, 0.75), axis_angle((0, 0, 1), SCANNET_YAW), (2.0, 1.5, 0.375))
    add(table, quads_to_tris(_CUBE_QUADS), np.where(table[:, 2] > 0.3, 301, 302))
    chair = box_corners((0.45, 0.5, 0.9), np.eye(3), (1.0, 0.8, 0.45))
    add(chair, quads_to_tris(_CUBE_QUADS), np.full(8, 401))
    dv, dq = grid((3.95, 0.5, 0), (0, 0.9, 0), (0, 0, 2.0), 1, 1)
    add(dv, quads_to_tris(dq), np.full(len(dv), 501))
    clutter = box_corners((0.2, 0.2, 0.2), np.eye(3), (3.0, 2.5, 0.1))
    add(clutter, quads_to_tris(_CUBE_QUADS), np.full(8, 999))  # no group claims segment 999

    offsets = np.cumsum([0] + [len(p[0]) for p in parts[:-1]])
    world = np.concatenate([p[0] for p in parts])
    tris = np.concatenate([p[1] + o for p, o in zip(parts, offsets)])
    segs = np.concatenate([p[2] for p in parts])
    raw = (world - M[:3, 3]) @ np.linalg.inv(M[:3, :3]).T
    files = {
        "mesh": write_ply(scene / f"{name}_vh_clean_2.ply", raw, tris, alpha=True,
                          colors=(np.abs(world) * 50 % 255).astype(np.uint8)),
        "segs": scene / f"{name}_vh_clean_2.0.010000.segs.json",
        "aggregation": scene / f"{name}.aggregation.json",
        "meta": scene / f"{name}.txt",
    }
    files["segs"].write_text(json.dumps({
        "params": {"kThresh": "0.0001", "segMinVerts": "20", "minPoints": "750", "maxPoints": "30000",
                   "thinThresh": "0.05", "flatThresh": "0.001", "minLength": "0.02", "maxLength": "1"},
        "sceneId": name, "segIndices": segs.tolist()}))
    groups = [("floor", [101, 102]), ("wall", [201]), ("dining table", [302, 301]), ("chair", [401]),
              ("doors", [501])]
    files["aggregation"].write_text(json.dumps(_aggregation(name, groups, layout, duplicate_group)))
    files["meta"].write_text("axisAlignment = " + " ".join(f"{x:.9f}" for x in M.ravel()) +
                             " \ncolorHeight = 968\ncolorWidth = 1296\nfx_color = 1170.187988\n"
                             "numColorFrames = 5578\nsceneType = Apartment\n")
    if label_map:
        lines = ["\t".join(LABEL_TSV_HEADER)]
        for i, (raw_cat, cat, nyu_id, nyu_cls) in enumerate(LABEL_TSV_ROWS, 1):
            row = dict.fromkeys(LABEL_TSV_HEADER, "")
            row.update(id=str(i), raw_category=raw_cat, category=cat, count="1", nyu40id=str(nyu_id),
                       nyu40class=nyu_cls)
            lines.append("\t".join(row[h] for h in LABEL_TSV_HEADER))
        files["labels"] = root / "scannetv2-labels.combined.tsv"
        files["labels"].write_text("\n".join(lines) + "\n")
    cats = ["floor", "wall", "table" if label_map else "dining table", "chair", "door"]
    sizes = [(4, 3, 0), (4, 0, 2.5), (1.2, 0.6, 0.75), (0.45, 0.5, 0.9), (0, 0.9, 2.0)]
    expected = {}
    for oid, (p, cat, size) in enumerate(zip(parts, cats, sizes)):
        R = axis_angle((0, 0, 1), SCANNET_YAW) if oid == 2 else np.eye(3)
        center = (p[0].min(0) + p[0].max(0)) / 2 if oid != 2 else np.array([2.0, 1.5, 0.375])
        expected[oid] = ExpectedObject(cat, center, np.array(size, float), R, p[0], len(p[1]))
    return SceneFixture(scene, files, expected, world, len(tris), {"alignment": M, "segs": segs})


def _aggregation(name: str, groups, layout: str, duplicate_group: bool) -> dict:
    """Aggregation json: v2 (id + objectId + segmentsFile) or v1 (id only, one as a string)."""
    if layout == "v2":
        seg_groups = [{"id": i, "objectId": i, "segments": s, "label": lab} for i, (lab, s) in enumerate(groups)]
        if duplicate_group:  # as in scene0217_00: a repeated group under a new objectId
            seg_groups.append({"id": len(groups), "objectId": len(groups), "segments": groups[3][1],
                               "label": groups[3][0]})
        return {"sceneId": f"scannet.{name}", "appId": "Aggregator.v2", "segGroups": seg_groups,
                "segmentsFile": f"scannet.{name}_vh_clean_2.0.010000.segs.json"}
    seg_groups = [{"id": str(i) if i == 2 else i, "segments": s, "label": lab} for i, (lab, s) in enumerate(groups)]
    return {"sceneId": f"scannet.{name}", "appId": "Aggregator.v1", "segGroups": seg_groups}


# ---------------------------------------------------------------------------------------------
# ScanNet scans of generated rooms, with captured frames (SensReader export layout)
# ---------------------------------------------------------------------------------------------

#: Photos of the captured fixture: file number -> (eye, target) in world metres. 2 nearly repeats 1
#: (5 cm and about 3 degrees away, so pose subsampling drops it); 3's pose is written as -inf rows
#: and 4's pose file is missing; 6's depth image has an occluder painted over one object; 10 sorts
#: after 9 only numerically.
CAPTURED_VIEWS = {
    0: ((0.6, 0.6, 1.5), (2.5, 2.0, 0.5)),
    1: ((4.4, 0.6, 1.5), (2.5, 2.0, 0.5)),
    2: ((4.43, 0.64, 1.5), (2.45, 2.1, 0.55)),
    3: ((2.5, 0.4, 1.2), (2.5, 2.0, 0.5)),
    4: ((0.4, 2.0, 1.2), (2.5, 2.0, 0.5)),
    5: ((4.4, 3.4, 1.5), (0.3, 3.0, 0.6)),
    6: ((0.8, 1.0, 1.4), (2.5, 2.2, 0.4)),
    7: ((2.5, 0.4, 1.6), (2.5, 3.5, 0.3)),
    8: ((0.5, 3.6, 1.5), (4.5, 0.5, 0.5)),
    9: ((2.5, 3.7, 1.2), (2.5, 0.5, 0.6)),
    10: ((4.6, 2.0, 1.8), (0.2, 2.0, 0.3)),
}
CAPTURED_INVALID_POSE, CAPTURED_MISSING_POSE, CAPTURED_DUPLICATE, CAPTURED_OCCLUDED = 3, 4, 2, 6


def scannet_from_scene(root: Path, scene, name: str = "scene0000_00", alignment=None) -> SceneFixture:
    """Write a :class:`~spatial_env.scene.Scene` as a ScanNet scan (mesh with vertex colours, one
    segment per object, v2 aggregation keeping the object ids, meta file with ``axisAlignment``); the
    mesh is written in the original frame (``alignment`` inverted), so loading gives back the scene's
    world coordinates."""
    M = default_alignment() if alignment is None else np.asarray(alignment, float)
    scan = root / name
    scan.mkdir(parents=True, exist_ok=True)
    world = np.asarray(scene.vertices, float)
    vertex_object = np.full(len(world), -1, np.int64)
    for k in range(3):
        vertex_object[scene.faces[:, k]] = scene.face_object
    for k in range(3):  # every face's corners must agree, or the loader's majority vote could differ
        assert np.array_equal(vertex_object[scene.faces[:, k]], scene.face_object), "vertices shared by objects"
    segs = np.where(vertex_object >= 0, vertex_object, 10**6)  # segment 10**6: no group claims it
    raw = (world - M[:3, 3]) @ np.linalg.inv(M[:3, :3]).T
    files = {
        "mesh": write_ply(scan / f"{name}_vh_clean_2.ply", raw, scene.faces, colors=scene.colors, alpha=True),
        "segs": scan / f"{name}_vh_clean_2.0.010000.segs.json",
        "aggregation": scan / f"{name}.aggregation.json",
        "meta": scan / f"{name}.txt",
    }
    files["segs"].write_text(json.dumps({"sceneId": name, "segIndices": segs.tolist()}))
    groups = [{"id": oid, "objectId": oid, "segments": [oid], "label": o.category}
              for oid, o in sorted(scene.objects.items())]
    files["aggregation"].write_text(json.dumps({"sceneId": f"scannet.{name}", "appId": "Aggregator.v2",
                                                "segGroups": groups,
                                                "segmentsFile": f"scannet.{name}_vh_clean_2.0.010000.segs.json"}))
    files["meta"].write_text("axisAlignment = " + " ".join(repr(float(x)) for x in M.ravel()) + "\nsceneType = Test\n")
    expected = {oid: ExpectedObject(o.category, o.center, o.extents, o.rotation, world[np.unique(scene.faces[o.face_indices])],
                                    len(o.face_indices)) for oid, o in scene.objects.items()}
    return SceneFixture(scan, files, expected, world, len(scene.faces), {"alignment": M})


def _write_matrix(path: Path, m) -> None:
    """A 4x4 matrix as SensReader writes it (one row per line), with every digit kept."""
    path.write_text("".join(" ".join(repr(float(v)) for v in row) + "\n" for row in np.asarray(m, float)))


def write_captured_frames(scan: Path, out: Path | None = None, *, views: dict | None = None, size=(96, 72),
                          depth_size=(64, 48), occlude: int | None = CAPTURED_OCCLUDED) -> dict:
    """Render a loaded ScanNet scan at ``views`` and write them in SensReader's export layout into
    ``out`` (default: the scan directory): JPEG photos at ``size`` (width, height), uint16 millimetre
    depth PNGs at ``depth_size`` with their own intrinsics, poses in the scan's original frame. Returns
    the truth: world cameras, the alignment, intrinsics, and (frame, object) of the painted occluder."""
    import imageio.v3 as iio

    from spatial_env.camera import Camera, intrinsics, look_at
    from spatial_env.render import make_renderer
    from spatial_env.scene import load_scene
    from spatial_env.scene.scannet import read_axis_alignment, scannet_files

    views = CAPTURED_VIEWS if views is None else views
    out = Path(scan) if out is None else Path(out)
    for sub in ("color", "depth", "pose", "intrinsic"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    scene = load_scene(scan)
    renderer = make_renderer(scene)
    A = read_axis_alignment(scannet_files(scan)["meta"])
    (w, h), (dw, dh) = size, depth_size
    K_color, K_depth = intrinsics(60.0, w, h), intrinsics(64.0, dw, dh)  # the depth camera sees a little wider
    K_color[1, 1] *= 1.01  # pixels not quite square, as calibrated cameras' are not
    for name, K in (("intrinsic_color.txt", K_color), ("intrinsic_depth.txt", K_depth)):
        K4 = np.eye(4)
        K4[:3, :3] = K
        _write_matrix(out / "intrinsic" / name, K4)
    cameras, occluded = {}, None
    for n, (eye, target) in views.items():
        pose = look_at(eye, target)
        cam = Camera(K_color, pose, w, h)
        photo = renderer.render(cam)
        iio.imwrite(out / "color" / f"{n}.jpg", photo.rgb, extension=".jpg", quality=90)
        depth_frame = renderer.render(Camera(K_depth, pose, dw, dh))
        depth = depth_frame.depth.copy()
        if n == occlude:
            # Paint "a person" in front of the biggest piece of furniture the photo shows.
            counts = {o: int((photo.instance == o).sum()) for o in scene.object_ids()}
            occluded = max(counts, key=counts.get)
            hit = depth_frame.instance == occluded
            depth[hit] *= 0.5
        iio.imwrite(out / "depth" / f"{n}.png", np.round(depth * 1000.0).astype(np.uint16))
        if n == CAPTURED_INVALID_POSE:
            (out / "pose" / f"{n}.txt").write_text("-inf -inf -inf -inf\n" * 4)
        elif n != CAPTURED_MISSING_POSE:
            _write_matrix(out / "pose" / f"{n}.txt", np.linalg.inv(A) @ pose)
            cameras[n] = cam
    return {"root": out, "cameras": cameras, "alignment": A, "K_color": K_color, "K_depth": K_depth,
            "occluded": (occlude, occluded), "size": (w, h)}
