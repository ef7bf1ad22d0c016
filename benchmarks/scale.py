"""Speed and scale: first-run start-up (cold and warm JIT cache), time to the first question on an uncached
scene against a full bank build, full banks for every default scene and for a room of real-scan size, parallel and
Ray-distributed preparation against serial, the cost of a question, and an estimate for SPAR-7M's scale.
Prints markdown and writes it into benchmarks/README.md (section "Speed and scale").

    python benchmarks/scale.py                  # full run (about 30 minutes on 2 busy cores)
    python benchmarks/scale.py --quick          # 128x128, one scene, no README update
    python benchmarks/scale.py --before DIR     # also time start-up of the package in DIR (an older checkout)

Every measurement that a cache could flatter runs in a fresh process with a fresh frame bank cache; all but
the start-up ones run with a warm JIT cache.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from readme import write_section

SUBSET = ("procedural:living_room-0", "procedural:kitchen-1", "procedural:bathroom-1")
BIG_ROOM = "procedural:seed-14"  # 40 objects, ~216k triangles: the largest generated room of seeds 0-39
SPAR_SCENES, SPAR_QUESTIONS = 4_000, 7_000_000


# ---- children: one measurement per fresh process ------------------------------------------------------------

def child_startup(out: str) -> dict:
    """``spatial-env demo`` with one 256² view, from a bare interpreter (run with NUMBA_CACHE_DIR set)."""
    t0 = time.perf_counter()
    # From another directory: ``-m`` puts the working directory first on sys.path, before PYTHONPATH.
    proc = subprocess.run([sys.executable, "-m", "spatial_env.cli", "demo", "--views", "1", "--resolution", "256",
                           "--out", out], capture_output=True, text=True, check=True, cwd=tempfile.gettempdir())
    seconds = time.perf_counter() - t0
    where = subprocess.run([sys.executable, "-c", "import spatial_env; print(spatial_env.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tempfile.gettempdir()).stdout.strip()
    return {"seconds": seconds, "stderr": proc.stderr[-500:], "source": where}


def child_first_question(env_id: str, scene: str, resolution: int) -> dict:
    """Seconds from ``gym.make`` to the first observation on an uncached scene (fresh bank cache)."""
    import gymnasium as gym

    import spatial_env  # noqa: F401

    with tempfile.TemporaryDirectory() as cache:
        t0 = time.perf_counter()
        env = gym.make(env_id, scenes=[scene], cache_dir=cache, resolution=resolution, progress=False)
        env.reset(seed=0)
        seconds = time.perf_counter() - t0
        bank = env.unwrapped.bank(0)
        units = None if bank.units is None else [len(bank.units) - len(bank.missing_units()), len(bank.units)]
    return {"seconds": seconds, "units": units}


def child_prepare(scenes: list[str], resolution: int, workers: int, ray: bool, cache: str) -> dict:
    """``prepare_banks`` of the Rep2D and SPAR banks of ``scenes`` into ``cache``: wall time, per-bank job
    seconds, bytes, and a digest of every frame's files and record (to compare ways of building)."""
    from spatial_env.distributed import env_banks, prepare_banks
    from spatial_env.frames import load_bank

    if ray:
        import ray as ray_mod

        ray_mod.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    refs = env_banks(["Rep2D-Bbox-v0", "SPAR-Depth-OC-v0"], scenes, cache_dir=cache, resolution=resolution)
    t0 = time.perf_counter()
    report = prepare_banks(refs, workers=workers, ray=ray, progress=False)
    wall = time.perf_counter() - t0
    banks = []
    digest = hashlib.sha256()
    for ref in refs:
        bank = load_bank(ref.scene, ref.spec, cache_dir=cache, progress=False)
        nbytes = sum(p.stat().st_size for sub in ("rgb", "maps") for p in (bank.path / sub).iterdir())
        for f in bank.frames:
            digest.update(bank.image_path(f.index).read_bytes())
            digest.update((bank.path / "maps" / f"{f.index:05d}.npz").read_bytes())
            digest.update(json.dumps(f.to_json()).encode())
        seconds = sum(r["seconds"] for r in report.results if r["bank"] == bank.path.name)
        banks.append({"scene": str(ref.scene), "sampler": ref.spec.sampler, "frames": len(bank),
                      "units": None if bank.units is None else len(bank.units), "seconds": seconds, "bytes": nbytes})
    return {"wall": wall, "banks": banks, "digest": digest.hexdigest(), "jobs": report.jobs}


