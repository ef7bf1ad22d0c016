"""Frame banks built ahead of time, in parallel processes or on a Ray cluster, and what a run is about to build.

``prepare_banks(env_banks(["Rep2D-Bbox-v0"]), workers=8)`` (``spatial-env prepare``) fills every missing bank
of the envs' scenes before any question is asked. Work is split into *jobs*: a whole bank (walkthrough,
captured) is one job; a unit bank (object views) is split into ``parts`` jobs that each fill every
``parts``-th object, so a few scenes still keep every worker busy. Jobs run in this process
(``workers=1``), in ``workers`` spawned processes, or as Ray tasks (``ray=True`` for a local cluster, or a
cluster address). Every way fills the same files with the same bytes: units are seeded each on their own and
written atomically (:mod:`spatial_env.frames.bank`), and the renderer's output does not depend on its
thread count. Ray workers write into ``cache_dir`` directly, so on a multi-node cluster it must be storage
every node mounts (checked before any work starts).

:func:`map_tasks` runs any picklable function over a list the same three ways and yields results in order;
``export_episodes`` and the RL ``build_dataset`` use it to play episode ranges in parallel.

:func:`plan_banks` says, without loading scenes, which banks are built, partly filled or missing, and what
the missing part will cost in seconds and bytes: measured per-unit costs of banks of the same spec in the
cache when there are any, else :data:`DEFAULT_COSTS` (measured by ``benchmarks/scale.py``).
"""

from __future__ import annotations

import json
import math
import os
import secrets
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from .frames.bank import FrameSpec, bank_path, default_cache_dir

#: Cost of one unit when the cache has no bank of the same spec to measure, at 512x512 on 2 cores
#: (benchmarks/scale.py): an object's 12 views for ``object_views``, a whole bank otherwise; and how many
#: units a scene has when its bank is not created yet (objects per default generated room).
DEFAULT_COSTS = {
    "object_views": {"seconds": 1.8, "bytes": 2_400_000, "units_per_scene": 28},
    "walkthrough": {"seconds": 4.5, "bytes": 9_500_000, "units_per_scene": 1},
    "captured": {"seconds": 30.0, "bytes": 150_000_000, "units_per_scene": 1},
}


# ---- which banks ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BankRef:
    """One bank to have: a scene spec, the frames it needs, and where banks are cached."""

    scene: Any
    spec: FrameSpec
    cache_dir: str
    renderer: str = "auto"

    @property
    def path(self) -> Path:
        """The bank's directory (whether or not it exists)."""
        return bank_path(self.scene, self.spec, cache_dir=self.cache_dir, renderer=self.renderer)


def env_banks(env_ids: Sequence[str], scenes: Sequence | None = None, **env_kwargs: Any) -> list[BankRef]:
    """The distinct banks the envs draw on (over ``scenes``, default each env's), in scene order."""
    import gymnasium as gym

    import spatial_env  # noqa: F401  (registers the env ids)

    out: dict[Path, BankRef] = {}
    for env_id in env_ids:
        kwargs = dict(env_kwargs)
        if scenes is not None:
            kwargs["scenes"] = list(scenes)
        env = gym.make(env_id, **kwargs).unwrapped  # no bank is opened before reset: cheap
        cache_dir = str(env.cache_dir or default_cache_dir())
        for scene in env.scenes:
            ref = BankRef(scene, env.frame_spec, cache_dir, env.renderer)
            out.setdefault(ref.path, ref)
    return list(out.values())


# ---- what is there, what it costs ------------------------------------------------------------------------

@dataclass
class BankState:
    """A bank's state in the cache and the estimated cost of what is missing."""

    ref: BankRef
    state: str              # "complete", "partial" or "missing"
    units_total: int | None  # objects of a unit bank (None until its manifest exists), 1 for a whole bank
    units_done: int
    seconds: float          # estimated to fill what is missing
    bytes: int
    has_units: bool = False
    unit_seconds: float = 0.0  # estimated per unit (an object of a unit bank, else the whole bank)

    @property
    def missing_units(self) -> int | None:
        """Units still to render (None: not known before the bank is created)."""
        return None if self.units_total is None else self.units_total - self.units_done


