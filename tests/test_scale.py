"""Speed and scale: banks filled on demand equal banks built in full; parallel, concurrent and Ray-distributed
generation give the same bytes as the serial path; first-run compilation and build plans are announced."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import spatial_env  # noqa: F401  (registers the env ids)
from spatial_env.cli import main
from spatial_env.distributed import BankRef, env_banks, plan_banks, prepare_banks
from spatial_env.frames import FrameBank, FrameSpec, load_bank

SAMPLER = {"views_visible": 4, "views_invisible": 2, "max_tries": 150}
VIEWS = FrameSpec("object_views", {**SAMPLER, "resolution": 48})
REP2D = {"resolution": 48, "sampler": SAMPLER, "num_views": 3}
SPAR = {"resolution": 48}
TESTS = Path(__file__).parent


def _bank_files(bank: FrameBank) -> dict[str, bytes]:
    """Every stored frame's PNG and NPZ bytes, and its record, keyed by frame index."""
    out = {}
    for f in bank.frames:
        out[f"{f.index}.png"] = bank.image_path(f.index).read_bytes()
        out[f"{f.index}.npz"] = (bank.path / "maps" / f"{f.index:05d}.npz").read_bytes()
        out[f"{f.index}.json"] = json.dumps(f.to_json()).encode()
    return out


def _episodes(env_id: str, seeds, **kwargs) -> list[bytes]:
    """Each seed's first two questions, as bytes: images, prompt and info."""
    env = gym.make(env_id, **kwargs)
    out = []
    for seed in seeds:
        obs, info = env.reset(seed=seed)
        _, _, _, _, step = env.step(info["answer"])
        out.append(obs["images"].tobytes() + json.dumps([obs["prompt"], info, sorted(step)], default=str).encode())
    return out


# ---- banks filled on demand ------------------------------------------------------------------------------

def test_a_bank_filled_object_by_object_in_any_order_equals_one_built_in_full(tmp_path, test_room):
    full = FrameBank.build(test_room, tmp_path / "full", VIEWS, progress=False)
    lazy = load_bank(test_room, VIEWS, cache_dir=tmp_path / "cache", progress=False)
    assert lazy.units == test_room.object_ids() and lazy.missing_units() == lazy.units  # nothing rendered yet
    third = lazy.units[2]
    shown = lazy.targeted(third, "visible")
    assert lazy.missing_units() == [u for u in lazy.units if u != third]  # one object's views only
    assert shown == full.targeted(third, "visible") and len(shown) == 4
    # The same object is drawn from the same generator state, whatever is on disk.
    draws = [(lazy.draw_target("visible", 3, np.random.default_rng(s)),
              full.draw_target("visible", 3, np.random.default_rng(s))) for s in range(8)]
    assert all(a == b for a, b in draws)
    lazy.fill(list(reversed(lazy.units)))
    assert lazy.missing_units() == [] and _bank_files(lazy) == _bank_files(full)
    assert lazy.by_target == full.by_target and len(lazy) == len(full) == 6 * len(lazy.units)
    # A fresh process (here: a fresh object) reads the units the first one wrote; nothing is rendered again.
    again = load_bank(test_room, VIEWS, cache_dir=tmp_path / "cache", progress=False)
    assert again.missing_units() == [] and _bank_files(again) == _bank_files(full)


def test_a_damaged_unit_is_rendered_again(tmp_path, test_room):
    bank = load_bank(test_room, VIEWS, cache_dir=tmp_path, progress=False)
    unit = bank.units[0]
    frames = bank.targeted(unit)
    (bank.path / "rgb" / f"{frames[1]:05d}.png").unlink()
    fresh = load_bank(test_room, VIEWS, cache_dir=tmp_path, progress=False)
    assert fresh.targeted(unit) == frames and fresh.rgb(frames[1]).shape == (48, 48, 3)


def test_rep2d_episodes_are_the_same_from_lazy_and_full_banks(tmp_path, test_room):
    full_cache, lazy_cache = tmp_path / "full", tmp_path / "lazy"
    load_bank(test_room, VIEWS, cache_dir=full_cache, progress=False, fill=True)
    # Rep2D draws its object first (FrameBank.draw_target), so a question renders just its object's views.
    env = gym.make("Rep2D-Exposure-v0", scenes=[test_room], cache_dir=str(lazy_cache), **REP2D)
    env.reset(seed=0)
    bank = env.unwrapped.bank(0)
    assert 1 <= len(bank.units) - len(bank.missing_units()) < len(bank.units)
    seeds = range(6)
    for env_id in ("Rep2D-Bbox-v0", "Rep2D-Exposure-v0"):
        lazy = _episodes(env_id, seeds, scenes=[test_room], cache_dir=str(lazy_cache), **REP2D)
        assert lazy == _episodes(env_id, seeds, scenes=[test_room], cache_dir=str(full_cache), **REP2D)


