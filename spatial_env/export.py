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
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

QUESTIONS_FILE = "questions.jsonl"


def json_value(value: Any) -> Any:
    """``value`` as JSON values (tuples and numpy arrays become lists, numpy scalars numbers)."""
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


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


def _episode_records(env, env_id: str, task, k: int, seed: int, root: Path, drawn: bool) -> Iterator[dict]:
    """The records of episode ``k`` (one per question, answered with the reference), images written under ``root``."""
    import imageio.v3 as iio

    from .draw import contact_sheet
    from .env import next_question_info, shown_images

    obs, info = env.reset(seed=seed)
    q, terminated = 0, False
    while not terminated:
        episode = env.unwrapped.episode
        names = []
        for i, img in enumerate(shown_images(obs)):
            names.append(f"images/{k:06d}-{q}-{i}.png")
            iio.imwrite(root / names[-1], img)
        record = {"env_id": env_id, "task": info["task"], "family": task.family,
                  "question_type": info["question_type"], "episode": k, "question": q, "seed": seed,
                  "scene_id": info["scene_id"], "episode_id": info["episode_id"], "prompt": obs["prompt"],
                  "images": names, "choices": info.get("choices"), "answer": info["answer"],
                  "target": json_value(info["target"]), "geometry": json_value(episode.meta)}
        if drawn and task.draw is not None:
            record["drawn"] = f"images/{k:06d}-{q}-drawn.png"
            sheet = task.draw(episode, None)
            iio.imwrite(root / record["drawn"], contact_sheet(sheet, columns=min(5, len(sheet))))
        yield record
        obs, _, terminated, _, step_info = env.step(info["answer"])
        if not terminated:
            info = next_question_info(step_info)
        q += 1


def export_family(name: str, out: str | os.PathLike, *, scenes: Sequence | None = None, overwrite: bool = False,
                  **kwargs: Any) -> str:
    """Write a family's whole dataset (``Family.export``) into ``out``, atomically; returns its statistics."""
    from .tasks import get_family

    family = get_family(name)
    if family.export is None:
        raise ValueError(f"family {name!r} has no whole-dataset export; export one of its env ids instead")
    if scenes:
        check_unique_scene_ids(scenes)
    with fresh_directory(Path(out), overwrite) as tmp:
        table = family.export(tmp, scenes=scenes, **kwargs)
    return table.replace(str(tmp), str(out))


def export_episodes(env_id: str, out: str | os.PathLike, episodes: int = 100, *, seed: int = 0,
                    drawn: bool = False, overwrite: bool = False, **env_kwargs: Any) -> Path:
    """Export ``episodes`` seeded episodes of ``env_id`` into directory ``out``; returns the JSONL path.

    The directory is filled in a temporary sibling and renamed into place, so a failed export leaves
    nothing half-written; an existing non-empty ``out`` is refused unless ``overwrite``."""
    import gymnasium as gym

    from .evaluation import episode_seed

    check_unique_scene_ids(env_kwargs.get("scenes") or ())
    out = Path(out)
    env = gym.make(env_id, **env_kwargs)
    try:
        with fresh_directory(out, overwrite) as tmp:
            (tmp / "images").mkdir()
            task = env.unwrapped.task
            with open(tmp / QUESTIONS_FILE, "w") as f:
                for k in range(episodes):
                    for record in _episode_records(env, env_id, task, k, episode_seed(seed, k), tmp, drawn):
                        f.write(json.dumps(record) + "\n")
    finally:
        env.close()
    return out / QUESTIONS_FILE
