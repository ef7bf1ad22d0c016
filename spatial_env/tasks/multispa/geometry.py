"""Geometry MultiSPA's questions are computed from: frame-pair overlap and its balanced sampling (§3.2,
supplementary D), pixel coordinates (eq. 1), back-projection and the visibility test (eqs. 2-3),
relative camera pose, yaw and pitch (§3.2.1, supplementary E), and the minimum-coverage-set search
(supplementary F). Per-bank tables are computed once per process and kept in a small cache.
"""

from __future__ import annotations

import itertools
import math
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from ...camera import Camera
from ...frames import FrameBank

from .. import CannotPose  # noqa: E402  (the core's: the env draws another scene on it)


_CACHE: OrderedDict[tuple, Any] = OrderedDict()
_CACHE_SIZE = 256  # a handful of tables per scene, for every default scene


def cached(bank: FrameBank, name: str, compute: Callable[[], Any], *key) -> Any:
    """``compute()`` once per bank (by its directory, which names its contents) and ``name``/``key``."""
    k = (str(bank.path), name, *key)
    if k in _CACHE:
        _CACHE.move_to_end(k)
        return _CACHE[k]
    value = compute()
    _CACHE[k] = value
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


# ---- overlap (§3.2 eq. 4, supplementary D) ----------------------------------------------------------------

def overlap_matrix(bank: FrameBank, voxel: float = 0.05) -> np.ndarray:
    """(N, N) overlap of every frame pair: :meth:`FrameBank.overlap` (IoU of the visible surface on
    ``voxel`` cells, eq. 4) for all pairs at once, as a frames x cells incidence product."""
    def compute() -> np.ndarray:
        n = len(bank)
        keys = [bank.surface_voxels(i, voxel) for i in range(n)]
        sizes = np.array([len(k) for k in keys], np.int64)
        if n == 0 or sizes.sum() == 0:
            return np.zeros((n, n))
        cells, column = np.unique(np.concatenate(keys), return_inverse=True)
        row = np.repeat(np.arange(n), sizes)
        inter = np.zeros((n, n), np.int64)
        step = 1 << 16  # cells per chunk keeps the dense incidence block small on big scans
        for lo in range(0, len(cells), step):
            sel = (column >= lo) & (column < lo + step)
            block = np.zeros((n, min(step, len(cells) - lo)), np.float32)
            block[row[sel], column[sel] - lo] = 1.0
            inter += np.rint(block @ block.T).astype(np.int64)  # counts < 2**24: exact in float32
        union = sizes[:, None] + sizes[None, :] - inter
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
        np.fill_diagonal(out, 1.0)
        return out

    return cached(bank, "overlap", compute, voxel)


def overlap_bins(bank: FrameBank, overlap_range: tuple[float, float], width: float) -> list[np.ndarray]:
    """The non-empty bins of frame pairs (i < j) whose overlap lies in ``overlap_range`` (inclusive),
    bins ``width`` wide from the range's low end: supplementary D's partition (Listing 1, step 2)."""
    lo, hi = float(overlap_range[0]), float(overlap_range[1])

    def compute() -> list[np.ndarray]:
        ov = overlap_matrix(bank)
        i, j = np.triu_indices(len(bank), 1)
        v = ov[i, j]
        keep = (v >= lo) & (v <= hi) & (v > 0)
        i, j, v = i[keep], j[keep], v[keep]
        nbins = max(1, int(math.ceil((hi - lo) / width - 1e-9)))
        b = np.minimum(((v - lo) / width).astype(np.int64), nbins - 1)
        return [np.stack([i[b == k], j[b == k]], 1) for k in range(nbins) if (b == k).any()]

    return cached(bank, "bins", compute, lo, hi, width)