@dataclass
class _Costs:
    seconds: float
    bytes: float
    units_per_scene: float
    measured: bool = False


def _state_of(ref: BankRef) -> tuple[str, int | None, int]:
    """(state, units in all, units done) of a bank, from its files."""
    path = ref.path
    index = path / "index.json"
    if not ref.spec.has_units:
        return ("complete", 1, 1) if index.is_file() else ("missing", 1, 0)
    try:
        units = json.loads(index.read_text()).get("units") or []
    except (OSError, ValueError):
        return "missing", None, 0
    try:
        present = {e.name for e in os.scandir(path / "units")}
    except OSError:
        present = set()
    done = sum(f"{u}.json" in present for u in units)
    return ("complete" if done == len(units) else "partial" if done else "missing"), len(units), done


def _measured(ref: BankRef, limit: int = 8) -> _Costs | None:
    """Mean cost per unit, and units per scene, of up to ``limit`` banks of the same spec in the cache."""
    from .render import resolve_backend

    root = Path(ref.cache_dir) / "banks"
    suffix = "-" + ref.spec.key(resolve_backend(ref.renderer))
    try:
        dirs = sorted(p for p in root.iterdir() if p.name.endswith(suffix) and not p.name.startswith("."))[:limit]
    except OSError:
        return None
    seconds = nbytes = 0.0
    units = 0
    scene_units: list[int] = []
    for d in dirs:
        try:
            index = json.loads((d / "index.json").read_text())
            if ref.spec.has_units:
                stats = [json.loads(p.read_text()).get("stats") or {} for p in sorted((d / "units").glob("*.json"))[:64]]
                stats = [s for s in stats if "seconds" in s]
                scene_units.append(len(index.get("units") or []))
            else:
                stats = [{"seconds": index["build_seconds"], "bytes": index.get("bytes", 0)}] \
                    if "build_seconds" in index else []
        except (OSError, ValueError, TypeError, KeyError):
            continue
        seconds += sum(s["seconds"] for s in stats)
        nbytes += sum(s.get("bytes", 0) for s in stats)
        units += len(stats)
    if not units:
        return None
    per_scene = sum(scene_units) / len(scene_units) if scene_units else 1.0
    return _Costs(seconds / units, nbytes / units, per_scene, measured=True)


def _costs(ref: BankRef) -> _Costs:
    """Cost per unit for ``ref``'s spec: measured in the cache, else the defaults scaled to the frame size."""
    found = _measured(ref)
    if found is not None:
        return found
    base = DEFAULT_COSTS.get(ref.spec.sampler, {"seconds": 10.0, "bytes": 20_000_000, "units_per_scene": 1})
    config = ref.spec.make().to_dict()
    scale = (float(config.get("resolution") or 512) / 512.0) ** 2
    frames = float(config.get("frames") or 48) / 48.0 if ref.spec.sampler == "walkthrough" else 1.0
    # Rendering has a per-frame share that does not shrink with the image; pixels and bytes do.
    return _Costs(base["seconds"] * (0.4 + 0.6 * scale) * frames, base["bytes"] * scale * frames,
                  base["units_per_scene"])


def plan_banks(refs: Iterable[BankRef]) -> list[BankState]:
    """The state of each bank and the estimated cost of filling what is missing (scenes are not loaded)."""
    costs: dict[tuple, _Costs] = {}
    out = []
    for ref in refs:
        key = (ref.cache_dir, ref.spec.sampler, json.dumps(ref.spec.config, sort_keys=True), ref.renderer)
        if key not in costs:
            costs[key] = _costs(ref)
        c = costs[key]
        state, total, done = _state_of(ref)
        missing = (c.units_per_scene if total is None else total - done) if state != "complete" else 0
        out.append(BankState(ref, state, total, done, missing * c.seconds, int(missing * c.bytes), ref.spec.has_units,
                             c.seconds))
    return out


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _size(nbytes: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes / 1e3:.0f} kB"


