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

    from .progress import is_terminal

    r = make_renderer(scene, backend=renderer)
    cams = overview_cameras(scene, count, resolution)
    if progress and not is_terminal():
        # Piped to a file: one plain line instead of a bar's escape codes.
        print(f"rendering {len(cams)} views of {scene.scene_id}", file=sys.stderr, flush=True)
    for cam in tqdm(cams, desc=f"rendering {scene.scene_id}", unit="view", disable=not progress or not is_terminal()):
        f = r.render(cam)
        yield f.rgb, colorize_depth(f.depth), colorize_ids(f.instance)


def cmd_demo(args) -> int:
    """Render a few views of a default generated room."""
    import imageio.v3 as iio

    from .render import resolve_backend
    from .scene import load_scene

    if resolve_backend(args.renderer) == "numba":  # a cold JIT cache compiles while the scene loads
        from .render.numba_backend import start_warm_up

        start_warm_up()
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
    from .export import check_unique_scene_ids, export_episodes, export_family
    from .tasks import env_specs, families

    scenes = [s.strip() for s in args.scenes.split(",") if s.strip()] if args.scenes else None
    if scenes:
        check_unique_scene_ids(scenes)
    if args.what in families():
        family = families()[args.what]
        if family.export is None:
            print(f"family {args.what!r} has no whole-dataset export; export one of its env ids instead: "
                  f"{sorted(e for e, s in env_specs().items() if s['task'] in {t.name for t in family.tasks})}",
                  file=sys.stderr)
            return 2
        print(export_family(args.what, args.out, scenes=scenes, overwrite=args.overwrite,
                            resolution=args.resolution or 512, cache_dir=args.cache_dir,
                            progress=not args.no_progress, workers=_workers(args, 1), ray=args.ray))
        return 0
    kwargs = json.loads(args.kwargs) if args.kwargs else {}
    for key, value in (("scenes", scenes), ("resolution", args.resolution), ("cache_dir", args.cache_dir)):
        if value is not None:
            kwargs[key] = value
    path = export_episodes(args.what, args.out, args.episodes, seed=args.seed, drawn=args.drawn,
                           overwrite=args.overwrite, workers=_workers(args, 1), ray=args.ray, **kwargs)
    print(f"wrote {path}")
    return 0


