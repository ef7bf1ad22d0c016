"""The default CPU backend: a tiled z-buffer rasteriser in numba, parallel over row bands.

Pipeline per frame (all jitted, ``cache=True`` so a second process skips compilation):

0. ``_visible_blocks``: blocks of 256 consecutive faces whose world box lies behind the near plane
   or off one image side are skipped wholesale (from inside a room that is about half the mesh).
1. ``_transform_ranges`` (parallel over pieces of the vertex ranges the visible blocks use; branch-free,
   so it vectorises): the projected pixel position snapped to a 1/256-pixel fixed-point grid,
   ``w = 1/z``, and flags for "closer than the near plane" and "projects outside the guard band".
2. ``_classify`` (parallel over chunks of triangles, skipping culled blocks whole): reject triangles
   behind the near plane, off one image side, covering no pixel centre, or turned away on a closed
   solid the camera is outside of (``_solids``: object meshes that are closed and wound outward, whose
   front faces hide their back faces; about a fifth of a furnished room's triangles in view); list
   triangles that cross the near plane (or leave the guard band) for the clipper, and the others with
   the row bands they touch, in one compact list per chunk; count band entries.
3. ``_clip_triangles`` (serial; few triangles): Sutherland-Hodgman against the near plane and the
   guard band in camera space, fan-triangulated into sub-triangles that keep their face index.
4. ``_bin`` (parallel over chunks, reading only the chunks' lists): write triangle indices (int32) into
   per-band lists, in face order.
5. ``_raster_bands`` (parallel over bands, each pixel owned by one band): integer edge functions
   with a top-left fill rule (a triangle whose box holds one pixel centre skips the loops; a wide
   one's rows are first cut to its edges), a ``w = 1/z`` buffer with ties going to the lower face
   index, then a resolve step per pixel of the band that intersects the pixel's ray with the
   winning triangle to get exact z-depth, perspective-correct colour, Lambert headlight shading
   (faces' inverse normal lengths are computed once per scene) and the instance id. Both gather
   per-face and per-vertex data in an order the hardware prefetcher cannot follow, so they prefetch
   it a few triangles or pixels ahead (``_prefetch``; at 1M faces that data lies outside the caches).

The hot loops index with unsigned integers (``_u``), and classification and the rasteriser read the faces
raveled (``_at3``): numba's wraparound of negative indices and a 2-D array's run-time row stride cost a
compare, a select or a multiply per access.

Every pixel's result depends only on the set of triangles covering it, never on the order they
are visited, so output bytes do not depend on the thread count. Culling back faces changes no
instance id; where a back face used to tie with the front face in the w buffer at a silhouette, the
pixel now shows the front face (8 pixels of 2M on the render benchmark's cameras, depth within
0.1 mm).

``render(..., object_transforms={id: 4x4})`` moves objects for one call without rebuilding anything: the
moved objects' vertices are transformed into a scratch copy of the vertex array (restored after the
call) and the face blocks holding them skip block culling (their boxes hold the static positions); the
output equals a scene rebuilt with :func:`~spatial_env.render.base.transform_vertices`, byte for byte.
A process forked after GNU OpenMP started (an AsyncVectorEnv worker) renders with serial twins of
the parallel kernels, which give the same bytes.
"""

from __future__ import annotations

import math
import os
import threading
import types
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numba
import numpy as np
from llvmlite import ir
from numba import njit, prange
from numba import types as nbtypes
from numba.core import cgutils
from numba.extending import intrinsic

from ..camera import Camera
from ..scene.model import Scene
from .base import (Frame, check_camera, check_object_transforms, check_options, shared_vertices, subset_faces,
                   subset_key, transform_vertices)

# Fixed-point sub-pixel precision: 8 bits, so snapped coordinates and edge functions are exact
# integers and adjacent triangles agree bit for bit on their shared edge (no cracks, no overlap).
SUBPIXEL_BITS = 8
_ONE = 1 << SUBPIXEL_BITS
_HALF = _ONE >> 1
# Vertices may project this many pixels outside the image before the triangle is clipped; keeps
# fixed-point products (< 2**63) exact while making side clipping rare.
GUARD_BAND = 65536.0
MAX_SIZE = 16384  # pixels per side; with the guard band keeps edge functions inside int64
# bands of 32 rows: the unit of parallel work and of triangle binning (16 rows: ~4% slower on a dense
# 1M-triangle room, as more small triangles straddle two bands and are set up twice)
BAND_SHIFT = 5
BAND_HEIGHT = 1 << BAND_SHIFT
N_CHUNKS = 64  # triangle chunks for classification/binning (fixed, so work split is stable)
# prange gives each thread a contiguous run of chunks, and block culling leaves whole runs of faces empty;
# chunk j of the loop is chunk (j * _SPREAD) % N_CHUNKS of the faces (a bijection, _SPREAD being odd), so
# each thread's run is spread over the whole mesh
_SPREAD = 37
# Consecutive faces are culled in blocks by their bounding box first: mesh order is spatially
# coherent, and from inside a room most blocks lie behind or beside the camera.
BLOCK_SHIFT = 8

# Vertex flags: closer than the near plane (or behind the camera), or projecting outside the guard
# band. Triangles with neither on any vertex take the fast path (off-image ones fail the pixel-box
# test there); image-side outcodes are only computed for the rest.
_NEAR, _GUARD = 1, 2
_LEFT, _RIGHT, _TOP, _BOTTOM = 1, 2, 4, 8


# ----------------------------------------------------------------------------- memory hints

# How far ahead the rasteriser (in band-list entries) and the resolve (in pixels) prefetch: the data of the
# entry or pixel PREFETCH_NEAR ahead (vertices, colours), and the face record PREFETCH_FAR ahead that it needs
# to find them. At 1M faces these gathers miss the caches; 8 and 16 cover the latency (4/8 and 16/32 were
# level), and on scenes that fit in the caches the hints cost nothing measurable.
PREFETCH_NEAR, PREFETCH_FAR = 8, 16


