"""Hugging Face datasets of any env's questions, for TRL's GRPO (prompt only) and SFT (prompt + answer).

``build_dataset("Rep2D-Bbox-v0", 1000, seed=0, num_views=5)`` plays episodes ``k = 0, 1, ...`` from
``env.reset(seed=episode_seed(seed, k))`` (the evaluation harness's seeds, so a dataset holds the questions an
evaluation with the same seed asks) and writes one row per question:

==================  ================================================================================
column              content
==================  ================================================================================
``prompt``          the chat: ``[{"role": "user", "content": [{"type": "image"}, ..., {"type": "text",
                    "text": <env prompt>}]}]``, one image placeholder per image in the order shown
``images``          the observation's images (``datasets.Image``), in placeholder order
``completion``      (SFT only) ``[{"role": "assistant", "content": [{"type": "text", "text": answer}]}]``
``answer``          the reference answer text (scores the metric's best value)
``target``          the structured target as JSON (``json.loads`` gives ``info["target"]``)
``choices``         the options of a multiple-choice question, else None
``task``            the task name; with ``task_options`` (JSON) what the reward functions judge with
``env_id``,         where the question came from; ``seed`` is the episode's reset seed
``family``,
``question_type``,
``scene_id``,
``episode_id``,
``episode``,
``question_index``,
``seed``
==================  ================================================================================

Rows are generated lazily with ``Dataset.from_generator`` (written to Arrow shard by shard, never held whole in
memory; ``num_proc`` builds shards in parallel) or streamed (``streaming=True`` gives an ``IterableDataset``).
The same ``seed`` and settings give the same rows, whatever the sharding. ``split_by_scene`` makes a train /
test split in which no test scene is ever trained on. Datasets ``save_to_disk`` and ``push_to_hub`` as they are.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any, Iterator, Sequence

import numpy as np

from ..env import shown_images
from ..tasks import json_value

# Keywords of ``gym.make`` that do not change the questions (everything else is a scene list or a task option).
_NEUTRAL_ENV_KWARGS = ("cache_dir", "progress", "renderer", "max_prompt_length")


def user_message(prompt: str, num_images: int) -> dict:
    """One user turn: an image placeholder per image, in the order the images are shown, then the prompt.

    Image parts carry ``"text": None`` so every part has the same keys (one Arrow schema for all rows)."""
    parts = [{"type": "image", "text": None} for _ in range(num_images)]
    return {"role": "user", "content": [*parts, {"type": "text", "text": prompt}]}


def _text_message(role: str, text: str) -> dict:
    return {"role": role, "content": [{"type": "text", "text": text}]}


def dataset_features(sft: bool = False):
    """The ``datasets.Features`` of :func:`build_dataset`'s rows (with ``completion`` when ``sft``)."""
    from datasets import Features, Image, List, Value

    message = {"role": Value("string"), "content": List({"type": Value("string"), "text": Value("string")})}
    features = {
        "prompt": List(message),
        "images": List(Image()),
        "answer": Value("string"),
        "target": Value("string"),
        "choices": List(Value("string")),
        "task": Value("string"),
        "task_options": Value("string"),
        "env_id": Value("string"),
        "family": Value("string"),
        "question_type": Value("string"),
        "scene_id": Value("string"),
        "episode_id": Value("string"),
        "episode": Value("int64"),
        "question_index": Value("int64"),
        "seed": Value("int64"),
    }
    if sft:
        features["completion"] = List(message)
    return Features(features)


def _make_env(env_id: str, env_kwargs: dict):
    import gymnasium as gym

    import spatial_env  # noqa: F401  (registers the env ids in a fresh worker process)

    return gym.make(env_id, **{"progress": False, **env_kwargs})


