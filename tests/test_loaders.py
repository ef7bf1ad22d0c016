"""Replica and ScanNet loaders on fixtures written in the real on-disk formats, and load_scene dispatch."""

from __future__ import annotations

import json
import math
import sys
import time
import types

import numpy as np
import pytest

from scene_fixtures import (SCANNET_YAW, axis_angle, replica_scene, scannet_scene, write_ply,
                            write_quad_grid_ply)
from spatial_env.scene import Scene, SceneFormatError, load_scene
from spatial_env.scene import formats, loaders
from spatial_env.scene.build import yaw_matrix
from spatial_env.scene.formats import fan_triangulate, read_ply_mesh
from spatial_env.scene.replica import load_replica, quaternion_matrix
from spatial_env.scene.scannet import load_scannet, majority_face_objects, yaw_box


def inside_box(obj, points, tol=1e-4) -> bool:
    """True if every point lies in the object's oriented box (within ``tol`` metres)."""
    local = (points - obj.center) @ obj.rotation
    return bool(np.all(np.abs(local) <= obj.extents / 2 + tol))


def assert_box(obj, expected, atol=1e-5):
    np.testing.assert_allclose(obj.center, expected.center, atol=atol)
    np.testing.assert_allclose(obj.extents, expected.extents, atol=atol)
    np.testing.assert_allclose(obj.rotation, expected.rotation, atol=atol)


# ---------------------------------------------------------------------------------------------
# Replica
# ---------------------------------------------------------------------------------------------


def test_replica_objects_categories_and_triangulation(tmp_path):
    fx = replica_scene(tmp_path)
    scene = load_scene(fx.root)
    assert isinstance(scene, Scene)
    assert (scene.scene_id, scene.source) == ("room_0", "replica")
    assert scene.num_triangles == fx.num_triangles  # every quad split in two
    # id 0 (no json entry) is background; id 99 (json entry, no faces) is dropped.
    assert sorted(scene.objects) == [1, 5, 7]
    assert {i: o.category for i, o in scene.objects.items()} == {1: "floor", 5: "table", 7: "chair"}
    assert scene.object_ids() == [5, 7]
    expected_face_object = np.where(fx.extra["face_ids"] == 0, -1, fx.extra["face_ids"])
    np.testing.assert_array_equal(scene.face_object, expected_face_object)
    np.testing.assert_allclose(scene.vertices, fx.world_vertices, atol=1e-6)
    for oid, exp in fx.objects.items():
        obj = scene.objects[oid]
        assert len(obj.face_indices) == exp.num_faces
        assert_box(obj, exp)
        assert inside_box(obj, exp.vertices)
        assert obj.attributes["class_name"] == exp.category
    assert scene.floor_height == pytest.approx(0.0)
    np.testing.assert_allclose(scene.bounds, [fx.world_vertices.min(0), fx.world_vertices.max(0)], atol=1e-6)


def test_replica_fan_split_matches_habitat(tmp_path):
    fx = replica_scene(tmp_path)
    scene = load_replica(fx.root / "habitat")  # the habitat folder works too
    # The first table quad is [0, 2, 3, 1] after the floor's 25 vertices and 16 quads; habitat splits
    # a quad [a, b, c, d] into [a, b, c] and [a, c, d].
    np.testing.assert_array_equal(scene.faces[32:34], [[25, 27, 28], [25, 28, 26]])


def test_quaternion_is_xyzw():
    s = math.sqrt(0.5)
    R = quaternion_matrix(np.array([0.0, 0.0, s, s]))  # 90 degrees about +Z
    np.testing.assert_allclose(R @ [1, 0, 0], [0, 1, 0], atol=1e-12)


def test_replica_gravity_dir_is_rotated_to_minus_z(tmp_path):
    y_up = axis_angle((1, 0, 0), -math.pi / 2)  # file frame: habitat-style, gravity along -Y
    fx = replica_scene(tmp_path, file_frame=y_up)
    info = json.loads(fx.files["info"].read_text())
    np.testing.assert_allclose(info["gravity_dir"], [0, -1, 0], atol=1e-12)
    scene = load_scene(fx.root)
    np.testing.assert_allclose(scene.vertices, fx.world_vertices, atol=1e-5)
    for oid, exp in fx.objects.items():
        assert_box(scene.objects[oid], exp)
        assert inside_box(scene.objects[oid], exp.vertices)