def test_walkthrough_episodes_are_the_same_whoever_built_the_bank(tmp_path, test_room):
    ref = env_banks(["SPAR-Depth-OC-v0"], [test_room], cache_dir=str(tmp_path / "prepared"), **SPAR)
    assert len(ref) == 1 and not ref[0].spec.has_units  # a walk is built whole
    prepare_banks(ref, workers=1, progress=False)
    seeds = range(4)
    assert _episodes("SPAR-Depth-OC-v0", seeds, scenes=[test_room], cache_dir=str(tmp_path / "prepared"), **SPAR) == \
        _episodes("SPAR-Depth-OC-v0", seeds, scenes=[test_room], cache_dir=str(tmp_path / "on_demand"), **SPAR)


_FILLER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from conftest import make_test_room
    from spatial_env.frames import FrameSpec, load_bank
    room = make_test_room()
    bank = load_bank(room, FrameSpec("object_views", {config!r}), cache_dir={cache!r}, progress=False)
    units = bank.units if sys.argv[1] == "forward" else bank.units[::-1]
    bank.fill(units)
    print(len(bank))
""")


def test_two_processes_filling_one_bank_leave_a_valid_bank(tmp_path, test_room):
    script = _FILLER.format(tests=str(TESTS), config=VIEWS.config, cache=str(tmp_path / "cache"))
    procs = [subprocess.Popen([sys.executable, "-c", script, order], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for order in ("forward", "backward")]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1][-2000:] for o in outs]
    full = FrameBank.build(test_room, tmp_path / "full", VIEWS, progress=False)
    bank = load_bank(test_room, VIEWS, cache_dir=tmp_path / "cache", progress=False)
    assert bank.missing_units() == [] and _bank_files(bank) == _bank_files(full)
    leftovers = [p.name for sub in ("rgb", "maps", "units") for p in (bank.path / sub).iterdir() if p.name.startswith(".")]
    assert leftovers == []  # every temporary file was renamed into place


# ---- parallel and distributed preparation -------------------------------------------------------------------

def _refs(cache: Path, room) -> list[BankRef]:
    return [BankRef(room, VIEWS, str(cache)), BankRef(room, FrameSpec("walkthrough", {"frames": 8, "resolution": 48}),
                                                       str(cache))]


def _all_files(refs) -> dict:
    return {(r.spec.sampler, k): v for r in refs for k, v in _bank_files(load_bank(r.scene, r.spec,
                                                                                   cache_dir=r.cache_dir,
                                                                                   progress=False)).items()}


def test_parallel_prepare_equals_serial_and_plans_what_is_left(tmp_path, test_room):
    serial, parallel = _refs(tmp_path / "serial", test_room), _refs(tmp_path / "parallel", test_room)
    before = plan_banks(parallel)
    assert [s.state for s in before] == ["missing", "missing"] and all(s.seconds > 0 and s.bytes > 0 for s in before)
    prepare_banks(serial, workers=1, progress=False)
    report = prepare_banks(parallel, workers=2, progress=False)
    assert report.jobs > 2  # the object bank was split between the workers
    assert [s.state for s in plan_banks(parallel)] == ["complete", "complete"]
    assert _all_files(parallel) == _all_files(serial)
    assert prepare_banks(parallel, workers=2, progress=False).jobs == 0  # nothing left to do




@pytest.fixture(scope="module")
def local_ray():
    ray_mod = pytest.importorskip("ray")
    ray_mod.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray_mod
    ray_mod.shutdown()


def test_ray_prepare_and_export_equal_the_serial_path(tmp_path, test_room, local_ray):
    serial, distributed = _refs(tmp_path / "serial", test_room), _refs(tmp_path / "ray", test_room)
    prepare_banks(serial, workers=1, progress=False)
    prepare_banks(distributed, ray=True, progress=False)
    assert _all_files(distributed) == _all_files(serial)

    from spatial_env.export import export_episodes

    kwargs = {"scenes": [test_room], **SPAR}
    a = export_episodes("SPAR-Depth-OC-v0", tmp_path / "a", 6, seed=3, drawn=True, cache_dir=str(tmp_path / "c1"),
                        **kwargs)
    b = export_episodes("SPAR-Depth-OC-v0", tmp_path / "b", 6, seed=3, drawn=True, ray=True,
                        cache_dir=str(tmp_path / "c2"), **kwargs)
    assert a.read_bytes() == b.read_bytes() and len(a.read_text().splitlines()) == 6
    images = sorted(p.name for p in (a.parent / "images").iterdir())
    assert images and images == sorted(p.name for p in (b.parent / "images").iterdir())
    assert all((a.parent / "images" / n).read_bytes() == (b.parent / "images" / n).read_bytes() for n in images)


def test_ray_dataset_rows_equal_the_serial_rows(tmp_path, test_room, local_ray):
    pytest.importorskip("datasets")
    from spatial_env.rl.data import build_dataset

    kwargs = {"scenes": [test_room], "cache_dir": str(tmp_path / "cache"), **SPAR}
    serial = build_dataset("SPAR-Depth-OC-v0", 5, seed=1, dataset_cache_dir=str(tmp_path / "d1"), **kwargs)
    distributed = build_dataset("SPAR-Depth-OC-v0", 5, seed=1, ray=True, num_shards=3,
                                dataset_cache_dir=str(tmp_path / "d2"), **kwargs)
    assert serial.to_list() == distributed.to_list()


def test_exports_in_worker_processes_equal_the_serial_export(tmp_path, test_room):
    from spatial_env.export import export_episodes

    kwargs = {"scenes": [test_room], "cache_dir": str(tmp_path / "cache"), **SPAR}
    a = export_episodes("SPAR-Depth-OC-v0", tmp_path / "a", 4, seed=2, **kwargs)
    b = export_episodes("SPAR-Depth-OC-v0", tmp_path / "b", 4, seed=2, workers=2, **kwargs)
    assert a.read_bytes() == b.read_bytes()
    names = sorted(p.name for p in (a.parent / "images").iterdir())
    assert names and all((a.parent / "images" / n).read_bytes() == (b.parent / "images" / n).read_bytes()
                         for n in names)


# ---- announcements --------------------------------------------------------------------------------------------

def test_an_empty_jit_cache_is_detected_and_the_compilation_announced(tmp_path, monkeypatch, capsys, test_room):
    probe = "from spatial_env.render import numba_backend as nb; print(nb.needs_compile())"
    cold = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "jit")})
    assert cold.stdout.strip() == "True" and cold.stderr == ""  # detected without compiling anything
    from spatial_env.render import make_renderer, numba_backend as nb
    from spatial_env.camera import Camera

    renderer = make_renderer(test_room)
    cam = Camera.looking_at(np.array([1.0, 1.0, 1.5]), np.array([3.0, 2.0, 0.8]), hfov_deg=90.0, width=16, height=16)
    renderer.render(cam)
    assert nb.needs_compile() is False  # compiled (or loaded) in this process
    monkeypatch.setattr(nb, "needs_compile", lambda only_objects=False: True)
    monkeypatch.setitem(nb._compile_state, "checked", False)
    renderer.render(cam)
    err = capsys.readouterr().err
    assert "compiling the renderer (once per machine" in err and err.count("\n") == 1


def test_eval_and_prepare_say_what_they_will_build(tmp_path, monkeypatch, capsys, test_room):
    import spatial_env.scene as scene_pkg

    monkeypatch.setattr(scene_pkg, "default_scenes", lambda: [test_room])
    cache = str(tmp_path / "cache")
    assert main(["eval", "--env", "SPAR-Depth-OC-v0", "--agent", "random", "--episodes", "2", "--resolution", "48",
                 "--cache-dir", cache, "--no-scenes"]) == 0
    err = capsys.readouterr().err
    assert "frame banks: these 2 episode(s) visit 1 of 1 scene(s); 1 of their walkthrough banks are not complete" in err
    assert "spatial-env prepare" in err
    rep2d = ["--env", "Rep2D-Bbox-v0", "--resolution", "48", "--cache-dir", cache, "--workers", "1",
             "--env-arg", f"sampler={json.dumps(SAMPLER)}", "--env-arg", "num_views=3"]
    assert main(["prepare", "--env", "SPAR-Depth-OC-v0", "--resolution", "48", "--cache-dir", cache, "--dry-run"]) == 0
    assert "1 scene(s) (walkthrough frames, 48x48): 1 built, 0 partly filled, 0 not in the cache" in capsys.readouterr().out
    assert main(["prepare", *rep2d, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "1 scene(s) (object_views frames, 48x48): 0 built, 0 partly filled, 1 not in the cache; the rest takes" in out
    assert "prepared 1 frame bank(s)" in out
    assert main(["prepare", *rep2d]) == 0
    assert "1 built" in (out := capsys.readouterr().out) and "nothing to build" in out
    assert main(["prepare", "--env", "Rep2D-Bbox-v0", "--workers", "0", "--cache-dir", cache]) == 2
    assert "--workers must be >= 1, got 0" in capsys.readouterr().err
