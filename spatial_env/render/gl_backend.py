"""The ``gl`` backend: OpenGL 4.3 through moderngl on a headless EGL device (no window, no X server).

Two passes per frame, the same split as the numba rasteriser's z-buffer and resolve stages:

1. **Visibility.** The mesh is drawn with the camera's K as the projection (window x = u, window y = v,
   so pixel centres sit at +0.5 as ours do and rows read back top to bottom without a flip) and the
   near plane clipped at ``near``. The fragment writes its face index (from ``gl_VertexID``: the vertex
   buffer holds each face's three corners) to an R32I target; the depth test keeps the nearest, and on
   an exact tie the first drawn, i.e. the lower face index, as numba does. The depth written is
   ``z / (z + 4 m)``, not the usual ``1 - near / z``, so the 24-bit depth buffer resolves about a
   micrometre at 5 m instead of 0.15 mm.
2. **Resolve.** A full-screen pass reads each pixel's triangle and intersects the pixel centre's ray with
   it in double precision, with numba's formulas (Moller-Trumbore in world space from the camera centre):
   z-depth, perspective-correct colour weights (clamped the same way), the Lambert headlight and the
   instance id all come from the same arithmetic on the same float32 vertices. Where both backends pick
   the same triangle, depth and RGB therefore agree to rounding; where they differ it is a pixel whose
   centre lies within a fixed-point step of a triangle edge (each rasteriser snaps and breaks edge ties
   its own way) or of an intersection of two surfaces.

Depth (R32F), ids (R32I) and RGB (RGBA8UI, read back as RGB) are read with ``glReadPixels``; batches
(:meth:`GLRenderer.render_many`) read into one pixel-pack buffer so the GPU keeps drawing while earlier
frames are copied. One GL context is shared by every renderer of a process. A process forked after
its parent opened the EGL display cannot use EGL (Mesa's copy of the display waits on the parent's
threads): there the backend raises GLUnavailableError instead of hanging; make renderers after forking
or use the 'spawn' / 'forkserver' start methods (``spatial_env.rl.make_vector_env(..., mode="async")``
spawns its workers). Deciding ``renderer="auto"`` opens no display here (a
child process probes the GPU), so forking after that is fine.

Device choice: EGL devices are enumerated with ``eglQueryDevicesEXT``; the first device that is not
Mesa's software device and whose context does not report a software renderer (llvmpipe, softpipe,
swrast) is used, else the software device, so ``renderer="gl"`` also runs on CPU-only machines (slowly).
``GLCONTEXT_DEVICE_INDEX`` (read by glcontext) pins the device.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from ..camera import Camera
from ..scene.model import Scene
from .base import (Frame, check_camera, check_object_transforms, check_options, shared_vertices, subset_faces,
                   subset_key, transform_vertices)

#: What to install for the backend, named in every "unavailable" error.
INSTALL_HINT = ("pip install 'spatial-env[gl]' (moderngl) and the EGL runtime, on Debian/Ubuntu: "
                "apt-get install libegl1 libgl1 libegl-mesa0 libgl1-mesa-dri")
GL_VERSION = 430  # shader storage buffers (4.3) and double precision in shaders (4.0)
# Renderer strings of software rasterisers: "auto" never picks these.
_SOFTWARE = ("llvmpipe", "softpipe", "swrast", "software rasterizer", "lavapipe")
# Depth written by the visibility pass: z / (z + _DEPTH_SCALE), monotone, in [0, 1); the 24-bit
# buffer then resolves (z + c)^2 / c * 2^-24: 1 um at 5 m, 9 um at 20 m.
_DEPTH_SCALE = 4.0
# Frames of a batch read back into one pixel-pack buffer before it is copied out (bounds its size).
_BATCH_BYTES = 256 << 20


class GLUnavailableError(RuntimeError):
    """The ``gl`` backend cannot run here; the message names the missing piece."""


class EGLDevice(NamedTuple):
    """One EGL device: its index for ``eglQueryDevicesEXT``, its extension string, and whether it is
    Mesa's software (CPU) device."""

    index: int
    extensions: str
    software: bool


# ----------------------------------------------------------------------------- EGL and the context


