"""Renderer speed and memory: fps for RGB + depth + ids at several resolutions and triangle counts,
set-up time (first call with JIT compile, and a second process using the on-disk JIT cache), and
peak RSS. Prints a markdown table and writes it into benchmarks/README.md (section "Rendering").

    python benchmarks/render.py               # full run (about three minutes)
    python benchmarks/render.py --quick       # fewer frames, no README update
    python benchmarks/render.py --backend gl  # the gl backend (any EGL device, GPU or llvmpipe): fps,
                                              # batched fps, agreement with numba; printed only
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace

from readme import write_section

import numpy as np

from spatial_env.camera import Camera
from spatial_env.scene import Scene, load_scene

SIZES = (256, 512, 1024)
TRIANGLES = (100_000, 1_000_000)

# Generated rooms the benchmark tessellates: the triangle count asked for -> the room it starts from.
# Counts at or below a room's own size use that room as generated (bathroom-1: ~104k triangles).
_ROOMS = ((150_000, "procedural:bathroom-1"), (None, "procedural:living_room-0"))


def _split_faces(vertices, faces, colors, selected):
    """1 -> 4 midpoint split of ``faces[selected]``; returns new vertex, face, colour arrays and, per
    output face, its source face index. A face's children stay consecutive and in face order (the
    mesh stays spatially coherent), and midpoints are shared by edge, so the surface stays closed."""
    sel = faces[selected]
    edges = np.concatenate([sel[:, [0, 1]], sel[:, [1, 2]], sel[:, [2, 0]]])
    edges.sort(axis=1)
    uniq, inverse = np.unique(edges, axis=0, return_inverse=True)
    mid = len(vertices) + inverse.reshape(3, -1).T  # (n, 3): midpoints of edges 01, 12, 20
    v64 = vertices.astype(np.float64)
    new_v = np.concatenate([vertices, ((v64[uniq[:, 0]] + v64[uniq[:, 1]]) / 2).astype(np.float32)])
    c16 = colors.astype(np.uint16)
    new_c = np.concatenate([colors, ((c16[uniq[:, 0]] + c16[uniq[:, 1]] + 1) // 2).astype(np.uint8)])
    a, b, c = sel.T
    m01, m12, m20 = mid.T
    kids = np.stack([np.stack([a, m01, m20], 1), np.stack([m01, b, m12], 1), np.stack([m20, m12, c], 1),
                     np.stack([m01, m12, m20], 1)], 1)  # (n, 4, 3), same winding as the parent
    counts = np.where(selected, 4, 1)
    out = np.empty((counts.sum(), 3), faces.dtype)
    first = np.cumsum(counts) - counts
    out[first[~selected]] = faces[~selected]
    out[(first[selected][:, None] + np.arange(4)).ravel()] = kids.reshape(-1, 3)
    return new_v, out, new_c, np.repeat(np.arange(len(faces)), counts)


def tessellate(scene: Scene, n_triangles: int) -> Scene:
    """Split whole objects 1 -> 4, coarsest (largest mean triangle area) first, while the mesh stays
    within ``n_triangles``; objects never share vertices, so no T-junctions appear between them.
    Vertices are renumbered in order of first use, as a mesh optimiser would leave them."""
    verts, faces, colors, face_object = scene.vertices, scene.faces, scene.colors, scene.face_object
    tri = verts[faces].astype(np.float64)
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    ids, inv, count = np.unique(face_object, return_inverse=True, return_counts=True)
    mean_area, level, total = np.bincount(inv, area) / count, np.zeros(len(ids), np.int64), len(faces)
    while True:  # plan on the per-object statistics (a split: 4x the triangles, 1/4 the area)
        fits = [k for k in np.argsort(-mean_area, kind="stable") if 3 * count[k] <= n_triangles - total]
        if not fits:
            break
        k = fits[0]
        total, count[k], mean_area[k], level[k] = total + 3 * count[k], 4 * count[k], mean_area[k] / 4, level[k] + 1
    for lvl in range(1, level.max(initial=0) + 1):
        verts, faces, colors, src = _split_faces(verts, faces, colors, level[inv] >= lvl)
        face_object, inv = face_object[src], inv[src]
    order, first = np.unique(faces.ravel(), return_index=True)
    used = order[np.argsort(first, kind="stable")]  # vertex ids in order of first use
    remap = np.empty(len(verts), np.int64)
    remap[used] = np.arange(len(used))
    objects = {i: replace(o, face_indices=np.flatnonzero(face_object == i)) for i, o in scene.objects.items()}
    return replace(scene, scene_id=f"{scene.scene_id}-x{n_triangles}", vertices=verts[used],
                   faces=remap[faces], colors=colors[used], face_object=face_object, objects=objects)


def bench_scene(n_triangles: int) -> Scene:
    """The benchmark scene: a default generated room tessellated to about ``n_triangles``."""
    name = next(name for limit, name in _ROOMS if limit is None or n_triangles <= limit)
    scene = load_scene(name)
    return scene if scene.num_triangles >= n_triangles * 0.9 else tessellate(scene, n_triangles)


def bench_cameras(scene: Scene, size: int, n: int = 8, seed: int = 0) -> list[Camera]:
    """``n`` cameras at eye height inside the room, each on a ring around its centre (35-45% of the
    way to the walls) and looking across it through the middle, +-35 deg, slightly down; 90 deg hfov."""
    rng = np.random.default_rng(seed)
    lo, hi = scene.bounds
    centre, half = (lo[:2] + hi[:2]) / 2, (hi[:2] - lo[:2]) / 2
    cams = []
    for _ in range(n):
        phi = rng.uniform(0, 2 * np.pi)
        xy = centre + rng.uniform(0.35, 0.45) * half * np.array([np.cos(phi), np.sin(phi)])
        eye = np.array([*xy, scene.floor_height + rng.uniform(1.4, 1.7)])
        yaw, pitch = phi + np.pi + rng.uniform(-0.6, 0.6), rng.uniform(-0.4, 0.0)
        target = eye + np.array([np.cos(yaw) * np.cos(pitch), np.sin(yaw) * np.cos(pitch), np.sin(pitch)])
        cams.append(Camera.looking_at(eye, target, hfov_deg=90.0, width=size, height=size))
    return cams


class EmbreeCaster:
    """The reference the CPU renderer is measured against: Embree rays through every pixel centre
    (embreex, the test extra's independent caster), producing the same RGB (interpolated vertex colours
    with the headlight shading), z-depth and instance ids as a ``Frame``."""

    def __init__(self, scene: Scene, ambient: float = 0.35):
        import embreex.rtcore_scene as rtcs
        from embreex.mesh_construction import TriangleMesh

        self.scene, self.ambient = scene, ambient
        self._es = rtcs.EmbreeScene()
        tri = scene.vertices[scene.faces].astype(np.float32)
        TriangleMesh(self._es, tri)
        n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]).astype(np.float64)
        self._normals = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
        self._colors = scene.colors.astype(np.float32)

    def render(self, camera: Camera):
        """RGB, z-depth and ids of ``camera`` by one ray per pixel."""
        from spatial_env.render import Frame

        origins, dirs = camera.rays()
        hit = self._es.run(origins.astype(np.float32), dirs.astype(np.float32), output=1)
        prim, hw = hit["primID"], (camera.height, camera.width)
        ok = prim >= 0
        p = np.maximum(prim, 0)
        u, v = hit["u"], hit["v"]
        f = self.scene.faces[p]
        rgb = ((1 - u - v)[:, None] * self._colors[f[:, 0]] + u[:, None] * self._colors[f[:, 1]]
               + v[:, None] * self._colors[f[:, 2]])
        shade = self.ambient + (1 - self.ambient) * np.abs(np.einsum("ij,ij->i", self._normals[p], dirs))
        rgb = np.where(ok[:, None], np.clip(rgb * shade[:, None] + 0.5, 0, 255), 0).astype(np.uint8)
        depth = np.where(ok, hit["tfar"] * (dirs @ camera.pose[:3, 2]), 0.0).astype(np.float32)
        ids = np.where(ok, self.scene.face_object[p], -1).astype(np.int32)
        return Frame(rgb.reshape(*hw, 3), depth.reshape(hw), ids.reshape(hw))


def time_fps(renderer, cameras: list[Camera], min_seconds: float) -> float:
    """Frames per second over whole passes through ``cameras`` lasting at least ``min_seconds``."""
    renderer.render(cameras[0])  # warm caches and scratch buffers
    frames, t0 = 0, time.perf_counter()
    while True:
        for cam in cameras:
            renderer.render(cam)
        frames += len(cameras)
        if time.perf_counter() - t0 >= min_seconds:
            return frames / (time.perf_counter() - t0)


def cpu_ms_per_frame(renderer, cameras: list[Camera], min_seconds: float) -> float:
    """Single-threaded CPU milliseconds per frame: robust to other jobs stealing the cores."""
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        renderer.render(cameras[0])
        frames, c0, t0 = 0, time.process_time(), time.perf_counter()
        while time.perf_counter() - t0 < min_seconds:
            for cam in cameras:
                renderer.render(cam)
            frames += len(cameras)
        return (time.process_time() - c0) / frames * 1000
    finally:
        numba.set_num_threads(old)


def time_fps_batched(renderer, cameras: list[Camera], min_seconds: float, batch: int = 32) -> float:
    """Frames per second through ``render_many`` on batches of ``batch`` frames (the cameras repeated)."""
    from spatial_env.render import render_many

    cams = [cameras[i % len(cameras)] for i in range(batch)]
    render_many(renderer, cams[:2])
    frames, t0 = 0, time.perf_counter()
    while True:
        render_many(renderer, cams)
        frames += len(cams)
        if time.perf_counter() - t0 >= min_seconds:
            return frames / (time.perf_counter() - t0)


def compare_frames(reference, other) -> dict:
    """Agreement of two frames of one camera: share of pixels with the same id, share that also agree on
    depth within 1 mm where hit, largest depth difference where the ids agree (m), RGB mean absolute
    difference (0-255 scale)."""
    same = reference.instance == other.instance
    hit = same & (reference.instance >= 0)
    dz = np.abs(reference.depth.astype(np.float64) - other.depth.astype(np.float64))
    return {"ids": float(same.mean()), "agree": float((same & (~hit | (dz <= 1e-3))).mean()),
            "max_dz": float(dz[hit].max(initial=0.0)),
            "rgb_mad": float(np.abs(reference.rgb.astype(np.int16) - other.rgb.astype(np.int16)).mean())}


def agreement(reference, other, cameras: list[Camera]) -> dict:
    """:func:`compare_frames` over ``cameras``: the worst camera's id and depth agreement, the largest
    depth difference and the mean RGB difference."""
    per = [compare_frames(reference.render(c), other.render(c)) for c in cameras]
    return {"ids": min(p["ids"] for p in per), "agree": min(p["agree"] for p in per),
            "max_dz": max(p["max_dz"] for p in per), "rgb_mad": float(np.mean([p["rgb_mad"] for p in per]))}


def _gl_worker(n_triangles: int, min_seconds: float) -> dict:
    """One triangle count with the gl backend: fps per size (one call per frame), batched fps and CPU time
    at 512², numba fps at 512² on the same cameras, agreement with numba, set-up, peak RSS."""
    from spatial_env.render import make_renderer

    scene = bench_scene(n_triangles)
    t0 = time.perf_counter()
    gl = make_renderer(scene, "gl")
    gl.render(bench_cameras(scene, SIZES[0], n=1)[0])
    setup = time.perf_counter() - t0  # context, upload, shader compilation, first frame
    fps = {size: time_fps(gl, bench_cameras(scene, size), min_seconds) for size in SIZES}
    cams = bench_cameras(scene, 512)
    c0, t0, frames = time.process_time(), time.perf_counter(), 0
    while time.perf_counter() - t0 < min_seconds / 2:
        for cam in cams:
            gl.render(cam)
        frames += len(cams)
    cpu_ms = (time.process_time() - c0) / frames * 1000  # every thread of the process: llvmpipe's too
    batched = time_fps_batched(gl, cams, min_seconds)
    numba = make_renderer(scene, "numba")
    numba_fps = time_fps(numba, cams, min_seconds)
    agree = agreement(numba, gl, cams)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"triangles": scene.num_triangles, "device": gl.device, "fps": fps, "batched_fps_512": batched,
            "cpu_ms_512": cpu_ms, "numba_fps_512": numba_fps, "agreement_512": agree, "setup_s": setup,
            "peak_rss_mb": rss_mb}


def gl_markdown(results: list[dict]) -> str:
    """The gl runs as a markdown table (printed, not written to the README: the numbers are the device's)."""
    lines = ["| triangles | " + " | ".join(f"{s}² fps" for s in SIZES) + " | 512² fps, render_many | "
             "512² CPU ms/frame | numba 512² fps | ids agree | ids + depth ≤ 1 mm | max depth diff, same id | "
             "RGB MAD | set-up | peak RSS |",
             "|---:|" + "---:|" * (len(SIZES) + 9)]
    for r in results:
        a = r["agreement_512"]
        fps = " | ".join(f"{r['fps'][str(s)]:.1f}" for s in SIZES)
        lines.append(f"| {r['triangles']:,} | {fps} | {r['batched_fps_512']:.1f} | {r['cpu_ms_512']:.1f} | "
                     f"{r['numba_fps_512']:.1f} | {a['ids']:.4%} | {a['agree']:.4%} | {a['max_dz'] * 1000:.3f} mm | "
                     f"{a['rgb_mad']:.3f} | {r['setup_s']:.2f} s | {r['peak_rss_mb']:.0f} MiB |")
    lines += ["", (f"gl backend on **{results[0]['device']}**, {os.cpu_count()} CPU cores. fps: wall-clock frames per "
                   "second for RGB + depth + instance ids over the 8 benchmark cameras, one `render` call per frame; "
                   "render_many: batches of 32 frames. CPU ms/frame: process CPU time (all threads, a software "
                   "rasteriser's included). Agreement with numba at 512², worst camera: share of pixels with the "
                   "same instance id, and with the same id and depth within 1 mm where hit; the largest depth "
                   "difference where ids agree (a silhouette pixel may take another face of the same object); "
                   "RGB mean absolute difference on 0-255. Set-up: context, upload, shaders and the first frame.")]
    return "\n".join(lines)


#: Rounds of the Embree comparison: each times Embree and numba back to back (in alternating order), and the
#: ratio reported is the median of the rounds' ratios, so a change in the machine's load during the run moves
#: both sides of a round alike.
RATIO_ROUNDS = 5


def embree_ratio(renderer, scene: Scene, cams: list[Camera], min_seconds: float, rounds: int = RATIO_ROUNDS) -> dict:
    """numba and Embree fps on ``cams`` in ``rounds`` alternating rounds: medians, and the rounds' ratios."""
    embree = EmbreeCaster(scene)
    ratios, e_fps, n_fps = [], [], []
    for k in range(rounds):
        pair = {}
        for name in (("embree", "numba") if k % 2 == 0 else ("numba", "embree")):
            pair[name] = time_fps(embree if name == "embree" else renderer, cams, min_seconds)
        e_fps.append(pair["embree"])
        n_fps.append(pair["numba"])
        ratios.append(pair["numba"] / pair["embree"])
    return {"embree_fps_512": float(np.median(e_fps)), "numba_fps_512": float(np.median(n_fps)),
            "ratios_512": ratios}


def _worker(n_triangles: int, min_seconds: float, embree: bool = True) -> dict:
    """One triangle count in this process: fps and 1-thread CPU time per size, set-up, peak RSS, and (``embree``)
    the Embree comparison."""
    from spatial_env.render import make_renderer

    scene = bench_scene(n_triangles)
    t0 = time.perf_counter()
    renderer = make_renderer(scene)
    renderer.render(bench_cameras(scene, SIZES[0], n=1)[0])
    setup = time.perf_counter() - t0  # renderer construction + first frame (JIT already cached)
    fps = {size: time_fps(renderer, bench_cameras(scene, size), min_seconds) for size in SIZES}
    cpu = {size: cpu_ms_per_frame(renderer, bench_cameras(scene, size), min_seconds / 2) for size in SIZES}
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    import numba

    out = {"triangles": scene.num_triangles, "fps": fps, "cpu_ms": cpu, "setup_s": setup, "peak_rss_mb": rss_mb,
           "threading_layer": numba.threading_layer()}
    if embree:
        # The same cameras through Embree, in the same process and run: the ratio is what the target is on.
        try:
            out.update(embree_ratio(renderer, scene, bench_cameras(scene, 512), min_seconds / 2))
        except ImportError:
            pass
    return out


def _startup() -> dict:
    """Seconds from a bare interpreter to the first rendered frame (import + JIT or cache load)."""
    t0 = time.perf_counter()
    from spatial_env.render import make_renderer

    scene = bench_scene(TRIANGLES[0])
    renderer = make_renderer(scene)
    renderer.render(bench_cameras(scene, 256, n=1)[0])
    return {"first_frame_s": time.perf_counter() - t0}


def _run_child(args: list[str], env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True,
                         env={**os.environ, **(env or {})})
    return json.loads(out.stdout.strip().splitlines()[-1])


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def markdown(results: list[dict], passive: list[dict], startup: dict, load_before: str, load_after: str) -> str:
    """The results as the README's markdown (``passive``: the same runs with OMP_WAIT_POLICY=passive)."""
    import platform

    import numba

    lines = ["| triangles | " + " | ".join(f"{s}² fps (2 threads)" for s in SIZES) + " | "
             + " | ".join(f"{s}² CPU ms/frame (1 thread)" for s in SIZES) + " | first frame | peak RSS |",
             "|---:|" + "---:|" * (2 * len(SIZES) + 2)]
    for r in results:
        fps = " | ".join(f"{r['fps'][str(s)]:.1f}" for s in SIZES)
        cpu = " | ".join(f"{r['cpu_ms'][str(s)]:.1f}" for s in SIZES)
        lines.append(f"| {r['triangles']:,} | {fps} | {cpu} | {r['setup_s']:.2f} s | {r['peak_rss_mb']:.0f} MiB |")
    if all(r.get("embree_fps_512") for r in results):
        lines += ["", f"Against Embree (`EmbreeCaster`: one ray per pixel centre, same RGB + depth + ids), 512², "
                  f"the same 8 cameras, in the same process: {RATIO_ROUNDS} rounds each timing both back to back "
                  f"(fps: medians; ratio: median of the rounds' ratios, and their range):", "",
                  "| triangles | numba fps | Embree fps | numba / Embree | rounds' range |", "|---:|---:|---:|---:|---:|"]
        for r in results:
            q = r["ratios_512"]
            lines.append(f"| {r['triangles']:,} | {r['numba_fps_512']:.1f} | {r['embree_fps_512']:.1f} | "
                         f"{np.median(q):.2f}x | {min(q):.2f}–{max(q):.2f}x |")
    lines += ["", "Same, 2-thread fps with `OMP_WAIT_POLICY=passive` in the environment:", "",
              "| triangles | " + " | ".join(f"{s}² fps" for s in SIZES) + " |", "|---:|" + "---:|" * len(SIZES)]
    for r in passive:
        lines.append(f"| {r['triangles']:,} | " + " | ".join(f"{r['fps'][str(s)]:.1f}" for s in SIZES) + " |")
    lines += [
        "",
        ("fps: wall-clock frames per second for RGB + depth + instance ids, averaged over 8 cameras inside "
         "the room at eye height looking across it (90° hfov). CPU ms/frame: process CPU time per frame "
         "with numba limited to one thread, which other jobs on the machine disturb much less than wall time; an idle 2-core machine should "
         "come close to 2000 / (CPU ms) fps. First frame: renderer construction plus the first 256² frame "
         "in a process whose JIT cache is warm. Peak RSS: the whole benchmark process (scene included)."),
        "",
        (f"Set-up from a bare interpreter to the first frame (generating the ~100k-triangle room included, 256²): "
         f"**{startup['cold']:.1f} s** with an empty JIT cache (compilation), "
         f"**{startup['warm']:.2f} s** in a second process that loads the on-disk cache."),
        "",
        (f"Machine: {os.cpu_count()} CPU cores, numba {numba.__version__} ({numba.config.NUMBA_NUM_THREADS} threads, "
         f"{results[0]['threading_layer']} threading layer), Python {platform.python_version()}. "
         f"Load average (1/5/15 min) before: {load_before}; after: {load_after}."),
    ]
    return "\n".join(lines)


def write_readme(text: str) -> None:
    """Rewrite this benchmark's block of benchmarks/README.md."""
    write_section("render-benchmark", "Rendering", "python benchmarks/render.py", text)


def main() -> None:
    """Run every configuration in a fresh process, print the table, update the README."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="short timings, do not touch the README")
    p.add_argument("--backend", choices=("numba", "gl"), default="numba",
                   help="renderer to time (gl: also its agreement with numba; never writes the README)")
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    p.add_argument("--startup", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--seconds", type=float, default=None, help="minimum timing per configuration")
    p.add_argument("--no-embree", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    seconds = a.seconds if a.seconds is not None else (0.5 if a.quick else 3.0)
    if a.startup:
        print(json.dumps(_startup()))
        return
    if a.worker:
        print(json.dumps(_gl_worker(a.worker, seconds) if a.backend == "gl" else
                         _worker(a.worker, seconds, embree=not a.no_embree)))
        return
    if a.backend == "gl":
        print(gl_markdown([_run_child(["--worker", str(n), "--seconds", str(seconds), "--backend", "gl"])
                           for n in TRIANGLES]))
        return
    load_before = _load()
    with tempfile.TemporaryDirectory() as cache:  # an empty cache dir: the first run must compile
        env = {"NUMBA_CACHE_DIR": cache}
        startup = {"cold": _run_child(["--startup"], env)["first_frame_s"],
                   "warm": _run_child(["--startup"], env)["first_frame_s"]}
    results = [_run_child(["--worker", str(n), "--seconds", str(seconds)]) for n in TRIANGLES]
    passive = [_run_child(["--worker", str(n), "--seconds", str(seconds), "--no-embree"], {"OMP_WAIT_POLICY": "passive"})
               for n in TRIANGLES]
    text = markdown(results, passive, startup, load_before, _load())
    print(text)
    if not a.quick:
        write_readme(text)


if __name__ == "__main__":
    main()
