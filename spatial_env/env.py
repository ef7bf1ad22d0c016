"""``SpatialEnv``: one generic Gymnasium environment that serves any registered task's questions."""

from __future__ import annotations

import copy
import dataclasses
import string
from typing import Any, Sequence

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .frames import FrameBank, load_bank
from .tasks import CannotPose, Episode, get_task, json_value

_PRINTABLE = frozenset(string.printable)


class SpatialEnv(gym.Env):
    """Multi-view spatial questions about indoor scenes, answered in text and scored by the benchmark metric.

    ## Description
    Each episode picks a scene and asks ``questions_per_episode`` questions of one task (a registered
    :class:`~spatial_env.tasks.Task`, e.g. ``"rep2d_bbox"``), drawn from the scene's cached frame bank.

    ## Observation
    ``{"images": uint8 (N, H, W, 3), "prompt": str}`` with N fixed per env (the task's
    ``images_per_question``; an env mixing tasks with different counts pads with black images to
    the most and adds ``"num_images"``, the number of real ones, first); H x W is the frames' size
    (``resolution`` square for rendered frames, the photos' size for captured ones, which must agree
    over the env's scenes). Ground truth is in ``info`` only.

    ## Action
    The answer text.

    ## Rewards
    The task's headline metric, higher is better (error metrics negated); an answer that does not
    parse scores the metric's worst value and ``info["parse_ok"]`` is False.

    ## Episode end
    ``terminated`` after the last question; stepping a finished episode raises until ``reset``.

    ## Arguments
    ``task``: the task name (env ids set it). ``scenes``: ``procedural:<name>`` names, Replica/ScanNet
    directories or ``Scene`` objects (default: the embedded set). ``cache_dir``: where frame banks are
    cached. ``renderer``: backend that builds banks. ``render_mode``: ``"rgb_array"`` pictures the
    question as the family draws it. ``max_prompt_length``: the Text spaces' limit. ``progress``: show
    bank-building progress. Every other keyword is a task option, validated against the family's
    options dataclass (for Rep2D: :class:`spatial_env.tasks.rep2d.Rep2DOptions`).

    ## info
    ``task``, ``family``, ``metric`` (the task that scores this question), ``question_type``, ``scene_id``, ``episode_id``, ``question_index``,
    ``target``, ``answer``, ``choices`` (multiple choice) and after a step ``prediction``,
    ``parse_ok``, ``parse_error``, ``metrics``; non-final steps add the next question's info as ``next_*``.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 1}

    def __init__(self, task: str, scenes: Sequence | None = None, *, cache_dir: str | None = None,
                 renderer: str = "auto", render_mode: str | None = None, max_prompt_length: int = 8192,
                 progress: bool = True, **options: Any):
        self.task = get_task(task)
        self.options = self.task.options.from_kwargs(options, where=f"task {task!r}")
        self.frame_spec = self.task.frames(self.options)
        self.frame_spec.make()  # validate sampler settings now, not when the first bank is built
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        if scenes is None:
            from .scene import default_scenes
            scenes = default_scenes()
        if isinstance(scenes, (str, bytes)) or not len(scenes):
            raise ValueError(f"scenes must be a non-empty list of scene specs, got {scenes!r}")
        self.scenes = list(scenes)
        self.questions_per_episode = self.options.questions_per_episode
        self.cache_dir, self.renderer, self.progress = cache_dir, renderer, progress
        self.render_mode = render_mode
        height, width = self._image_size()
        counts = self.task.image_counts(self.options)
        self.num_images = max(counts)
        spaces_ = {"images": spaces.Box(0, 255, (self.num_images, height, width, 3), np.uint8),
                   "prompt": spaces.Text(max_length=max_prompt_length, charset=string.printable)}
        # Mixed tasks show different numbers of images: pad to the most and say how many are real.
        self._padded = len(set(counts)) > 1
        if self._padded:
            spaces_["num_images"] = spaces.Discrete(self.num_images + 1)
        self.observation_space = spaces.Dict(spaces_)
        self.action_space = spaces.Text(max_length=max_prompt_length, charset=string.printable)
        self._banks: dict[int, FrameBank] = {}
        self._episode: Episode | None = None
        self._question = 0
        self._done = False
        self._scene_index = 0
        self._scene_fixed = False

    def _image_size(self) -> tuple[int, int]:
        """(height, width) of every scene's frames (captured photos: read from the files; must agree)."""
        first = None
        for spec in self.scenes:
            size = self.frame_spec.image_size(spec)
            if first is None:
                first = (spec, size)
            elif size != first[1]:
                raise ValueError(f"scenes {_scene_name(first[0])!r} and {_scene_name(spec)!r} have frames of different "
                                 f"sizes ({first[1][1]}x{first[1][0]} and {size[1]}x{size[0]} pixels, width x height); "
                                 f"an env's observations have one size")
        return first[1]

    # -- banks ---------------------------------------------------------------------------------------
    def bank(self, scene_index: int) -> FrameBank:
        """The frame bank of ``scenes[scene_index]``, built (and cached on disk) on first use."""
        if scene_index not in self._banks:
            self._banks[scene_index] = load_bank(self.scenes[scene_index], self.frame_spec, cache_dir=self.cache_dir,
                                                 renderer=self.renderer, progress=self.progress)
        return self._banks[scene_index]

    def scene_for_seed(self, seed: int) -> int:
        """The scene index ``reset(seed=seed)`` picks (without a ``scene_index`` option), found without
        resetting: which banks a run's episodes will need."""
        from gymnasium.utils import seeding

        return int(seeding.np_random(seed)[0].integers(len(self.scenes)))

    @property
    def episode(self) -> Episode | None:
        """The question currently shown (images, prompt, target, drawing data in ``meta``), or None before reset."""
        return self._episode

    # -- gymnasium API -------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start an episode: pick a scene (or ``options["scene_index"]``) and show its first question."""
        super().reset(seed=seed)
        unknown = sorted(set(options or {}) - {"scene_index"})
        if unknown:
            raise ValueError(f"unknown reset option(s) {unknown}; valid: ['scene_index']")
        if options and "scene_index" in options:
            index = options["scene_index"]
            if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
                raise ValueError(f"reset option scene_index must be an int, got {index!r}")
            if not 0 <= index < len(self.scenes):
                raise ValueError(f"scene_index {index} out of range [0, {len(self.scenes)})")
            self._scene_index = int(index)
            self._scene_fixed = True
        else:
            self._scene_index = int(self.np_random.integers(len(self.scenes)))
            self._scene_fixed = False
        self._question = 0
        self._done = False
        self._episode = self._sample()
        return self._observation(), self._question_info()

    def step(self, action: str):
        """Score the answer to the current question; show the next one or terminate."""
        if self._episode is None:
            raise RuntimeError("call reset() before step()")
        if self._done:
            raise RuntimeError("the episode has terminated: call reset() before step()")
        episode = self._episode
        judged = self._scorer(episode).judge(action, episode.target, self.options)
        info = self._question_info()
        info.update(prediction=_info_prediction(judged.prediction) if judged.parse_ok else None, parse_ok=judged.parse_ok,
                    parse_error=None if judged.parse_ok else judged.prediction.reason, metrics=dict(judged.metrics))
        self._question += 1
        terminated = self._done = self._question >= self.questions_per_episode
        if not terminated:
            self._episode = self._sample()
            # The next question's info under next_* keys (its task, target, answer, ... as reset gives them).
            info.update({f"next_{k}": v for k, v in self._question_info().items()})
        return self._observation(), judged.reward, terminated, False, info

    def render(self):
        """The current question as a contact sheet, drawn by the task's family (context annotations and truth)."""
        if self.render_mode != "rgb_array" or self._episode is None:
            return None
        from .draw import contact_sheet

        images = self.task.draw(self._episode, None) if self.task.draw else list(self._episode.images)
        return contact_sheet(images, columns=min(5, len(images)))

    # -- helpers -------------------------------------------------------------------------------------
    def _sample(self) -> Episode:
        # A scene that cannot pose the task's question gives way to another, drawn from the same
        # generator (so the same seed still gives the same episode); none left is the error.
        refused: dict[int, str] = {}
        while True:
            try:
                episode = self.task.sample(self.bank(self._scene_index), self.np_random, self.options)
                break
            except CannotPose as why:
                refused[self._scene_index] = str(why)
                left = [i for i in range(len(self.scenes)) if i not in refused]
                if self._scene_fixed or not left:
                    raise CannotPose(f"task {self.task.name!r}: no scene {'chosen' if self._scene_fixed else 'of this env'}"
                                     f" can pose its question: " + "; ".join(refused.values())) from None
                self._scene_index = left[int(self.np_random.integers(len(left)))]
        if not set(episode.prompt) <= _PRINTABLE:
            # Real datasets may carry non-ASCII category names; the Text space is printable ASCII.
            episode = dataclasses.replace(episode, prompt="".join(c if c in _PRINTABLE else "?" for c in episode.prompt))
        return episode

    def _scorer(self, episode: Episode):
        """The task that scores ``episode``: its own when a mixing env names one, else the env's."""
        return self.task if episode.task is None else get_task(episode.task)

    def _observation(self) -> dict[str, Any]:
        ep = self._episode
        images = np.stack(ep.images).astype(np.uint8, copy=False)
        if not self._padded:
            return {"images": images, "prompt": ep.prompt}
        padded = np.zeros(self.observation_space["images"].shape, np.uint8)
        padded[:len(images)] = images
        return {"images": padded, "prompt": ep.prompt, "num_images": len(images)}

    def _question_info(self) -> dict[str, Any]:
        ep = self._episode
        scorer = self._scorer(ep)
        info = {"task": scorer.name, "family": scorer.family, "metric": scorer.metric.name,
                "question_type": ep.question_type,
                "scene_id": ep.scene_id, "episode_id": ep.episode_id, "question_index": self._question,
                "target": copy.deepcopy(ep.target), "answer": ep.answer}
        if ep.choices is not None:
            info["choices"] = list(ep.choices)
        return info


def next_question_info(step_info: dict) -> dict:
    """The info of the next question of a multi-question episode, from the step that revealed it
    (its ``next_*`` keys, as ``reset`` would have given them)."""
    return {**step_info, **{k[5:]: v for k, v in step_info.items() if k.startswith("next_")}}


def shown_images(observation: dict) -> np.ndarray:
    """The images an observation really shows: all of them, or the first ``num_images`` when an env
    mixing tasks padded the stack."""
    images = np.asarray(observation["images"])
    n = observation.get("num_images")
    return images if n is None else images[:int(n)]


def _scene_name(spec) -> str:
    """A scene spec as named in messages (a Scene by its id, anything else as given)."""
    scene_id = getattr(spec, "scene_id", None)
    return scene_id if isinstance(scene_id, str) else str(spec)


class Number(float):
    """A parsed scalar prediction in ``info``: a float that Gymnasium's vector envs collect into an
    object array (they type a batch by its first value), so questions whose predictions are None
    (failed), text or lists can share a batch with it."""

    __slots__ = ()

    def __reduce__(self):
        return Number, (float(self),)


def _info_prediction(value):
    """A prediction for ``info``: plain values, scalars as :class:`Number`."""
    value = json_value(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Number(value)
    return value
