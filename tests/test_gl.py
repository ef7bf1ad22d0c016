"""The ``gl`` backend (moderngl over headless EGL) against the numba rasteriser: same ids, depth and
colours on a generated room, the same pixel-centre convention, amodal subsets, moved objects, batches,
forked processes, and the errors naming what is missing.

Runs on Mesa's software device (llvmpipe) where no GPU exists. Skipped where moderngl or EGL is missing,
unless SPATIAL_ENV_REQUIRE_GL=1 (CI sets it), where that is a failure instead.
"""

from __future__ import annotations

import multiprocessing
import os

import numpy as np
import pytest

from spatial_env.camera import Camera, look_at
from spatial_env.render import BACKENDS, Frame, Renderer, make_renderer, render_many, resolve_backend
from spatial_env.render import gl_backend
from spatial_env.render.base import transform_vertices
from spatial_env.scene import Mesh, SceneBuilder, box, load_scene

_REQUIRED = os.environ.get("SPATIAL_ENV_REQUIRE_GL", "") not in ("", "0")
_MISSING = gl_backend.gl_unavailable_reason()  # opens no EGL display (see device below)
if _MISSING:
    if _REQUIRED:
        pytest.fail(f"SPATIAL_ENV_REQUIRE_GL is set but the gl backend cannot run: {_MISSING}", pytrace=False)
    pytest.skip(f"gl backend unavailable: {_MISSING}", allow_module_level=True)


@pytest.fixture(scope="module", autouse=True)
def device():
    """The GL_RENDERER in use. Made when this module's tests start, not at collection: a process that
    has opened an EGL display cannot use EGL in children it forks later (other modules' tests fork)."""
    try:
        return gl_backend.gl_device()
    except gl_backend.GLUnavailableError as e:
        if _REQUIRED:
            pytest.fail(f"SPATIAL_ENV_REQUIRE_GL is set but the gl backend cannot run: {e}", pytrace=False)
        pytest.skip(f"gl backend unavailable: {e}")


ROOM = "procedural:bedroom-0"  # ~170k triangles, 38 objects; bed 11 at (1.46, 2.05), wardrobe 20
BED, WARDROBE, CHAIR = 11, 20, 27


@pytest.fixture(scope="module")
def room():
    return load_scene(ROOM)


@pytest.fixture(scope="module")
def numba_r(room):
    return make_renderer(room, "numba")


@pytest.fixture(scope="module")
def gl_r(room):
    return make_renderer(room, "gl")


def _cam(eye, target, width=96, height=96, hfov=80.0):
    return Camera.looking_at(eye, target, hfov_deg=hfov, width=width, height=height)


def _off_centre(eye, target, width, height, hfov=70.0):
    """A camera whose principal point is off the image centre and whose pixels are not square."""
    cam = _cam(eye, target, width, height, hfov)
    K = cam.K.copy()
    K[0, 2] += 0.17 * width
    K[1, 2] -= 0.11 * height
    K[1, 1] *= 1.08
    return Camera(K, cam.pose, width, height)


ROOM_CAMERAS = {
    # inside the room at eye height, aimed at the bed and the nightstands behind it
    "bed": _cam((1.6, 4.3, 1.55), (1.46, 2.05, 0.5)),
    # aimed at the desk and office chair from across the room, wide angle, non-square
    "desk": _cam((0.4, 2.6, 1.4), (3.1, 4.1, 0.7), width=128, height=72, hfov=95.0),
    # 3 cm above the floor looking along it: the floor and rug at a grazing angle
    "grazing": _cam((0.2, 3.6, 0.03), (3.6, 3.4, 0.03)),
    # just above the bed looking along it and down: the mattress runs behind the camera (near-plane clipping)
    "near": _cam((1.46, 2.9, 1.12), (1.46, 0.9, 0.7)),
    # high in a corner looking down across the whole room
    "corner": _cam((3.5, 5.0, 2.6), (0.8, 2.0, 0.3)),
    # off-centre principal point, fy != fx, tall image
    "off-centre": _off_centre((2.8, 1.6, 1.3), (-0.4, 4.6, 0.6), 64, 112),
}