def cmd_prepare(args) -> int:
    """Build the frame banks of envs' scenes ahead of time, in parallel processes or on a Ray cluster."""
    from .distributed import default_workers, describe_plan, env_banks, plan_banks, prepare_banks
    from .export import check_unique_scene_ids
    from .tasks import env_specs

    env_ids = _env_ids(args.env) if args.env else sorted(env_specs())
    kwargs = _key_values(args.env_arg)
    if args.resolution is not None:
        kwargs["resolution"] = args.resolution
    if args.cache_dir:
        kwargs["cache_dir"] = args.cache_dir
    scenes = [s.strip() for s in args.scenes.split(",") if s.strip()] if args.scenes else None
    if scenes:
        check_unique_scene_ids(scenes)
    workers = _workers(args, default_workers())
    refs = env_banks(env_ids, scenes, **kwargs)
    states = plan_banks(refs)
    print(describe_plan(states, workers), flush=True)
    if all(s.state == "complete" for s in states):
        print("nothing to build")
        return 0
    if args.dry_run:
        return 0
    report = prepare_banks(refs, workers=workers, ray=args.ray, progress=not args.no_progress)
    print(report)
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

    renderer_help = "render backend (auto = numba, the CPU rasteriser; default: auto)"
    d = sub.add_parser("demo", help=cmd_demo.__doc__, description=cmd_demo.__doc__)
    d.add_argument("--scene", default=DEMO_SCENE,
                   help=f"scene to render: a Replica/ScanNet directory or procedural:<name> (default {DEMO_SCENE})")
    d.add_argument("--out", default="spatial_env_demo", help="directory for the PNGs (default: spatial_env_demo)")
    d.add_argument("--views", type=int, default=4, help="overview views to render (default 4)")
    d.add_argument("--resolution", type=int, default=512, help="image side in pixels (default 512)")
    d.add_argument("--renderer", default="auto", help=renderer_help)
    d.set_defaults(func=cmd_demo)

    s = sub.add_parser("show", help=cmd_show.__doc__, description=cmd_show.__doc__)
    s.add_argument("scene", help="a Replica/ScanNet scene directory or procedural:<name>")
    s.add_argument("--out", help="PNG to write (default: <scene id>.png in the current directory)")
    s.add_argument("--views", type=int, default=4, help="overview views in the sheet (default 4)")
    s.add_argument("--resolution", type=int, default=384, help="image side in pixels (default 384)")
    s.add_argument("--renderer", default="auto", help=renderer_help)
    s.set_defaults(func=cmd_show)

    sc = sub.add_parser("scenes", help=cmd_scenes.__doc__)
    sc.add_argument("--stats", action="store_true", help="objects, categories and triangles per scene")
    sc.set_defaults(func=cmd_scenes)

    e = sub.add_parser("show-episode", help=cmd_show_episode.__doc__, description=cmd_show_episode.__doc__)
    e.add_argument("env", nargs="?", default="Rep2D-Bbox-v0",
                   help="env id (spatial-env list envs; default Rep2D-Bbox-v0)")
    e.add_argument("--seed", type=int, default=0, help="reset seed of the episode (default 0)")
    e.add_argument("--num-views", type=int, default=None, help="images per question (families that have it)")
    e.add_argument("--kwargs", help="extra gym.make kwargs as JSON, e.g. '{\"annotate_context\": \"draw\"}'")
    e.add_argument("--out", help="PNG to write (default: <env>-seed<seed>.png in the current directory)")
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
    x.add_argument("--no-progress", action="store_true", help="no progress output while building frame banks")
    add_parallel_arguments(x, default_workers="1")
    x.set_defaults(func=cmd_export)

    pr = sub.add_parser("prepare", help=cmd_prepare.__doc__, description=cmd_prepare.__doc__ + (
        " Prints what is built, partly filled and missing, with estimated time and disk, then fills the rest "
        "with one progress bar. Output is the same however it is split."))
    pr.add_argument("--env", default=None, help="env id(s), comma-separated (default: every registered env; "
                                                 "envs sharing a bank build it once)")
    pr.add_argument("--scenes", default=None, help="comma-separated scene specs (default: each env's, the embedded set)")
    pr.add_argument("--resolution", type=int, default=None, help="image side in pixels (default: each env's)")
    pr.add_argument("--env-arg", action="append", metavar="KEY=VALUE", help="extra gym.make argument (repeatable)")
    pr.add_argument("--cache-dir", default=None, help="frame bank cache directory")
    pr.add_argument("--dry-run", action="store_true", help="print the plan only")
    pr.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_parallel_arguments(pr, default_workers="the CPU count")
    pr.set_defaults(func=cmd_prepare)

    ls = sub.add_parser("list", help=cmd_list.__doc__)
    ls.add_argument("what", choices=["envs", "families", "agents", "scenes"])
    ls.set_defaults(func=cmd_list)

    ev = sub.add_parser("eval", help="evaluate an agent on an environment (resumable JSONL + summary table)")
    add_eval_arguments(ev)
    ev.set_defaults(func=run_eval)
    rp = sub.add_parser("report", help="write an HTML report (plots, failure rate, gallery) of eval runs")
    add_report_arguments(rp)
    rp.set_defaults(func=run_report)
    cp = sub.add_parser("compare", help="compare eval runs in one table (runs x envs x views: mean, 95%% CI, "
                                        "parse-failure and error rates) as Markdown, HTML and CSV")
    add_compare_arguments(cp)
    cp.set_defaults(func=run_compare)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``spatial-env`` command."""
    import gymnasium as gym

    from .agents import AgentError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except gym.error.UnregisteredEnv as e:  # Gymnasium's own message carries its "Did you mean"
        print(f"spatial-env: error: {e} (spatial-env list envs shows them all)", file=sys.stderr)
        return 2
    except (ValueError, OSError, AgentError) as e:
        # One line for what a user can fix (a path, a setting, a key, a read-only cache); bugs keep tracebacks.
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


def add_parallel_arguments(parser, default_workers: str) -> None:
    """Add ``--workers`` and ``--ray`` (parallel processes, or a Ray cluster) to an argparse parser."""
    parser.add_argument("--workers", type=int, default=None,
                        help=f"parallel worker processes (default: {default_workers}); with --ray, CPUs of a local cluster")
    parser.add_argument("--ray", nargs="?", const=True, default=None, metavar="ADDRESS",
                        help="run on Ray: a local cluster, or the cluster at ADDRESS (e.g. ray://head:10001; its "
                             "nodes must mount the cache directory); needs pip install 'spatial-env[dist]'")


def _workers(args, default: int) -> int:
    """``--workers``, or ``default`` when not given; checked."""
    workers = args.workers if args.workers is not None else default
    if workers < 1:
        raise ValueError(f"--workers must be >= 1, got {workers}")
    return workers


def add_eval_arguments(parser) -> None:
    """Add ``spatial-env eval``'s options to an argparse parser."""
    parser.add_argument("--env", required=True,
                        help="env id, e.g. Rep2D-Bbox-v0, or several comma-separated (one run directory each "
                             "under --out); spatial-env list envs shows them")
    parser.add_argument("--agent", required=True, help="agent YAML name (see agents/) or path, e.g. qwen2.5-vl-7b")
    parser.add_argument("--episodes", type=int, default=100, help="episodes per number of views (default 100)")
    parser.add_argument("--num-views", default=None, help="comma-separated, e.g. 1,2,5,10 (default: the env's)")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (default 0)")
    parser.add_argument("--out", default=None,
                        help="run directory (JSONL log; an existing one is resumed); with several envs, the "
                             "directory holding one run directory per env")
    parser.add_argument("--batch-size", type=int, default=None, help="observations per agent call")
    parser.add_argument("--resolution", type=int, default=None, help="image side in pixels")
    parser.add_argument("--scenes", default=None, help="comma-separated scene specs (default: the env's)")
    parser.add_argument("--cache-dir", default=None, help="frame bank cache directory")
    parser.add_argument("--env-arg", action="append", metavar="KEY=VALUE", help="extra gym.make argument (repeatable)")
    parser.add_argument("--agent-arg", action="append", metavar="KEY=VALUE",
                        help="override an agent YAML field, e.g. model=/path/to/checkpoint (repeatable; fields "
                             "named like secrets, such as api_key, are never written anywhere)")
    parser.add_argument("--fit-episodes", type=int, default=200, help="training episodes for the prior agent")
    parser.add_argument("--retry-errors", action="store_true",
                        help="in a resumed run, ask again the questions whose agent call failed")
    parser.add_argument("--no-scenes", action="store_true", help="summary without per-scene rows")
    parser.add_argument("--no-progress", action="store_true", help="no progress output")