def egl_devices() -> list[EGLDevice]:
    """The EGL devices of this machine (hardware and software), or a GLUnavailableError saying why
    there are none."""
    name = ctypes.util.find_library("EGL")
    if name is None:
        raise GLUnavailableError(f"renderer backend 'gl' needs an EGL library (libEGL.so.1), none found; "
                                 f"{INSTALL_HINT}")
    return list(_query_devices(name))


@functools.lru_cache(maxsize=None)
def _query_devices(name: str) -> tuple[EGLDevice, ...]:
    """Enumerate ``name``'s EGL devices (no display is opened, so a later fork stays free to use EGL)."""
    try:
        lib = ctypes.CDLL(name)
    except OSError as e:
        raise GLUnavailableError(f"renderer backend 'gl': cannot load {name} ({e}); {INSTALL_HINT}") from None
    lib.eglGetProcAddress.restype = ctypes.c_void_p
    lib.eglGetProcAddress.argtypes = [ctypes.c_char_p]
    query_devices = lib.eglGetProcAddress(b"eglQueryDevicesEXT")
    query_string = lib.eglGetProcAddress(b"eglQueryDeviceStringEXT")
    if not (query_devices and query_string):
        raise GLUnavailableError(f"renderer backend 'gl': {name} lacks EGL device enumeration "
                                 f"(EGL_EXT_device_enumeration), which headless contexts need; {INSTALL_HINT}")
    devices_fn = ctypes.CFUNCTYPE(ctypes.c_uint, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p),
                                  ctypes.POINTER(ctypes.c_int))(query_devices)
    string_fn = ctypes.CFUNCTYPE(ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int)(query_string)
    count = ctypes.c_int(0)
    if not devices_fn(0, None, ctypes.byref(count)) or count.value <= 0:
        raise GLUnavailableError(f"renderer backend 'gl': EGL ({name}) reports no device (no GPU driver and no "
                                 f"Mesa software device); {INSTALL_HINT}")
    handles = (ctypes.c_void_p * count.value)()
    devices_fn(count.value, handles, ctypes.byref(count))
    out = []
    for i in range(count.value):
        ext = (string_fn(handles[i], 0x3055) or b"").decode(errors="replace")  # EGL_EXTENSIONS
        out.append(EGLDevice(i, ext, "EGL_MESA_device_software" in ext.split()))
    return tuple(out)


def gl_unavailable_reason() -> str | None:
    """Why ``renderer="gl"`` cannot run here (moderngl or the EGL library missing, no EGL device), or
    None; cheap: no GL context is made."""
    if importlib.util.find_spec("moderngl") is None:
        return f"renderer backend 'gl' needs moderngl, which is not installed: {INSTALL_HINT}"
    try:
        egl_devices()
    except GLUnavailableError as e:
        return str(e)
    return None


class _Shared:
    """The process's one GL context, made on first use. EGL cannot be used again in a process forked
    after its display was initialised (Mesa's copy of the display waits on threads the child lacks), so
    ``pid`` remembers which process initialised it."""

    lock = threading.RLock()
    pid: int | None = None
    ctx = None
    renderer: str = ""
    error: str | None = None


def _is_software(renderer: str) -> bool:
    return any(s in renderer.lower() for s in _SOFTWARE)


def _create_context(index: int):
    import moderngl

    ctx = moderngl.create_context(standalone=True, backend="egl", device_index=index, require=GL_VERSION)
    ctx.gc_mode = "context_gc"  # objects dropped on any thread are freed by _collect() under the lock
    return ctx


def _device_order(devices: list[EGLDevice]) -> list[EGLDevice]:
    """Devices to try: hardware first; only the pinned one where GLCONTEXT_DEVICE_INDEX is set (glcontext
    uses it whatever index it is given)."""
    pinned = os.environ.get("GLCONTEXT_DEVICE_INDEX", "").strip()
    if pinned:
        return [d for d in devices if str(d.index) == pinned] or devices[:1]
    return [d for d in devices if not d.software] + [d for d in devices if d.software]


def _fork_error(parent: int) -> GLUnavailableError:
    return GLUnavailableError(
        f"renderer backend 'gl': this process was forked from one (pid {parent}) that had already opened its "
        f"EGL display, which a forked child cannot use; make gl renderers only after forking, or start workers "
        f"with the 'spawn' or 'forkserver' method")


