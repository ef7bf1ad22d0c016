"""The numba renderer against an independent ray caster (embree), plus its own promises: vertex
projection, fill rule, amodal subsets, determinism, background values and input errors."""

from __future__ import annotations

import numpy as np
import pytest

from spatial_env.camera import Camera, look_at
from spatial_env.render import BACKENDS, Frame, Renderer, make_renderer
from spatial_env.scene import Mesh, SceneBuilder, box


def build_test_scene():
    """A closed room with overlapping, tessellated, rotated boxes and one box beside the camera."""
    b = SceneBuilder("render-test")
    b.add_object("wall", box((6.0, 5.0, 3.0), center=(0, 0, 1.5), color=(170, 170, 190), max_edge=0.7))
    b.add_object("table", box((1.2, 0.7, 0.75), color=(200, 60, 50), max_edge=0.1), translation=(0.8, 0.6, 0.375))
    # overlaps the table's volume: their faces intersect, so the z-test decides per pixel
    b.add_object("cabinet", box((0.6, 0.9, 1.4), color=(60, 180, 70)), yaw=0.5, translation=(1.3, 0.9, 0.7))
    b.add_object("bed", box((2.0, 1.4, 0.5), color=(60, 80, 200), max_edge=0.25), yaw=-0.3,
                 translation=(1.0, -1.3, 0.25))
    b.add_object("shelf", box((0.4, 0.4, 2.0), color=(220, 200, 40)), translation=(2.6, 2.1, 1.0))
    # long box passing beside the camera at (-2, 0.3, 1.3): its faces cross the near plane
    b.add_object("pillar", box((3.0, 0.25, 2.4), color=(120, 60, 160)), translation=(-2.0, 0.75, 1.2))
    return b.build()


@pytest.fixture(scope="module")
def scene():
    return build_test_scene()


@pytest.fixture(scope="module")
def renderer(scene):
    return make_renderer(scene, "numba")


CAMERAS = [
    ((-2.0, 0.3, 1.3), (1.5, 0.3, 0.8)),    # along the pillar, which crosses the near plane
    ((-2.5, -2.0, 1.6), (1.0, 0.5, 0.5)),   # room corner, looking across overlapping boxes
    ((2.0, -2.0, 2.5), (0.5, 0.0, 0.0)),    # high, looking down at the bed and table
    ((0.0, 0.0, 0.3), (0.3, 0.2, 3.0)),     # low, looking up at the ceiling
]


def _cameras(width=160, height=120):
    return [Camera.looking_at(eye, target, hfov_deg=80.0, width=width, height=height) for eye, target in CAMERAS]


def _embree(scene, camera):
    """Instance id and z-depth per pixel from embree rays through the pixel centres."""
    rtcs = pytest.importorskip("embreex.rtcore_scene")
    from embreex.mesh_construction import TriangleMesh

    es = rtcs.EmbreeScene()
    TriangleMesh(es, scene.vertices[scene.faces].astype(np.float32))
    origins, dirs = camera.rays()
    hit = es.run(origins.astype(np.float32), dirs.astype(np.float32), output=1)
    prim = hit["primID"].reshape(camera.height, camera.width)
    ids = np.where(prim >= 0, scene.face_object[np.maximum(prim, 0)], -1)
    zdir = (dirs @ camera.pose[:3, 2]).reshape(camera.height, camera.width)  # unit ray -> z-depth
    depth = np.where(prim >= 0, hit["tfar"].reshape(camera.height, camera.width) * zdir, 0.0)
    return ids, depth


def test_matches_embree(scene, renderer):
    agree, total, diffs = 0, 0, []
    for cam in _cameras():
        frame = renderer.render(cam)
        ids, depth = _embree(scene, cam)
        same = frame.instance == ids
        agree += same.sum()
        total += same.size
        both = same & (ids >= 0)
        diffs.append(np.abs(frame.depth[both].astype(np.float64) - depth[both]))
    diffs = np.concatenate(diffs)
    assert agree / total >= 0.995, f"instance agreement {agree / total:.4%}"
    assert np.median(diffs) < 1e-3, f"median |depth diff| {np.median(diffs):.2e} m"