def _agent_label(name: str, pairs: Sequence[str] | None) -> str:
    """The agent's name in run.json and reports: the YAML and its overrides, without secret ones."""
    from .evaluation import is_secret_name

    shown = [p for p in pairs or [] if not is_secret_name(p.partition("=")[0].strip().replace("-", "_"))]
    return name + "".join(f" {p}" for p in shown)


def _env_ids(text: str) -> list[str]:
    """The env ids of ``--env`` (comma-separated), each checked against the registry."""
    import gymnasium as gym

    import spatial_env  # noqa: F401  (registers the envs)

    ids = [e.strip() for e in text.split(",") if e.strip()]
    if not ids:
        raise ValueError("--env names no env id")
    if len(set(ids)) != len(ids):
        raise ValueError(f"--env names an env twice: {text!r}")
    for env_id in ids:
        gym.spec(env_id.split(":", 1)[-1])  # raises Gymnasium's "doesn't exist. Did you mean ..."
    return ids


def run_eval(args) -> int:
    """``spatial-env eval``: run (each env of ``--env``), print the summary tables; returns the exit status."""
    from .agents import AgentError, load_agent
    from .agents.registry import NEEDS_TASK, agent_spec
    from .evaluation import EPISODES_FILE, evaluate, redact, secret_values
    from .export import check_unique_scene_ids

    env_ids = _env_ids(args.env)
    env_kwargs = _key_values(args.env_arg)
    if args.resolution is not None:
        env_kwargs["resolution"] = args.resolution
    if args.scenes:
        env_kwargs["scenes"] = [s.strip() for s in args.scenes.split(",") if s.strip()]
        check_unique_scene_ids(env_kwargs["scenes"])
    if args.cache_dir:
        env_kwargs["cache_dir"] = args.cache_dir
    overrides = _key_values(args.agent_arg)
    spec = {**agent_spec(args.agent), **overrides}
    # Scripted agents answer in their task's format, so each env gets its own; a model is loaded once.
    per_env = spec.get("type") in NEEDS_TASK and spec.get("task") is None
    agents: dict[str, Any] = {}
    for env_id in env_ids:
        if per_env or not agents:
            agents[env_id] = load_agent(args.agent, env_id=env_id, **overrides)
            agents[env_id].name = _agent_label(args.agent, args.agent_arg)
        else:
            agents[env_id] = next(iter(agents.values()))
    outs = {e: (Path(args.out) / e if len(env_ids) > 1 else Path(args.out)) if args.out else None for e in env_ids}
    for env_id in env_ids:
        try:
            results = evaluate(env_id, agents[env_id], episodes=args.episodes, seed=args.seed,
                               num_views=args.num_views, out=outs[env_id], batch_size=args.batch_size,
                               fit_episodes=args.fit_episodes, progress=not args.no_progress,
                               retry_errors=args.retry_errors, **env_kwargs)
        except AgentError as exc:  # the agent cannot run at all (a failed question is recorded instead)
            print(f"error: {redact(str(exc), secret_values(agents[env_id]))}"
                  + (f"\n(the episodes finished so far are in {outs[env_id]}; rerun to resume)"
                     if outs[env_id] else ""), file=sys.stderr)
            return 2
        if len(env_ids) > 1:
            print(f"\n== {env_id} ==")
        print(results.table(scenes=not args.no_scenes))
        from .tasks import family_of

        if len({r.get("question_type") for r in results.records}) > 1 and family_of(env_id).groups:
            print("\n" + results.benchmark_table())  # laid out as the paper's table (SPAR Table 4, MultiSPA Table 2)
        failed = sum(1 for r in results.records if r.get("error"))
        if failed:
            print(f"\n{failed} question(s) got no answer from the agent (recorded with the worst score; "
                  f"see the 'error' field)" + ("; rerun with --retry-errors to ask them again" if args.out else ""))
        if outs[env_id]:
            print(f"\nwrote {outs[env_id] / EPISODES_FILE}")
    if args.out:
        print(f"report: spatial-env report {args.out}" + ("" if len(env_ids) == 1 else
                                                           f"; table: spatial-env compare {args.out}"))
    return 0


def add_report_arguments(parser) -> None:
    """Add ``spatial-env report``'s options to an argparse parser."""
    parser.add_argument("runs", nargs="+", help="run directories (several: one line per run in each plot; a "
                                                "directory of run directories counts as each of them)")
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


def add_compare_arguments(parser) -> None:
    """Add ``spatial-env compare``'s options to an argparse parser."""
    parser.add_argument("runs", nargs="+", help="run directories (a directory of run directories counts as each)")
    parser.add_argument("--out", default=None,
                        help="directory for compare.html, compare.md and compare.csv (default: print Markdown only)")
    parser.add_argument("--scenes", action="store_true", help="add a row per scene")


def run_compare(args) -> int:
    """``spatial-env compare``: print the comparison as Markdown (and write the files with ``--out``)."""
    from .report import comparison, comparison_markdown, write_comparison

    rows = comparison(args.runs, scenes=args.scenes)
    print(comparison_markdown(rows))
    if args.out:
        for path in write_comparison(rows, args.out):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