def test_replica_mesh_only_and_mixed_polygons(tmp_path):
    root = tmp_path / "apartment_1"
    root.mkdir()
    verts = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [2, 0, 0], [2, 1, 0], [3, 0.5, 0],
                      [2.5, 1.5, 0]], float)
    polys = [[0, 1, 2], [0, 1, 2, 3], [1, 4, 6, 5, 2], [3, 7]]  # triangle, quad, pentagon, degenerate
    write_ply(root / "mesh.ply", verts, polys, normals=True)
    scene = load_scene(root)
    assert scene.objects == {} and np.all(scene.face_object == -1)
    np.testing.assert_array_equal(scene.faces, [[0, 1, 2], [0, 1, 2], [0, 2, 3], [1, 4, 6], [1, 6, 5], [1, 5, 2]])


def test_ascii_ply_loads(tmp_path):
    root = tmp_path / "office_0"
    root.mkdir()
    verts = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], float)
    write_ply(root / "mesh.ply", verts, [[0, 1, 2, 3]], text=True)
    scene = load_scene(root)
    np.testing.assert_array_equal(scene.faces, [[0, 1, 2], [0, 2, 3]])
    assert scene.colors.dtype == np.uint8 and scene.colors.shape == (4, 3)


def test_fan_triangulate_fixed_and_ragged_agree(tmp_path):
    quads = np.array([[0, 1, 2, 3], [4, 5, 6, 7]])
    ragged = np.empty(2, object)
    ragged[:] = [np.array(q) for q in quads]
    a, pa = fan_triangulate(quads, 8, tmp_path, "f")
    b, pb = fan_triangulate(ragged, 8, tmp_path, "f")
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(pa, [0, 0, 1, 1])
    np.testing.assert_array_equal(pa, pb)


def test_large_quad_mesh_loads_fast(tmp_path):
    path = tmp_path / "big.ply"
    n_quads = write_quad_grid_ply(path, 400)  # 160k quads -> 320k triangles
    start = time.perf_counter()
    mesh = read_ply_mesh(path, face_scalars=("object_id",))
    elapsed = time.perf_counter() - start
    assert len(mesh.triangles) == 2 * n_quads
    np.testing.assert_array_equal(mesh.face_props["object_id"][:8], np.arange(8) % 7)
    assert elapsed < 2.0, f"{elapsed:.2f} s for {n_quads} quads: the memory-mapped path was not taken"


# ---------------------------------------------------------------------------------------------
# ScanNet
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["v1", "v2"])
def test_scannet_objects_alignment_and_boxes(tmp_path, layout):
    fx = scannet_scene(tmp_path, layout=layout)
    scene = load_scene(fx.root)
    assert (scene.scene_id, scene.source) == ("scene0000_00", "scannet")
    assert scene.num_triangles == fx.num_triangles
    # axisAlignment applied: vertices land in the aligned world frame.
    np.testing.assert_allclose(scene.vertices, fx.world_vertices, atol=1e-5)
    assert sorted(scene.objects) == [0, 1, 2, 3, 4]
    cats = {i: o.category for i, o in scene.objects.items()}
    assert cats == {0: "floor", 1: "wall", 2: "table", 3: "chair", 4: "door"}
    assert scene.object_ids() == [2, 3]  # floor, wall, door are structural
    for oid, exp in fx.objects.items():
        obj = scene.objects[oid]
        assert len(obj.face_indices) == exp.num_faces
        np.testing.assert_allclose(obj.attributes["aabb"], [exp.vertices.min(0), exp.vertices.max(0)], atol=1e-5)
        assert_box(obj, exp)
        assert inside_box(obj, exp.vertices)
    table = scene.objects[2]
    assert table.attributes["yaw"] == pytest.approx(SCANNET_YAW)
    assert table.attributes["raw_label"] == "dining table"
    assert table.attributes["nyu40class"] == "table"
    assert scene.objects[3].attributes["yaw"] == 0.0  # square-ish footprint keeps the axis-aligned box
    assert np.all(scene.face_object[-12:] == -1)  # unannotated clutter box
    assert scene.floor_height == pytest.approx(0.0, abs=1e-6)
    assert scene.bounds[0, 2] <= scene.floor_height and scene.bounds[1, 2] == pytest.approx(2.5, abs=0.01)


def test_scannet_without_label_map_uses_raw_labels(tmp_path):
    fx = scannet_scene(tmp_path, label_map=False)
    scene = load_scannet(fx.root)
    assert scene.objects[2].category == "dining table"
    assert scene.objects[4].category == "door"  # "doors" normalised as a structural part