def _compare(a: Frame, b: Frame) -> dict:
    """Agreement of two frames: a pixel agrees when the ids match and, where something is hit, the
    depths are within 1 mm."""
    same = a.instance == b.instance
    hit = same & (a.instance >= 0)
    dz = np.abs(a.depth.astype(np.float64) - b.depth.astype(np.float64))
    agree = same & (~hit | (dz <= 1e-3))
    rgb = np.abs(a.rgb.astype(np.int64) - b.rgb.astype(np.int64))
    return {"ids": same.mean(), "agree": agree.mean(), "max_dz_same_id": dz[hit].max(initial=0.0),
            "depth_within_1um": (dz[hit] <= 1e-6).mean() if hit.any() else 1.0, "rgb_mad": rgb.mean(),
            "hit": hit.mean()}


@pytest.mark.parametrize("name", list(ROOM_CAMERAS))
def test_matches_numba_in_generated_room(name, numba_r, gl_r):
    cam = ROOM_CAMERAS[name]
    a, b = numba_r.render(cam), gl_r.render(cam)
    s = _compare(a, b)
    assert s["hit"] > 0.5, f"{name}: camera sees too little ({s['hit']:.0%} hit)"
    assert s["ids"] >= 0.995 and s["agree"] >= 0.995, f"{name}: {s}"
    # same triangle, same formulas in double precision: depth agrees to rounding, RGB differs only at edges
    assert s["depth_within_1um"] >= 0.99 and s["rgb_mad"] < 1.0, f"{name}: {s}"
    assert ((b.instance < 0) == (b.depth == 0)).all()


def test_frame_types_protocol_and_background(room, gl_r):
    f = gl_r.render(ROOM_CAMERAS["desk"])
    assert isinstance(f, Frame) and isinstance(gl_r, Renderer) and gl_r.backend == "gl" and "gl" in BACKENDS
    assert f.rgb.shape == (72, 128, 3) and f.rgb.dtype == np.uint8 and f.rgb.flags.writeable
    assert f.depth.shape == (72, 128) and f.depth.dtype == np.float32
    assert f.instance.shape == (72, 128) and f.instance.dtype == np.int32
    b = SceneBuilder("open")
    b.add_object("chair", box((0.5, 0.5, 0.9), color=(10, 200, 10)), translation=(2.0, 0.0, 0.45))
    g = make_renderer(b.build(), "gl", background=(7, 8, 9)).render(_cam((0, 0, 0.5), (2, 0, 0.45), 64, 48))
    bg = g.instance == -1
    assert bg.any() and (~bg).any()
    assert (g.depth[bg] == 0).all() and (g.depth[~bg] > 0).all() and (g.rgb[bg] == (7, 8, 9)).all()


def _pixel_centres_inside(cam: Camera, tri: np.ndarray, margin: float = 1e-3):
    """Per pixel: +1 if its centre (i + 0.5) lies inside the projected triangle by more than ``margin``
    pixels, -1 if outside by more, 0 if within ``margin`` of an edge (either rule may take it)."""
    uv, _ = cam.project(tri)
    v, u = np.mgrid[0:cam.height, 0:cam.width] + 0.5
    area = (uv[1, 0] - uv[0, 0]) * (uv[2, 1] - uv[0, 1]) - (uv[1, 1] - uv[0, 1]) * (uv[2, 0] - uv[0, 0])
    dists = []
    for i in range(3):
        a, b = uv[i], uv[(i + 1) % 3]
        e = b - a
        dists.append(np.sign(area) * (e[0] * (v - a[1]) - e[1] * (u - a[0])) / np.hypot(*e))
    d = np.min(dists, axis=0)
    return np.where(d > margin, 1, np.where(d < -margin, -1, 0))