def child_questions(scene: str, resolution: int, episodes: int, cache: str) -> dict:
    """Export ``episodes`` SPAR-Bench-v0 episodes from a prepared walkthrough bank: seconds and bytes per question."""
    from spatial_env.distributed import env_banks, prepare_banks
    from spatial_env.export import export_episodes

    prepare_banks(env_banks(["SPAR-Bench-v0"], [scene], cache_dir=cache, resolution=resolution), progress=False)
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        path = export_episodes("SPAR-Bench-v0", Path(out) / "x", episodes, scenes=[scene], cache_dir=cache,
                               resolution=resolution, progress=False)
        seconds = time.perf_counter() - t0
        n = len(path.read_text().splitlines())
        nbytes = sum(p.stat().st_size for p in path.parent.rglob("*") if p.is_file())
    return {"seconds_per_question": seconds / n, "bytes_per_question": nbytes / n, "questions": n}


CHILDREN = {"startup": child_startup, "first": child_first_question, "prepare": child_prepare,
            "questions": child_questions}


def run_child(name: str, env: dict | None = None, **kwargs) -> dict:
    """Run one measurement in a fresh interpreter and return its JSON result."""
    proc = subprocess.run([sys.executable, __file__, "--child", name, json.dumps(kwargs)], capture_output=True,
                          text=True, env={**os.environ, **(env or {})})
    if proc.returncode:
        raise RuntimeError(f"{name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---- the run -----------------------------------------------------------------------------------------------

def startup(before: str | None) -> dict:
    """Cold (empty NUMBA_CACHE_DIR) and warm start-up of ``spatial-env demo``, for this tree and ``before``."""
    out = {}
    here = str(Path(__file__).resolve().parents[1])
    trees = {"after": here} if before is None else {"before": before, "after": here}
    for label, tree in trees.items():
        env = {"PYTHONPATH": tree}
        with tempfile.TemporaryDirectory() as jit, tempfile.TemporaryDirectory() as demo:
            env["NUMBA_CACHE_DIR"] = jit
            cold = run_child("startup", env, out=demo)
            warm = run_child("startup", env, out=demo)
        out[label] = {"cold": cold["seconds"], "warm": warm["seconds"],
                      "announced": "compiling the renderer" in cold["stderr"], "source": cold["source"]}
    return out


def main() -> None:
    """Run every measurement, print the markdown, update the README (unless --quick)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="128x128, one scene, no README update")
    p.add_argument("--before", help="a source tree (holding spatial_env/) whose start-up to time as 'before'")
    p.add_argument("--only", choices=sorted(PARTS), help="rerun one part, the others from the last full run's "
                                                         f"saved results ({SAVED})")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("args", nargs="?", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(json.dumps(CHILDREN[a.child](**json.loads(a.args))))
        return
    res = 128 if a.quick else 512
    subset = list(SUBSET[:1] if a.quick else SUBSET)
    results: dict = json.loads(SAVED.read_text()) if a.only else {}
    results.update(resolution=res, subset=subset)
    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    for part in ([a.only] if a.only else PARTS):
        if a.quick and part == "big":
            continue
        print(f"{part} ...", file=sys.stderr)
        results.update(PARTS[part](res, subset, a.before, a.quick))
    results["load"] = (load_before, " / ".join(f"{x:.2f}" for x in os.getloadavg()))
    text = markdown(results)
    print(text)
    if not a.quick:
        SAVED.write_text(json.dumps(results))
        write_readme(text)


def _part_startup(res, subset, before, quick) -> dict:
    return {"startup": startup(before)}


def _part_first(res, subset, before, quick) -> dict:
    return {"first_rep2d": run_child("first", env_id="Rep2D-Bbox-v0", scene=subset[0], resolution=res),
            "first_spar": run_child("first", env_id="SPAR-Depth-OC-v0", scene=subset[0], resolution=res)}


def _part_prepare(res, subset, before, quick) -> dict:
    runs = {}
    for label, workers, ray in (("serial", 1, False), ("2 processes", 2, False), ("Ray, 2 CPUs", 2, True)):
        with tempfile.TemporaryDirectory() as cache:
            runs[label] = run_child("prepare", scenes=subset, resolution=res, workers=workers, ray=ray, cache=cache)
    return {"prepare": runs}


def _part_big(res, subset, before, quick) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        return {"big": run_child("prepare", scenes=[BIG_ROOM], resolution=res, workers=1, ray=False, cache=cache)}


def _part_scenes(res, subset, before, quick) -> dict:
    """Full banks of every default scene the subset leaves out, serially (the subset's come from 'prepare')."""
    from spatial_env.scene.procedural import default_scenes

    rest = [s for s in default_scenes() if s not in subset][:1 if quick else None]
    with tempfile.TemporaryDirectory() as cache:
        return {"scenes": run_child("prepare", scenes=rest, resolution=res, workers=1, ray=False, cache=cache)}


def _part_questions(res, subset, before, quick) -> dict:
    with tempfile.TemporaryDirectory() as cache:
        return {"questions": run_child("questions", scene=subset[0], resolution=res, episodes=10 if quick else 40,
                                       cache=cache)}


PARTS = {"startup": _part_startup, "first": _part_first, "prepare": _part_prepare, "big": _part_big,
         "scenes": _part_scenes, "questions": _part_questions}
#: The last full run's results, so ``--only`` can rerun one part.
SAVED = Path(tempfile.gettempdir()) / "spatial-env-scale-results.json"


def _dur(s: float) -> str:
    if s < 90:
        return f"{s:.1f} s"
    if s < 5400:
        return f"{s / 60:.1f} min"
    if s < 3 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


def markdown(r: dict) -> str:
    """The results as the README's markdown."""
    import platform

    import numba

    res = r["resolution"]
    serial = r["prepare"]["serial"]
    full_views = next(b for b in serial["banks"] if b["sampler"] == "object_views" and b["scene"] == r["subset"][0])
    walk = next(b for b in serial["banks"] if b["sampler"] == "walkthrough" and b["scene"] == r["subset"][0])
    first = r["first_rep2d"]
    lines = ["Start-up: `spatial-env demo --views 1 --resolution 256` from a bare interpreter; cold = empty "
             "`NUMBA_CACHE_DIR` (the renderer compiles), warm = the cache it left.", "",
             "| renderer source | cold | warm | compilation announced |", "|---|---:|---:|---|"]
    for label, s in r["startup"].items():
        lines.append(f"| {label} | {s['cold']:.1f} s | {s['warm']:.1f} s | {'yes' if s['announced'] else 'no'} |")
    lines += ["", f"First question on an uncached scene ({r['subset'][0]}, {res}², warm JIT, fresh bank cache):", "",
              "| | seconds | share of a full bank build |", "|---|---:|---:|",
              f"| full object-views bank ({full_views['units']} objects, {full_views['frames']} frames) | "
              f"{full_views['seconds']:.1f} | 100 % |",
              f"| Rep2D-Bbox-v0 first question, object drawn first (renders {first['units'][0]} of "
              f"{first['units'][1]} objects) | {first['seconds']:.1f} | "
              f"{100 * first['seconds'] / full_views['seconds']:.1f} % |",
              f"| SPAR-Depth-OC-v0 first question (builds the whole {walk['frames']}-frame walk) | "
              f"{r['first_spar']['seconds']:.1f} | (walk bank: {walk['seconds']:.1f} s) |", ""]
    others = r["scenes"]["banks"] if "scenes" in r else []
    default = serial["banks"] + others
    lines += [f"Full banks per scene ({res}², serial, warm JIT; the {len(default) // 2} default scenes, then the "
              f"real-scan-size room):", "", "| scene | objects | object-views frames | seconds | disk | "
              "walkthrough frames | seconds | disk |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    by_scene: dict = {}
    for b in default + (r["big"]["banks"] if "big" in r else []):
        by_scene.setdefault(b["scene"], {})[b["sampler"]] = b
    for scene, kinds in by_scene.items():
        v, w = kinds["object_views"], kinds["walkthrough"]
        lines.append(f"| {scene} | {v['units']} | {v['frames']} | {v['seconds']:.1f} | {v['bytes'] / 1e6:.1f} MB | "
                     f"{w['frames']} | {w['seconds']:.1f} | {w['bytes'] / 1e6:.1f} MB |")
    if others:
        total = sum(b["seconds"] for b in default)
        size = sum(b["bytes"] for b in default)
        views = [b["seconds"] for b in default if b["sampler"] == "object_views"]
        lines += ["", f"All {len(default) // 2} default scenes: {_dur(total)} of serial work and "
                  f"{size / 1e9:.2f} GB on disk; an object-views bank takes {min(views):.0f}-{max(views):.0f} s "
                  f"(median {sorted(views)[len(views) // 2]:.0f} s)."]
    lines += ["", f"Preparing the subset's {len(serial['banks'])} banks ({sum(b['frames'] for b in serial['banks'])} "
              f"frames) into a fresh cache:", "", "| how | wall | speed-up | jobs | same bytes as serial |",
              "|---|---:|---:|---:|---|"]
    for label, run in r["prepare"].items():
        lines.append(f"| {label} | {run['wall']:.1f} s | {serial['wall'] / run['wall']:.2f}x | {run['jobs']} | "
                     f"{'yes' if run['digest'] == serial['digest'] else 'NO'} |")
    q = r["questions"]
    # SPAR-7M at our costs: a 48-frame walkthrough bank per scene (the subset's mean) plus each question played
    # and exported from it; the parallel efficiency is the measured 2-process speed-up over 2.
    walks = [b for b in serial["banks"] if b["sampler"] == "walkthrough"]
    scene_s = sum(b["seconds"] for b in walks) / len(walks)
    scene_b = sum(b["bytes"] for b in walks) / len(walks)
    eff = min(1.0, serial["wall"] / r["prepare"]["2 processes"]["wall"] / 2)
    cpu = SPAR_SCENES * scene_s + SPAR_QUESTIONS * q["seconds_per_question"]
    disk = SPAR_SCENES * scene_b + SPAR_QUESTIONS * q["bytes_per_question"]
    lines += ["", f"A question (SPAR-Bench-v0 from a built bank, played and exported as PNG + JSONL): "
              f"{1000 * q['seconds_per_question']:.0f} ms and {q['bytes_per_question'] / 1e3:.0f} kB "
              f"({q['questions']} questions).", "",
              f"SPAR-7M's scale at these costs ({SPAR_SCENES:,} scenes x {_dur(scene_s)} per walkthrough bank, "
              f"{SPAR_QUESTIONS:,} questions x {1000 * q['seconds_per_question']:.0f} ms; {_dur(cpu)} of one core's "
              f"work, {disk / 1e12:.1f} TB; parallel efficiency {eff:.2f} as measured on 2 processes):", "",
              "| workers (cores) | banks | questions | total |", "|---:|---:|---:|---:|"]
    for n in (1, 16, 64, 256, 1024):
        lines.append(f"| {n} | {_dur(SPAR_SCENES * scene_s / (n * eff))} | "
                     f"{_dur(SPAR_QUESTIONS * q['seconds_per_question'] / (n * eff))} | {_dur(cpu / (n * eff))} |")
    lines += ["", f"Machine: {os.cpu_count()} CPU cores shared with other jobs, numba {numba.__version__}, "
              f"Python {platform.python_version()}. Load average (1/5/15 min) before: {r['load'][0]}; "
              f"after: {r['load'][1]}."]
    return "\n".join(lines)


def write_readme(text: str) -> None:
    """Rewrite this benchmark's block of benchmarks/README.md."""
    write_section("scale-benchmark", "Speed and scale", "python benchmarks/scale.py", text)


if __name__ == "__main__":
    main()