def test_scannet_duplicate_group_keeps_first(tmp_path):
    fx = scannet_scene(tmp_path, duplicate_group=True)
    scene = load_scene(fx.root)
    assert sorted(scene.objects) == [0, 1, 2, 3, 4]


def test_majority_face_objects():
    labels = np.array([5, 5, 7, -1, 7])
    faces = np.array([[0, 1, 2], [2, 4, 0], [0, 2, 3], [3, 2, 4]])
    np.testing.assert_array_equal(majority_face_objects(labels, faces), [5, 7, 5, 7])


def test_yaw_box_fits_rotated_box():
    R = axis_angle((0, 0, 1), 1.0)
    pts = np.array([[x, y, z] for x in (-1, 1) for y in (-0.25, 0.25) for z in (0, 1)]) @ R.T + [3, 4, 0]
    center, extents, rotation, yaw = yaw_box(pts)
    np.testing.assert_allclose(center, [3, 4, 0.5], atol=1e-9)
    np.testing.assert_allclose(extents, [2, 0.5, 1], atol=1e-9)
    assert yaw == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------
# Scene.transformed
# ---------------------------------------------------------------------------------------------


def test_transformed_moves_vertices_boxes_and_bounds(tmp_path):
    fx = replica_scene(tmp_path)  # the chair's box is tilted: a general box, not just a yaw
    scene = load_scene(fx.root)
    R, t = axis_angle((0, 0, 1), 0.7), np.array([1.5, -2.0, 0.25])
    moved = scene.transformed(R, t)
    np.testing.assert_allclose(moved.vertices, fx.world_vertices @ R.T + t, atol=1e-5)
    assert np.array_equal(moved.faces, scene.faces) and np.array_equal(moved.colors, scene.colors)
    assert np.array_equal(moved.face_object, scene.face_object) and moved.relations == scene.relations
    assert moved.floor_height == pytest.approx(scene.floor_height + 0.25)
    assert sorted(moved.objects) == sorted(scene.objects)
    for oid, exp in fx.objects.items():
        obj = moved.objects[oid]
        assert obj.category == exp.category
        np.testing.assert_allclose(obj.center, R @ exp.center + t, atol=1e-5)
        np.testing.assert_allclose(obj.rotation, R @ exp.rotation, atol=1e-5)
        np.testing.assert_allclose(obj.extents, exp.extents, atol=1e-5)
        assert inside_box(obj, exp.vertices @ R.T + t)
    corners = np.array([[x, y, z] for x in scene.bounds[:, 0] for y in scene.bounds[:, 1] for z in scene.bounds[:, 2]])
    np.testing.assert_allclose(moved.bounds, [(corners @ R.T + t).min(0), (corners @ R.T + t).max(0)], atol=1e-12)
    np.testing.assert_allclose(scene.vertices, fx.world_vertices, atol=1e-6)  # the original is untouched
    for bad in (axis_angle((1, 0, 0), 0.3), np.diag([1.0, -1.0, 1.0]), 2 * np.eye(3)):  # tilt, mirror, scale
        with pytest.raises(ValueError, match="rotation about"):
            scene.transformed(bad, t)


def test_transformed_scannet_aabb_and_yaw_follow_the_box(tmp_path):
    fx = scannet_scene(tmp_path)
    R, t = np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]]), np.array([3.0, -1.0, 0.0])
    moved = load_scene(fx.root).transformed(R, t)
    for oid, exp in fx.objects.items():
        obj = moved.objects[oid]
        v = exp.vertices @ R.T + t
        np.testing.assert_allclose(obj.attributes["aabb"], [v.min(0), v.max(0)], atol=1e-5)
        np.testing.assert_allclose(yaw_matrix(obj.attributes["yaw"]), obj.rotation, atol=1e-9)
    assert moved.objects[2].attributes["yaw"] == pytest.approx(SCANNET_YAW + math.pi / 2)


# ---------------------------------------------------------------------------------------------
# load_scene dispatch
# ---------------------------------------------------------------------------------------------


def test_load_scene_accepts_files_and_rejects_unknown(tmp_path):
    fx = replica_scene(tmp_path)
    assert load_scene(fx.files["mesh"]).scene_id == "room_0"
    sx = scannet_scene(tmp_path)
    assert load_scene(sx.files["mesh"]).scene_id == "scene0000_00"
    (tmp_path / "empty").mkdir()
    for bad in (tmp_path / "empty", tmp_path / "nope"):
        with pytest.raises(SceneFormatError, match="Replica.*ScanNet.*procedural") as err:
            load_scene(bad)
        assert str(bad) in str(err.value)