def test_small_triangles_cover_the_pixels_whose_centres_they_contain():
    """OpenGL samples pixel (i, j) at window (i + 0.5, j + 0.5); our projection puts u = fx X / Z + cx
    at window x and v at window y, so a triangle covers exactly the pixels whose centre (+0.5) lies in
    its projection, as for numba (checked on triangles a few pixels wide, off-centre principal point)."""
    rng = np.random.default_rng(7)
    cam = _off_centre((0, 0, 0), (1, 0, 0), 40, 30, hfov=60.0)
    checked = 0
    for _ in range(12):
        c = np.array([2.0, *rng.uniform(-0.4, 0.4, 2)])
        tri = c + rng.uniform(-0.3, 0.3, (3, 3)) * [0, 1, 1]  # up to ~10 pixels a side
        b = SceneBuilder("tri")
        b.add_object("panel", Mesh(tri, np.array([[0, 1, 2]]), np.full((3, 3), 90, np.uint8)))
        sc = b.build()
        gl_cover = make_renderer(sc, "gl").render(cam).instance == 1
        numba_cover = make_renderer(sc, "numba").render(cam).instance == 1
        truth = _pixel_centres_inside(cam, tri)
        sure = truth != 0
        assert (gl_cover[sure] == (truth[sure] > 0)).all()
        assert (gl_cover[sure] == numba_cover[sure]).all()
        checked += int((truth > 0).sum())
    assert checked >= 60  # the triangles did cover pixel centres


def test_shared_edge_through_pixel_centres_leaves_no_gap():
    """Two triangles sharing an edge through a column (then a row) of pixel centres: every centre on
    it belongs to one of them (GL's rule is the implementation's; llvmpipe's matches numba's top-left)."""
    grey = np.full((3, 3), 200, np.uint8)
    cam = Camera.from_hfov(90.0, 101, 101, look_at((0, 0, 0), (1, 0, 0)))
    for a, b_, line in ((([2.0, 0, -1], [2.0, 0, 1], [2.0, 1, 0]), ([2.0, 0, -1], [2.0, 0, 1], [2.0, -1, 0]), "col"),
                        (([2.0, -1, 0], [2.0, 1, 0], [2.0, 0, 1]), ([2.0, -1, 0], [2.0, 1, 0], [2.0, 0, -1]), "row")):
        b = SceneBuilder("fill")
        b.add_object("a", Mesh(np.array(a), np.array([[0, 1, 2]]), grey))
        b.add_object("b", Mesh(np.array(b_), np.array([[0, 1, 2]]), grey))
        inst = make_renderer(b.build(), "gl").render(cam).instance
        on_edge = inst[27:74, 50] if line == "col" else inst[50, 27:74]  # the edge spans 25.25..75.75
        assert np.isin(on_edge, [1, 2]).all(), f"gap on the shared {line}"


def test_only_objects_matches_numba(room, numba_r, gl_r):
    cam = ROOM_CAMERAS["bed"]
    full = gl_r.render(cam)
    for ids in ([BED], [BED, 13, 16], WARDROBE):
        a = numba_r.render(cam, only_objects=ids)
        g = gl_r.render(cam, only_objects=ids)
        s = _compare(a, g)
        assert s["agree"] >= 0.995, f"{ids}: {s}"
        want = {-1, *np.atleast_1d(ids).tolist()}
        assert set(np.unique(g.instance)) <= want
        for oid in np.atleast_1d(ids):  # amodal: a superset of the visible pixels, same depth there
            visible = full.instance == oid
            assert (g.instance[visible] == oid).all()
            np.testing.assert_array_equal(g.depth[visible], full.depth[visible])
    assert (gl_r.render(cam, only_objects=[BED]).instance == BED).sum() > (full.instance == BED).sum()
    assert gl_r.render(cam, only_objects=[]).instance.max() == -1


def _moves():
    c, s = np.cos(0.6), np.sin(0.6)
    spin = np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1.0]])
    pivot = np.eye(4)
    pivot[:3, 3] = room_centre = (1.46, 2.05, 0.0)
    back = np.eye(4)
    back[:3, 3] = -np.asarray(room_centre)
    bed = pivot @ spin @ back
    bed[:3, 3] += (0.3, 0.9, 0.0)
    chair = np.eye(4)
    chair[:3, 3] = (-1.2, -0.6, 0.0)
    return {BED: bed, CHAIR: chair}