def _context():
    """The shared context (made on the best device on first use), or a GLUnavailableError saying why
    there is none."""
    with _Shared.lock:
        if _Shared.pid is not None and _Shared.pid != os.getpid():
            raise _fork_error(_Shared.pid)
        if _Shared.ctx is None and _Shared.error is None:
            reason = gl_unavailable_reason()
            if reason is not None:
                raise GLUnavailableError(reason)
            _Shared.pid = os.getpid()
            failures, fallback = [], None
            for dev in _device_order(egl_devices()):
                try:
                    ctx = _create_context(dev.index)
                except Exception as e:  # noqa: BLE001 - moderngl/glcontext raise bare Exception
                    failures.append(f"device {dev.index}: {e}")
                    continue
                renderer = str(ctx.info.get("GL_RENDERER", ""))
                if not _is_software(renderer):
                    if fallback is not None:
                        fallback[0].release()
                    _Shared.ctx, _Shared.renderer = ctx, renderer
                    break
                # a software rasteriser (also what a display-only DRM device may give): keep the first
                # as the fallback and look on for a hardware one
                if fallback is None:
                    fallback = (ctx, renderer)
                else:
                    ctx.release()
            else:
                if fallback is not None:
                    _Shared.ctx, _Shared.renderer = fallback
                else:
                    _Shared.error = (f"renderer backend 'gl': could not create an OpenGL {GL_VERSION // 100}."
                                     f"{GL_VERSION // 10 % 10} context on any EGL device ({'; '.join(failures)}); "
                                     f"{INSTALL_HINT}")
            if _Shared.ctx is not None:
                _Shared.ctx.__exit__(None, None, None)  # made current on creation; each use makes it current
        if _Shared.ctx is None:
            raise GLUnavailableError(_Shared.error)
        return _Shared.ctx


# Run in a child process: which of the given EGL devices give an OpenGL 4.3 context, and their renderer.
_PROBE = """
import json, sys
import moderngl
out = {}
for i in sys.argv[1:]:
    try:
        ctx = moderngl.create_context(standalone=True, backend="egl", device_index=int(i), require=int(%d))
        out[i] = str(ctx.info.get("GL_RENDERER", ""))
        ctx.release()
    except Exception:
        out[i] = None
print(json.dumps(out))
""" % GL_VERSION


@functools.lru_cache(maxsize=None)
def _probe_hardware() -> bool:
    try:
        candidates = [d for d in _device_order(egl_devices()) if not d.software]
    except GLUnavailableError:
        return False
    if not candidates:
        return False  # only Mesa's software device: nothing to probe
    # in a child process, so this one never opens an EGL display just to decide: a display opened here
    # would make EGL unusable in processes forked from this one (vector-env workers)
    try:
        out = subprocess.run([sys.executable, "-c", _PROBE, *(str(d.index) for d in candidates)],
                             capture_output=True, text=True, timeout=120, check=True)
        renderers = json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, OSError, ValueError, IndexError):
        return False
    return any(r is not None and not _is_software(r) for r in renderers.values())


def hardware_gl_available() -> bool:
    """Whether a hardware (GPU) EGL device gives an OpenGL 4.3 context here: where ``renderer="auto"``
    picks ``gl``. Decided once per process (in a child process, so this one opens no EGL display);
    False without moderngl or libEGL."""
    if importlib.util.find_spec("moderngl") is None:
        return False
    return _probe_hardware()


def gl_device() -> str:
    """The GL_RENDERER string of the context the ``gl`` backend uses (making it if needed)."""
    _context()
    return _Shared.renderer


# ----------------------------------------------------------------------------- shaders

# The vertex buffer holds each face's three corners (3 f + 0, 1, 2): gl_VertexID / 3 is the face index, in
# full draws and in subset draws (their index buffers list those faces' corners). gl_PrimitiveID would
# do without the copies, but it halves llvmpipe's vertex throughput.
_VISIBILITY_VS = """
#version 430
in vec3 in_pos;
uniform mat3 world_to_cam;   // R^T
uniform vec3 eye_hi;         // camera centre split in two floats: (p - hi) - lo stays exact far from the origin
uniform vec3 eye_lo;
uniform vec4 proj;           // 2 fx / W, 2 cx / W - 1, 2 fy / H, 2 cy / H - 1
uniform float near;
out float v_z;
flat out int v_face;
void main() {
    vec3 c = world_to_cam * ((in_pos - eye_hi) - eye_lo);
    v_z = c.z;
    v_face = gl_VertexID / 3;
    // window x = fx X / Z + cx = u and window y = v: GL pixel centres (i + 0.5) are ours; z_clip >= -w
    // clips exactly at Z = near; no far plane
    gl_Position = vec4(proj.x * c.x + proj.y * c.z, proj.z * c.y + proj.w * c.z, c.z - 2.0 * near, c.z);
}
"""

