"""Renderer speed and memory: fps for RGB + depth + ids at several resolutions and triangle counts,
set-up time (first call with JIT compile, and a second process using the on-disk JIT cache), and
peak RSS. Prints a markdown table and writes it into benchmarks/README.md (section "Rendering").

    python benchmarks/render.py               # full run (about three minutes)
    python benchmarks/render.py --quick       # fewer frames, no README update
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from spatial_env.camera import Camera
from spatial_env.scene import Scene, SceneBuilder, box

SIZES = (256, 512, 1024)
TRIANGLES = (100_000, 1_000_000)
README = Path(__file__).with_name("README.md")
START, END = "<!-- render-benchmark:start -->", "<!-- render-benchmark:end -->"

# Room 8 x 6 x 3 m: the shell plus furniture-sized boxes (size, centre, colour), some overlapping.
_ROOM = (8.0, 6.0, 3.0)
_FURNITURE = [
    ((2.0, 1.6, 0.5), (-2.5, -1.8, 0.25), (70, 90, 190)),    # bed
    ((1.4, 0.8, 0.75), (1.0, 0.5, 0.375), (160, 100, 60)),   # table
    ((0.5, 0.5, 0.9), (1.0, 1.2, 0.45), (60, 150, 80)),      # chair, overlapping the table
    ((0.5, 0.5, 0.9), (1.9, 0.3, 0.45), (60, 150, 80)),      # chair
    ((0.6, 1.8, 2.0), (3.6, -2.0, 1.0), (200, 190, 160)),    # wardrobe
    ((2.2, 0.9, 0.8), (-2.0, 2.4, 0.4), (150, 60, 60)),      # sofa
    ((1.2, 0.6, 0.45), (-2.0, 1.2, 0.225), (120, 120, 120)),  # coffee table
    ((0.4, 0.4, 1.8), (3.7, 2.7, 0.9), (220, 200, 60)),      # lamp
    ((1.6, 0.4, 1.0), (0.0, 2.8, 1.5), (90, 70, 50)),        # wall shelf
    ((0.3, 0.3, 0.3), (1.0, 0.4, 0.9), (200, 40, 40)),       # box on the table
]


def _box_triangles(size, max_edge: float) -> int:
    """Triangles ``box(size, max_edge=...)`` makes (2 per grid cell, 6 faces)."""
    n = [max(1, int(np.ceil(s / max_edge))) for s in size]
    return 4 * (n[0] * n[1] + n[0] * n[2] + n[1] * n[2])


def bench_scene(n_triangles: int) -> Scene:
    """The benchmark scene: a furnished room of boxes tessellated to about ``n_triangles``.

    The one place the scene comes from: swap in the rich generated room here when it lands.
    """
    sizes = [_ROOM] + [f[0] for f in _FURNITURE]
    lo, hi = 1e-3, 10.0  # bisect the edge length: the triangle count falls as it grows
    for _ in range(60):
        mid = (lo * hi) ** 0.5
        lo, hi = (mid, hi) if sum(_box_triangles(s, mid) for s in sizes) > n_triangles else (lo, mid)
    edge = hi
    b = SceneBuilder(f"bench-{n_triangles}", source="benchmark")
    b.add_object("wall", box(_ROOM, (0.0, 0.0, _ROOM[2] / 2), (190, 185, 175), max_edge=edge))
    for i, (size, centre, colour) in enumerate(_FURNITURE):
        b.add_object(f"object{i}", box(size, centre, colour, max_edge=edge), yaw=0.0)
    return b.build()


def bench_cameras(size: int, n: int = 8, seed: int = 0) -> list[Camera]:
    """``n`` cameras at eye height inside the room, looking in varied directions (90 deg hfov)."""
    rng = np.random.default_rng(seed)
    cams = []
    for _ in range(n):
        eye = rng.uniform([-3.0, -2.0, 1.2], [3.0, 2.0, 1.7])
        yaw, pitch = rng.uniform(0, 2 * np.pi), rng.uniform(-0.5, 0.1)
        target = eye + np.array([np.cos(yaw) * np.cos(pitch), np.sin(yaw) * np.cos(pitch), np.sin(pitch)])
        cams.append(Camera.looking_at(eye, target, hfov_deg=90.0, width=size, height=size))
    return cams


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


def _worker(n_triangles: int, min_seconds: float) -> dict:
    """One triangle count in this process: fps and 1-thread CPU time per size, set-up, peak RSS."""
    from spatial_env.render import make_renderer

    scene = bench_scene(n_triangles)
    t0 = time.perf_counter()
    renderer = make_renderer(scene)
    renderer.render(bench_cameras(SIZES[0], n=1)[0])
    setup = time.perf_counter() - t0  # renderer construction + first frame (JIT already cached)
    fps = {size: time_fps(renderer, bench_cameras(size), min_seconds) for size in SIZES}
    cpu = {size: cpu_ms_per_frame(renderer, bench_cameras(size), min_seconds / 2) for size in SIZES}
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    import numba

    return {"triangles": scene.num_triangles, "fps": fps, "cpu_ms": cpu, "setup_s": setup, "peak_rss_mb": rss_mb,
            "threading_layer": numba.threading_layer()}


def _startup() -> dict:
    """Seconds from a bare interpreter to the first rendered frame (import + JIT or cache load)."""
    t0 = time.perf_counter()
    from spatial_env.render import make_renderer

    scene = bench_scene(10_000)
    renderer = make_renderer(scene)
    renderer.render(bench_cameras(256, n=1)[0])
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
    lines += ["", "Same, 2-thread fps with `OMP_WAIT_POLICY=passive` in the environment:", "",
              "| triangles | " + " | ".join(f"{s}² fps" for s in SIZES) + " |", "|---:|" + "---:|" * len(SIZES)]
    for r in passive:
        lines.append(f"| {r['triangles']:,} | " + " | ".join(f"{r['fps'][str(s)]:.1f}" for s in SIZES) + " |")
    lines += [
        "",
        ("fps: wall-clock frames per second for RGB + depth + instance ids, averaged over 8 cameras inside "
         "the room (90° hfov). CPU ms/frame: process CPU time per frame with numba limited to one thread, "
         "which other jobs on the machine disturb much less than wall time; an idle 2-core machine should "
         "come close to 2000 / (CPU ms) fps. First frame: renderer construction plus the first 256² frame "
         "in a process whose JIT cache is warm. Peak RSS: the whole benchmark process (scene included)."),
        "",
        (f"Set-up from a bare interpreter to the first frame (10k triangles, 256²): "
         f"**{startup['cold']:.1f} s** with an empty JIT cache (compilation), "
         f"**{startup['warm']:.2f} s** in a second process that loads the on-disk cache."),
        "",
        (f"Machine: {os.cpu_count()} CPU cores, numba {numba.__version__} ({numba.config.NUMBA_NUM_THREADS} threads, "
         f"{results[0]['threading_layer']} threading layer), Python {platform.python_version()}. "
         f"Load average (1/5/15 min) before: {load_before}; after: {load_after}."),
    ]
    return "\n".join(lines)


def write_readme(text: str) -> None:
    """Replace the block between the markers in the "Rendering" section (create it if missing)."""
    block = f"{START}\n{text}\n{END}"
    old = README.read_text() if README.exists() else "# Benchmarks\n"
    if START in old and END in old:
        new = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, old, flags=re.DOTALL)
    else:
        new = old.rstrip() + "\n\n## Rendering\n\n`python benchmarks/render.py`\n\n" + block + "\n"
    README.write_text(new)


def main() -> None:
    """Run every configuration in a fresh process, print the table, update the README."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="short timings, do not touch the README")
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    p.add_argument("--startup", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--seconds", type=float, default=None, help="minimum timing per configuration")
    a = p.parse_args()
    seconds = a.seconds if a.seconds is not None else (0.5 if a.quick else 3.0)
    if a.startup:
        print(json.dumps(_startup()))
        return
    if a.worker:
        print(json.dumps(_worker(a.worker, seconds)))
        return
    load_before = _load()
    with tempfile.TemporaryDirectory() as cache:  # an empty cache dir: the first run must compile
        env = {"NUMBA_CACHE_DIR": cache}
        startup = {"cold": _run_child(["--startup"], env)["first_frame_s"],
                   "warm": _run_child(["--startup"], env)["first_frame_s"]}
    results = [_run_child(["--worker", str(n), "--seconds", str(seconds)]) for n in TRIANGLES]
    passive = [_run_child(["--worker", str(n), "--seconds", str(seconds)], {"OMP_WAIT_POLICY": "passive"})
               for n in TRIANGLES]
    text = markdown(results, passive, startup, load_before, _load())
    print(text)
    if not a.quick:
        write_readme(text)


if __name__ == "__main__":
    main()