def test_object_transforms_match_numba_and_a_rebuilt_scene(room, numba_r, gl_r):
    cam = ROOM_CAMERAS["corner"]
    moves = _moves()
    before = gl_r.render(cam)
    g = gl_r.render(cam, object_transforms=moves)
    a = numba_r.render(cam, object_transforms=moves)
    s = _compare(a, g)
    assert s["agree"] >= 0.995, s
    assert (g.instance != before.instance).mean() > 0.02  # the bed really moved
    # the same pixels as a scene whose vertices were moved beforehand (same float32 bits)
    verts = room.vertices.copy()
    for oid, T in moves.items():
        ids = np.unique(room.faces[room.objects[oid].face_indices])
        verts[ids] = transform_vertices(room.vertices[ids], T)
    from dataclasses import replace

    rebuilt = make_renderer(replace(room, vertices=verts), "gl").render(cam)
    for x, y in ((g.rgb, rebuilt.rgb), (g.depth, rebuilt.depth), (g.instance, rebuilt.instance)):
        assert x.tobytes() == y.tobytes()
    # moved for that call only; amodal renders take the transforms too
    after = gl_r.render(cam)
    assert after.instance.tobytes() == before.instance.tobytes() and after.depth.tobytes() == before.depth.tobytes()
    alone = gl_r.render(cam, only_objects=[BED], object_transforms=moves)
    reference = numba_r.render(cam, only_objects=[BED], object_transforms=moves)
    assert (alone.instance == BED).sum() > 0 and _compare(reference, alone)["agree"] >= 0.995


def test_render_many_equals_one_by_one(gl_r, monkeypatch):
    cams = list(ROOM_CAMERAS.values())
    one = [gl_r.render(c) for c in cams]
    # a pixel-pack budget of ~2 frames forces several read-back batches
    monkeypatch.setattr(gl_backend, "_BATCH_BYTES", 2 * 128 * 72 * 11)
    many = gl_r.render_many(cams)
    via_helper = render_many(gl_r, cams[:2], only_objects=[BED])
    assert len(many) == len(cams)
    for x, y in zip(one, many):
        assert x.rgb.tobytes() == y.rgb.tobytes() and x.depth.tobytes() == y.depth.tobytes()
        assert x.instance.tobytes() == y.instance.tobytes()
    for cam, f in zip(cams[:2], via_helper):
        assert f.instance.tobytes() == gl_r.render(cam, only_objects=[BED]).instance.tobytes()
    assert gl_r.render_many([]) == []


def test_render_many_helper_loops_for_numba(numba_r):
    cams = list(ROOM_CAMERAS.values())[:2]
    for cam, f in zip(cams, render_many(numba_r, cams)):
        assert f.depth.tobytes() == numba_r.render(cam).depth.tobytes()


def test_unshaded_colours_are_vertex_colours():
    b = SceneBuilder("flat")
    b.add_object("crate", box((1.0, 1.0, 1.0), color=(40, 120, 220)), translation=(3.0, 0.4, 0.2))
    scene = b.build()
    cam = _cam((0, 0, 0.5), (3, 0.4, 0.2), 64, 48)
    flat = make_renderer(scene, "gl", shading=False).render(cam)
    lit = make_renderer(scene, "gl", shading=True, ambient=0.2).render(cam)
    hit = flat.instance == 1
    assert hit.any() and (flat.rgb[hit] == (40, 120, 220)).all()
    assert (lit.rgb[hit].astype(int) <= flat.rgb[hit]).all() and lit.rgb[hit].min() < 220
    np.testing.assert_array_equal(lit.depth, flat.depth)


def _render_in_child(queue, renderer, cam):
    try:
        renderer.render(cam)
        queue.put("rendered")
    except gl_backend.GLUnavailableError as e:
        queue.put(str(e))