_VISIBILITY_FS = """
#version 430
in float v_z;
flat in int v_face;
layout(location = 0) out int out_face;
layout(location = 1) out float out_z;
uniform float depth_scale;
void main() {
    out_face = v_face;
    out_z = v_z;
    gl_FragDepth = v_z / (v_z + depth_scale);
}
"""

_FULLSCREEN_VS = """
#version 430
void main() {
    vec2 p = vec2(gl_VertexID == 1 ? 3.0 : -1.0, gl_VertexID == 2 ? 3.0 : -1.0);
    gl_Position = vec4(p, 0.0, 1.0);
}
"""

# Clears the visibility targets (glClear leaves integer targets undefined).
_CLEAR_FS = """
#version 430
layout(location = 0) out int out_face;
layout(location = 1) out float out_z;
void main() {
    out_face = -1;
    out_z = 0.0;
    gl_FragDepth = 1.0;
}
"""

# numba_backend._resolve_band per pixel, same formulas and order, in double precision.
_RESOLVE_FS = """
#version 430
layout(std430, binding = 0) readonly buffer Corners { float corner[]; };  // face f's corners: 9 f ..
layout(std430, binding = 1) readonly buffer Triangles { int tri[]; };     // the scene's faces (vertex ids)
layout(std430, binding = 2) readonly buffer Colours { uint col[]; };      // per vertex, r | g << 8 | b << 16
layout(std430, binding = 3) readonly buffer Objects { int obj[]; };       // per face
uniform isampler2D face_tex;
uniform sampler2D z_tex;
uniform dmat3 R;             // camera-to-world rotation; R[c][r] is row r, column c
uniform dvec3 eye;
uniform dvec4 intr;          // fx, fy, cx, cy
uniform dvec2 inv_f;         // 1 / fx, 1 / fy (numba multiplies by these)
uniform int shading;
uniform double ambient;
uniform uvec3 background;
layout(location = 0) out float out_depth;
layout(location = 1) out int out_inst;
layout(location = 2) out uvec4 out_rgb;

dvec3 vertex(int f, int i) { int j = 9 * f + 3 * i; return dvec3(corner[j], corner[j + 1], corner[j + 2]); }
double channel(int v, int ch) { return double((col[v] >> (8 * ch)) & 255u); }

void main() {
    ivec2 px = ivec2(gl_FragCoord.xy);
    int f = texelFetch(face_tex, px, 0).r;
    if (f < 0) {
        out_depth = 0.0;
        out_inst = -1;
        out_rgb = uvec4(background, 255u);
        return;
    }
    dvec3 va = vertex(f, 0);
    precise dvec3 e1 = vertex(f, 1) - va;
    precise dvec3 e2 = vertex(f, 2) - va;
    precise dvec3 tv = eye - va;
    precise dvec3 q = dvec3(tv.y * e1.z - tv.z * e1.y, tv.z * e1.x - tv.x * e1.z, tv.x * e1.y - tv.y * e1.x);
    precise double tq = e2.x * q.x + e2.y * q.y + e2.z * q.z;
    precise dvec3 n = dvec3(e1.y * e2.z - e1.z * e2.y, e1.z * e2.x - e1.x * e2.z, e1.x * e2.y - e1.y * e2.x);
    precise double nn = sqrt(n.x * n.x + n.y * n.y + n.z * n.z);
    double inn = nn > 0.0 ? 1.0 / nn : 0.0;
    precise double yc = (double(px.y) + 0.5 - intr.w) * inv_f.y;
    precise double xc = (double(px.x) + 0.5 - intr.z) * inv_f.x;
    precise dvec3 d = dvec3(R[1][0] * yc + R[2][0], R[1][1] * yc + R[2][1], R[1][2] * yc + R[2][2])
                    + dvec3(R[0][0] * xc, R[0][1] * xc, R[0][2] * xc);
    precise dvec3 p = dvec3(d.y * e2.z - d.z * e2.y, d.z * e2.x - d.x * e2.z, d.x * e2.y - d.y * e2.x);
    precise double det = e1.x * p.x + e1.y * p.y + e1.z * p.z;
    precise double x = (double(px.x) + 0.5 - intr.z) / intr.x;
    precise double y = (double(px.y) + 0.5 - intr.w) / intr.y;
    double inv_len = 1.0 / sqrt(x * x + y * y + 1.0);
    double cosine = abs(det) * inn * inv_len;
    double u, v, z;
    if (cosine > 1e-9) {
        double inv = 1.0 / det;
        u = (tv.x * p.x + tv.y * p.y + tv.z * p.z) * inv;
        v = (d.x * q.x + d.y * q.y + d.z * q.z) * inv;
        z = tq * inv;
        // coverage came from snapped edges, so the hit may sit a hair outside: clamp the weights
        u = min(max(u, 0.0), 1.0);
        v = min(max(v, 0.0), 1.0);
        if (u + v > 1.0) {
            double s = u + v;
            u = u / s;
            v = v / s;
        }
    } else {  // edge-on to the ray: the interpolated depth, flat colour
        u = 1.0 / 3.0;
        v = 1.0 / 3.0;
        z = double(texelFetch(z_tex, px, 0).r);
    }
    double shade = shading != 0 ? ambient + (1.0 - ambient) * cosine : 1.0;
    double l0 = 1.0 - u - v;
    int a = tri[3 * f], b = tri[3 * f + 1], c = tri[3 * f + 2];
    uvec3 rgb;
    for (int ch = 0; ch < 3; ++ch) {
        double val = (l0 * channel(a, ch) + u * channel(b, ch) + v * channel(c, ch)) * shade;
        rgb[ch] = uint(min(val + 0.5, 255.0));
    }
    out_rgb = uvec4(rgb, 255u);
    out_depth = float(z);
    out_inst = obj[f];
}
"""


