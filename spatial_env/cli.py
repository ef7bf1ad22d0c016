"""The ``spatial-env`` command: demo renders, scene previews, statistics, dataset export, episodes."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Sequence

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
    """Save one episode as its family pictures it (annotations and the truth) and print its prompt."""
    import gymnasium as gym
    import imageio.v3 as iio

    import spatial_env  # noqa: F401  (registers the envs)

    kwargs = json.loads(args.kwargs) if args.kwargs else {}
    if args.num_views is not None:
        kwargs["num_views"] = args.num_views
    env = gym.make(args.env, render_mode="rgb_array", **kwargs)
    _, info = env.reset(seed=args.seed)
    out = Path(args.out or f"{args.env}-seed{args.seed}.png")
    iio.imwrite(out, env.render())
    print(env.unwrapped.episode.prompt)
    print(f"\nanswer: {info['answer']}\nepisode: {info['episode_id']}\nwrote {out.resolve()}")
    return 0


def cmd_export(args) -> int:
    """Write an env's questions (or a family's whole dataset) to disk as images + JSONL."""
    from .export import export_episodes
    from .tasks import env_specs, families

    scenes = args.scenes.split(",") if args.scenes else None
    if args.what in families():
        family = families()[args.what]
        if family.export is None:
            print(f"family {args.what!r} has no whole-dataset export; export one of its env ids instead: "
                  f"{sorted(e for e, s in env_specs().items() if s['task'] in {t.name for t in family.tasks})}",
                  file=sys.stderr)
            return 2
        print(family.export(Path(args.out), scenes=scenes, resolution=args.resolution or 512,
                            cache_dir=args.cache_dir, progress=True))
        return 0
    kwargs = json.loads(args.kwargs) if args.kwargs else {}
    for key, value in (("scenes", scenes), ("resolution", args.resolution), ("cache_dir", args.cache_dir)):
        if value is not None:
            kwargs[key] = value
    path = export_episodes(args.what, args.out, args.episodes, seed=args.seed, drawn=args.drawn,
                           overwrite=args.overwrite, **kwargs)
    print(f"wrote {path}")
    return 0


def cmd_list(args) -> int:
    """List what exists: env ids (with family and metric), task families, agents, scenes."""
    from .tasks import env_specs, families, get_task

    if args.what == "envs":
        for env_id, spec in sorted(env_specs().items()):
            task = get_task(spec["task"])
            print(f"{env_id:<28} {task.family:<10} {task.metric.name:<16} {task.description}")
    elif args.what == "families":
        for name, fam in sorted(families().items()):
            print(f"{name:<10} {fam.title:<16} {len(fam.envs)} envs  ({fam.paper})")
    elif args.what == "agents":
        from .agents import agent_names

        print("\n".join(agent_names()))
    else:
        from .scene import default_scenes

        print("\n".join(default_scenes()))
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
    e.add_argument("--num-views", type=int, default=None, help="images per question (families that have it)")
    e.add_argument("--kwargs", help="extra gym.make kwargs as JSON, e.g. '{\"annotate_context\": \"draw\"}'")
    e.add_argument("--out")
    e.set_defaults(func=cmd_show_episode)

    x = sub.add_parser("export", help=cmd_export.__doc__)
    x.add_argument("what", help="an env id (its questions) or a family name (its whole dataset, e.g. rep2d)")
    x.add_argument("--out", required=True, help="output directory")
    x.add_argument("--episodes", type=int, default=100, help="episodes to export (env ids)")
    x.add_argument("--seed", type=int, default=0)
    x.add_argument("--drawn", action="store_true", help="also write the family's picture of each question")
    x.add_argument("--overwrite", action="store_true", help="replace a non-empty output directory")
    x.add_argument("--kwargs", help="extra gym.make kwargs as JSON")
    x.add_argument("--scenes", help="comma-separated scene specs (default: the embedded set)")
    x.add_argument("--resolution", type=int, default=None, help="image side in pixels")
    x.add_argument("--cache-dir", help="frame bank cache directory")
    x.set_defaults(func=cmd_export)

    ls = sub.add_parser("list", help=cmd_list.__doc__)
    ls.add_argument("what", choices=["envs", "families", "agents", "scenes"])
    ls.set_defaults(func=cmd_list)

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


def _key_values(pairs: Sequence[str] | None) -> dict[str, Any]:
    """``KEY=VALUE`` strings -> dict, values read as YAML (numbers, booleans, lists, null)."""
    import yaml

    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"expected KEY=VALUE, got {pair!r}")
        out[key.strip().replace("-", "_")] = yaml.safe_load(value)
    return out


def add_eval_arguments(parser) -> None:
    """Add ``spatial-env eval``'s options to an argparse parser."""
    parser.add_argument("--env", required=True, help="env id, e.g. Rep2D-Bbox-v0")
    parser.add_argument("--agent", required=True, help="agent YAML name (see agents/) or path, e.g. qwen2.5-vl-7b")
    parser.add_argument("--episodes", type=int, default=100, help="episodes per number of views (default 100)")
    parser.add_argument("--num-views", default=None, help="comma-separated, e.g. 1,2,5,10 (default: the env's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="run directory (JSONL log; an existing one is resumed)")
    parser.add_argument("--batch-size", type=int, default=None, help="observations per agent call")
    parser.add_argument("--resolution", type=int, default=None, help="image side in pixels")
    parser.add_argument("--scenes", default=None, help="comma-separated scene specs (default: the env's)")
    parser.add_argument("--cache-dir", default=None, help="view bank cache directory")
    parser.add_argument("--env-arg", action="append", metavar="KEY=VALUE", help="extra gym.make argument (repeatable)")
    parser.add_argument("--agent-arg", action="append", metavar="KEY=VALUE",
                        help="override an agent YAML field, e.g. model=/path/to/checkpoint (repeatable)")
    parser.add_argument("--fit-episodes", type=int, default=200, help="training episodes for the prior agent")
    parser.add_argument("--no-scenes", action="store_true", help="summary without per-scene rows")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_eval(args) -> int:
    """``spatial-env eval``: run, print the summary table; returns the exit status."""
    from .agents import AgentError, load_agent
    from .evaluation import EPISODES_FILE, evaluate

    env_kwargs = _key_values(args.env_arg)
    if args.resolution is not None:
        env_kwargs["resolution"] = args.resolution
    if args.scenes:
        env_kwargs["scenes"] = [s.strip() for s in args.scenes.split(",") if s.strip()]
    if args.cache_dir:
        env_kwargs["cache_dir"] = args.cache_dir
    agent = load_agent(args.agent, env_id=args.env, **_key_values(args.agent_arg))
    agent.name = args.agent + "".join(f" {p}" for p in (args.agent_arg or []))
    try:
        results = evaluate(args.env, agent, episodes=args.episodes, seed=args.seed, num_views=args.num_views,
                           out=args.out, batch_size=args.batch_size, fit_episodes=args.fit_episodes,
                           progress=not args.no_progress, **env_kwargs)
    except AgentError as exc:
        print(f"error: {exc}" + (f"\n(the episodes finished so far are in {args.out}; rerun to resume)"
                                 if args.out else ""))
        return 2
    print(results.table(scenes=not args.no_scenes))
    if args.out:
        print(f"\nwrote {Path(args.out) / EPISODES_FILE}; report: spatial-env report {args.out}")
    return 0


def add_report_arguments(parser) -> None:
    """Add ``spatial-env report``'s options to an argparse parser."""
    parser.add_argument("runs", nargs="+", help="run directories (several: one line per run in each plot)")
    parser.add_argument("--out", default=None, help="output directory (default: the first run directory)")
    parser.add_argument("--gallery", type=int, default=4, help="best and worst questions to show (0: none)")
    parser.add_argument("--env-arg", action="append", metavar="KEY=VALUE",
                        help="gym.make override for re-creating gallery episodes (repeatable)")


def run_report(args) -> int:
    """``spatial-env report``: write the report and print its path; returns the exit status."""
    from .report import report

    try:
        path = report(args.runs, out=args.out, gallery=args.gallery, env_kwargs=_key_values(args.env_arg))
    except FileNotFoundError as exc:
        print(f"error: {exc}")
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