def sample_pair(bank: FrameBank, rng: np.random.Generator, options, accept: Callable[[int, int], bool] | None = None,
                what: str = "") -> tuple[int, int]:
    """An ordered frame pair (image 1, image 2): a non-empty overlap bin uniformly, a pair uniformly in it,
    a random order (§3.2: "evenly allocate ... among these bins", drawn per question rather than as a
    fixed quota). ``accept(i, j)`` may reject pairs (tried ``max_tries`` times)."""
    bins = overlap_bins(bank, options.overlap_range, options.overlap_bin_width)
    if not bins:
        raise CannotPose(f"scene {bank.scene_id!r}: no frame pair overlaps within "
                         f"overlap_range={options.overlap_range} "
                         f"({len(bank)} frames); widen overlap_range or add frames (frames_per_scene)")
    for _ in range(options.max_tries):
        pairs = bins[int(rng.integers(len(bins)))]
        i, j = (int(v) for v in pairs[int(rng.integers(len(pairs)))])
        if rng.random() < 0.5:
            i, j = j, i
        if accept is None or accept(i, j):
            return i, j
    raise CannotPose(f"scene {bank.scene_id!r}: no frame pair within overlap_range={options.overlap_range} suits "
                     f"{what or 'this question'} after max_tries={options.max_tries} draws")


# ---- pixels and points (eqs. 1-3) ------------------------------------------------------------------------

def norm1000(u: float, size: int) -> int:
    """Eq. (1): floor(u / size * 1000) of a continuous pixel coordinate (pixel centres at +0.5)."""
    return int(min(max(math.floor(u / size * 1000.0), 0), 999))


def point1000(uv, camera: Camera) -> list[int]:
    """Eq. (1) for a pixel position (u, v)."""
    return [norm1000(float(uv[0]), camera.width), norm1000(float(uv[1]), camera.height)]


def margin_mask(height: int, width: int, margin: float) -> np.ndarray:
    """Pixels at least ``margin`` of the side away from the border."""
    mx, my = int(math.ceil(margin * width)), int(math.ceil(margin * height))
    m = np.zeros((height, width), bool)
    m[my:height - my, mx:width - mx] = True
    return m


def backproject(camera: Camera, cols: np.ndarray, rows: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """World points (N, 3) of pixel centres (cols, rows) at z-depths ``depth`` (eq. 2 inverted)."""
    K = camera.K
    z = np.asarray(depth, np.float64)
    x = (np.asarray(cols, np.float64) + 0.5 - K[0, 2]) / K[0, 0] * z
    y = (np.asarray(rows, np.float64) + 0.5 - K[1, 2]) / K[1, 1] * z
    return np.stack([x, y, z], 1) @ camera.pose[:3, :3].T + camera.pose[:3, 3]


def visible_in(camera: Camera, points: np.ndarray, depth: np.ndarray, tolerance: float, margin: float = 0.0,
               instance: np.ndarray | None = None, object_id: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(mask, uv) of world points seen by ``camera``: in the image (``margin`` off its border), in front, and
    not occluded, i.e. z <= D(u, v) + tolerance + 1 % of D (eq. 3, with a tolerance for the rasterised
    depth); with ``object_id``, the pixel must also show that object."""
    uv, z = camera.project(points)
    W, H = camera.width, camera.height
    mx, my = math.ceil(margin * W), math.ceil(margin * H)
    with np.errstate(invalid="ignore"):
        inside = (z > 0) & (uv[:, 0] >= mx) & (uv[:, 0] < W - mx) & (uv[:, 1] >= my) & (uv[:, 1] < H - my)
    ok = np.zeros(len(points), bool)
    idx = np.flatnonzero(inside)
    c, r = np.floor(uv[idx, 0]).astype(np.int64), np.floor(uv[idx, 1]).astype(np.int64)
    d = depth[r, c].astype(np.float64)
    seen = (d > 0) & (z[idx] <= d + tolerance + 0.01 * d) & (z[idx] >= d - tolerance - 0.01 * d)
    if object_id is not None:
        seen &= instance[r, c] == object_id
    ok[idx[seen]] = True
    return ok, uv


# ---- camera motion (§3.2.1, supplementary E) -----------------------------------------------------------------

def relative_pose(first: Camera, second: Camera) -> np.ndarray:
    """E_j^i = E_i^-1 E_j: the second camera in the first camera's frame (§3.2.1)."""
    return np.linalg.inv(first.pose) @ second.pose


def yaw_pitch(camera: Camera) -> tuple[float, float]:
    """Supplementary E, eqs. 6-8: yaw (about gravity, world Z) and pitch of the optical axis, degrees."""
    z = camera.pose[:3, :3] @ np.array([0.0, 0.0, 1.0])
    yaw = math.degrees(math.atan2(z[1], z[0]))
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, z[2] / np.linalg.norm(z)))))
    return yaw, pitch