def test_procedural_dispatch(monkeypatch):
    calls = []
    fake = types.ModuleType("spatial_env.scene.procedural")
    fake.make_scene = lambda name: calls.append(name) or "made"
    monkeypatch.setitem(sys.modules, "spatial_env.scene.procedural", fake)
    assert load_scene("procedural:studio") == "made" and calls == ["studio"]
    with pytest.raises(ValueError):
        load_scene("procedural:")


# ---------------------------------------------------------------------------------------------
# Corruption: every case raises SceneFormatError naming the file
# ---------------------------------------------------------------------------------------------


def _truncate(path, keep=0.6):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _edit_json(path, fn):
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def _set_header_count(path, element, delta):
    data = path.read_bytes()
    head, sep, body = data.partition(b"end_header\n")
    lines = head.decode().split("\n")
    for i, line in enumerate(lines):
        if line.startswith(f"element {element} "):
            lines[i] = f"element {element} {int(line.split()[2]) + delta}"
    path.write_bytes("\n".join(lines).encode() + sep + body)


REPLICA_CORRUPTIONS = {
    "missing info json": ("info", lambda fx: fx.files["info"].unlink()),
    "missing mesh": ("mesh", lambda fx: fx.files["mesh"].unlink()),
    "truncated ply": ("mesh", lambda fx: _truncate(fx.files["mesh"])),
    "face count larger than data": ("mesh", lambda fx: _set_header_count(fx.files["mesh"], "face", +3)),
    "face count smaller than data": ("mesh", lambda fx: _set_header_count(fx.files["mesh"], "face", -3)),
    "garbage header": ("mesh", lambda fx: fx.files["mesh"].write_bytes(b"ply\nformat nonsense\nend_header\n")),
    "not a ply": ("mesh", lambda fx: fx.files["mesh"].write_bytes(b"hello")),
    "missing object_id": ("mesh", lambda fx: write_ply(fx.files["mesh"], fx.world_vertices, [[0, 1, 2, 3]])),
    "missing red": ("mesh", lambda fx: write_ply(fx.files["mesh"], fx.world_vertices, [[0, 1, 2, 3]],
                                                 face_props={"object_id": ("i4", [1])}, drop_vertex=("red",))),
    "index out of range": ("mesh", lambda fx: write_ply(fx.files["mesh"], fx.world_vertices, [[0, 1, 2, 10_000]],
                                                        face_props={"object_id": ("i4", [1])})),
    "malformed json": ("info", lambda fx: fx.files["info"].write_text('{"objects": [')),
    "missing abb sizes": ("info", lambda fx: _edit_json(
        fx.files["info"], lambda d: d["objects"][1]["oriented_bbox"]["abb"].pop("sizes"))),
    "bad quaternion": ("info", lambda fx: _edit_json(
        fx.files["info"], lambda d: d["objects"][1]["oriented_bbox"]["orientation"].update(rotation=[0, 0, 1]))),
    "duplicate object id": ("info", lambda fx: _edit_json(
        fx.files["info"], lambda d: d["objects"].append(d["objects"][0]))),
    "objects not a list": ("info", lambda fx: _edit_json(fx.files["info"], lambda d: d.update(objects={}))),
}


def _set_alignment(fx, text):
    fx.files["meta"].write_text(f"axisAlignment = {text}\nsceneType = Misc.\n")


