"""The embedded default rooms: contents, layout validity, determinism and visibility."""

from __future__ import annotations

import hashlib
import re
from itertools import combinations

import numpy as np
import pytest

from spatial_env.scene import STRUCTURAL_CATEGORIES, default_scenes, make_scene
from spatial_env.scene import furniture as F
from spatial_env.scene import procedural as P
from spatial_env.scene.walkable import walkable_mask

NAMES = default_scenes()  # rooms themselves are generated on first use and cached by make_scene


def _sat_overlap(a, b, shrink: float) -> bool:
    """Separating-axis test of two oriented boxes, each shrunk by ``shrink`` on every side."""
    ea, eb = a.extents / 2 - shrink, b.extents / 2 - shrink
    if (ea <= 0).any() or (eb <= 0).any():
        return False
    Ra, Rb, d = a.rotation, b.rotation, b.center - a.center
    axes = [Ra[:, i] for i in range(3)] + [Rb[:, i] for i in range(3)]
    axes += [np.cross(Ra[:, i], Rb[:, j]) for i in range(3) for j in range(3)]
    for ax in axes:
        n = np.linalg.norm(ax)
        if n < 1e-9:
            continue
        ax = ax / n
        ra = np.abs(Ra.T @ ax) @ ea
        rb = np.abs(Rb.T @ ax) @ eb
        if abs(d @ ax) > ra + rb:
            return False
    return True