def test_forked_child_of_a_gl_process_gets_a_clear_error(gl_r):
    """EGL cannot be used in a child forked after the parent opened its display (Mesa's copy waits
    forever on the parent's threads): the child gets an error saying so, not a hang."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    p = ctx.Process(target=_render_in_child, args=(queue, gl_r, ROOM_CAMERAS["bed"]))
    p.start()
    try:
        msg = queue.get(timeout=60)
    finally:
        p.join(timeout=10)
        if p.is_alive():
            p.kill()
    assert "forked" in msg and "spawn" in msg


_FORK_AFTER_AUTO = """
import os, sys
from spatial_env.camera import Camera
from spatial_env.render import gl_backend, make_renderer, resolve_backend
from spatial_env.scene import SceneBuilder, box
resolve_backend("auto"), resolve_backend("gl"), gl_backend.egl_devices()  # opens no EGL display
b = SceneBuilder("x")
b.add_object("crate", box((1.0, 1.0, 1.0)), translation=(3.0, 0.0, 0.0))
scene = b.build()
pid = os.fork()
if pid == 0:
    f = make_renderer(scene, "gl").render(Camera.looking_at((0, 0, 0), (3, 0, 0), width=32, height=32))
    os._exit(0 if (f.instance == 1).sum() > 20 else 3)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_resolving_auto_then_forking_leaves_gl_usable_in_the_child():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _FORK_AFTER_AUTO], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]


def test_async_vector_envs_render_with_gl_after_this_process_did(gl_r, tmp_path):
    """``make_vector_env(mode="async")`` starts its workers with spawn: they render with gl although this process
    opened its EGL display first (gl_r), where forked workers could not; their episodes are well posed."""
    from spatial_env.rl import make_vector_env

    assert gl_r.render(ROOM_CAMERAS["bed"]).instance.max() >= 0  # this process's EGL display is open
    envs = make_vector_env("Rep2D-Bbox-v0", 2, mode="async", scenes=[ROOM], renderer="gl", resolution=64,
                           cache_dir=str(tmp_path))
    try:
        obs, info = envs.reset(seed=3)
        assert obs["images"].shape[:2] == (2, 5) and obs["images"].any()
        _, reward, terminated, _, _ = envs.step(list(info["answer"]))  # the reference answers score best
        assert reward.tolist() == [1.0, 1.0] and terminated.all()
    finally:
        envs.close()
    assert any(tmp_path.joinpath("banks").iterdir())  # the workers filled the banks in the given cache
    with pytest.raises(ValueError, match="mode must be 'sync' or 'async'"):
        make_vector_env("Rep2D-Bbox-v0", 2, mode="fork")


def test_bad_input_errors(room, gl_r):
    cam = ROOM_CAMERAS["bed"]
    with pytest.raises(TypeError, match="Camera"):
        gl_r.render(np.eye(4))
    with pytest.raises(ValueError, match="unknown object id"):
        gl_r.render(cam, only_objects=[999])
    with pytest.raises(ValueError, match=r"object_transforms\[11\] must be rigid"):
        gl_r.render(cam, object_transforms={BED: np.diag([2.0, 1, 1, 1])})
    with pytest.raises(ValueError, match="unknown object id 999"):
        gl_r.render(cam, object_transforms={999: np.eye(4)})
    with pytest.raises(ValueError, match="near must be positive"):
        make_renderer(room, "gl", near=0.0)
    with pytest.raises(TypeError, match="Scene"):
        make_renderer("not a scene", "gl")
    with pytest.raises(ValueError, match="image size"):
        gl_r.render(Camera(cam.K, cam.pose, 0, 10))
    with pytest.raises(NotImplementedError, match="not available yet"):
        make_renderer(room, "habitat")
    # a failed call leaves the renderer usable
    assert (gl_r.render(cam).instance >= 0).any()


