"""Rep2D environment speed: frame-bank build time per scene, and env steps per second from a built bank.

Usage: python benchmarks/env.py [--scene procedural:living_room-0] [--resolution 512] [--steps 3000]
Targets on a 2-core machine: bank build <= 60 s for a default scene; >= 1000 steps/s from a built bank.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

import gymnasium as gym

import spatial_env  # noqa: F401
from spatial_env.scene import load_scene
from spatial_env.frames import load_bank


def main() -> None:
    """Run the benchmark and print a markdown table."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--scene", default="procedural:living_room-0")
    p.add_argument("--resolution", type=int, default=512)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--num-views", type=int, default=5)
    args = p.parse_args()

    t0 = time.perf_counter()
    load_scene(args.scene)  # generated scenes are cached in-process, so the bank build below reuses it
    t_scene = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as cache:
        make = dict(scenes=[args.scene], cache_dir=cache, resolution=args.resolution, num_views=args.num_views,
                    progress=False)
        # The env's own frame spec, so the timed bank is the one the envs then open.
        spec = gym.make("Rep2D-Bbox-v0", **make).unwrapped.frame_spec
        t0 = time.perf_counter()
        bank = load_bank(args.scene, spec, cache_dir=cache, progress=False)
        t_bank = time.perf_counter() - t0
        rows = [("scene load/generate", f"{t_scene:.2f} s"),
                (f"bank build ({len(bank.by_target)} objects, {len(bank)} views, "
                 f"{len(bank.index['skipped_objects'])} skipped)", f"{t_bank:.1f} s")]
        for env_id in ("Rep2D-Bbox-v0", "Rep2D-Exposure-v0", "Rep2D-CameraPose-v0"):
            env = gym.make(env_id, **make)
            env.reset(seed=0)
            # Warm the image cache once, as a long training run would be.
            for _ in range(200):
                env.step("{'x_min': 0, 'y_min': 0, 'x_max': 500, 'y_max': 500}")
                env.reset()
            t0 = time.perf_counter()
            for _ in range(args.steps):
                env.step("{'x_min': 100, 'y_min': 100, 'x_max': 500, 'y_max': 500}")
                env.reset()
            rate = args.steps / (time.perf_counter() - t0)
            rows.append((f"{env_id} reset+step, {args.num_views} views at {args.resolution}^2", f"{rate:,.0f} /s"))
    rows.append(("peak RSS", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"))
    print("| measure | value |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