def _drop_heights(points: np.ndarray, verts: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """For each (x, y, z) point the highest z of the mesh below it (vertical ray cast), -inf on a miss."""
    tri = verts[faces]
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    out = np.full(len(points), -np.inf)
    for i, p in enumerate(points):
        v0, v1, v2 = b[:, :2] - a[:, :2], c[:, :2] - a[:, :2], p[:2] - a[:, :2]
        den = v0[:, 0] * v1[:, 1] - v1[:, 0] * v0[:, 1]
        ok = np.abs(den) > 1e-12
        u = np.where(ok, (v2[:, 0] * v1[:, 1] - v1[:, 0] * v2[:, 1]) / np.where(ok, den, 1), -1)
        v = np.where(ok, (v0[:, 0] * v2[:, 1] - v2[:, 0] * v0[:, 1]) / np.where(ok, den, 1), -1)
        inside = ok & (u >= -1e-9) & (v >= -1e-9) & (u + v <= 1 + 1e-9)
        z = a[:, 2] + u * (b[:, 2] - a[:, 2]) + v * (c[:, 2] - a[:, 2])
        z = z[inside & (z <= p[2] + 1e-6)]
        if len(z):
            out[i] = z.max()
    return out


def test_default_set_names_and_errors():
    kinds = {n.split(":")[1].rsplit("-", 1)[0] for n in NAMES}
    assert len(NAMES) >= 12 and kinds == set(P.ROOM_TYPES)
    assert all(n.startswith("procedural:") for n in NAMES)
    assert make_scene("bedroom-0") is make_scene("procedural:bedroom-0")  # cached, prefix optional
    assert make_scene("seed-5").scene_id == "dining_room-1000"  # seed-N names its room type and index
    with pytest.raises(ValueError, match="bedroom-0"):
        make_scene("castle-1")


@pytest.mark.parametrize("name", NAMES)
def test_room_shell_and_contents(name):
    sc = make_scene(name)
    size = sc.bounds[1] - sc.bounds[0]
    assert (3.0 <= size[:2]).all() and (size[:2] <= 8.0).all() and 2.4 <= size[2] <= 3.0
    assert sc.floor_height == 0.0
    cats = [o.category for o in sc.objects.values()]
    for needed in ("floor", "ceiling", "door", "window", "skirting", "ceiling_light"):
        assert needed in cats, needed
    assert cats.count("wall") == 4
    ids = sc.object_ids()
    assert 15 <= len(ids) <= 40
    assert 100_000 <= sc.num_triangles <= 1_000_000
    for i in ids:  # every furniture box lies inside the room
        a = sc.objects[i].aabb()
        assert (a[0] >= sc.bounds[0] - 0.01).all() and (a[1] <= sc.bounds[1] + 0.01).all(), sc.objects[i].category
        assert "model" in sc.objects[i].attributes
    for s, rel, o in sc.relations:
        assert s in sc.objects and o in sc.objects and rel in ("on", "next to", "hanging on", "hanging from")


@pytest.mark.parametrize("name", NAMES)
def test_identical_objects_share_geometry(name):
    sc = make_scene(name)
    groups: dict[str, list[int]] = {}
    for i in sc.object_ids():
        groups.setdefault(sc.objects[i].attributes["model"], []).append(i)
    groups = {m: g for m, g in groups.items() if len(g) >= 2}
    assert groups, "no group of identical objects"
    for g in groups.values():
        local = []
        for i in g:
            o = sc.objects[i]
            faces = sc.faces[o.face_indices]
            used = np.unique(faces)
            v = (sc.vertices[used].astype(np.float64) - o.center) @ o.rotation  # into the object's box frame
            local.append((v, sc.colors[used], faces - used.min()))
        for v, c, f in local[1:]:
            assert v.shape == local[0][0].shape and np.allclose(v, local[0][0], atol=2e-4)
            assert (c == local[0][1]).all() and (f == local[0][2]).all()


def test_category_coverage_and_names():
    cats = set()
    for sc in map(make_scene, NAMES):
        cats |= {sc.objects[i].category for i in sc.object_ids()}
    assert len(cats) >= 30, sorted(cats)
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", c) for c in cats)
    assert not cats & STRUCTURAL_CATEGORIES
    assert len(set(F.BUILDERS)) >= 30


@pytest.mark.parametrize("name", NAMES)
def test_no_interpenetration(name):
    """Object boxes (exact for these meshes' frames) overlap by no more than 1 cm, except declared
    support contacts; boxes are conservative, so this also bounds the meshes' penetration."""
    sc = make_scene(name)
    on = {(s, o) for s, r, o in sc.relations if r == "on"}
    objs = [sc.objects[i] for i in sc.object_ids()]
    bad = [
        (a.category, b.category)
        for a, b in combinations(objs, 2)
        if (a.id, b.id) not in on and (b.id, a.id) not in on and _sat_overlap(a, b, 0.005)
    ]
    assert not bad


@pytest.mark.parametrize("name", NAMES)
def test_small_objects_rest_on_their_support(name):
    sc = make_scene(name)
    on = {s: o for s, r, o in sc.relations if r == "on"}
    surface = [i for i in sc.object_ids() if sc.objects[i].attributes.get("placement") == "surface"]
    assert surface and all(on.get(i) == sc.objects[i].attributes["support"] for i in surface)
    for i in surface:
        v, _ = sc.object_mesh(i)
        bottom = v[:, 2].min()
        foot = v[v[:, 2] < bottom + 0.002]
        pts = foot[np.linspace(0, len(foot) - 1, min(len(foot), 12)).astype(int)].astype(np.float64)
        pts[:, 2] = bottom + 0.005
        sv, sf = sc.object_mesh(on[i])
        below = _drop_heights(pts, sv.astype(np.float64), sf)
        gap = bottom - below
        assert np.isfinite(below).any(), f"{sc.objects[i].category} {i} has nothing of its support below it"
        assert np.abs(gap[np.isfinite(gap)]).min() <= 0.01, (sc.objects[i].category, gap)


def test_same_name_same_arrays():
    a = make_scene("procedural:living_room-0")
    P._make_scene.cache_clear()
    b = make_scene("living_room-0")
    assert a is not b and a.content_hash == b.content_hash
    assert np.array_equal(a.vertices, b.vertices) and np.array_equal(a.colors, b.colors)
    assert a.relations == b.relations
    assert len({make_scene(n).content_hash for n in NAMES}) == len(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_free_space_is_walkable(name):
    sc = make_scene(name)
    mask, _ = walkable_mask(sc, radius=0.2)
    area = mask.sum() * 0.05**2
    floor = np.prod(sc.bounds[1, :2] - sc.bounds[0, :2])
    assert area >= 0.2 * floor, f"only {area:.1f} of {floor:.1f} m2 reachable from the door"


def test_every_object_visible_from_free_space():
    """Each object is seen (>= 6 pixels at 128x128, 256x256 for small things) by some camera standing in
    walkable space, no further than a person would step back to look at it.

    Ray cast with embree (the independent test caster) so this checks the layout, not a renderer."""
    rtcs = pytest.importorskip("embreex.rtcore_scene")
    from embreex.mesh_construction import TriangleMesh

    from spatial_env.camera import Camera

    for name in NAMES:
        sc = make_scene(name)
        scene = rtcs.EmbreeScene()
        TriangleMesh(scene, sc.vertices[sc.faces])
        mask, origin = walkable_mask(sc, radius=0.2)
        ii, jj = np.nonzero(mask[::6, ::6])
        pts = origin + (np.stack([ii * 6, jj * 6], 1) + 0.5) * 0.05
        for i in sc.object_ids():
            o = sc.objects[i]
            d = np.linalg.norm(pts - o.center[:2], axis=1)
            seen = False
            want = np.clip(4 * o.extents.max() + 0.5, 0.9, 2.0)  # small things are looked at from closer
            for k in np.argsort(np.abs(d - want))[:20]:
                for h in (1.6, 1.1, 1.8):  # the view sampler's eye heights
                    eye = np.array([pts[k][0], pts[k][1], h])
                    if np.linalg.norm(eye - o.center) < 0.3:
                        continue
                    res = 128 if o.extents.max() > 0.15 else 256  # a mouse needs more pixels than a sofa
                    orig, dirs = Camera.looking_at(eye, o.center, hfov_deg=90, width=res, height=res).rays()
                    hit = scene.run(orig.astype(np.float32), dirs.astype(np.float32))
                    if (sc.face_object[hit[hit >= 0]] == i).sum() >= 6:
                        seen = True
                        break
                if seen:
                    break
            assert seen, f"{name}: {o.category} {i} is not visible from free space"


def _turn_degrees(rotation: np.ndarray) -> int:
    return int(round(np.degrees(np.arctan2(rotation[1, 0], rotation[0, 0])))) % 360


def test_placement_is_a_quarter_turn_and_offset_fixed_by_the_name():
    quarter_turns = [np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]], float) for c, s in ((1, 0), (0, 1), (-1, 0), (0, -1))]
    turns = set()
    for name in NAMES:
        R, t = P.room_placement(name)
        assert any(np.array_equal(R, q) for q in quarter_turns), R  # exact: walls stay axis-aligned
        assert t[2] == 0.0 and (np.abs(t[:2]) <= P.MAX_OFFSET).all()
        turns.add(_turn_degrees(R))
        again = P.room_placement(name.split(":")[1])
        assert np.array_equal(again[0], R) and np.array_equal(again[1], t)
    assert turns == {0, 90, 180, 270}
    # The point of the placement: room-frame coordinates are no longer all positive.
    assert any((make_scene(n).bounds[0, :2] < 0).any() for n in NAMES)
    assert all(make_scene(n).floor_height == 0.0 for n in NAMES)