def test_close_and_garbage_collection_free_gpu_objects():
    """close() frees a renderer's buffers and refuses later renders; objects of renderers dropped
    (closed or not) are freed at the next render of any renderer without tripping on released ones."""
    import gc

    b = SceneBuilder("small")
    b.add_object("crate", box((1.0, 1.0, 1.0), color=(90, 90, 200)), translation=(3.0, 0.0, 0.0))
    scene = b.build()
    cam = _cam((0, 0, 0), (3, 0, 0), 40, 30)
    keep = make_renderer(scene, "gl")
    want = keep.render(cam)
    for close in (True, False):
        r = make_renderer(scene, "gl")
        r.render(cam, only_objects=[1])
        r.render(_cam((0, 0, 0), (3, 0, 0), 24, 24))
        if close:
            r.close()
            r.close()  # twice is fine
            with pytest.raises(RuntimeError, match="close"):
                r.render(cam)
        del r
        gc.collect()
        assert keep.render(cam).instance.tobytes() == want.instance.tobytes()
    keep.render(cam)  # the context's last-bound framebuffer (a dropped renderer's) is let go only now
    keep.render(cam)
    assert not [o for o in keep._ctx.objects if hasattr(o, "release")]  # every dropped GL object was freed


def test_shared_vertices_cannot_move():
    b = SceneBuilder("scan")
    b.add_object("a", box((1.0, 1.0, 1.0)), translation=(3.0, 0, 0))
    b.add_object("b", box((1.0, 1.0, 1.0)), translation=(3.0, 1.5, 0))
    sc = b.build()
    sc.faces[sc.objects[2].face_indices[0], 0] = sc.faces[sc.objects[1].face_indices[0], 0]  # a scanned mesh's seam
    with pytest.raises(ValueError, match="shares mesh vertices"):
        make_renderer(sc, "gl").render(_cam((0, 0, 0), (3, 0, 0), 32, 32), object_transforms={2: np.eye(4)})


def test_hardware_probe_runs_in_a_child_and_rejects_software_renderers(monkeypatch, device):
    """The probe behind "auto" makes its contexts in a child process; an EGL device that is not Mesa's
    software device but renders with llvmpipe (a display-only DRM device) does not count as a GPU."""
    software = [d for d in gl_backend.egl_devices() if d.software]
    if not software:
        pytest.skip("no Mesa software EGL device to disguise as hardware")
    disguised = [d._replace(software=False) for d in gl_backend.egl_devices()]
    monkeypatch.setattr(gl_backend, "egl_devices", lambda: disguised)
    gl_backend._probe_hardware.cache_clear()
    outputs = []
    real_run = gl_backend.subprocess.run

    def run(*args, **kwargs):
        done = real_run(*args, **kwargs)
        outputs.append(done.stdout)
        return done

    monkeypatch.setattr(gl_backend.subprocess, "run", run)
    try:
        assert gl_backend.hardware_gl_available() is False
        # it did probe, in a child, and found the device's renderer: a software one
        assert len(outputs) == 1 and device in outputs[0]
    finally:
        monkeypatch.undo()
        gl_backend._probe_hardware.cache_clear()


def test_backend_resolution_and_missing_pieces(monkeypatch, device):
    assert resolve_backend("gl") == "gl"
    # "auto" takes gl only on a hardware device, and says the same on every call
    first = resolve_backend("auto")
    assert first == ("gl" if gl_backend.hardware_gl_available() else "numba") == resolve_backend("auto")
    assert gl_backend.hardware_gl_available() == (not gl_backend._is_software(device))
    import importlib.util

    import spatial_env.render as render_pkg

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "moderngl" else real_find_spec(name, *a))
    with pytest.raises(gl_backend.GLUnavailableError, match=r"moderngl.*pip install 'spatial-env\[gl\]'"):
        resolve_backend("gl")
    assert not gl_backend.hardware_gl_available()
    monkeypatch.undo()
    monkeypatch.setattr(gl_backend.ctypes.util, "find_library", lambda name: None)
    with pytest.raises(gl_backend.GLUnavailableError, match=r"EGL library \(libEGL.so.1\).*apt-get install libegl1"):
        resolve_backend("gl")
    monkeypatch.undo()
    render_pkg._auto.cache_clear()
    try:
        monkeypatch.setattr(gl_backend, "hardware_gl_available", lambda: True)
        assert resolve_backend("auto") == "gl"
        render_pkg._auto.cache_clear()
        monkeypatch.setattr(gl_backend, "hardware_gl_available", lambda: False)
        assert resolve_backend("auto") == "numba"
    finally:
        monkeypatch.undo()
        render_pkg._auto.cache_clear()
    assert resolve_backend("auto") == first
