"""The ``spatial-env`` command: demo renders, scene previews, statistics, dataset export, episodes."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEMO_SCENE = "procedural:living_room-0"


def overview_images(scene, count: int, resolution: int, renderer: str = "auto", progress: bool = False):
    """Yield (RGB, colour-mapped depth, coloured instance ids) for ``count`` overview views of ``scene``."""
    from tqdm.auto import tqdm

    from .draw import colorize_depth, colorize_ids
    from .render import make_renderer
    from .scene.walkable import overview_cameras

    r = make_renderer(scene, backend=renderer)
    cams = overview_cameras(scene, count, resolution)
    for cam in tqdm(cams, desc=f"rendering {scene.scene_id}", unit="view", disable=not progress):
        f = r.render(cam)
        yield f.rgb, colorize_depth(f.depth), colorize_ids(f.instance)


def cmd_demo(args) -> int:
    """Render a few views of a default generated room."""
    import imageio.v3 as iio

    from .scene import load_scene

    scene = load_scene(args.scene)
    print(scene.summary())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for k, images in enumerate(overview_images(scene, args.views, args.resolution, args.renderer, progress=True)):
        for name, img in zip(("rgb", "depth", "ids"), images):
            iio.imwrite(out / f"view{k}_{name}.png", img)
    print(f"wrote {3 * args.views} PNGs (RGB, depth, instance ids) to {out.resolve()}")
    return 0


def cmd_show(args) -> int:
    """Render a contact sheet of any loadable scene."""
    import imageio.v3 as iio

    from .draw import contact_sheet
    from .scene import load_scene

    scene = load_scene(args.scene)
    print(scene.summary())
    tiles = [img for images in overview_images(scene, args.views, args.resolution, args.renderer) for img in images]
    out = Path(args.out or f"{scene.scene_id}.png")
    iio.imwrite(out, contact_sheet(tiles, columns=3))
    print(f"wrote {out.resolve()}")
    return 0


def cmd_scenes(args) -> int:
    """List the embedded default scenes (with statistics on request)."""
    from .scene import default_scenes

    if args.stats:
        from .scene.procedural import default_set_stats
        print(default_set_stats())
    else:
        print("\n".join(default_scenes()))
    return 0


def cmd_show_episode(args) -> int:
    """Save one episode as a contact sheet (context boxes green, the true query box red) and print its prompt."""
    import gymnasium as gym
    import imageio.v3 as iio

    import spatial_env  # noqa: F401  (registers the envs)

    kwargs = json.loads(args.kwargs) if args.kwargs else {}
    env = gym.make(args.env, render_mode="rgb_array", num_views=args.num_views, **kwargs)
    _, info = env.reset(seed=args.seed)
    out = Path(args.out or f"{args.env}-seed{args.seed}.png")
    iio.imwrite(out, env.render())
    print(env.unwrapped.episode.prompt)
    print(f"\nanswer: {info['answer']}\nepisode: {info['episode_id']}\nwrote {out.resolve()}")
    return 0


def cmd_export(args) -> int:
    """Write a task family's whole dataset to disk and print its statistics."""
    from .export import export_rep2d

    if args.family != "rep2d":
        print(f"unknown dataset family {args.family!r}; available: rep2d", file=sys.stderr)
        return 2
    scenes = args.scenes.split(",") if args.scenes else None
    stats = export_rep2d(Path(args.out), scenes=scenes, resolution=args.resolution, cache_dir=args.cache_dir)
    print(stats)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``spatial-env`` command."""
    p = argparse.ArgumentParser(prog="spatial-env", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help=cmd_demo.__doc__)
    d.add_argument("--scene", default=DEMO_SCENE)
    d.add_argument("--out", default="spatial_env_demo")
    d.add_argument("--views", type=int, default=4)
    d.add_argument("--resolution", type=int, default=512)
    d.add_argument("--renderer", default="auto")
    d.set_defaults(func=cmd_demo)

    s = sub.add_parser("show", help=cmd_show.__doc__)
    s.add_argument("scene", help="a Replica/ScanNet scene directory or procedural:<name>")
    s.add_argument("--out")
    s.add_argument("--views", type=int, default=4)
    s.add_argument("--resolution", type=int, default=384)
    s.add_argument("--renderer", default="auto")
    s.set_defaults(func=cmd_show)

    sc = sub.add_parser("scenes", help=cmd_scenes.__doc__)
    sc.add_argument("--stats", action="store_true", help="objects, categories and triangles per scene")
    sc.set_defaults(func=cmd_scenes)

    e = sub.add_parser("show-episode", help=cmd_show_episode.__doc__)
    e.add_argument("env", nargs="?", default="Rep2D-Bbox-v0")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--num-views", type=int, default=5)
    e.add_argument("--kwargs", help="extra gym.make kwargs as JSON, e.g. '{\"annotate_context\": \"draw\"}'")
    e.add_argument("--out")
    e.set_defaults(func=cmd_show_episode)

    x = sub.add_parser("export", help=cmd_export.__doc__)
    x.add_argument("family", choices=["rep2d"])
    x.add_argument("--out", required=True)
    x.add_argument("--scenes", help="comma-separated scene specs (default: the embedded set)")
    x.add_argument("--resolution", type=int, default=512)
    x.add_argument("--cache-dir")
    x.set_defaults(func=cmd_export)

    from .evaluation import add_eval_arguments, run_eval
    from .report import add_report_arguments, run_report

    ev = sub.add_parser("eval", help="evaluate an agent on an environment (resumable JSONL + summary table)")
    add_eval_arguments(ev)
    ev.set_defaults(func=run_eval)
    rp = sub.add_parser("report", help="write an HTML report (plots, failure rate, gallery) of eval runs")
    add_report_arguments(rp)
    rp.set_defaults(func=run_report)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``spatial-env`` command."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError) as e:
        print(f"spatial-env: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