@intrinsic
def _prefetch(typingctx, arr, i):
    """Hint the CPU to fetch the cache line of ``arr[i]`` (``arr[i, 0]`` for 2-D) for reading; never faults,
    so an index need not be in range, and changes no result."""
    if not isinstance(arr, nbtypes.Array) or not isinstance(i, nbtypes.Integer):
        return None

    def codegen(context, builder, sig, args):
        aryty = sig.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        zero = context.get_constant(nbtypes.intp, 0)
        index = context.cast(builder, args[1], sig.args[1], nbtypes.intp)
        ptr = cgutils.get_item_pointer2(context, builder, data=ary.data, shape=cgutils.unpack_tuple(builder, ary.shape),
                                        strides=cgutils.unpack_tuple(builder, ary.strides), layout=aryty.layout,
                                        inds=[index] + [zero] * (aryty.ndim - 1), wraparound=False)
        byte_ptr = builder.bitcast(ptr, ir.PointerType(ir.IntType(8)))
        i32 = ir.IntType(32)
        fn = builder.module.declare_intrinsic("llvm.prefetch", [byte_ptr.type],
                                              ir.FunctionType(ir.VoidType(), [byte_ptr.type, i32, i32, i32]))
        # read, keep in all cache levels, data cache
        builder.call(fn, [byte_ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return nbtypes.void(arr, i), codegen


@njit(cache=True, inline="always")
def _u(i):
    """``i`` as an unsigned array index. Numba wraps a negative signed index around, a compare and a select on
    every access; the hot loops below index millions of times a frame and never with a negative index, and
    unsigned indices made a 1M-triangle frame about 10% faster."""
    return np.uint64(i)


@njit(cache=True, inline="always")
def _at3(i, q):
    """Index of element ``q`` of row ``i`` in a raveled (n, 3) array, unsigned. Classification and the rasteriser
    read the faces raveled: indexing a 2-D array multiplies by a row stride known only at run time (4% of a frame
    in classification alone)."""
    return _u(3) * _u(i) + _u(q)


# ----------------------------------------------------------------------------- vertex stage


@njit(cache=True, inline="always")
def _snap_floor(c: float) -> float:
    """Continuous pixel coordinate -> fixed point, rounding half up (same formula everywhere), as a float."""
    return np.floor(c * _ONE + 0.5)


@njit(cache=True, inline="always")
def _snap(c: float) -> int:
    """:func:`_snap_floor` as an integer."""
    return np.int64(_snap_floor(c))


@njit(cache=True, inline="always")
def _camera_xyz(px, py, pz, r00, r01, r02, r10, r11, r12, r20, r21, r22):
    """Camera coordinates R^T p of a world offset p from the camera centre, R's columns being the camera
    axes. The one place this is computed, so the clipper sees the same bits as the vertex stage."""
    return (r00 * px + r10 * py + r20 * pz, r01 * px + r11 * py + r21 * pz, r02 * px + r12 * py + r22 * pz)


@njit(cache=True, inline="always")
def _to_camera(verts, v, R, t):
    """Camera coordinates of world vertex ``v``: R^T (p - t)."""
    px, py, pz = np.float64(verts[v, 0]) - t[0], np.float64(verts[v, 1]) - t[1], np.float64(verts[v, 2]) - t[2]
    return _camera_xyz(px, py, pz, R[0, 0], R[0, 1], R[0, 2], R[1, 0], R[1, 1], R[1, 2], R[2, 0], R[2, 1], R[2, 2])


@njit(cache=True, inline="always")
def _project(X, Y, Z, fx, fy, cx, cy):
    """Continuous pixel position (u, v) and 1/z of a camera point in front of the camera; shared
    by the vertex stage and the clipper so a vertex snaps to the same grid point in both."""
    inv = 1.0 / Z
    return (fx * X + cx * Z) * inv, (fy * Y + cy * Z) * inv, inv


@njit(cache=True, inline="always")
def _vertex_outputs(X, Y, Z, fx, fy, cx, cy, half_w, half_h, near, guard):
    """A camera point's snapped pixel position (int32), 1/z (float32) and near/guard flag, the vertex stage's 13
    bytes; all zero but the flag when it is closer than the near plane or projects outside the guard band.

    Without branches, so the vertex stage's loop vectorises; callers use the numpy error model, under which 1/z
    at z = 0 is inf (and dropped here) instead of raising."""
    u, vv, inv = _project(X, Y, Z, fx, fy, cx, cy)
    is_near = Z < near
    is_guard = (abs(u - half_w) > half_w + guard) | (abs(vv - half_h) > half_h + guard)
    keep = not (is_near or is_guard)
    # int32 conversions (what the arrays hold; exact inside the guard band): int64 ones do not vectorise
    return (np.int32(_snap_floor(u)) if keep else np.int32(0), np.int32(_snap_floor(vv)) if keep else np.int32(0),
            np.float32(inv) if keep else np.float32(0.0),
            np.uint8(_NEAR if is_near else (_GUARD if is_guard else 0)))


@njit(cache=True, inline="always", error_model="numpy")
def _transform_run(xyz, t0, t1, t2, r00, r01, r02, r10, r11, r12, r20, r21, r22, fx, fy, cx, cy, half_w, half_h,
                   near, guard, sx, sy, w, code):
    """:func:`_vertex_outputs` for a run of vertices (``xyz`` their raveled coordinates, the outputs their
    slices)."""
    for q in range(sx.shape[0]):
        X, Y, Z = _camera_xyz(np.float64(xyz[3 * q]) - t0, np.float64(xyz[3 * q + 1]) - t1,
                              np.float64(xyz[3 * q + 2]) - t2, r00, r01, r02, r10, r11, r12, r20, r21, r22)
        sx[q], sy[q], w[q], code[q] = _vertex_outputs(X, Y, Z, fx, fy, cx, cy, half_w, half_h, near, guard)


@njit(cache=True, parallel=True, error_model="numpy")
def _transform_ranges(xyz, starts, ends, R, t, fx, fy, cx, cy, width, height, near, guard, sx, sy, w, code):
    """Transform the vertices in [starts[r], ends[r]) for every r (those visible face blocks use).

    ``xyz`` is the (n, 3) vertex array raveled: indexed with a constant stride the loop vectorises (4-wide),
    where a 2-D array's row stride, known only at run time, kept it scalar and 3x slower. The numpy error
    model lets 1/z of a vertex at z = 0 be inf (then dropped) instead of raising."""
    r00, r01, r02, r10, r11, r12, r20, r21, r22 = (R[0, 0], R[0, 1], R[0, 2], R[1, 0], R[1, 1], R[1, 2], R[2, 0],
                                                   R[2, 1], R[2, 2])
    for r in prange(starts.shape[0]):
        lo, hi = starts[r], ends[r]
        _transform_run(xyz[3 * lo:3 * hi], t[0], t[1], t[2], r00, r01, r02, r10, r11, r12, r20, r21, r22, fx, fy, cx,
                       cy, width / 2.0, height / 2.0, near, guard, sx[lo:hi], sy[lo:hi], w[lo:hi], code[lo:hi])


@njit(cache=True, parallel=True, error_model="numpy")
def _transform_list(verts, vert_ids, R, t, fx, fy, cx, cy, width, height, near, guard, sx, sy, w, code):
    """Transform the vertices listed in ``vert_ids`` (an object subset's)."""
    for k in prange(vert_ids.shape[0]):
        v = _u(vert_ids[k])
        X, Y, Z = _to_camera(verts, v, R, t)
        sx[v], sy[v], w[v], code[v] = _vertex_outputs(X, Y, Z, fx, fy, cx, cy, width / 2.0, height / 2.0, near,
                                                      guard)


def _merge_ranges(visible, lo, hi):
    """Sorted, merged vertex index ranges [start, end) of the visible blocks, ``lo`` and ``hi`` being the blocks'
    ranges in ascending ``lo`` order and ``visible`` their flags in that order.

    Plain numpy (a running maximum of the ends marks where a new range starts): the jitted loop it
    replaces cost ~2 s of first-run compilation, mostly numba's merge sort, for no speed-up."""
    a, b = lo[visible], hi[visible]
    if a.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    reach = np.maximum.accumulate(b)
    new = np.ones(a.shape[0], bool)
    new[1:] = a[1:] > reach[:-1]
    first = np.flatnonzero(new)
    return _split_ranges(a[first], np.maximum.reduceat(b, first))


def _split_ranges(starts, ends, piece: int = 1 << 12):
    """The same ranges cut into pieces of at most ``piece`` vertices: a frame's visible vertices often lie in
    a few long ranges, and ``prange`` hands each thread a contiguous share of the ranges, not of the
    vertices (one thread did nearly all the work)."""
    n = (ends - starts + piece - 1) // piece
    first = np.repeat(starts, n) + piece * (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    return first, np.minimum(first + piece, np.repeat(ends, n))


@njit(cache=True)  # not inlined: on the rare clipping path, and three inlined copies cost ~1 s to compile
def _side_code(verts, v, R, t, fx, fy, cx, cy, width, height):
    """Which image sides a vertex is outside of; homogeneous tests, valid behind the camera too."""
    X, Y, Z = _to_camera(verts, v, R, t)
    hx, hy = fx * X + cx * Z, fy * Y + cy * Z
    return (_LEFT * (hx < 0.0) | _RIGHT * (hx > width * Z) | _TOP * (hy < 0.0) | _BOTTOM * (hy > height * Z))


# ----------------------------------------------------------------------------- triangle setup


@njit(cache=True, inline="always")
def _pixel_range(a, b, c, size):
    """First and last pixel whose centre (p*ONE + HALF) lies within [min, max] of a, b, c, clamped."""
    lo, hi = min(a, b, c), max(a, b, c)
    first = (lo - _HALF + _ONE - 1) >> SUBPIXEL_BITS  # ceil; >> floors negatives too
    last = (hi - _HALF) >> SUBPIXEL_BITS
    return max(first, 0), min(last, size - 1)


@njit(cache=True)
def _visible_blocks(lo, hi, R, t, fx, fy, cx, cy, width, height, near, out):
    """Per block of faces: 0 if its box lies wholly behind the near plane or off one image side."""
    for blk in range(lo.shape[0]):
        outside = 0x1F
        for corner in range(8):
            p0 = (hi[blk, 0] if corner & 1 else lo[blk, 0]) - t[0]
            p1 = (hi[blk, 1] if corner & 2 else lo[blk, 1]) - t[1]
            p2 = (hi[blk, 2] if corner & 4 else lo[blk, 2]) - t[2]
            X = R[0, 0] * p0 + R[1, 0] * p1 + R[2, 0] * p2
            Y = R[0, 1] * p0 + R[1, 1] * p1 + R[2, 1] * p2
            Z = R[0, 2] * p0 + R[1, 2] * p1 + R[2, 2] * p2
            hx, hy = fx * X + cx * Z, fy * Y + cy * Z
            outside &= ((Z < near) * 1 | (hx < 0.0) * 2 | (hx > width * Z) * 4 | (hy < 0.0) * 8
                        | (hy > height * Z) * 16)
        out[blk] = outside == 0


@njit(cache=True, parallel=True)
def _classify(flat_faces, face_ids, use_all, block_visible, code, sx, sy, verts, R, t, fx, fy, cx, cy, width,
              height, face_solid, solid_cull, entries, counts, live_counts, clip_counts):
    """Per triangle: culled, to clip, or live with the band range it touches. Chunk ``ch`` (positions
    [lo, hi)) writes its live triangles, in order, from ``entries[lo]`` up (position k << 32 | packed bands;
    ``live_counts[ch]`` of them) and its triangles to clip from ``entries[hi - 1]`` down (``clip_counts[ch]``),
    and counts its band entries per band. A triangle of solid ``face_solid[f]`` facing away on screen is culled
    when ``solid_cull`` allows it for that solid (see :func:`_solids`). ``flat_faces`` is the face array raveled."""
    n = flat_faces.shape[0] // 3 if use_all else face_ids.shape[0]
    n_chunks = counts.shape[0]
    for j in prange(n_chunks):
        ch = (j * _SPREAD) % n_chunks
        lo, hi = ch * n // n_chunks, (ch + 1) * n // n_chunks
        live, clip = lo, hi
        k0 = lo
        while k0 < hi:  # whole culled blocks are skipped
            k1 = min(hi, ((k0 >> BLOCK_SHIFT) + 1) << BLOCK_SHIFT)
            if not block_visible[_u(k0 >> BLOCK_SHIFT)]:
                k0 = k1
                continue
            for k in range(k0, k1):
                f = _u(k if use_all else face_ids[_u(k)])
                a, b, c = _u(flat_faces[_at3(f, 0)]), _u(flat_faces[_at3(f, 1)]), _u(flat_faces[_at3(f, 2)])
                ca, cb, cc = code[a], code[b], code[c]
                if ca & cb & cc & _NEAR:  # wholly behind the near plane
                    continue
                if ca | cb | cc:  # crosses the near plane or leaves the guard band: rare, test sides
                    if not (_side_code(verts, a, R, t, fx, fy, cx, cy, width, height)
                            & _side_code(verts, b, R, t, fx, fy, cx, cy, width, height)
                            & _side_code(verts, c, R, t, fx, fy, cx, cy, width, height)):
                        clip -= 1
                        entries[_u(clip)] = k
                    continue
                # off-image triangles need no side test: their box holds no pixel centre
                x0, x1 = _pixel_range(sx[a], sx[b], sx[c], width)
                y0, y1 = _pixel_range(sy[a], sy[b], sy[c], height)
                if x0 > x1 or y0 > y1:  # no pixel centre inside the bounding box: most tiny triangles
                    continue
                sol = face_solid[f] if face_solid.shape[0] else -1
                if sol >= 0 and solid_cull[_u(sol)]:
                    # screen winding from the snapped positions the rasteriser uses: > 0 faces away (outward
                    # normals), == 0 covers nothing
                    if ((np.int64(sx[b]) - sx[a]) * (np.int64(sy[c]) - sy[a])
                            - (np.int64(sy[b]) - sy[a]) * (np.int64(sx[c]) - sx[a])) >= 0:
                        continue
                # a box around one pixel centre: test it now (exact integers, same rule as the
                # rasteriser), since about half of these miss it and binning them costs more
                if x0 == x1 and y0 == y1 and not _covers(np.int64(sx[a]), np.int64(sy[a]), np.int64(sx[b]),
                                                         np.int64(sy[b]), np.int64(sx[c]), np.int64(sy[c]), x0, y0):
                    continue
                b0, b1 = y0 >> BAND_SHIFT, y1 >> BAND_SHIFT  # shifts: an integer division here costs ~10%
                entries[_u(live)] = (np.int64(k) << 32) | b0 | (b1 << 16)
                live += 1
                for bb in range(b0, b1 + 1):
                    counts[_u(ch), _u(bb)] += 1
            k0 = k1
        live_counts[ch] = live - lo
        clip_counts[ch] = hi - clip


@njit(cache=True, parallel=True)
def _bin(entries, live_counts, offsets, tri_list, clip_offsets, clip_list):
    """Write each live triangle's position into the lists of the bands it touches, in order, and each
    triangle to clip into the clip list (from the chunks' ``entries``, see :func:`_classify`)."""
    n = entries.shape[0]
    n_chunks = offsets.shape[0]
    for j in prange(n_chunks):
        ch = (j * _SPREAD) % n_chunks
        lo, hi = ch * n // n_chunks, (ch + 1) * n // n_chunks
        for i in range(lo, lo + live_counts[ch]):
            e = entries[_u(i)]
            k = np.int32(e >> 32)
            for bb in range(e & 0xFFFF, ((e >> 16) & 0xFFFF) + 1):
                tri_list[_u(offsets[_u(ch), _u(bb)])] = k
                offsets[_u(ch), _u(bb)] += 1
        for m in range(clip_offsets[ch + 1] - clip_offsets[ch]):  # stored from the chunk's end down, in face order
            clip_list[clip_offsets[ch] + m] = entries[hi - 1 - m]


@njit(cache=True)
def _clip_polygon(poly, src, n, plane):
    """Clip polygon ``poly[:n]`` (camera xyz) against ``plane . (x, y, z, 1) >= 0``.

    ``src`` holds the original vertex index of each polygon vertex (-1 for clip-made ones) so
    unclipped vertices keep their exact stored projection. Intersections are always computed from
    the inside point towards the outside point, so the two triangles sharing an edge compute the
    same new vertex bit for bit.
    """
    out = np.empty((n + 1, 3))
    out_src = np.empty(n + 1, np.int64)
    m = 0
    for i in range(n):
        j = (i + 1) % n
        p, q = poly[i], poly[j]
        dp = plane[0] * p[0] + plane[1] * p[1] + plane[2] * p[2] + plane[3]
        dq = plane[0] * q[0] + plane[1] * q[1] + plane[2] * q[2] + plane[3]
        if dp >= 0.0:
            for d in range(3):  # not out[m] = p: array assignment compiles numba's broadcasting checks (~2 s)
                out[m, d] = p[d]
            out_src[m] = src[i]
            m += 1
        if (dp >= 0.0) != (dq >= 0.0):
            inside, outside, di, do = (p, q, dp, dq) if dp >= 0.0 else (q, p, dq, dp)
            s = di / (di - do)
            for d in range(3):
                out[m, d] = inside[d] + s * (outside[d] - inside[d])
            out_src[m] = -1
            m += 1
    return out, out_src, m


@njit(cache=True)
def _clip_triangles(faces, face_ids, use_all, todo, code, verts, R, t, sx, sy, w, fx, fy, cx, cy, width,
                    height, near, guard):
    """Clip the triangles at positions ``todo``; returns sub-triangles (x, y, w, face, bands)."""
    cap = 6 * todo.shape[0] + 1  # a triangle clipped by 5 planes has at most 8 vertices: 6 triangles
    xs = np.empty((cap, 3), np.int64)
    ys = np.empty((cap, 3), np.int64)
    ws = np.empty((cap, 3))
    face = np.empty(cap, np.int64)
    bands = np.empty((cap, 2), np.int64)
    planes = np.array([
        [0.0, 0.0, 1.0, -near],              # z >= near
        [fx, 0.0, cx + guard, 0.0],          # u >= -guard
        [-fx, 0.0, width + guard - cx, 0.0],  # u <= width + guard
        [0.0, fy, cy + guard, 0.0],          # v >= -guard
        [0.0, -fy, height + guard - cy, 0.0],  # v <= height + guard
    ])
    # points made on the near plane can project anywhere, so near-clipped triangles also take the
    # guard planes; then the two faces of a shared edge cut it through the same planes in order
    bits = np.array([_NEAR, _GUARD | _NEAR, _GUARD | _NEAR, _GUARD | _NEAR, _GUARD | _NEAR])
    m = 0
    for k in todo:
        f = k if use_all else face_ids[k]
        poly = np.empty((3, 3))
        src = np.empty(3, np.int64)
        flags = 0
        for i in range(3):
            src[i] = faces[f, i]
            poly[i, 0], poly[i, 1], poly[i, 2] = _to_camera(verts, src[i], R, t)
            flags |= code[src[i]]
        n = np.int64(3)  # not a literal 3, which made numba compile _clip_polygon twice
        for pl in range(5):
            if flags & bits[pl]:  # planes no vertex is outside of cannot cut the triangle
                poly, src, n = _clip_polygon(poly, src, n, planes[pl])
                if n < 3:
                    break
        if n < 3:
            continue
        px = np.empty(n, np.int64)
        py = np.empty(n, np.int64)
        pw = np.empty(n)
        for i in range(n):
            if src[i] >= 0 and code[src[i]] == 0:  # untouched: reuse stored projection
                px[i], py[i], pw[i] = sx[src[i]], sy[src[i]], w[src[i]]
            else:
                u, vv, pw[i] = _project(poly[i, 0], poly[i, 1], poly[i, 2], fx, fy, cx, cy)
                px[i], py[i] = _snap(u), _snap(vv)
        for i in range(1, n - 1):  # fan; internal diagonals are shared only within this face
            x0, x1 = _pixel_range(px[0], px[i], px[i + 1], np.int64(width))
            y0, y1 = _pixel_range(py[0], py[i], py[i + 1], np.int64(height))
            if x0 > x1 or y0 > y1:
                continue
            xs[m, 0], xs[m, 1], xs[m, 2] = px[0], px[i], px[i + 1]
            ys[m, 0], ys[m, 1], ys[m, 2] = py[0], py[i], py[i + 1]
            ws[m, 0], ws[m, 1], ws[m, 2] = pw[0], pw[i], pw[i + 1]
            face[m] = f
            bands[m, 0], bands[m, 1] = y0 >> BAND_SHIFT, y1 >> BAND_SHIFT
            m += 1
    return xs[:m], ys[:m], ws[:m], face[:m], bands[:m]


# ----------------------------------------------------------------------------- rasterisation


@njit(cache=True, inline="always")
def _is_top_left(dx, dy):
    """Top-left rule for a clockwise-on-screen (y down) triangle: left edges go up, top edges right."""
    return dy < 0 or (dy == 0 and dx > 0)


@njit(cache=True, inline="always")
def _covers(x0, y0, x1, y1, x2, y2, col, row):
    """Whether the triangle covers pixel (col, row)'s centre under the rasteriser's fill rule."""
    area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0)
    if area == 0:
        return False
    if area < 0:
        x1, y1, x2, y2 = x2, y2, x1, y1
    px, py = col * _ONE + _HALF, row * _ONE + _HALF
    e0x, e0y, e1x, e1y, e2x, e2y = x2 - x1, y2 - y1, x0 - x2, y0 - y2, x1 - x0, y1 - y0
    return (e0x * (py - y1) - e0y * (px - x1) + (0 if _is_top_left(e0x, e0y) else -1) >= 0
            and e1x * (py - y2) - e1y * (px - x2) + (0 if _is_top_left(e1x, e1y) else -1) >= 0
            and e2x * (py - y0) - e2y * (px - x0) + (0 if _is_top_left(e2x, e2y) else -1) >= 0)


# A row of a triangle whose pixel box is at least this many columns wide is first cut to the columns
# its edges allow (the box of a long thin triangle is mostly outside it); narrower rows are walked whole.
_WIDE = 8


@njit(cache=True)  # not inlined at numba level: three copies per inlined _raster_triangle cost compile time
def _row_span(E, ey, lo, hi):
    """Columns ``lo..hi`` (from the box's first) narrowed to those where ``E - ey * ONE * k >= 0`` may hold:
    the bound comes from a float division, so it is widened by one column and the caller's exact integer
    tests decide."""
    if ey > 0:
        return lo, min(hi, np.int64(np.floor(E / (ey * np.float64(_ONE)))) + 1)
    if ey < 0:
        return max(lo, np.int64(np.ceil(E / (ey * np.float64(_ONE)))) - 1), hi
    return (lo, hi) if E >= 0 else (lo, lo - 1)


@njit(cache=True, inline="always")
def _raster_triangle(x0, y0, w0, x1, y1, w1, x2, y2, w2, face, row_lo, row_hi, width, wbuf, fbuf):
    """Z-test one snapped triangle into rows [row_lo, row_hi) of the buffers."""
    area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0)
    if area == 0:
        return
    # both windings are drawn (open meshes are seen from both sides): flip to clockwise so one set of
    # edge tests serves both
    if area < 0:
        x1, y1, w1, x2, y2, w2 = x2, y2, w2, x1, y1, w1
        area = -area
    xa, xb = _pixel_range(x0, x1, x2, width)
    ya, yb = _pixel_range(y0, y1, y2, row_hi)
    ya = max(ya, row_lo)
    if xa > xb or ya > yb:
        return
    # edge i is opposite vertex i: E_i(P) = (b - a) x (P - a), positive inside
    e0x, e0y = x2 - x1, y2 - y1
    e1x, e1y = x0 - x2, y0 - y2
    e2x, e2y = x1 - x0, y1 - y0
    # integer bias: an edge pixel is covered only if the edge is top or left (E >= 0 vs E > 0)
    b0 = 0 if _is_top_left(e0x, e0y) else -1
    b1 = 0 if _is_top_left(e1x, e1y) else -1
    b2 = 0 if _is_top_left(e2x, e2y) else -1
    # w = 1/z is affine in screen space; evaluated per pixel from the edge values (order-free)
    inv = 1.0 / area
    px0 = xa * _ONE + _HALF
    if xa == xb and ya == yb:  # one candidate pixel (most triangles of a dense mesh): no loops
        py = ya * _ONE + _HALF
        E0 = e0x * (py - y1) - e0y * (px0 - x1) + b0
        E1 = e1x * (py - y2) - e1y * (px0 - x2) + b1
        E2 = e2x * (py - y0) - e2y * (px0 - x0) + b2
        if (E0 | E1 | E2) >= 0:
            wz = ((E0 - b0) * w0 + (E1 - b1) * w1 + (E2 - b2) * w2) * inv
            i = _u(ya * width + xa)
            old = wbuf[i]
            if wz > old or (wz == old and face < fbuf[i]):
                wbuf[i] = wz
                fbuf[i] = face
        return
    wide = xb - xa >= _WIDE
    for row in range(ya, yb + 1):
        py = row * _ONE + _HALF
        # biased edge values: covered iff all three are >= 0, i.e. iff their OR is >= 0 (one
        # branch instead of three; tiny triangles make these branches unpredictable)
        E0 = e0x * (py - y1) - e0y * (px0 - x1) + b0
        E1 = e1x * (py - y2) - e1y * (px0 - x2) + b1
        E2 = e2x * (py - y0) - e2y * (px0 - x0) + b2
        lo, hi = 0, xb - xa
        if wide:  # skip the row's columns outside the triangle; the tests below stay exact
            lo, hi = _row_span(E0, e0y, lo, hi)
            lo, hi = _row_span(E1, e1y, lo, hi)
            lo, hi = _row_span(E2, e2y, lo, hi)
            E0 -= e0y * _ONE * lo
            E1 -= e1y * _ONE * lo
            E2 -= e2y * _ONE * lo
        base = row * width + xa
        for col in range(lo, hi + 1):
            if (E0 | E1 | E2) >= 0:
                wz = ((E0 - b0) * w0 + (E1 - b1) * w1 + (E2 - b2) * w2) * inv
                i = _u(base + col)
                old = wbuf[i]
                if wz > old or (wz == old and face < fbuf[i]):
                    wbuf[i] = wz
                    fbuf[i] = face
            E0 -= e0y * _ONE
            E1 -= e1y * _ONE
            E2 -= e2y * _ONE


@njit(cache=True)
def _resolve_band(row_lo, row_hi, width, verts, faces, colors, face_object, face_inn, R, t, ifx, ify, cx, cy,
                  inv_len, shading, ambient, background, wbuf, fbuf, rgb, depth, inst, dense):
    """Per covered pixel: the exact hit of its ray with the winning triangle (Moller-Trumbore in
    world space) gives z-depth, perspective-correct colour weights and the Lambert term, written into the
    raveled output images ``rgb``, ``depth`` and ``inst`` (flat indices, see :func:`_u`).

    The per-face set-up is reused while consecutive pixels show the same face; in a ``dense`` band
    (more triangles than half its pixels) they rarely do, and always redoing it skips a mispredicted
    branch per pixel (9% of the resolve on a 1M-triangle room; 11% slower on 190k-triangle rooms)."""
    ox, oy, oz = t[0], t[1], t[2]
    prev = -1
    # per-face constants, reused while consecutive pixels hit the same face
    e1x = e1y = e1z = e2x = e2y = e2z = qx = qy = qz = tq = inn = txx = tyy = tzz = 0.0
    a = b = c = _u(0)
    last = row_hi * width - 1
    for row in range(row_lo, row_hi):
        yc = (row + 0.5 - cy) * ify
        # ray direction R (xc, yc, 1): its parameter at the hit is the z-depth
        rx, ry, rz = R[0, 1] * yc + R[0, 2], R[1, 1] * yc + R[1, 2], R[2, 1] * yc + R[2, 2]
        for col in range(width):
            i = row * width + col
            ahead = fbuf[_u(min(i + PREFETCH_FAR, last))]
            if ahead >= 0:
                _prefetch(faces, ahead)
                _prefetch(face_inn, ahead)
                _prefetch(face_object, ahead)
            ahead = fbuf[_u(min(i + PREFETCH_NEAR, last))]
            if ahead >= 0:
                for q in range(3):
                    corner = faces[_u(ahead), q]
                    _prefetch(verts, corner)
                    _prefetch(colors, corner)
            iu = _u(i)
            f = fbuf[iu]
            if f < 0:
                for ch in range(3):
                    rgb[_u(3 * i + ch)] = background[ch]
                depth[iu] = 0.0
                inst[iu] = -1
                continue
            fu = _u(f)
            if f != prev or dense:
                prev = f
                a, b, c = _u(faces[fu, 0]), _u(faces[fu, 1]), _u(faces[fu, 2])
                ax, ay, az = np.float64(verts[a, 0]), np.float64(verts[a, 1]), np.float64(verts[a, 2])
                e1x, e1y, e1z = verts[b, 0] - ax, verts[b, 1] - ay, verts[b, 2] - az
                e2x, e2y, e2z = verts[c, 0] - ax, verts[c, 1] - ay, verts[c, 2] - az
                txx, tyy, tzz = ox - ax, oy - ay, oz - az
                qx, qy, qz = tyy * e1z - tzz * e1y, tzz * e1x - txx * e1z, txx * e1y - tyy * e1x
                tq = e2x * qx + e2y * qy + e2z * qz
                inn = face_inn[fu]
            xc = (col + 0.5 - cx) * ifx
            dx, dy, dz = rx + R[0, 0] * xc, ry + R[1, 0] * xc, rz + R[2, 0] * xc
            px, py, pz = dy * e2z - dz * e2y, dz * e2x - dx * e2z, dx * e2y - dy * e2x
            det = e1x * px + e1y * py + e1z * pz  # = -n . d, so |det| also gives the Lambert cosine
            cos = abs(det) * inn * inv_len[iu]
            if cos > 1e-9:
                inv = 1.0 / det
                u = (txx * px + tyy * py + tzz * pz) * inv
                v = (dx * qx + dy * qy + dz * qz) * inv
                z = tq * inv
                # coverage came from snapped edges, so the hit may sit a hair outside: clamp weights
                u, v = min(max(u, 0.0), 1.0), min(max(v, 0.0), 1.0)
                if u + v > 1.0:
                    s = u + v
                    u, v = u / s, v / s
            else:  # edge-on to the ray: depth from the w buffer, flat colour
                u = v = 1.0 / 3.0
                z = 1.0 / wbuf[iu]
            shade = ambient + (1.0 - ambient) * cos if shading else 1.0
            l0 = 1.0 - u - v
            for ch in range(3):
                val = (l0 * colors[a, ch] + u * colors[b, ch] + v * colors[c, ch]) * shade
                rgb[_u(3 * i + ch)] = np.uint8(min(val + 0.5, 255.0))
            depth[iu] = np.float32(z)
            inst[iu] = face_object[fu]


@njit(cache=True, parallel=True)
def _raster_bands(faces, flat_faces, face_ids, use_all, sx, sy, w, verts, colors, face_object, face_inn, band_start,
                  tri_list, cxs, cys, cws, cface, cbands, R, t, fx, fy, cx, cy, inv_len, width, height, n_slots,
                  shading, ambient, background, wbuf, fbuf, rgb, depth, inst):
    """Rasterise every band's triangles, then resolve the band's pixels into the output images (raveled).
    ``flat_faces`` is ``faces`` raveled for the rasteriser (see :func:`_at3`); the resolve keeps the 2-D arrays,
    as raveled ones there added about 3.5 s to the first run's compilation for 1-2% of a frame."""
    n_bands = band_start.shape[0] - 1
    # one slot per thread, bands dealt round-robin, so the dense rows (floor, furniture) are shared evenly;
    # four slots per thread, i.e. runs of four bands each, were ~5% slower
    for slot in prange(n_slots):
        for bb in range(slot, n_bands, n_slots):
            row_lo, row_hi = bb * BAND_HEIGHT, min((bb + 1) * BAND_HEIGHT, height)
            for i in range(row_lo * width, row_hi * width):
                wbuf[_u(i)] = 0.0
                fbuf[_u(i)] = -1
            last = band_start[bb + 1] - 1
            for j in range(band_start[bb], band_start[bb + 1]):
                ahead = tri_list[_u(min(j + PREFETCH_FAR, last))]
                _prefetch(flat_faces, _at3(ahead if use_all else face_ids[_u(ahead)], 0))
                ahead = tri_list[_u(min(j + PREFETCH_NEAR, last))]
                fa = _u(ahead if use_all else face_ids[_u(ahead)])
                for q in range(3):
                    v = _u(flat_faces[_at3(fa, q)])
                    _prefetch(sx, v)
                    _prefetch(sy, v)
                    _prefetch(w, v)
                k = tri_list[_u(j)]
                f = k if use_all else face_ids[_u(k)]
                fu = _u(f)
                a, b, c = _u(flat_faces[_at3(fu, 0)]), _u(flat_faces[_at3(fu, 1)]), _u(flat_faces[_at3(fu, 2)])
                _raster_triangle(np.int64(sx[a]), np.int64(sy[a]), np.float64(w[a]),
                                 np.int64(sx[b]), np.int64(sy[b]), np.float64(w[b]),
                                 np.int64(sx[c]), np.int64(sy[c]), np.float64(w[c]), f,
                                 row_lo, row_hi, width, wbuf, fbuf)
            for j in range(cface.shape[0]):
                if cbands[j, 0] <= bb <= cbands[j, 1]:
                    _raster_triangle(cxs[j, 0], cys[j, 0], cws[j, 0], cxs[j, 1], cys[j, 1], cws[j, 1],
                                     cxs[j, 2], cys[j, 2], cws[j, 2], cface[j], row_lo, row_hi, width,
                                     wbuf, fbuf)
            _resolve_band(row_lo, row_hi, width, verts, faces, colors, face_object, face_inn, R, t, 1.0 / fx,
                          1.0 / fy, cx, cy, inv_len, shading, ambient, background, wbuf, fbuf, rgb, depth, inst,
                          2 * (band_start[bb + 1] - band_start[bb]) > (row_hi - row_lo) * width)


# ----------------------------------------------------------------------------- after a fork

def _serial_twin(kernel):
    """The same kernel (error model included) compiled without threads (``prange`` runs as ``range``), under its
    own name so its cache entry is its own."""
    f = kernel.py_func
    g = types.FunctionType(f.__code__, f.__globals__, f.__name__ + "_serial", f.__defaults__, f.__closure__)
    g.__qualname__, g.__module__ = f.__qualname__ + "_serial", f.__module__
    return njit(cache=True, error_model=kernel.targetoptions.get("error_model", "python"))(g)


# A process forked from one whose GNU OpenMP thread pool was running cannot start that pool again (numba
# terminates it: "fork() called from a process already using GNU OpenMP"), e.g. an AsyncVectorEnv worker of
# a process that rendered before. Such a child renders with these serial twins instead (same bytes: the
# output never depends on the thread count).
_KERNELS = {k.py_func.__name__: (k, _serial_twin(k))
            for k in (_transform_ranges, _transform_list, _classify, _bin, _raster_bands)}
_SERIAL = False


def _after_fork_in_child() -> None:
    global _SERIAL
    from numba.np.ufunc import parallel

    if getattr(parallel, "_is_initialized", False):
        try:
            _SERIAL = _SERIAL or numba.threading_layer() == "omp"
        except ValueError:  # no layer launched after all
            pass


os.register_at_fork(after_in_child=_after_fork_in_child)


def _kernel(name: str):
    """The parallel kernel ``name``, or its serial twin in a child forked after OpenMP started."""
    return _KERNELS[name][1 if _SERIAL else 0]


# ----------------------------------------------------------------------------- first-run compilation

#: Seconds the first render's compilation takes on a 2-core machine (15-22 s in benchmarks/scale.py runs),
#: for the announcement; a busy machine takes longer.
COMPILE_SECONDS = 20

_compile_state = {"checked": False, "announced_at": None}
_compile_lock = threading.Lock()


def _entry_kernels(only_objects: bool) -> list:
    """The jitted functions a full render (or, ``only_objects``, an object subset's) calls from Python; the
    others are compiled into them."""
    first = [_kernel("_transform_list")] if only_objects else [_visible_blocks, _kernel("_transform_ranges")]
    return [*first, _kernel("_classify"), _kernel("_bin"), _clip_triangles, _kernel("_raster_bands"), _union_edges]


def needs_compile(only_objects: bool = False) -> bool | None:
    """Whether the next full render (``only_objects``: the next render of an object subset) in this process must
    compile kernels first: True when numba's on-disk cache (``NUMBA_CACHE_DIR``, else ``__pycache__`` beside
    this file) lacks one for this source and CPU, False when all are there or already loaded, None when
    numba's cache cannot be inspected."""
    try:
        for k in _entry_kernels(only_objects):
            if k.overloads:
                continue
            index = k._cache._cache_file._load_index()  # {} when missing or stale (source changed)
            magic = k.targetctx.codegen().magic_tuple()
            if not any(key[1] == magic for key in index):
                return True
        return False
    except Exception:  # numba's cache internals differ: fall back to announcing slow first renders
        return None


def _announce(message: str) -> None:
    import sys

    print(f"spatial-env: {message}", file=sys.stderr, flush=True)


def _before_first_render(only_objects: bool) -> None:
    """Once per process: say so on stderr before the renderer's one-time compilation starts."""
    with _compile_lock:
        if _compile_state["checked"]:
            return
        _compile_state["checked"] = True
        cold = needs_compile(only_objects)
        if cold:
            _announce(f"compiling the renderer (once per machine, about {COMPILE_SECONDS} s on 2 cores; "
                      f"later runs load it from numba's cache)...")
            _compile_state["announced_at"] = _now()
        elif cold is None:
            _compile_state["announced_at"] = _now()


def _after_first_render() -> None:
    started = _compile_state["announced_at"]
    if started is not None:
        _compile_state["announced_at"] = None
        took = _now() - started
        if took > 2.0:
            _announce(f"renderer compiled in {took:.0f} s")


def _now() -> float:
    import time

    return time.monotonic()


_warm_thread: threading.Thread | None = None


def start_warm_up() -> threading.Thread | None:
    """Compile the renderer in a background thread when its cache lacks the full-render kernels, so the
    compilation overlaps whatever the caller does next (loading a scene); a render started meanwhile waits for
    it. Returns the thread, or None when there is nothing to compile."""
    global _warm_thread
    with _compile_lock:
        if _warm_thread is not None or needs_compile() is False:
            return _warm_thread
        _warm_thread = threading.Thread(target=_warm_up, name="spatial-env-compile", daemon=True)
    _warm_thread.start()
    return _warm_thread


def _join_warm_up() -> None:
    """Before a fork: let a running warm-up finish, so no child inherits numba's compiler lock held by a
    thread it does not have."""
    if _warm_thread is not None and _warm_thread.is_alive() and _warm_thread is not threading.current_thread():
        _warm_thread.join()


os.register_at_fork(before=_join_warm_up)


def _warm_up() -> None:
    """Render a one-box scene (full and one object alone), which compiles every kernel a render calls."""
    from ..camera import look_at
    from ..scene.build import SceneBuilder
    from ..scene.primitives import box

    b = SceneBuilder("warm-up", source="warm-up")
    oid = b.add_object("box", box((1.0, 1.0, 1.0), (0.0, 0.0, 0.5), (128, 128, 128)))
    scene = b.build(bounds=[[-2, -2, 0], [2, 2, 2]], floor_height=0.0)
    cam = Camera(np.array([[8.0, 0, 8.0], [0, 8.0, 8.0], [0, 0, 1.0]]),
                 look_at(np.array([1.5, -2.0, 1.5]), np.array([0.0, 0.0, 0.5])), 16, 16)
    r = NumbaRenderer(scene)
    r.render(cam)
    r.render(cam, only_objects=[oid])


# ----------------------------------------------------------------------------- the renderer


class NumbaRenderer:
    """CPU z-buffer rasteriser: RGB, z-depth and instance ids in one call, parallel over row bands.

    ``shading`` adds a Lambert headlight (``ambient`` + (1 - ``ambient``) * |cos|) so depth reads in
    RGB; ``near`` is the near clipping distance in metres; ``background`` the RGB of empty pixels.
    """

    backend = "numba"

    def __init__(self, scene: Scene, *, shading: bool = True, ambient: float = 0.35, near: float = 0.01,
                 background=(0, 0, 0), subset_cache_size: int = 256):
        rgb = check_options(scene, "numba", near, ambient, background)
        self.scene = scene
        self.shading, self.ambient, self.near = bool(shading), float(ambient), float(near)
        self.background = tuple(np.uint8(c) for c in rgb)
        self._verts = scene.vertices  # float32, contiguous (Scene guarantees it)
        self._faces = scene.faces
        self._colors = scene.colors
        self._face_object = scene.face_object
        self._block_lo, self._block_hi, vlo, vhi = _blocks(scene.vertices, scene.faces)
        # the blocks' vertex ranges sorted by start once, for merging the visible ones each frame
        self._block_order = np.argsort(vlo, kind="stable")
        self._block_vlo, self._block_vhi = vlo[self._block_order], vhi[self._block_order]
        self._face_inn = _inverse_normal_lengths(scene.vertices, scene.faces)
        # per-object face lists, precomputed so only_objects costs a dict lookup and a concatenate
        self._object_faces = {i: np.asarray(o.face_indices, dtype=np.int64) for i, o in scene.objects.items()}
        self._subsets: OrderedDict[frozenset, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._subset_cache_size = int(subset_cache_size)
        self._lock = threading.Lock()
        self._scratch: dict[str, np.ndarray] = {}
        self._empty = np.zeros(0, np.int64)
        self._ray_len: dict[tuple, np.ndarray] = {}
        # per-object transforms: one scratch copy of the vertices, made on first use; each call writes
        # the moved objects' vertices into it and puts the originals back afterwards
        self._moved_verts: np.ndarray | None = None
        self._moved_inn: np.ndarray | None = None
        self._shared_verts: np.ndarray | None = None
        self._object_blocks: dict[int, np.ndarray] = {}
        self._solids: _Solids | None = None  # found on the first render (a scene-sized pass)

    def render(self, camera: Camera, *, only_objects: Iterable[int] | None = None,
               object_transforms: Mapping[int, np.ndarray] | None = None) -> Frame:
        """Render the scene (or only ``only_objects``, amodally) from ``camera``.

        ``object_transforms`` maps object ids to 4x4 rigid world transforms applied to those objects'
        vertices for this call only (the scene is not rebuilt: only their vertices are transformed, into
        a scratch copy, and the face blocks they lie in are exempt from block culling)."""
        self._check_camera(camera)
        first = not _compile_state["checked"]
        if first:
            _before_first_render(only_objects is not None)
        with self._lock:  # scratch buffers and the subset cache are shared between calls
            moved = self._moved(object_transforms)
            geometry = self._move(moved) if moved else _Geometry(self._verts, self._face_inn, None)
            try:
                cull = self._solid_cull(camera, [oid for *_, oid in moved], geometry.verts)
                if only_objects is None:
                    return self._render(camera, self._empty, self._empty, True, geometry, cull)
                face_ids, vert_ids = self._subset(only_objects)
                return self._render(camera, face_ids, vert_ids, False, geometry, cull)
            finally:
                for ids, _, _, oid in moved:  # the scratch copies are the static scene again
                    geometry.verts[ids] = self._verts[ids]
                    geometry.face_inn[self._object_faces[oid]] = self._face_inn[self._object_faces[oid]]
                if first:
                    _after_first_render()

    # -- helpers ---------------------------------------------------------------------------

    def _check_camera(self, camera: Camera) -> None:
        check_camera(camera, MAX_SIZE)

    def _scene_solids(self) -> _Solids:
        """The scene's closed solids, found on first use (a pass over the whole mesh)."""
        if self._solids is None:
            self._solids = _solids(self._verts, self._faces, self._object_faces)
        return self._solids

    def _solid_cull(self, camera: Camera, moved: Iterable[int] = (), verts: np.ndarray | None = None) -> np.ndarray:
        """Per solid (see :func:`_solids`): whether this camera may cull its back faces, i.e. it stands
        outside the solid's box by more than the part of the near-plane slab it sees (so no face of
        the solid is clipped). The boxes of ``moved`` objects come from ``verts``, where they stand for
        this call, so a moved object is culled exactly as in a scene rebuilt with it there."""
        sol = self._scene_solids()
        if len(sol.object_ids) == 0:
            return np.zeros(0, np.uint8)
        lo, hi = sol.lo, sol.hi
        for oid in moved:
            i = np.searchsorted(sol.object_ids, oid)
            if i < len(sol.object_ids) and sol.object_ids[i] == oid:
                if lo is sol.lo:
                    lo, hi = lo.copy(), hi.copy()
                p = verts[self._faces[self._object_faces[oid]]].reshape(-1, 3)
                lo[i], hi[i] = p.min(0), p.max(0)
        K = np.asarray(camera.K, dtype=np.float64)
        W, H = float(camera.width), float(camera.height)
        reach = self.near * np.sqrt(1.0 + (max(K[0, 2], W - K[0, 2]) / K[0, 0]) ** 2
                                    + (max(K[1, 2], H - K[1, 2]) / K[1, 1]) ** 2)
        eye = np.asarray(camera.pose, dtype=np.float64)[:3, 3]
        return ((eye < lo - reach) | (eye > hi + reach)).any(1).astype(np.uint8)

    def _moved(self, object_transforms) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
        """(vertex ids, 4x4 transform, face blocks, object id) of each object to move, checked."""
        out = []
        for oid, T in check_object_transforms(object_transforms, self._object_faces, self._faces, self._shared,
                                              self.scene.scene_id):
            if oid not in self._object_blocks:
                self._object_blocks[oid] = np.unique(self._object_faces[oid] >> BLOCK_SHIFT)
            out.append((self._subset([oid])[1], T, self._object_blocks[oid], oid))
        return out

    def _shared(self) -> np.ndarray:
        """Per vertex: whether several objects' faces use it (made on the first move)."""
        if self._shared_verts is None:
            self._shared_verts = shared_vertices(self._faces, self._face_object, len(self._verts))
        return self._shared_verts

    def _move(self, moved) -> _Geometry:
        """The scratch geometry with the moved objects' vertices (and face normals' lengths, rounded as a
        scene rebuilt there would have them) transformed, and the face blocks to keep."""
        if self._moved_verts is None:
            self._moved_verts, self._moved_inn = self._verts.copy(), self._face_inn.copy()
        for ids, T, _, oid in moved:
            self._moved_verts[ids] = transform_vertices(self._verts[ids], T)
            faces = self._object_faces[oid]
            self._moved_inn[faces] = _inverse_normal_lengths(self._moved_verts, self._faces[faces])
        return _Geometry(self._moved_verts, self._moved_inn, np.unique(np.concatenate([b for _, _, b, _ in moved])))

    def _subset(self, only_objects: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
        """Sorted face and vertex indices of some objects (LRU-cached by the id set)."""
        key = subset_key(only_objects)
        hit = self._subsets.get(key)
        if hit is not None:
            self._subsets.move_to_end(key)
            return hit
        faces = subset_faces(key, self._object_faces, self.scene.scene_id)
        verts = np.unique(self._faces[faces]) if len(faces) else self._empty
        hit = (faces, verts.astype(np.int64))
        self._subsets[key] = hit
        if len(self._subsets) > self._subset_cache_size:
            self._subsets.popitem(last=False)
        return hit

    def _buffer(self, name: str, shape, dtype) -> np.ndarray:
        """A reused scratch array (grown when needed) so frames do not page-fault fresh memory."""
        size = math.prod(shape)
        buf = self._scratch.get(name)
        if buf is None or buf.size < size or buf.dtype != dtype:
            buf = np.empty(max(size, 1), dtype=dtype)
            self._scratch[name] = buf
        return buf[:size].reshape(shape)

    def _inv_ray_length(self, v: _View) -> np.ndarray:
        """1 / |(x, y, 1)| per pixel for the Lambert term; depends only on intrinsics, so cached (a few: bank
        sampling alternates small probe renders with full-size ones)."""
        key = (v.width, v.height, v.fx, v.fy, v.cx, v.cy)
        hit = self._ray_len.get(key)
        if hit is None:
            x = (np.arange(v.width) + 0.5 - v.cx) / v.fx
            y = (np.arange(v.height) + 0.5 - v.cy) / v.fy
            hit = self._ray_len[key] = (1.0 / np.sqrt(x[None, :] ** 2 + y[:, None] ** 2 + 1.0)).ravel()
            if len(self._ray_len) > 8:
                del self._ray_len[next(iter(self._ray_len))]
        return hit

    def _render(self, camera: Camera, face_ids, vert_ids, use_all: bool, geometry: _Geometry,
                solid_cull: np.ndarray) -> Frame:
        """All stages for one camera; ``use_all`` renders every face, else ``face_ids``; ``geometry`` is the
        scene's, or a copy with objects moved; ``solid_cull`` says which solids' back faces may be culled."""
        verts, forced_blocks = geometry.verts, geometry.forced_blocks
        W, H = int(camera.width), int(camera.height)
        pose = np.asarray(camera.pose, dtype=np.float64)
        view = _View(np.ascontiguousarray(pose[:3, :3]), np.ascontiguousarray(pose[:3, 3]),
                     *(float(x) for x in np.asarray(camera.K, dtype=np.float64)[[0, 1, 0, 1], [0, 1, 2, 2]]), W, H)
        blocks, projected = self._vertex_stage(view, face_ids, vert_ids, use_all, verts, forced_blocks)
        band_start, tri_list, clipped = self._triangle_stage(view, face_ids, use_all, blocks, projected, verts,
                                                             solid_cull)
        rgb = np.empty((H, W, 3), np.uint8)
        depth = np.empty((H, W), np.float32)
        inst = np.empty((H, W), np.int32)
        R, t, fx, fy, cx, cy = view.R, view.t, view.fx, view.fy, view.cx, view.cy
        _kernel("_raster_bands")(self._faces, self._faces.reshape(-1), face_ids, use_all, *projected[:3], verts,
                      self._colors, self._face_object,
                      geometry.face_inn, band_start, tri_list, *clipped, R, t, fx, fy, cx, cy,
                      self._inv_ray_length(view), W, H, max(1, min(numba.get_num_threads(), len(band_start) - 1)),
                      self.shading, self.ambient, self.background, self._buffer("wbuf", (H * W,), np.float64),
                      self._buffer("fbuf", (H * W,), np.int32), rgb.reshape(-1), depth.reshape(-1), inst.reshape(-1))
        return Frame(rgb=rgb, depth=depth, instance=inst)

    def _vertex_stage(self, view: _View, face_ids, vert_ids, use_all: bool, verts: np.ndarray,
                      forced_blocks: np.ndarray | None):
        """Block visibility and the per-vertex arrays (sx, sy, w, code) for this view."""
        v, nv = view, len(self._verts)
        sx, sy = self._buffer("sx", (nv,), np.int32), self._buffer("sy", (nv,), np.int32)
        w, code = self._buffer("w", (nv,), np.float32), self._buffer("code", (nv,), np.uint8)
        cam = (v.R, v.t, v.fx, v.fy, v.cx, v.cy, float(v.width), float(v.height), self.near)
        if use_all:  # cull face blocks first, then transform only the vertices they use
            blocks = self._buffer("blocks", (len(self._block_lo),), np.uint8)
            _visible_blocks(self._block_lo, self._block_hi, *cam, blocks)
            if forced_blocks is not None:  # their boxes hold the static positions: let _classify decide
                blocks[forced_blocks] = 1
            starts, ends = _merge_ranges(blocks.view(bool)[self._block_order], self._block_vlo, self._block_vhi)
            _kernel("_transform_ranges")(verts.reshape(-1), starts, ends, *cam, GUARD_BAND, sx, sy, w, code)
        else:  # subsets are small and not in mesh order: no block culling
            blocks = np.ones((len(face_ids) >> BLOCK_SHIFT) + 1, np.uint8)
            _kernel("_transform_list")(verts, vert_ids, *cam, GUARD_BAND, sx, sy, w, code)
        return blocks, (sx, sy, w, code)

    def _triangle_stage(self, view: _View, face_ids, use_all: bool, blocks, projected, verts: np.ndarray,
                        solid_cull: np.ndarray):
        """Classify, bin and clip: per-band triangle lists and the clipped sub-triangles."""
        v = view
        sx, sy, w, code = projected
        nf = len(self._faces) if use_all else len(face_ids)
        entries = self._buffer("entries", (nf,), np.int64)
        counts = np.zeros((N_CHUNKS, (v.height + BAND_HEIGHT - 1) // BAND_HEIGHT), np.int64)
        live_counts, clip_counts = np.zeros(N_CHUNKS, np.int64), np.zeros(N_CHUNKS, np.int64)
        _kernel("_classify")(self._faces.reshape(-1), face_ids, use_all, blocks, code, sx, sy, verts, v.R, v.t, v.fx,
                             v.fy, v.cx, v.cy, v.width, v.height, self._scene_solids().face_solid, solid_cull, entries,
                             counts, live_counts, clip_counts)
        band_start, offsets = _band_offsets(counts)
        # int32 positions (faces < 2**31): halves the bin lists' memory traffic
        tri_list = self._buffer("tri_list", (int(band_start[-1]),), np.int32)
        clip_offsets = np.zeros(N_CHUNKS + 1, np.int64)
        np.cumsum(clip_counts, out=clip_offsets[1:])
        clip_list = np.empty(int(clip_offsets[-1]), np.int64)
        _kernel("_bin")(entries, live_counts, offsets, tri_list, clip_offsets, clip_list)
        clipped = _clip_triangles(self._faces, face_ids, use_all, clip_list, code, verts, v.R, v.t, sx, sy, w,
                                  v.fx, v.fy, v.cx, v.cy, float(v.width), float(v.height), self.near, GUARD_BAND)
        return band_start, tri_list, clipped


class _Geometry(NamedTuple):
    """The vertex positions and per-face inverse normal lengths one render uses, and the face blocks block
    culling must keep (those of objects moved for the call, whose boxes hold their static positions)."""

    verts: np.ndarray
    face_inn: np.ndarray
    forced_blocks: np.ndarray | None


class _View(NamedTuple):
    """One camera's parameters as the kernels take them."""

    R: np.ndarray
    t: np.ndarray
    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int


def _blocks(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per block of 2**BLOCK_SHIFT consecutive faces: world box min and max (float64 (B, 3),
    padded outward so float32 rounding never culls a touching face) and the range [lo, hi) of
    vertex indices its faces use."""
    if len(faces) == 0:
        return np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.arange(0, len(faces), 1 << BLOCK_SHIFT)
    lo = np.full((len(starts), 3), np.inf)
    hi = np.full((len(starts), 3), -np.inf)
    for corner in range(3):
        v = vertices[faces[:, corner]].astype(np.float64)
        lo = np.minimum(lo, np.minimum.reduceat(v, starts, axis=0))
        hi = np.maximum(hi, np.maximum.reduceat(v, starts, axis=0))
    pad = 1e-6 * (1.0 + np.abs(lo).max() + np.abs(hi).max())
    vlo = np.minimum.reduceat(faces.min(1), starts).astype(np.int64)
    vhi = np.maximum.reduceat(faces.max(1), starts).astype(np.int64) + 1
    return lo - pad, hi + pad, vlo, vhi


def _inverse_normal_lengths(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Per face 1 / |(b - a) x (c - a)| (0 for a degenerate face), in float64 from the float32 vertices: the
    resolve step's Lambert term, computed once per scene instead of once per pixel."""
    a = vertices[faces[:, 0]].astype(np.float64)
    e1 = vertices[faces[:, 1]] - a
    e2 = vertices[faces[:, 2]] - a
    nx = e1[:, 1] * e2[:, 2] - e1[:, 2] * e2[:, 1]
    ny = e1[:, 2] * e2[:, 0] - e1[:, 0] * e2[:, 2]
    nz = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    nn = np.sqrt(nx * nx + ny * ny + nz * nz)
    return np.divide(1.0, nn, out=np.zeros_like(nn), where=nn > 0.0)


class _Solids(NamedTuple):
    """The scene's objects that are closed solids, whose faces turned away from a camera outside them are
    hidden by their own front faces: per face its solid's index (-1: none), per solid its object id and
    world box."""

    face_solid: np.ndarray  # int32 (F,), or empty when the scene has no solid
    object_ids: np.ndarray  # int64 (S,), ascending
    lo: np.ndarray  # float64 (S, 3)
    hi: np.ndarray


def _solids(vertices: np.ndarray, faces: np.ndarray, object_faces: Mapping[int, np.ndarray]) -> _Solids:
    """Find the objects whose mesh is a closed, outward-facing surface.

    After welding vertices at equal positions, an object qualifies when every directed edge a->b has as
    many b->a twins (no boundary, consistent winding) and each connected piece encloses a positive signed
    volume (normals outward). Then, for a camera outside the object, the projected front faces cover
    every pixel its back faces cover (the projections' signed coverage sums to zero on a closed surface)
    and are nearer along each ray, so culling back faces changes no visible surface. Scanned meshes are open and
    never qualify."""
    none = _Solids(np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros((0, 3)), np.zeros((0, 3)))
    if len(faces) == 0 or not object_faces:
        return none
    v = np.ascontiguousarray(vertices, dtype=np.float32)
    _, weld = np.unique(v.view(np.dtype((np.void, 12))).ravel(), return_inverse=True)
    weld = weld.ravel().astype(np.int64)
    n_welded = int(weld.max()) + 1
    parent = np.arange(n_welded)  # union-find scratch, reset per object
    solid_ids = []
    for oid in sorted(object_faces):  # sorted ids: _solid_cull looks them up by bisection
        fi = object_faces[oid]
        if len(fi) < 4:  # a closed surface has at least four triangles
            continue
        w = weld[faces[fi]]
        a, b = w.ravel(), w[:, [1, 2, 0]].ravel()
        keep = a != b
        a, b = a[keep], b[keep]
        # a -> b and b -> a edges as multisets: first a quick necessary test that rejects open meshes (walls,
        # floors, scans: most faces) without sorting; sum(a b^2) = sum(b a^2) when every edge has its twin
        au, bu = a.astype(np.uint64), b.astype(np.uint64)
        if (au * bu * bu).sum() != (bu * au * au).sum():
            continue
        if not np.array_equal(np.sort(a * n_welded + b), np.sort(b * n_welded + a)):
            continue
        touched = np.unique(w)
        parent[touched] = touched
        _union_edges(a, b, parent)
        pts = vertices[faces[fi]].astype(np.float64)
        pts -= pts.reshape(-1, 3).mean(0)  # volumes are translation-free; near the origin they are exact-er
        volume = np.einsum("ij,ij->i", pts[:, 0], np.cross(pts[:, 1], pts[:, 2]))
        piece = parent[w[:, 0]]
        per_piece = np.bincount(np.searchsorted(touched, piece), weights=volume, minlength=len(touched))
        if (per_piece[np.searchsorted(touched, np.unique(piece))] > 0).all():
            solid_ids.append(oid)
    if not solid_ids:
        return none
    face_solid = np.full(len(faces), -1, np.int32)
    lo, hi = np.empty((len(solid_ids), 3)), np.empty((len(solid_ids), 3))
    for i, oid in enumerate(solid_ids):
        face_solid[object_faces[oid]] = i
        p = vertices[faces[object_faces[oid]]].reshape(-1, 3)
        lo[i], hi[i] = p.min(0), p.max(0)
    return _Solids(face_solid, np.asarray(solid_ids, np.int64), lo, hi)


@njit(cache=True)
def _union_edges(a, b, parent):
    """Union-find over edges a[k]-b[k]; leaves ``parent[v]`` the root of every vertex on an edge."""
    for k in range(a.shape[0]):
        x, y = a[k], b[k]
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        while parent[y] != y:
            parent[y] = parent[parent[y]]
            y = parent[y]
        if x != y:
            parent[max(x, y)] = min(x, y)
    for k in range(a.shape[0]):
        for v in (a[k], b[k]):
            r = v
            while parent[r] != r:
                r = parent[r]
            parent[v] = r


def _band_offsets(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Band list starts and per-(chunk, band) write offsets; band-major so each band's list is in
    chunk order, i.e. face order."""
    per_band = counts.sum(0)
    band_start = np.zeros(len(per_band) + 1, np.int64)
    np.cumsum(per_band, out=band_start[1:])
    within = np.cumsum(counts, axis=0) - counts  # exclusive prefix over chunks
    return band_start, np.ascontiguousarray(band_start[:-1][None, :] + within)