def describe_plan(states: Sequence[BankState], workers: int = 1) -> str:
    """One line per bank spec: how many banks are built, partly filled or missing, and the estimated time
    (on ``workers`` workers) and disk of the rest."""
    groups: dict[tuple, list[BankState]] = {}
    for s in states:
        groups.setdefault((s.ref.spec.sampler, json.dumps(s.ref.spec.config, sort_keys=True)), []).append(s)
    lines = []
    for (sampler, _), group in groups.items():
        n = {k: sum(s.state == k for s in group) for k in ("complete", "partial", "missing")}
        seconds, nbytes = sum(s.seconds for s in group), sum(s.bytes for s in group)
        config = group[0].ref.spec.make().to_dict()
        what = f"{sampler} frames" + (f", {config['resolution']}x{config['resolution']}" if config.get("resolution") else "")
        line = (f"{len(group)} scene(s) ({what}): {n['complete']} built, {n['partial']} partly filled, "
                f"{n['missing']} not in the cache")
        if seconds:
            line += (f"; the rest takes about {_duration(seconds / max(1, min(workers, len(group) * 4)))}"
                     f"{f' on {workers} workers' if workers > 1 else ''} ({_duration(seconds)} of rendering) "
                     f"and {_size(nbytes)}")
        lines.append(line)
    return "\n".join(lines)


# ---- running tasks: here, in processes, on Ray -----------------------------------------------------------

def _init_worker(threads: int) -> None:
    """Process-pool initializer: numba's thread count before numba is imported (workers share the cores)."""
    os.environ.setdefault("NUMBA_NUM_THREADS", str(max(1, threads)))


def _ray_call(fn: Callable, item: Any, threads: int, marker: str | None) -> Any:
    """A Ray task: check the shared cache is visible here, limit numba's threads, run ``fn(item)``."""
    if marker is not None and not os.path.exists(marker):
        import socket

        raise RuntimeError(f"frame bank cache {os.path.dirname(os.path.dirname(marker))} is not visible on Ray node "
                           f"{socket.gethostname()}: on a multi-node cluster point cache_dir / $SPATIAL_ENV_CACHE at "
                           f"storage every node mounts")
    try:
        import numba

        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    except ImportError:
        pass
    return fn(item)


class _RaySession:
    """``ray.init`` for the length of a ``with`` block unless Ray is running already (then it is used as is)."""

    def __init__(self, address: bool | str, num_cpus: int | None):
        if isinstance(address, str) and address not in ("", "local", "auto") and ":" not in address:
            raise ValueError(f"--ray {address!r} is not a Ray cluster address (host:port, ray://host:port or auto); "
                             f"give --ray after the positional arguments, or alone for a local cluster")
        self.address, self.num_cpus, self.started = address, num_cpus, False

    def __enter__(self):
        try:
            import ray
        except ImportError:
            raise ValueError("--ray needs Ray: pip install 'spatial-env[dist]' (ray>=2.10)") from None
        if not ray.is_initialized():
            kwargs = {"include_dashboard": False, "log_to_driver": False}
            if isinstance(self.address, str) and self.address not in ("", "local"):
                kwargs["address"] = self.address
            elif self.num_cpus:
                kwargs["num_cpus"] = self.num_cpus
            ray.init(**kwargs)
            self.started = True
        return ray

    def __exit__(self, *exc) -> None:
        if self.started:
            import ray

            ray.shutdown()