@pytest.mark.parametrize("serial", [False, True], ids=["parallel", "serial-twins"])
def test_clipping_near_plane_and_guard_band_match_embree(serial, monkeypatch):
    """Big triangles with vertices behind the camera, in its plane (z = 0: 1/z is inf in the vertex stage)
    and projecting far outside the image (beyond the guard band) are clipped, not dropped or distorted;
    the same with the kernels a forked child uses."""
    from spatial_env.render import numba_backend

    monkeypatch.setattr(numba_backend, "_SERIAL", serial)
    b = SceneBuilder("clip")
    colour = np.full((3, 3), 150, np.uint8)
    tris = [
        [[0.012, 10.0, 0.3], [3.0, 0.0, -1.0], [3.0, -0.5, 1.0]],    # left vertex just past the near plane
        [[-2.0, 0.5, -0.5], [4.0, 0.5, -0.5], [4.0, -3.0, -0.4]],    # floor-like, one vertex behind the camera
        [[-1.0, -1.0, 0.6], [-1.0, 1.0, 0.6], [6.0, 0.0, 0.2]],      # two vertices behind the camera
        [[0.011, -30.0, -0.2], [0.02, 0.0, 25.0], [5.0, 0.3, 0.1]],  # two vertices beyond the guard band
        [[0.0, 2.0, 0.4], [3.0, 1.0, 0.9], [3.0, 2.5, -0.2]],        # a vertex in the camera's plane
        # a floor whose shared edge crosses the near plane 17 m to the side (beyond the guard band)
        [[-20.0, 20.0, -1.0], [20.0, 15.0, -1.0], [20.0, -20.0, -1.0]],
        [[-20.0, 20.0, -1.0], [20.0, 15.0, -1.0], [20.0, 40.0, -1.0]],
    ]
    for tri in tris:
        b.add_object("panel", Mesh(np.array(tri), np.array([[0, 1, 2]]), colour))
    sc = b.build()
    renderer = make_renderer(sc, "numba")
    for hfov in (60.0, 100.0):
        cam = Camera.from_hfov(hfov, 160, 120, look_at((0, 0, 0), (1, 0, 0)))
        frame = renderer.render(cam)
        ids, depth = _embree(sc, cam)
        assert (frame.instance == ids).mean() >= 0.999
        both = (frame.instance == ids) & (ids >= 0)
        assert both.sum() > 1000 and np.median(np.abs(frame.depth[both] - depth[both])) < 1e-4


def test_frame_types_and_closed_room_has_no_holes(scene, renderer):
    for cam in _cameras():
        f = renderer.render(cam)
        assert isinstance(f, Frame)
        assert f.rgb.shape == (120, 160, 3) and f.rgb.dtype == np.uint8
        assert f.depth.dtype == np.float32 and f.instance.dtype == np.int32
        # the camera is inside a closed tessellated room: any background pixel is a crack
        assert (f.instance >= 0).all() and (f.depth > 0).all()
    assert isinstance(renderer, Renderer) and renderer.backend == "numba"


def test_vertex_projects_to_pixel_with_its_depth(scene, renderer):
    """Aim a camera with odd size (principal point on a pixel centre) at interior mesh vertices."""
    table = scene.objects[2]
    top = scene.faces[table.face_indices]
    verts = np.unique(top.ravel())
    v = scene.vertices[verts].astype(np.float64)
    lo, hi = v.min(0), v.max(0)
    inner = (v[:, 2] == hi[2]) & np.all((v[:, :2] > lo[:2] + 0.05) & (v[:, :2] < hi[:2] - 0.05), axis=1)
    for p in v[inner][:5]:
        eye = p + np.array([-1.0, -0.7, 1.1])
        cam = Camera.from_hfov(60.0, 101, 101, look_at(eye, p))
        uv, z = cam.project(p[None])
        col, row = np.floor(uv[0]).astype(int)
        assert (col, row) == (50, 50)
        frame = renderer.render(cam)
        assert frame.instance[row, col] == 2
        assert frame.depth[row, col] == pytest.approx(z[0], abs=1e-5)