def test_placement_moves_the_room_without_changing_its_layout():
    """A room is its room-frame build (corner at the origin) moved rigidly by room_placement: same
    objects, categories, extents, faces, colours and relations; vertices and boxes mapped through it."""
    by_turn = {}
    for n in NAMES:
        by_turn.setdefault(_turn_degrees(P.room_placement(n)[0]), n.split(":")[1])
    for name in (by_turn[90], by_turn[180]):
        # The layout seed stays what it was before the placement existed (GENERATOR_VERSION 1).
        assert P.scene_seed(name) == int.from_bytes(hashlib.sha256(f"{name}-v1".encode()).digest()[:8], "little")
        kind, index = name.rsplit("-", 1)
        ref = P._build_room(kind, int(index))
        sc = make_scene(name)
        R, t = P.room_placement(name)
        np.testing.assert_array_equal(ref.bounds[0], [0, 0, 0])
        assert sorted(sc.objects) == sorted(ref.objects)
        for i, o in sc.objects.items():
            r = ref.objects[i]
            assert o.category == r.category and o.attributes == r.attributes
            np.testing.assert_array_equal(o.extents, r.extents)
            np.testing.assert_array_equal(o.face_indices, r.face_indices)
            np.testing.assert_allclose(o.center, R @ r.center + t, atol=1e-12)
            np.testing.assert_allclose(o.rotation, R @ r.rotation, atol=1e-12)
        np.testing.assert_allclose(sc.vertices, ref.vertices.astype(np.float64) @ R.T + t, rtol=0, atol=1e-5)
        assert np.array_equal(sc.faces, ref.faces) and np.array_equal(sc.colors, ref.colors)
        assert np.array_equal(sc.face_object, ref.face_object) and sc.relations == ref.relations
        corners = np.array([[x, y, z] for x in ref.bounds[:, 0] for y in ref.bounds[:, 1] for z in ref.bounds[:, 2]])
        moved = corners @ R.T + t
        np.testing.assert_allclose(sc.bounds, [moved.min(0), moved.max(0)], atol=1e-12)
        # the bounds still hug the room: the floor spans them exactly on x and y
        floor = next(o for o in sc.objects.values() if o.category == "floor")
        fv = sc.vertices[sc.faces[floor.face_indices].ravel()]
        np.testing.assert_allclose(fv[:, :2].min(0), sc.bounds[0, :2], atol=1e-5)
        np.testing.assert_allclose(fv[:, :2].max(0), sc.bounds[1, :2], atol=1e-5)


def test_stats_table():
    st = P.scene_stats(make_scene(NAMES[0]))
    assert st["objects"] >= 15 and st["triangles"] > 0 and st["identical_groups"] >= 1
    table = P.default_set_stats()
    assert "Rep2D-BEAT" in table and "604" in table and all(n in table for n in NAMES)