def _episode_rows(env, env_id: str, seed: int, k: int, limit: int, sft: bool, system_prompt: str | None,
                  options_json: str) -> Iterator[dict]:
    """The rows of episode ``k`` (at most ``limit``): each question shown, then answered with its reference."""
    from PIL import Image

    from ..evaluation import episode_seed

    reset_seed = episode_seed(seed, k)
    obs, _ = env.reset(seed=reset_seed)
    base = env.unwrapped
    task = base.task
    for q in range(min(limit, base.questions_per_episode)):
        episode = base.episode
        prompt = [] if system_prompt is None else [_text_message("system", system_prompt)]
        images = shown_images(obs)
        prompt.append(user_message(obs["prompt"], len(images)))
        row = {
            "prompt": prompt,
            "images": [Image.fromarray(np.ascontiguousarray(img)) for img in images],
            "answer": episode.answer,
            "target": json.dumps(json_value(episode.target), sort_keys=True),
            "choices": None if episode.choices is None else [str(c) for c in episode.choices],
            "task": episode.task or task.name, "task_options": options_json, "env_id": env_id, "family": task.family,
            "question_type": episode.question_type, "scene_id": episode.scene_id,
            "episode_id": episode.episode_id, "episode": k, "question_index": q, "seed": reset_seed,
        }
        if sft:
            row["completion"] = [_text_message("assistant", episode.answer)]
        yield row
        if q + 1 < base.questions_per_episode:
            # Later questions do not depend on the answers: the reference answer just moves the episode on.
            obs, _, _, _, _ = env.step(episode.answer)


def _generate(shards: list, config: dict) -> Iterator[dict]:
    """``from_generator``'s generator: the rows of the episode ranges ``shards`` (a list, so datasets shards it)."""
    env = _make_env(config["env_id"], config["env_kwargs"])
    try:
        qpe = env.unwrapped.questions_per_episode
        options_json = json.dumps(json_value(env.unwrapped.options.to_dict()), sort_keys=True)
        for start, stop in shards:
            for k in range(start, stop):
                limit = config["num_questions"] - k * qpe
                yield from _episode_rows(env, config["env_id"], config["seed"], k, limit, config["sft"],
                                         config["system_prompt"], options_json)
    finally:
        env.close()


def _shard_rows(job: tuple) -> list[dict]:
    """All rows of one shard (a Ray task): ``job`` is (shard, config)."""
    shard, config = job
    return list(_generate([shard], config))


def _generate_on_ray(shards: list, config: dict, address) -> Iterator[dict]:
    """``from_generator``'s generator with the shards played as Ray tasks, rows yielded in shard order (the
    same rows, in the same order, as :func:`_generate`)."""
    from ..distributed import map_tasks

    jobs = [(shard, {**config, "env_kwargs": {**config["env_kwargs"], "progress": False}}) for shard in shards]
    for _, rows in map_tasks(_shard_rows, jobs, ray=address, ordered=True):
        yield from rows


def _questions_per_episode(env_id: str, env_kwargs: dict) -> int:
    env = _make_env(env_id, env_kwargs)  # no bank is built before reset: this is cheap
    try:
        return int(env.unwrapped.questions_per_episode)
    finally:
        env.close()