SCANNET_CORRUPTIONS = {
    "missing mesh": ("mesh", lambda fx: fx.files["mesh"].unlink()),
    "missing segs": ("segs", lambda fx: fx.files["segs"].unlink()),
    "missing aggregation": ("aggregation", lambda fx: fx.files["aggregation"].unlink()),
    "missing meta": ("meta", lambda fx: fx.files["meta"].unlink()),
    "truncated ply": ("mesh", lambda fx: _truncate(fx.files["mesh"], 0.9)),
    "face count larger than data": ("mesh", lambda fx: _set_header_count(fx.files["mesh"], "face", +1)),
    "face count smaller than data": ("mesh", lambda fx: _set_header_count(fx.files["mesh"], "face", -1)),
    "vertex count mismatch with segs": ("segs", lambda fx: _edit_json(
        fx.files["segs"], lambda d: d["segIndices"].pop())),
    "segment not in segs": ("aggregation", lambda fx: _edit_json(
        fx.files["aggregation"], lambda d: d["segGroups"][1]["segments"].append(123456))),
    "axisAlignment 15 numbers": ("meta", lambda fx: _set_alignment(fx, " ".join(["1"] * 15))),
    "axisAlignment unparsable": ("meta", lambda fx: _set_alignment(fx, "1 0 0 0 0 1 0 0 0 0 1 0 0 0 0 x")),
    "axisAlignment not affine": ("meta", lambda fx: _set_alignment(fx, " ".join(["1"] * 16))),
    "malformed aggregation": ("aggregation", lambda fx: fx.files["aggregation"].write_text("{]")),
    "segGroups missing": ("aggregation", lambda fx: _edit_json(fx.files["aggregation"], lambda d: d.pop("segGroups"))),
    "label missing": ("aggregation", lambda fx: _edit_json(
        fx.files["aggregation"], lambda d: d["segGroups"][0].pop("label"))),
    "duplicate objectId": ("aggregation", lambda fx: _edit_json(
        fx.files["aggregation"], lambda d: d["segGroups"][1].update(objectId=0))),
    "segIndices missing": ("segs", lambda fx: _edit_json(fx.files["segs"], lambda d: d.pop("segIndices"))),
    "segIndices not ints": ("segs", lambda fx: _edit_json(fx.files["segs"], lambda d: d.update(segIndices=["a"] * 3))),
    "label map missing column": ("labels", lambda fx: fx.files["labels"].write_text("id\tsomething\n1\tx\n")),
}


CORRUPTIONS = [("replica", name) for name in REPLICA_CORRUPTIONS] + [("scannet", name) for name in SCANNET_CORRUPTIONS]


@pytest.mark.parametrize("dataset,case", CORRUPTIONS, ids=[f"{d}-{c}" for d, c in CORRUPTIONS])
def test_corruption_raises_naming_the_file(tmp_path, dataset, case):
    fx = (replica_scene if dataset == "replica" else scannet_scene)(tmp_path)
    which, corrupt = (REPLICA_CORRUPTIONS if dataset == "replica" else SCANNET_CORRUPTIONS)[case]
    corrupt(fx)
    with pytest.raises(SceneFormatError) as err:
        load_scene(fx.root)
    assert err.value.path == str(fx.files[which])
    assert fx.files[which].name in str(err.value)


# ---------------------------------------------------------------------------------------------
# Ids and counts that do not fit: SceneFormatError naming the file and the field
# ---------------------------------------------------------------------------------------------


def _edit_group(fx, fn):
    _edit_json(fx.files["aggregation"], lambda d: fn(d["segGroups"][1]))


def _v1_id(fx, value):
    """The aggregation as the v1 tool writes it (no objectId), group 1 with ``id`` = ``value``."""
    def edit(d):
        for g in d["segGroups"]:
            g.pop("objectId")
        d["segGroups"][1]["id"] = value
    _edit_json(fx.files["aggregation"], edit)


def _replica_class_id(value):
    def edit(d):
        d["objects"][1]["class_id"] = value
        d["objects"][1].pop("class_name")  # so the class id is looked up
    return lambda fx: _edit_json(fx.files["info"], edit)


def _id_to_label_entry(fx):
    def edit(d):
        d["id_to_label"][5] = [2]
        del d["objects"][1]["class_id"], d["objects"][1]["class_name"]  # fall back to id_to_label[5]
    _edit_json(fx.files["info"], edit)