def test_top_left_fill_rule_on_shared_edge():
    """Two triangles share an edge through a column of pixel centres: the right one owns it."""
    b = SceneBuilder("fill")
    grey = np.full((3, 3), 200, np.uint8)
    left = Mesh(np.array([[2.0, 0, -1], [2.0, 0, 1], [2.0, 1, 0]]), np.array([[0, 1, 2]]), grey)
    right = Mesh(np.array([[2.0, 0, -1], [2.0, 0, 1], [2.0, -1, 0]]), np.array([[0, 1, 2]]), grey)
    b.add_object("a", left)
    b.add_object("b", right)  # higher face index: loses z ties, so only the fill rule gives it the edge
    cam = Camera.from_hfov(90.0, 101, 101, look_at((0, 0, 0), (1, 0, 0)))
    frame = make_renderer(b.build(), "numba").render(cam)
    rows = np.flatnonzero(frame.instance[:, 50] >= 0)
    assert len(rows) > 40
    assert (frame.instance[rows, 50] == 2).all()
    assert (frame.instance[rows[2:-2], 49] == 1).all()  # the tips are narrower than a pixel


def test_only_objects_is_amodal_superset(scene, renderer):
    cam = _cameras()[1]
    full = renderer.render(cam)
    for oid in (2, 3, 4):
        sub = renderer.render(cam, only_objects=[oid])
        visible, amodal = full.instance == oid, sub.instance == oid
        assert visible.any() and (amodal | ~visible).all()
        assert set(np.unique(sub.instance)) <= {-1, oid}
        np.testing.assert_array_equal(sub.depth[visible], full.depth[visible])
    assert renderer.render(cam, only_objects=[]).instance.max() == -1


def test_deterministic_across_calls_and_threads(scene, renderer):
    import numba

    cam = _cameras(256, 192)[1]
    a = renderer.render(cam)
    b = renderer.render(cam)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        c = renderer.render(cam)
    finally:
        numba.set_num_threads(old)
    for x in (b, c):
        assert a.rgb.tobytes() == x.rgb.tobytes()
        assert a.depth.tobytes() == x.depth.tobytes()
        assert a.instance.tobytes() == x.instance.tobytes()


def test_background_is_zero_depth_and_minus_one(scene):
    b = SceneBuilder("open")
    b.add_object("chair", box((0.5, 0.5, 0.9), color=(10, 200, 10)), translation=(2.0, 0.0, 0.45))
    r = make_renderer(b.build(), "numba", background=(7, 8, 9))
    f = r.render(Camera.looking_at((0, 0, 0.5), (2, 0, 0.45), width=64, height=48))
    bg = f.instance == -1
    assert bg.any() and (~bg).any()
    assert (f.depth[bg] == 0).all() and (f.depth[~bg] > 0).all()
    assert (f.rgb[bg] == (7, 8, 9)).all()


def test_unshaded_colours_are_vertex_colours_and_shading_darkens():
    b = SceneBuilder("flat")
    b.add_object("crate", box((1.0, 1.0, 1.0), color=(40, 120, 220)), translation=(3.0, 0.4, 0.2))
    scene = b.build()
    cam = Camera.looking_at((0, 0, 0.5), (3, 0.4, 0.2), width=64, height=48)
    flat = make_renderer(scene, backend="numba", shading=False).render(cam)
    lit = make_renderer(scene, shading=True, ambient=0.2).render(cam)
    hit = flat.instance == 1
    assert hit.any() and (flat.rgb[hit] == (40, 120, 220)).all()
    assert (lit.rgb[hit].astype(int) <= flat.rgb[hit]).all() and lit.rgb[hit].min() < 220
    np.testing.assert_array_equal(lit.depth, flat.depth)


def test_bad_input_errors(scene, renderer):
    with pytest.raises(TypeError, match="Camera"):
        renderer.render(np.eye(4))
    with pytest.raises(ValueError, match="unknown object id"):
        renderer.render(_cameras()[0], only_objects=[999])
    with pytest.raises(ValueError, match="valid backends"):
        make_renderer(scene, backend="vulkan")
    for name in ("habitat",):
        with pytest.raises(NotImplementedError, match="not available yet"):
            make_renderer(scene, backend=name)
    with pytest.raises(TypeError, match="Scene"):
        make_renderer("not a scene")
    assert BACKENDS[0] == "auto"