def _shard_ranges(episodes: int, num_shards: int) -> list[tuple[int, int]]:
    num_shards = max(1, min(int(num_shards), episodes))
    bounds = np.linspace(0, episodes, num_shards + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def question_rows(env_id: str, num_questions: int, seed: int = 0, *, sft: bool = False,
                  system_prompt: str | None = None, **env_kwargs: Any) -> Iterator[dict]:
    """The rows of :func:`build_dataset` as plain dicts (images as PIL images), generated one by one."""
    qpe = _questions_per_episode(env_id, env_kwargs)
    config = {"env_id": env_id, "env_kwargs": env_kwargs, "num_questions": int(num_questions), "seed": int(seed),
              "sft": sft, "system_prompt": system_prompt}
    yield from _generate([(0, math.ceil(num_questions / qpe))], config)


def build_dataset(env_id: str, num_questions: int, seed: int = 0, *, sft: bool = False,
                  system_prompt: str | None = None, num_shards: int | None = None, num_proc: int | None = None,
                  streaming: bool = False, dataset_cache_dir: str | None = None, keep_in_memory: bool = False,
                  ray: bool | str | None = None, **env_kwargs: Any):
    """``num_questions`` questions of ``env_id`` as a ``datasets.Dataset`` (see the module doc for the columns).

    ``env_kwargs`` go to ``gym.make`` (``scenes``, ``cache_dir`` for frame banks, task options such as
    ``num_views``). ``sft=True`` adds the reference answer as the assistant turn (``completion``), the
    prompt-completion layout ``SFTTrainer`` reads. Episodes are split into ``num_shards`` contiguous ranges
    (default: ``num_proc`` or 1) generated by ``num_proc`` processes; ``streaming=True`` returns an
    ``IterableDataset`` that generates rows as they are read. ``dataset_cache_dir`` is where the Arrow files go
    (default: the datasets cache). ``ray`` plays the shards as Ray tasks instead (``True``: a local cluster or
    the running one; a string: a cluster address; ``num_shards`` defaults to 4 per CPU of the cluster): the
    same rows in the same order as without it."""
    from datasets import Dataset, IterableDataset

    from .. import __version__

    if num_questions < 1:
        raise ValueError(f"num_questions must be >= 1, got {num_questions}")
    if ray and streaming:
        raise ValueError("streaming=True generates rows as they are read, in this process; ray= builds the "
                         "dataset on a cluster: choose one")
    qpe = _questions_per_episode(env_id, env_kwargs)
    episodes = math.ceil(num_questions / qpe)
    shards = _shard_ranges(episodes, num_shards or num_proc or (4 * (os.cpu_count() or 1) if ray else 1))
    # The version is part of the cached dataset's fingerprint: a new release may ask different questions.
    config = {"env_id": env_id, "env_kwargs": env_kwargs, "num_questions": int(num_questions), "seed": int(seed),
              "sft": bool(sft), "system_prompt": system_prompt, "version": __version__}
    features = dataset_features(sft)
    if streaming:
        return IterableDataset.from_generator(_generate, features=features,
                                              gen_kwargs={"shards": shards, "config": config})
    if ray:
        return Dataset.from_generator(_generate_on_ray, features=features, cache_dir=dataset_cache_dir,
                                      keep_in_memory=keep_in_memory,
                                      gen_kwargs={"shards": shards, "config": config, "address": ray})
    return Dataset.from_generator(_generate, features=features, gen_kwargs={"shards": shards, "config": config},
                                  num_proc=num_proc if num_proc and num_proc > 1 and len(shards) > 1 else None,
                                  cache_dir=dataset_cache_dir, keep_in_memory=keep_in_memory)


def build_sft_dataset(env_id: str, num_questions: int, seed: int = 0, **kwargs: Any):
    """:func:`build_dataset` with the reference answer as the assistant turn (``completion``), for ``SFTTrainer``."""
    return build_dataset(env_id, num_questions, seed, sft=True, **kwargs)


def _choose_test_scenes(scenes: Sequence[str], test_size: float | int, seed: int) -> list[str]:
    n = len(scenes)
    if n < 2:
        raise ValueError(f"a split by scene needs at least 2 scenes, got {n}: {list(scenes)}")
    k = int(test_size) if isinstance(test_size, int) else int(round(float(test_size) * n))
    k = min(n - 1, max(1, k))
    order = np.random.default_rng(seed).permutation(n)
    return sorted(scenes[i] for i in order[:k])


def split_by_scene(dataset, test_size: float | int = 0.2, *, seed: int = 0,
                   test_scenes: Sequence[str] | None = None):
    """A ``DatasetDict`` with ``train`` and ``test`` splits that share no ``scene_id``.

    ``test_scenes`` names the test scenes; otherwise a seeded ``test_size`` (fraction or count, at least one
    scene each side) of the dataset's scenes is drawn. Streaming datasets need ``test_scenes``."""
    from datasets import DatasetDict, IterableDatasetDict

    if test_scenes is None:
        if not hasattr(dataset, "unique"):
            raise ValueError("a streaming dataset cannot list its scenes: pass test_scenes=[...]")
        test_scenes = _choose_test_scenes(sorted(dataset.unique("scene_id")), test_size, seed)
    held_out = frozenset(test_scenes)
    # input_columns: only scene_id is read, so no image is decoded while filtering.
    train = dataset.filter(lambda s: s not in held_out, input_columns="scene_id")
    test = dataset.filter(lambda s: s in held_out, input_columns="scene_id")
    cls = DatasetDict if hasattr(dataset, "unique") else IterableDatasetDict
    return cls({"train": train, "test": test})


def scene_split(scenes: Sequence, test_size: float | int = 0.2, *, seed: int = 0) -> tuple[list, list]:
    """Split scene specs (``procedural:`` names, directories, ``Scene`` objects) into train and test lists,
    to build each split's dataset from its own scenes (a test scene's bank is never even built for training)."""
    scenes = list(scenes)
    names = [getattr(s, "scene_id", None) or str(s) for s in scenes]
    if len(set(names)) != len(names):
        raise ValueError(f"scene names must be unique to split by scene, got {names}")
    test_names = set(_choose_test_scenes(names, test_size, seed))
    return ([s for s, n in zip(scenes, names) if n not in test_names],
            [s for s, n in zip(scenes, names) if n in test_names])