# dataset, file, field named in the message, corruption. Before these were checked, objectId 2**32
# wrapped to 0 in int32 (the wall merged into the floor), 2**31 raised KeyError, 2**70 and segment
# 2**70 OverflowError, list-valued class ids TypeError, the id "²" ValueError, and segIndices 1.5
# was truncated to 1.
FIELD_CORRUPTIONS = {
    "objectId 2**31": ("scannet", "aggregation", "segGroups[1].objectId",
                       lambda fx: _edit_group(fx, lambda g: g.update(objectId=2**31))),
    "objectId 2**32 wraps to 0": ("scannet", "aggregation", "segGroups[1].objectId",
                                  lambda fx: _edit_group(fx, lambda g: g.update(objectId=2**32))),
    "objectId 2**70": ("scannet", "aggregation", "segGroups[1].objectId",
                       lambda fx: _edit_group(fx, lambda g: g.update(objectId=2**70))),
    "v1 id 2**32 as a string": ("scannet", "aggregation", "segGroups[1].id", lambda fx: _v1_id(fx, str(2**32))),
    "v1 id a superscript digit": ("scannet", "aggregation", "segGroups[1].id", lambda fx: _v1_id(fx, "\u00b2")),
    "segment 2**70": ("scannet", "aggregation", "segGroups[1].segments",
                      lambda fx: _edit_group(fx, lambda g: g["segments"].append(2**70))),
    "segment 2**63": ("scannet", "aggregation", "segGroups[1].segments",
                      lambda fx: _edit_group(fx, lambda g: g["segments"].append(2**63))),
    "segIndices 1.5": ("scannet", "segs", "segIndices", lambda fx: _edit_json(
        fx.files["segs"], lambda d: d["segIndices"].__setitem__(0, d["segIndices"][0] + 0.5))),
    "segIndices 2**64": ("scannet", "segs", "segIndices", lambda fx: _edit_json(
        fx.files["segs"], lambda d: d["segIndices"].__setitem__(0, 2**64 - 1))),
    "replica object id 2**31": ("replica", "info", "objects[1].id", lambda fx: _edit_json(
        fx.files["info"], lambda d: d["objects"][1].update(id=2**31))),
    "replica object id 2**70": ("replica", "info", "objects[1].id", lambda fx: _edit_json(
        fx.files["info"], lambda d: d["objects"][1].update(id=2**70))),
    "replica class_id a list": ("replica", "info", "objects[1].class_id", _replica_class_id([2])),
    "replica class_id 2.5": ("replica", "info", "objects[1].class_id", _replica_class_id(2.5)),
    "replica classes id a list": ("replica", "info", "classes[0].id", lambda fx: _edit_json(
        fx.files["info"], lambda d: d["classes"][0].update(id=[1]))),
    "replica id_to_label entry a list": ("replica", "info", "id_to_label[5]", _id_to_label_entry),
}


@pytest.mark.parametrize("case", FIELD_CORRUPTIONS)
def test_out_of_range_and_non_integer_ids_name_file_and_field(tmp_path, case):
    dataset, which, name, corrupt = FIELD_CORRUPTIONS[case]
    fx = (replica_scene if dataset == "replica" else scannet_scene)(tmp_path)
    corrupt(fx)
    with pytest.raises(SceneFormatError) as err:
        load_scene(fx.root)
    assert err.value.path == str(fx.files[which])
    assert f"'{name}'" in str(err.value)


def _huge_count_ascii(path):
    write_ply(path, np.eye(3), [[0, 1, 2]], text=True)
    _set_header_count(path, "vertex", 2_000_000_000 - 3)


def _huge_count_binary_two_lists(path):
    """A binary face element with two list properties, which plyfile cannot memory-map and reads
    row by row into an array allocated for the header's count first."""
    header = ("ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
              "property float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n"
              "element face 2000000000\nproperty list uchar int vertex_indices\n"
              "property list uchar float texcoord\nend_header\n")
    v = np.zeros(3, dtype=[("xyz", "<f4", (3,)), ("rgb", "u1", (3,))])
    f = np.zeros(1, dtype=[("n", "u1"), ("idx", "<i4", (3,)), ("m", "u1")])
    f["n"], f["idx"] = 3, [0, 1, 2]
    path.write_bytes(header.encode("ascii") + v.tobytes() + f.tobytes())


@pytest.mark.parametrize("write", [_huge_count_ascii, _huge_count_binary_two_lists])
def test_ply_count_larger_than_the_file_is_rejected_before_allocating(tmp_path, write):
    path = tmp_path / "mesh.ply"
    write(path)
    with pytest.raises(SceneFormatError, match="count 2000000000") as err:  # was MemoryError
        read_ply_mesh(path)
    assert err.value.path == str(path) and "element '" in str(err.value)


def test_exact_ascii_ply_sizes_still_load(tmp_path):
    """The size check's lower bound is tight: one-digit values and no final newline still load."""
    path = tmp_path / "mesh.ply"
    body = "0 0 0 1 1 1\n1 0 0 1 1 1\n0 1 0 1 1 1\n3 0 1 2"
    path.write_text("ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
                    "property float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n"
                    "element face 1\nproperty list uchar int vertex_indices\nend_header\n" + body)
    mesh = read_ply_mesh(path)
    np.testing.assert_array_equal(mesh.triangles, [[0, 1, 2]])


def test_helpers_still_importable_from_loaders():
    """The PLY/JSON helpers moved to formats; the old import path keeps working."""
    for name in ("PlyMesh", "fan_triangulate", "field", "floor_height", "group_indices", "read_json",
                 "read_ply_mesh", "room_bounds", "vector"):
        assert getattr(loaders, name) is getattr(formats, name)
