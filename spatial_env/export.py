"""Write an env's questions to disk: images plus one JSONL record per question, for any family.

``export_episodes("Rep2D-Bbox-v0", "out/", episodes=100)`` writes ``out/images/<episode>-<q>-<i>.png``
and ``out/questions.jsonl`` (env id, task, question type, scene, prompt, image paths, choices,
reference answer, structured target and the geometry the family recorded in the episode's ``meta``).
Episode ``k`` is reset with the harness's seed for ``k``, so an export holds the questions an
evaluation with the same seed asks. ``drawn=True`` also writes the family's picture of each question.
A family may also export its whole dataset its own way (``spatial-env export rep2d``).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from .tasks import json_value

QUESTIONS_FILE = "questions.jsonl"


def check_unique_scene_ids(scenes) -> None:
    """Refuse scenes that share a scene id (two scans in directories of the same name): their records
    could not be told apart."""
    from .scene.loaders import scene_id_of

    seen: dict[str, Any] = {}
    for spec in scenes:
        sid = scene_id_of(spec)
        if sid in seen:
            raise ValueError(f"scenes {str(seen[sid])!r} and {str(spec)!r} have the same scene id {sid!r} "
                             f"(a scene's id is its directory name); rename one of the directories")
        seen[sid] = spec


@contextmanager
def fresh_directory(out: Path, overwrite: bool = False) -> Iterator[Path]:
    """A temporary sibling of ``out`` to fill, renamed to ``out`` when the block succeeds and removed
    when it fails: a failed export leaves nothing half-written, and ``overwrite`` never mixes an old
    export with a new one. A non-empty ``out`` is refused unless ``overwrite``."""
    from .frames.bank import current_umask

    out = Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ValueError(f"{out} is not empty; choose another directory or pass overwrite=True")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes it private; an export is for sharing
        yield tmp
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _episode_records(env, env_id: str, task, k: int, seed: int, drawn: bool) -> Iterator[tuple[dict, dict[str, bytes]]]:
    """The records of episode ``k`` (one per question, answered with the reference), each with the PNG files
    (name -> bytes) it names."""
    from .draw import contact_sheet
    from .env import next_question_info, shown_images
    from .frames.bank import png_bytes

    obs, info = env.reset(seed=seed)
    q, terminated = 0, False
    while not terminated:
        episode = env.unwrapped.episode
        files = {}
        for i, img in enumerate(shown_images(obs)):
            files[f"images/{k:06d}-{q}-{i}.png"] = png_bytes(img)
        record = {"env_id": env_id, "task": info["task"], "family": task.family,
                  "question_type": info["question_type"], "episode": k, "question": q, "seed": seed,
                  "scene_id": info["scene_id"], "episode_id": info["episode_id"], "prompt": obs["prompt"],
                  "images": list(files), "choices": info.get("choices"), "answer": info["answer"],
                  "target": json_value(info["target"]), "geometry": json_value(episode.meta)}
        if drawn and task.draw is not None:
            record["drawn"] = f"images/{k:06d}-{q}-drawn.png"
            sheet = task.draw(episode, None)
            files[record["drawn"]] = png_bytes(contact_sheet(sheet, columns=min(5, len(sheet))))
        yield record, files
        obs, _, terminated, _, step_info = env.step(info["answer"])
        if not terminated:
            info = next_question_info(step_info)
        q += 1


def export_family(name: str, out: str | os.PathLike, *, scenes: Sequence | None = None, overwrite: bool = False,
                  workers: int = 1, ray: bool | str | None = None, **kwargs: Any) -> str:
    """Write a family's whole dataset (``Family.export``) into ``out``, atomically; returns its statistics.

    With ``workers`` > 1 or ``ray``, the banks of the family's envs are prepared first that way (the part that
    costs), then the export reads them."""
    from .tasks import get_family

    family = get_family(name)
    if family.export is None:
        raise ValueError(f"family {name!r} has no whole-dataset export; export one of its env ids instead")
    if scenes:
        check_unique_scene_ids(scenes)
    if workers > 1 or ray:
        from .distributed import env_banks, prepare_banks

        env_kwargs = {k: kwargs[k] for k in ("resolution", "cache_dir") if kwargs.get(k) is not None}
        prepare_banks(env_banks(sorted(family.envs), scenes, **env_kwargs), workers=workers, ray=ray,
                      progress=bool(kwargs.get("progress")))
    with fresh_directory(Path(out), overwrite) as tmp:
        table = family.export(tmp, scenes=scenes, **kwargs)
    return table.replace(str(tmp), str(out))


def export_chunk(job: tuple) -> list[tuple[dict, dict[str, bytes]]]:
    """Episodes ``ks`` of an export as (record, files) pairs: ``job`` is (env_id, env_kwargs, seed, ks, drawn).
    A module-level function, so worker processes and Ray tasks can run it."""
    import gymnasium as gym

    import spatial_env  # noqa: F401  (registers the env ids in a fresh worker)

    from .evaluation import episode_seed

    env_id, env_kwargs, seed, ks, drawn = job
    env = gym.make(env_id, **env_kwargs)
    try:
        task = env.unwrapped.task
        return [pair for k in ks for pair in _episode_records(env, env_id, task, k, episode_seed(seed, k), drawn)]
    finally:
        env.close()


def export_episodes(env_id: str, out: str | os.PathLike, episodes: int = 100, *, seed: int = 0,
                    drawn: bool = False, overwrite: bool = False, workers: int = 1, ray: bool | str | None = None,
                    **env_kwargs: Any) -> Path:
    """Export ``episodes`` seeded episodes of ``env_id`` into directory ``out``; returns the JSONL path.

    The directory is filled in a temporary sibling and renamed into place, so a failed export leaves
    nothing half-written; an existing non-empty ``out`` is refused unless ``overwrite``. ``workers`` > 1
    plays ranges of episodes in that many processes, ``ray`` as Ray tasks (a local cluster, or an
    address); the files are the same bytes however the episodes were split, since episode ``k`` depends
    only on its seed."""
    check_unique_scene_ids(env_kwargs.get("scenes") or ())
    if episodes < 0:
        raise ValueError(f"episodes must be >= 0, got {episodes}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    out = Path(out)
    parallel = workers > 1 or bool(ray)
    if parallel:
        _prepare_for(env_id, episodes, seed, env_kwargs, workers, ray)
    # Ranges small enough to balance the workers, large enough that each env's set-up is paid rarely.
    size = max(1, math.ceil(episodes / (4 * max(workers, 2)))) if parallel else max(1, episodes)
    jobs = [(env_id, dict(env_kwargs, progress=False) if parallel else env_kwargs, seed,
             list(range(a, min(a + size, episodes))), drawn) for a in range(0, episodes, size)]
    with fresh_directory(out, overwrite) as tmp:
        (tmp / "images").mkdir()
        with open(tmp / QUESTIONS_FILE, "w") as f:
            if not parallel:  # here: one env, each episode written as it is played
                for job in jobs:
                    _write_pairs(tmp, f, _stream(job))
            else:
                from .distributed import map_tasks

                for _, pairs in map_tasks(export_chunk, jobs, workers=workers, ray=ray, ordered=True):
                    _write_pairs(tmp, f, pairs)
    return out / QUESTIONS_FILE


def _stream(job: tuple) -> Iterator[tuple[dict, dict[str, bytes]]]:
    """:func:`export_chunk` one episode at a time (nothing held in memory)."""
    import gymnasium as gym

    from .evaluation import episode_seed

    env_id, env_kwargs, seed, ks, drawn = job
    env = gym.make(env_id, **env_kwargs)
    try:
        task = env.unwrapped.task
        for k in ks:
            yield from _episode_records(env, env_id, task, k, episode_seed(seed, k), drawn)
    finally:
        env.close()


def _write_pairs(root: Path, f, pairs) -> None:
    for record, files in pairs:
        for name, data in files.items():
            (root / name).write_bytes(data)
        f.write(json.dumps(record) + "\n")


def _prepare_for(env_id: str, episodes: int, seed: int, env_kwargs: dict, workers: int, ray) -> None:
    """Build the whole banks (walkthroughs) the episodes visit before splitting them, so no two workers build
    the same one; unit banks need nothing: workers fill their objects, each once."""
    import gymnasium as gym

    from .distributed import BankRef, prepare_banks, scenes_for_seeds
    from .evaluation import episode_seed
    from .frames import default_cache_dir

    env = gym.make(env_id, **env_kwargs).unwrapped
    if not hasattr(env, "frame_spec") or env.frame_spec.has_units:
        return
    wanted = scenes_for_seeds(env, [episode_seed(seed, k) for k in range(episodes)])
    refs = [BankRef(env.scenes[i], env.frame_spec, str(env.cache_dir or default_cache_dir()), env.renderer)
            for i in wanted]
    prepare_banks(refs, workers=workers, ray=ray, progress=bool(getattr(env, "progress", False)))