def map_tasks(fn: Callable[[Any], Any], items: Sequence, *, workers: int = 1, ray: bool | str | None = None,
              ordered: bool = True, marker: str | None = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(i, fn(items[i]))`` for every item: in this process (``workers=1``, no Ray), in ``workers``
    spawned processes, or as Ray tasks (``ray=True``: a local cluster or the running one; a string: a
    cluster address). ``ordered`` yields in item order (results that finish early wait), else as they
    finish. ``fn`` and the items must be picklable (module-level functions)."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    items = list(items)
    if not items:
        return
    cpus = os.cpu_count() or 1
    if ray:
        with _RaySession(ray, workers if workers > 1 else None) as ray_mod:
            threads = 1
            remote = ray_mod.remote(num_cpus=1)(_ray_call)
            refs = [remote.remote(fn, item, threads, marker) for item in items]
            index = {ref: i for i, ref in enumerate(refs)}
            if ordered:
                for i, ref in enumerate(refs):
                    yield i, ray_mod.get(ref)
            else:
                pending = list(refs)
                while pending:
                    done, pending = ray_mod.wait(pending, num_returns=1)
                    for ref in done:
                        yield index[ref], ray_mod.get(ref)
        return
    if workers <= 1 or len(items) == 1:
        for i, item in enumerate(items):
            yield i, fn(item)
        return
    import multiprocessing

    # Spawned, not forked: a fork of a process whose OpenMP pool runs would render on one thread.
    with ProcessPoolExecutor(max_workers=min(workers, len(items)), mp_context=multiprocessing.get_context("spawn"),
                             initializer=_init_worker, initargs=(max(1, cpus // workers),)) as pool:
        futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
        if ordered:
            for future, i in futures.items():
                yield i, future.result()
            return
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield futures[future], future.result()


def default_workers() -> int:
    """Worker processes by default: the CPU count."""
    return os.cpu_count() or 1


# ---- preparing banks --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BankJob:
    """Part ``part`` of ``parts`` of one bank: every ``parts``-th unit of a unit bank, or a whole bank."""

    ref: BankRef
    part: int = 0
    parts: int = 1


def run_bank_job(job: BankJob) -> dict:
    """Fill one job's share of its bank (creating the bank if need be); returns what it rendered."""
    from .frames import load_bank

    start = time.monotonic()
    ref = job.ref
    bank = load_bank(ref.scene, ref.spec, cache_dir=ref.cache_dir, renderer=ref.renderer, progress=False)
    rendered = 0
    if bank.units is not None:
        mine = bank.units[job.part::job.parts]
        missing = set(bank.missing_units())
        bank.fill(mine)
        rendered = sum(u in missing for u in mine)
    return {"bank": bank.path.name, "scene_id": bank.scene_id, "units_rendered": rendered,
            "frames": sum(len(bank.targeted(u)) for u in bank.units[job.part::job.parts]) if bank.units is not None
            else len(bank), "seconds": time.monotonic() - start}


@dataclass
class PrepareReport:
    """What :func:`prepare_banks` did."""

    banks: int
    jobs: int
    frames: int
    seconds: float
    results: list[dict] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"prepared {self.banks} frame bank(s) in {_duration(self.seconds)} "
                f"({self.jobs} job(s), {self.frames} frames)")


def bank_jobs(states: Sequence[BankState], workers: int) -> list[BankJob]:
    """Jobs for the banks not complete: a whole bank is one job; a unit bank is split in parts so that
    there are about four jobs per worker (a part is never smaller than a few objects)."""
    todo = [s for s in states if s.state != "complete"]
    if not todo:
        return []
    parts = max(1, min(8, math.ceil(4 * workers / len(todo)))) if workers > 1 else 1
    jobs = []
    for s in todo:
        n = parts if s.has_units else 1
        if s.has_units and s.missing_units is not None:
            n = max(1, min(n, s.missing_units // 3))
        jobs.extend(BankJob(s.ref, k, n) for k in range(n))
    return jobs


def prepare_banks(refs: Sequence[BankRef], *, workers: int = 1, ray: bool | str | None = None,
                  progress: bool = True) -> PrepareReport:
    """Build or fill every missing bank of ``refs`` (see the module doc); one progress bar over all of them
    with an estimated time left, weighted by each job's estimated cost."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    start = time.monotonic()
    states = plan_banks(refs)
    jobs = bank_jobs(states, workers if not ray else max(workers, 2))
    if not jobs:
        return PrepareReport(len(refs), 0, 0, 0.0)
    cost = {s.ref.path: s.seconds for s in states}
    weights = [max(1e-3, cost[j.ref.path] / j.parts) for j in jobs]
    _compile_first(refs)
    marker = None
    if ray:
        root = Path(refs[0].cache_dir) / "banks"
        root.mkdir(parents=True, exist_ok=True)
        marker = str(root / f".ray-visible-{secrets.token_hex(4)}")
        Path(marker).write_text("written by the driver; Ray tasks check they can see it\n")
    bar = _Bar(sum(weights), f"preparing {len(set(j.ref.path for j in jobs))} frame bank(s)", progress)
    results = []
    try:
        for i, result in map_tasks(run_bank_job, jobs, workers=workers, ray=ray, ordered=False, marker=marker):
            results.append(result)
            bar.update(weights[i])
    finally:
        bar.close()
        if marker:
            Path(marker).unlink(missing_ok=True)
    return PrepareReport(len({j.ref.path for j in jobs}), len(jobs), sum(r["frames"] for r in results),
                         time.monotonic() - start, results)


def _compile_first(refs: Sequence[BankRef]) -> None:
    """Compile the renderer here when its cache is cold, so workers load it instead of each compiling it."""
    from .render import resolve_backend

    if any(resolve_backend(r.renderer) == "numba" for r in refs):
        from .render import numba_backend

        if numba_backend.needs_compile() is not False or numba_backend.needs_compile(only_objects=True) is not False:
            numba_backend._warm_up()


class _Bar:
    """One progress display over weighted work: a tqdm bar with its ETA on a terminal, else plain lines with
    an estimate of the time left."""

    def __init__(self, total: float, desc: str, enabled: bool):
        from .progress import LineProgress, is_terminal

        self.total, self.done, self.start = total, 0.0, time.monotonic()
        self.bar = self.lines = None
        if not enabled:
            return
        if is_terminal():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=round(total, 1), desc=desc, unit="s of work", dynamic_ncols=True,
                            bar_format="{l_bar}{bar}| {percentage:.0f}% [{elapsed}<{remaining}]")
        else:
            self.lines = LineProgress(100, desc, unit="%")

    def update(self, weight: float) -> None:
        self.done += weight
        if self.bar is not None:
            self.bar.update(round(weight, 1))
        elif self.lines is not None:
            elapsed = time.monotonic() - self.start
            left = elapsed * (self.total - self.done) / max(self.done, 1e-9)
            self.lines.update(int(100 * self.done / self.total) - self.lines.n, {"left": f"~{_duration(left)}"})

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.lines is not None:
            self.lines.close()


def scenes_for_seeds(env: Any, seeds: Iterable[int]) -> list[int]:
    """Sorted indices of the scenes ``env.reset(seed=s)`` picks for the ``seeds`` (a run's episodes)."""
    return sorted({env.scene_for_seed(int(s)) for s in seeds})


def episode_plan(env: Any, seeds: Sequence[int]) -> str | None:
    """What playing the episodes ``seeds`` on ``env`` (a SpatialEnv) will build, or None when nothing: the
    banks of the scenes they visit that are not complete, their estimated cost, and how to build them ahead."""
    scenes = [env.scenes[i] for i in scenes_for_seeds(env, seeds)]
    refs = [BankRef(s, env.frame_spec, str(env.cache_dir or default_cache_dir()), env.renderer) for s in scenes]
    states = [s for s in plan_banks(refs) if s.state != "complete"]
    if not states:
        return None
    seconds, nbytes = sum(s.seconds for s in states), sum(s.bytes for s in states)
    sampler = env.frame_spec.sampler
    head = (f"frame banks: these {len(seeds)} episode(s) visit {len(scenes)} of {len(env.scenes)} scene(s); "
            f"{len(states)} of their {sampler} banks are not complete in {Path(refs[0].cache_dir) / 'banks'}")
    if env.frame_spec.has_units:
        body = (f"their objects' views are rendered when a question first needs them (about "
                f"{states[0].unit_seconds:.1f} s per "
                f"object; at most {_duration(seconds)} and {_size(nbytes)} if every object is asked about)")
    else:
        body = f"building them takes about {_duration(seconds)} and {_size(nbytes)}, as the episodes reach them"
    return f"{head}: {body}; `spatial-env prepare` builds banks ahead of time, in parallel."
