"""The GPU render path end to end, in one run: the gl backend's frames/s at 512² for ~100k and ~1M
triangles (one call per frame and batched), numba's on the same cameras, their agreement, and one
scene's frame-bank build time with renderer="gl" and with renderer="numba". Prints a markdown summary.

    python benchmarks/gpu_check.py            # a GPU machine: under ~5 minutes with 16 cores
    python benchmarks/gpu_check.py --quick    # anywhere with EGL (llvmpipe too): ~2 minutes on 2 cores

Exits non-zero if the two backends disagree beyond the promise (ids on >= 99.5 % of pixels, and there
depth within 1 mm); says so, but still reports, when the gl context is a software rasteriser.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchmarks/render.py: scenes, cameras, timing

from render import agreement, bench_cameras, bench_scene, time_fps, time_fps_batched  # noqa: E402

from spatial_env.frames import FrameBank, FrameSpec  # noqa: E402
from spatial_env.render import gl_backend, make_renderer, resolve_backend  # noqa: E402
from spatial_env.scene import load_scene  # noqa: E402

BANK_SCENE = "procedural:bedroom-0"  # ~170k triangles, 38 objects
# Rep2D's bank (object_views at its defaults: 10 + 2 views per object at 512²): thousands of renders,
# full and amodal, plus annotation and PNG writing
BANK_SPEC = FrameSpec("object_views", {})
QUICK_BANK_SPEC = FrameSpec("object_views", {"resolution": 128, "views_visible": 2, "views_invisible": 1})


@contextlib.contextmanager
def counting_renders():
    """Count calls to and time spent in every backend's ``render`` while the block runs."""
    from spatial_env.render.gl_backend import GLRenderer
    from spatial_env.render.numba_backend import NumbaRenderer

    stats = {"calls": 0, "render_seconds": 0.0}
    originals = {cls: cls.render for cls in (GLRenderer, NumbaRenderer)}

    def wrap(original):
        def render(self, *args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                stats["render_seconds"] += time.perf_counter() - t0
                stats["calls"] += 1
        return render

    for cls, original in originals.items():
        cls.render = wrap(original)
    try:
        yield stats
    finally:
        for cls, original in originals.items():
            cls.render = original


def speed(n_triangles: int, seconds: float) -> dict:
    """gl and numba frames/s at 512² on the benchmark cameras of a room of about ``n_triangles``, and
    their agreement."""
    scene = bench_scene(n_triangles)
    cams = bench_cameras(scene, 512)
    gl, numba = make_renderer(scene, "gl"), make_renderer(scene, "numba")
    return {"triangles": scene.num_triangles, "gl": time_fps(gl, cams, seconds),
            "gl_batched": time_fps_batched(gl, cams, seconds), "numba": time_fps(numba, cams, seconds),
            "agreement": agreement(numba, gl, cams)}


def bank_build(backend: str, spec: FrameSpec) -> dict:
    """Seconds to build ``BANK_SCENE``'s bank for ``spec`` with ``backend``, frames, renders and render time."""
    scene = load_scene(BANK_SCENE)
    with tempfile.TemporaryDirectory() as tmp, counting_renders() as stats:
        t0 = time.perf_counter()
        bank = FrameBank.build(scene, Path(tmp) / "bank", spec, renderer=backend, progress=False)
        seconds = time.perf_counter() - t0
        frames = len(bank)  # while the directory exists: a bank filled on demand reads its units back
    return {"backend": backend, "seconds": seconds, "frames": frames, **stats}


def main() -> int:
    """Run every check and print the summary; 1 if the backends disagree beyond the promise."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="short timings and a small bank (for CPU-only machines)")
    a = p.parse_args()
    seconds = 0.5 if a.quick else 3.0
    t_start = time.perf_counter()
    device = gl_backend.gl_device()
    hardware = gl_backend.hardware_gl_available()
    rows = [speed(n, seconds) for n in (100_000, 1_000_000)]
    spec = QUICK_BANK_SPEC if a.quick else BANK_SPEC
    banks = [bank_build(b, spec) for b in ("gl", "numba")]
    import numba

    out = ["## GPU render path check", "",
           f"- gl device: **{device}** ({'hardware' if hardware else 'software: not a GPU measurement'}); "
           f"`renderer=\"auto\"` resolves to `{resolve_backend('auto')}`",
           f"- machine: {os.cpu_count()} CPU cores, numba {numba.__version__} with {numba.get_num_threads()} threads, "
           f"Python {platform.python_version()}{', quick mode' if a.quick else ''}", "",
           "| triangles | gl fps (render) | gl fps (render_many) | numba fps | gl / numba | ids agree | "
           "ids + depth ≤ 1 mm | max depth diff, same id | RGB MAD |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        g = r["agreement"]
        out.append(f"| {r['triangles']:,} | {r['gl']:.1f} | {r['gl_batched']:.1f} | {r['numba']:.1f} | "
                   f"{max(r['gl'], r['gl_batched']) / r['numba']:.2f}x | {g['ids']:.4%} | {g['agree']:.4%} | "
                   f"{g['max_dz'] * 1000:.3f} mm | {g['rgb_mad']:.3f} |")
    cfg = spec.make().to_dict()
    out += ["", "512² frames, RGB + depth + instance ids, 8 cameras at eye height inside the room "
            "(`benchmarks/render.py`); agreement: worst camera.", "",
            f"Frame bank `{spec.sampler}` of `{BANK_SCENE}` at {cfg['resolution']}² "
            f"({cfg['views_visible']} + {cfg['views_invisible']} views per object):", "",
            "| renderer | build time | frames | render calls | time in render |", "|---|---:|---:|---:|---:|"]
    for b in banks:
        out.append(f"| {b['backend']} | {b['seconds']:.1f} s | {b['frames']} | {b['calls']:,} | "
                   f"{b['render_seconds']:.1f} s |")
    out += ["", f"Total {time.perf_counter() - t_start:.0f} s."]
    print("\n".join(out))
    bad = [r for r in rows if r["agreement"]["ids"] < 0.995 or r["agreement"]["agree"] < 0.995]
    if bad:
        print(f"\nFAIL: gl and numba disagree beyond 0.5 % of pixels at {[r['triangles'] for r in bad]} triangles")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