def camera_motion(first: Camera, second: Camera) -> dict:
    """Translation (camera-1 axes, metres), yaw change (positive = turned left, i.e. counter-clockwise seen
    from above) and pitch change (positive = tilted up), degrees."""
    d = relative_pose(first, second)[:3, 3]
    y1, p1 = yaw_pitch(first)
    y2, p2 = yaw_pitch(second)
    dyaw = (y2 - y1 + 180.0) % 360.0 - 180.0
    return {"translation": d, "yaw": dyaw, "pitch": p2 - p1}


# ---- minimum-coverage-set search (supplementary F, Listing 2) ----------------------------------------------

def covers(lo: np.ndarray, hi: np.ndarray, size: float, tol: float) -> bool:
    """Listing 2's ``covers_dimension``: the spread max(hi) - min(lo) of the selected frames' visible points
    along the axis is within ``tol * size`` of ``size``."""
    return abs(float(np.max(hi) - np.min(lo)) - size) <= tol * size


def minimal_cover_sets(frames: list[int], lo: dict[int, float], hi: dict[int, float], size: float, tol: float,
                       k: int, connected: Callable[[tuple[int, ...]], bool] | None = None) -> list[tuple[int, ...]]:
    """Supplementary F's BFS: sets of ``k`` frames whose visible points together cover ``size`` along the
    axis while no proper subset does (phase A records covering sets and prunes their supersets; phase B
    expands only uncovered sets). ``lo``/``hi`` are each frame's extreme coordinates along the axis;
    ``connected`` may further require the set's frames to share content."""
    frames = sorted(frames)

    def cov(combo) -> bool:
        return covers(np.array([lo[f] for f in combo]), np.array([hi[f] for f in combo]), size, tol)

    level = [(f,) for f in frames]
    found: list[tuple[int, ...]] = []
    for size_k in range(1, k + 1):
        nxt = []
        for combo in level:
            if cov(combo):  # phase A: a covering set is recorded (at the wanted size) and never expanded
                minimal = all(not cov(sub) for r in range(1, size_k) for sub in itertools.combinations(combo, r))
                if size_k == k and minimal and (connected is None or connected(combo)):
                    found.append(combo)
            elif size_k < k:  # phase B: uncovered sets grow by one later frame
                nxt.extend(combo + (f,) for f in frames if f > combo[-1])
        level = nxt
    return found


def box_axes(rotation: np.ndarray, extents: np.ndarray) -> dict[str, tuple[int, float]]:
    """Which box axis is the object's height (the one nearest world Z), length (the longer horizontal one)
    and width (the shorter): name -> (axis index, extent in metres). Our reading of §3.2.1's "height,
    width and length" of the 3D box."""
    R = np.asarray(rotation, np.float64)
    e = np.asarray(extents, np.float64)
    up = int(np.argmax(np.abs(R[2, :])))
    a, b = [i for i in range(3) if i != up]
    long_, short = (a, b) if e[a] >= e[b] else (b, a)
    return {"height": (up, float(e[up])), "length": (long_, float(e[long_])), "width": (short, float(e[short]))}