def _with(cam: Camera, K=None, R=None) -> Camera:
    pose = cam.pose.copy()
    if R is not None:
        pose[:3, :3] = R
    return Camera(cam.K if K is None else np.asarray(K, float), pose, cam.width, cam.height)


def test_bad_cameras_are_refused_before_rendering(renderer):
    cam = _cameras()[0]
    R = cam.pose[:3, :3]
    skewed = cam.K.copy()
    skewed[0, 1] = 0.5
    nan_K = cam.K.copy()
    nan_K[0, 2] = np.nan
    bad = {
        "finite": _with(cam, K=nan_K),
        "no skew": _with(cam, K=skewed),
        "positive focal": _with(cam, K=np.diag([-1.0, 1.0, 1.0])),
        "orthonormal": _with(cam, R=R * 1.001),  # scaled: not a rotation
        "right-handed": _with(cam, R=R * [1.0, 1.0, -1.0]),  # a mirror
        "image size": Camera(cam.K, cam.pose, 0, cam.height),
    }
    for words, camera in bad.items():
        with pytest.raises(ValueError, match=words):
            renderer.render(camera)
    # float error as a pose composed of rotations carries is fine: within np.allclose's tolerances
    off = _with(cam, R=R + 4e-7)
    np.testing.assert_array_equal(renderer.render(off).instance, renderer.render(off).instance)
    assert (renderer.render(off).instance >= 0).any()


def _solid_ids(scene) -> set[int]:
    from spatial_env.render.numba_backend import _solids

    faces = {i: np.asarray(o.face_indices, np.int64) for i, o in scene.objects.items()}
    return set(_solids(scene.vertices, scene.faces, faces).object_ids.tolist())


def test_closed_outward_meshes_are_solids_and_others_are_not():
    """Back faces are culled only for closed, outward-facing meshes: a box missing a face, a box turned
    inside out, or two boxes one of which is inside out must keep every face."""
    closed = box((1.0, 1.0, 1.0), max_edge=0.3)

    def join(m1: Mesh, m2: Mesh) -> Mesh:
        return Mesh(np.concatenate([m1.vertices, m2.vertices]), np.concatenate([m1.faces, m2.faces + len(m1.vertices)]),
                    np.concatenate([m1.colors, m2.colors]))

    far = Mesh(closed.vertices + (3.0, 0.0, 0.0), closed.faces, closed.colors)
    b = SceneBuilder("solids")
    ids = {name: b.add_object(name, m) for name, m in [
        ("closed", closed),
        ("pair", join(closed, far)),
        ("open", Mesh(closed.vertices, closed.faces[:-2], closed.colors)),
        ("inverted", Mesh(closed.vertices, closed.faces[:, ::-1], closed.colors)),
        ("pair_bad", join(closed, Mesh(far.vertices, far.faces[:, ::-1], far.colors)))]}
    scene = b.build()
    found = _solid_ids(scene)
    assert {ids["closed"], ids["pair"]} <= found
    assert not found & {ids["open"], ids["inverted"], ids["pair_bad"]}


def test_culling_back_faces_changes_no_visible_surface(scene, renderer, monkeypatch):
    """From outside the boxes (and inside the room box, whose faces must all stay), culled and unculled
    renders agree: the same ids and depths, colours off only where a silhouette pixel's tie now goes to
    the front face."""
    solids = _solid_ids(scene)
    assert {2, 4, 5, 6} <= solids  # the tessellated and plain boxes
    plain = make_renderer(scene, "numba")
    monkeypatch.setattr(plain, "_solid_cull", lambda *args: np.zeros(len(solids), np.uint8))
    culled_any = False
    for cam in _cameras(200, 150):
        culled_any |= bool(renderer._solid_cull(cam).any())
        a, b = renderer.render(cam), plain.render(cam)
        assert (a.instance == b.instance).all()
        assert np.abs(a.depth - b.depth).max() < 1e-4
        assert (a.rgb != b.rgb).any(-1).mean() < 1e-3
    assert culled_any
    inside = Camera.looking_at((0.0, -1.5, 1.5), (0.0, -3.0, 1.5), hfov_deg=80.0, width=64, height=48)
    assert renderer._solid_cull(inside)[sorted(solids).index(1)] == 0  # the camera is in the room box
    assert (renderer.render(inside).instance == 1).all()