# ----------------------------------------------------------------------------- the renderer


class _Draw(NamedTuple):
    """One draw call: its vertex array (bound to an index buffer of face corners) and face count."""

    vao: object
    index: object
    n_faces: int


class _Targets(NamedTuple):
    """Framebuffers of one image size: visibility (face index, z, depth buffer) and resolve (depth, ids, RGB)."""

    vis: object
    face: object
    z: object
    out: object


class GLRenderer:
    """OpenGL rasteriser over headless EGL: the numba backend's frames (RGB, z-depth, instance ids), many
    cameras per call with :meth:`render_many`.

    ``shading``, ``ambient``, ``near`` and ``background`` mean what they mean for :class:`NumbaRenderer`.
    Raises GLUnavailableError (naming what is missing) when no GL context can be made.
    """

    backend = "gl"

    def __init__(self, scene: Scene, *, shading: bool = True, ambient: float = 0.35, near: float = 0.01,
                 background=(0, 0, 0), subset_cache_size: int = 256):
        rgb = check_options(scene, "gl", near, ambient, background)
        self.scene = scene
        self.shading, self.ambient, self.near = bool(shading), float(ambient), float(near)
        self.background = tuple(int(c) for c in rgb)
        self._verts, self._faces, self._face_object = scene.vertices, scene.faces, scene.face_object
        self._object_faces = {i: np.asarray(o.face_indices, dtype=np.int64) for i, o in scene.objects.items()}
        self._subset_cache_size = int(subset_cache_size)
        self._shared_verts: np.ndarray | None = None
        self._moved_host: np.ndarray | None = None
        self._ctx = None
        with _Shared.lock:
            ctx = _context()
            self.device = _Shared.renderer
            with ctx:
                self._build(ctx)

    # -- GL resources --------------------------------------------------------------------------

    def _build(self, ctx) -> None:
        """Upload the scene and compile the programs."""
        corners = self._verts[self._faces.reshape(-1)]  # (3 F, 3) float32: the same bits, face by face
        limit = int(ctx.info.get("GL_MAX_SHADER_STORAGE_BLOCK_SIZE", 1 << 27))
        if corners.nbytes > limit:
            raise ValueError(f"scene {self.scene.scene_id!r}: {len(self._faces):,} faces need {corners.nbytes:,} bytes "
                             f"of shader storage, more than this GL device allows ({limit:,}); use backend='numba'")
        self._ctx, self._pid = ctx, os.getpid()
        self._max_size = min(16384, int(ctx.info.get("GL_MAX_RENDERBUFFER_SIZE", 16384)),
                             *(int(x) for x in ctx.info.get("GL_MAX_VIEWPORT_DIMS", (16384, 16384))))
        self._vis_prog = ctx.program(vertex_shader=_VISIBILITY_VS, fragment_shader=_VISIBILITY_FS)
        self._clear_prog = ctx.program(vertex_shader=_FULLSCREEN_VS, fragment_shader=_CLEAR_FS)
        self._resolve_prog = ctx.program(vertex_shader=_FULLSCREEN_VS, fragment_shader=_RESOLVE_FS)
        self._vis_prog["depth_scale"].value = _DEPTH_SCALE
        self._resolve_prog["face_tex"].value = 0
        self._resolve_prog["z_tex"].value = 1
        self._resolve_prog["shading"].value = int(self.shading)
        self._resolve_prog["ambient"].value = self.ambient
        self._resolve_prog["background"].value = self.background
        self._clear_vao = ctx.vertex_array(self._clear_prog, [])
        self._resolve_vao = ctx.vertex_array(self._resolve_prog, [])
        # GL buffers cannot be empty: pad to one element (never read)
        c = _packed_colours(self.scene.colors)
        self._corners = ctx.buffer(corners.tobytes() or bytes(36), dynamic=True)
        self._tri = ctx.buffer(self._faces.tobytes() or bytes(12))
        self._col = ctx.buffer(c.tobytes() or bytes(4))
        self._obj = ctx.buffer(self._face_object.tobytes() or bytes(4))
        # an index buffer even for the whole mesh: llvmpipe runs indexed draws faster than glDrawArrays
        self._full = self._draw(np.arange(len(self._faces), dtype=np.int64))
        self._subsets: OrderedDict[frozenset, _Draw] = OrderedDict()
        self._targets: dict[tuple[int, int], _Targets] = {}
        self._pbo = None

    def _draw(self, faces: np.ndarray) -> _Draw:
        """A draw of ``faces`` (sorted face indices): index buffer of their corners, in face order."""
        index = (3 * faces[:, None] + np.arange(3)).astype(np.int32)
        buf = self._ctx.buffer(index.tobytes() or bytes(12))
        vao = self._ctx.vertex_array(self._vis_prog, [(self._corners, "3f", "in_pos")], index_buffer=buf,
                                     index_element_size=4)
        return _Draw(vao, buf, len(faces))

    def _target(self, width: int, height: int) -> _Targets:
        hit = self._targets.get((width, height))
        if hit is None:
            import moderngl

            ctx, size = self._ctx, (width, height)
            face, z = ctx.texture(size, 1, dtype="i4"), ctx.texture(size, 1, dtype="f4")
            for tex in (face, z):
                tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
            vis = ctx.framebuffer([face, z], ctx.depth_renderbuffer(size))
            out = ctx.framebuffer([ctx.renderbuffer(size, 1, dtype="f4"), ctx.renderbuffer(size, 1, dtype="i4"),
                                   ctx.renderbuffer(size, 4, dtype="u1")])
            if len(self._targets) >= 4:  # a few sizes at a time; free the oldest
                _release_targets(self._targets.pop(next(iter(self._targets))))
            hit = self._targets[(width, height)] = _Targets(vis, face, z, out)
        return hit

    def close(self) -> None:
        """Free this renderer's GPU buffers now (they are also freed once it is garbage collected)."""
        with _Shared.lock:
            if self._ctx is None or self._pid != os.getpid():
                return
            with self._ctx:
                for d in (self._full, *self._subsets.values()):
                    d.vao.release()
                    d.index.release()
                for t in self._targets.values():
                    _release_targets(t)
                for o in (self._corners, self._tri, self._col, self._obj, self._pbo, self._clear_vao,
                          self._resolve_vao, self._vis_prog, self._clear_prog, self._resolve_prog):
                    if o is not None:
                        o.release()
            self._subsets, self._targets, self._pbo, self._ctx = OrderedDict(), {}, None, None

    # -- rendering -----------------------------------------------------------------------------

    def render(self, camera: Camera, *, only_objects: Iterable[int] | None = None,
               object_transforms: Mapping[int, np.ndarray] | None = None) -> Frame:
        """Render the scene (or only ``only_objects``, amodally) from ``camera``; ``object_transforms``
        (object id -> 4x4 rigid world transform) moves those objects for this call only."""
        return self.render_many([camera], only_objects=only_objects, object_transforms=object_transforms)[0]

    def render_many(self, cameras: Sequence[Camera], *, only_objects: Iterable[int] | None = None,
                    object_transforms: Mapping[int, np.ndarray] | None = None) -> list[Frame]:
        """:meth:`render` for each camera (same objects, same transforms) in one batch: the scene stays
        on the GPU and frames are read back through one pixel-pack buffer per batch."""
        cameras = list(cameras)
        for cam in cameras:
            self._check_camera(cam)
        with _Shared.lock:
            if self._pid != os.getpid():
                raise _fork_error(self._pid)
            if self._ctx is None:
                raise RuntimeError("GLRenderer.render called after close()")
            moved = self._moved(object_transforms)
            with self._ctx as ctx:
                _collect(ctx)
                draw = self._full if only_objects is None else self._subset(only_objects)
                spans = self._move(moved)
                try:
                    return self._render_batch(ctx, cameras, draw)
                finally:
                    for lo, hi in spans:  # the corner buffer holds the static scene again
                        self._corners.write(self._verts[self._faces[lo:hi]].tobytes(), offset=lo * 36)

    def _render_batch(self, ctx, cameras: list[Camera], draw: _Draw) -> list[Frame]:
        frames: list[Frame] = []
        start = 0
        while start < len(cameras):  # batches of at most _BATCH_BYTES of read-back pixels
            end, size = start, 0
            while end < len(cameras) and (end == start or size + _frame_bytes(cameras[end]) <= _BATCH_BYTES):
                size += _frame_bytes(cameras[end])
                end += 1
            if self._pbo is None or self._pbo.size < size:
                if self._pbo is not None:
                    self._pbo.release()
                self._pbo = ctx.buffer(reserve=max(size, 1 << 20), dynamic=True)
            offsets, offset = [], 0
            for cam in cameras[start:end]:  # queue every frame's passes and read-back, then copy out
                offsets.append(offset)
                offset = self._draw_frame(ctx, cam, draw, offset)
            for cam, offset in zip(cameras[start:end], offsets):
                H, W = int(cam.height), int(cam.width)
                depth = np.empty((H, W), np.float32)
                inst = np.empty((H, W), np.int32)
                rgb = np.empty((H, W, 3), np.uint8)
                for arr in (depth, inst, rgb):
                    self._pbo.read_into(arr, size=arr.nbytes, offset=offset)
                    offset += arr.nbytes
                frames.append(Frame(rgb=rgb, depth=depth, instance=inst))
            start = end
        return frames

    def _draw_frame(self, ctx, camera: Camera, draw: _Draw, offset: int) -> int:
        """Both passes for one camera and the read-back into the pixel-pack buffer at ``offset``;
        returns the offset after it."""
        W, H = int(camera.width), int(camera.height)
        K = np.asarray(camera.K, dtype=np.float64)
        pose = np.asarray(camera.pose, dtype=np.float64)
        fx, fy, cx, cy = float(K[0, 0]), float(K[1, 1]), float(K[0, 2]), float(K[1, 2])
        R, t = pose[:3, :3], pose[:3, 3]
        t_hi = t.astype(np.float32)
        vis = self._vis_prog
        vis["world_to_cam"].value = tuple(float(x) for x in R.ravel())  # column-major R^T = R row by row
        vis["eye_hi"].value = tuple(float(x) for x in t_hi)
        vis["eye_lo"].value = tuple(float(x) for x in (t - t_hi.astype(np.float64)).astype(np.float32))
        vis["proj"].value = (2.0 * fx / W, 2.0 * cx / W - 1.0, 2.0 * fy / H, 2.0 * cy / H - 1.0)
        vis["near"].value = self.near
        res = self._resolve_prog
        res["R"].value = tuple(float(x) for x in R.T.ravel())  # column-major
        res["eye"].value = tuple(float(x) for x in t)
        res["intr"].value = (fx, fy, cx, cy)
        res["inv_f"].value = (1.0 / fx, 1.0 / fy)
        tg = self._target(W, H)
        # each framebuffer keeps its own full-size viewport (ctx.viewport would change the one bound before)
        tg.vis.use()
        ctx.enable(ctx.DEPTH_TEST)
        ctx.depth_func = "1"  # the clear pass overwrites everything, depth included
        self._clear_vao.render(mode=ctx.TRIANGLES, vertices=3)
        ctx.depth_func = "<"  # nearest wins; an exact tie keeps the first drawn, the lower face index
        if draw.n_faces:
            draw.vao.render(mode=ctx.TRIANGLES, vertices=3 * draw.n_faces)
        ctx.disable(ctx.DEPTH_TEST)
        tg.out.use()
        tg.face.use(0)
        tg.z.use(1)
        for binding, buf in enumerate((self._corners, self._tri, self._col, self._obj)):
            buf.bind_to_storage_buffer(binding)
        self._resolve_vao.render(mode=ctx.TRIANGLES, vertices=3)
        for att, comps, dtype, nbytes in ((0, 1, "f4", 4), (1, 1, "i4", 4), (2, 3, "u1", 3)):
            tg.out.read_into(self._pbo, viewport=(0, 0, W, H), components=comps, attachment=att, alignment=1,
                             dtype=dtype, write_offset=offset)
            offset += W * H * nbytes
        return offset

    # -- helpers -------------------------------------------------------------------------------

    def _check_camera(self, camera: Camera) -> None:
        check_camera(camera, self._max_size)

    def _subset(self, only_objects: Iterable[int]) -> _Draw:
        """The draw of some objects' faces, in face order (LRU-cached by the id set)."""
        key = subset_key(only_objects)
        hit = self._subsets.get(key)
        if hit is not None:
            self._subsets.move_to_end(key)
            return hit
        hit = self._subsets[key] = self._draw(subset_faces(key, self._object_faces, self.scene.scene_id))
        if len(self._subsets) > self._subset_cache_size:
            _, old = self._subsets.popitem(last=False)
            old.vao.release()
            old.index.release()
        return hit

    def _moved(self, object_transforms) -> list[tuple[int, np.ndarray]]:
        """(object id, 4x4 transform) of each object to move, checked as every backend checks them."""
        return check_object_transforms(object_transforms, self._object_faces, self._faces, self._shared,
                                       self.scene.scene_id)

    def _shared(self) -> np.ndarray:
        """Per vertex: whether several objects' faces use it (made on the first move)."""
        if self._shared_verts is None:
            self._shared_verts = shared_vertices(self._faces, self._face_object, len(self._verts))
        return self._shared_verts

    def _move(self, moved: list[tuple[int, np.ndarray]]) -> list[tuple[int, int]]:
        """Write the moved objects' corners (vertices transformed exactly as the numba backend transforms
        them) into the corner buffer; returns the face spans written, to restore afterwards."""
        if not moved:
            return []
        if self._moved_host is None:
            self._moved_host = self._verts.copy()
        spans, ids = [], []
        for oid, T in moved:
            faces = self._object_faces[oid]
            if len(faces):
                v = np.unique(self._faces[faces])
                self._moved_host[v] = transform_vertices(self._verts[v], T)
                spans.append((int(faces.min()), int(faces.max()) + 1))  # one write per object: usually one run
                ids.append(v)
        try:
            for lo, hi in spans:
                self._corners.write(self._moved_host[self._faces[lo:hi]].tobytes(), offset=lo * 36)
        finally:
            for v in ids:
                self._moved_host[v] = self._verts[v]
        return spans


def _packed_colours(colors: np.ndarray) -> np.ndarray:
    """Per-vertex colours packed as uint32 ``r | g << 8 | b << 16`` (what the resolve pass reads)."""
    c = colors.astype(np.uint32)
    return np.ascontiguousarray(c[:, 0] | (c[:, 1] << 8) | (c[:, 2] << 16))


def _release_targets(t: _Targets) -> None:
    for fb in (t.vis, t.out):
        for att in (*fb.color_attachments, fb.depth_attachment):
            if att is not None:
                att.release()
        fb.release()


def _collect(ctx) -> None:
    """Free the GL objects dropped since the last call (``ctx.gc()``, minus objects released already,
    which moderngl queues too and cannot release twice)."""
    while ctx.objects:
        obj = ctx.objects.popleft()
        if hasattr(obj, "release"):
            obj.release()


def _frame_bytes(camera: Camera) -> int:
    return int(camera.width) * int(camera.height) * 11  # depth f4 + id i4 + RGB 3 x u1
