"""``SpatialEnv``: one generic Gymnasium environment that serves any task family's questions."""

from __future__ import annotations

import copy
import string
from typing import Any, Sequence

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from . import parsing
from .draw import RED, contact_sheet, draw_box
from .tasks import Episode, TaskOptions, get_task
from .views import SamplerConfig, ViewBank, load_bank

_PRINTABLE = frozenset(string.printable)


class SpatialEnv(gym.Env):
    """Multi-view spatial questions about indoor scenes, answered in text and scored by the benchmark metric.

    Each episode picks a scene and asks ``questions_per_episode`` questions. An observation is
    ``{"images": uint8 (num_views, H, W, 3), "prompt": str}``; the action is the answer text; the reward
    is the task's metric (higher is better). Ground truth is in ``info`` only (see ARCHITECTURE.md).

    Args:
        task: a registered task family (e.g. ``"rep2d_bbox"``).
        scenes: scene specs: ``procedural:<name>`` names, Replica/ScanNet directories or ``Scene``
            objects; default: the embedded procedural set.
        num_views: images per question including the query view (the paper uses 1, 2, 5, 10).
        resolution: image side in pixels (views are square, as in the paper).
        annotate_context: ``"text"`` (values in the prompt), ``"draw"`` (boxes on the images),
            ``"both"`` or ``"none"``.
        include_invisible: allow query views where the object is absent.
        prompt_style: ``"paper"`` (the seed's prompts verbatim).
        questions_per_episode: questions asked before ``terminated``.
        parse_mode: ``"robust"`` (default) or ``"official"`` answer parsing.
        sampler: view sampler overrides (see :class:`~spatial_env.views.SamplerConfig`).
        cache_dir: where view banks are cached (default ``~/.cache/spatial_env``).
        renderer: renderer backend for building banks.
        max_prompt_length: the Text spaces' max length.
        render_mode: ``"rgb_array"`` renders the current question as a contact sheet.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 1}

    def __init__(self, task: str, scenes: Sequence | None = None, *, num_views: int = 5, resolution: int = 512,
                 annotate_context: str = "text", include_invisible: bool = False, prompt_style: str = "paper",
                 questions_per_episode: int = 1, parse_mode: str = "robust", sampler: dict | None = None,
                 cache_dir: str | None = None, renderer: str = "auto", max_prompt_length: int = 8192,
                 render_mode: str | None = None, progress: bool = True):
        self.task = get_task(task)
        self.options = TaskOptions(num_views=num_views, annotate_context=annotate_context,
                                   include_invisible=include_invisible, prompt_style=prompt_style)
        self.sampler_config = SamplerConfig.from_dict({**(sampler or {}), "resolution": int(resolution)})
        if num_views > self.sampler_config.views_visible:
            raise ValueError(f"num_views={num_views} needs that many visible views per object, but the sampler "
                             f"keeps views_visible={self.sampler_config.views_visible}")
        if questions_per_episode < 1:
            raise ValueError(f"questions_per_episode must be >= 1, got {questions_per_episode}")
        if parse_mode not in parsing.MODES:
            raise ValueError(f"parse_mode must be one of {parsing.MODES}, got {parse_mode!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None, got {render_mode!r}")
        if scenes is None:
            from .scene import default_scenes
            scenes = default_scenes()
        if isinstance(scenes, (str, bytes)) or not len(scenes):
            raise ValueError(f"scenes must be a non-empty list of scene specs, got {scenes!r}")
        self.scenes = list(scenes)
        self.questions_per_episode = int(questions_per_episode)
        self.parse_mode = parse_mode
        self.cache_dir, self.renderer, self.progress = cache_dir, renderer, progress
        self.render_mode = render_mode
        r = self.sampler_config.resolution
        self.observation_space = spaces.Dict({
            "images": spaces.Box(0, 255, (num_views, r, r, 3), np.uint8),
            "prompt": spaces.Text(max_length=max_prompt_length, charset=string.printable),
        })
        self.action_space = spaces.Text(max_length=max_prompt_length, charset=string.printable)
        self._banks: dict[int, ViewBank] = {}
        self._episode: Episode | None = None
        self._question = 0
        self._scene_index = 0

    # -- banks ---------------------------------------------------------------------------------------
    def bank(self, scene_index: int) -> ViewBank:
        """The view bank of ``scenes[scene_index]``, built (and cached on disk) on first use."""
        if scene_index not in self._banks:
            self._banks[scene_index] = load_bank(self.scenes[scene_index], self.sampler_config,
                                                 cache_dir=self.cache_dir, renderer=self.renderer,
                                                 progress=self.progress)
        return self._banks[scene_index]

    @property
    def episode(self) -> Episode | None:
        """The question currently shown (images, prompt, target, pixel boxes in ``meta``), or None before reset."""
        return self._episode

    # -- gymnasium API -------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start an episode: pick a scene (or ``options["scene_index"]``) and show its first question."""
        super().reset(seed=seed)
        if options and "scene_index" in options:
            self._scene_index = int(options["scene_index"])
            if not 0 <= self._scene_index < len(self.scenes):
                raise ValueError(f"scene_index {self._scene_index} out of range [0, {len(self.scenes)})")
        else:
            self._scene_index = int(self.np_random.integers(len(self.scenes)))
        self._question = 0
        self._episode = self._sample()
        return self._observation(), self._question_info()

    def step(self, action: str):
        """Score the answer to the current question; show the next one or terminate."""
        if self._episode is None:
            raise RuntimeError("call reset() before step()")
        episode = self._episode
        prediction = self.task.parse(action, self.parse_mode) if isinstance(action, str) else \
            parsing.ParseFailure(f"answer is {type(action).__name__}, not str")
        scores = self.task.score(prediction, episode.target)
        reward = float(scores["reward"])
        parse_ok = not isinstance(prediction, parsing.ParseFailure)
        info = self._question_info()
        info.update(prediction=_jsonable(prediction) if parse_ok else None, parse_ok=parse_ok,
                    parse_error=None if parse_ok else prediction.reason,
                    metrics={k: float(v) for k, v in scores.items()})
        self._question += 1
        terminated = self._question >= self.questions_per_episode
        if not terminated:
            self._episode = self._sample()
            info.update(next_target=copy.deepcopy(self._episode.target), next_answer=self._episode.answer,
                        next_episode_id=self._episode.episode_id)
        return self._observation(), reward, terminated, False, info

    def render(self):
        """The current question as a contact sheet: context views, then the query view with its true box."""
        if self.render_mode != "rgb_array" or self._episode is None:
            return None
        ep = self._episode
        images = [draw_box(img, box) for img, box in zip(ep.images[:-1], ep.meta.get("context_boxes", []))]
        images.append(draw_box(ep.images[-1], ep.meta.get("query_box"), RED))
        return contact_sheet(images, columns=min(5, len(images)))

    # -- helpers -------------------------------------------------------------------------------------
    def _sample(self) -> Episode:
        episode = self.task.sample(self.bank(self._scene_index), self.np_random, self.options)
        if not set(episode.prompt) <= _PRINTABLE:
            # Real datasets may carry non-ASCII category names; the Text space is printable ASCII.
            prompt = "".join(c if c in _PRINTABLE else "?" for c in episode.prompt)
            episode = Episode(episode.images, prompt, episode.target, episode.answer, episode.scene_id,
                              episode.episode_id, episode.meta)
        return episode

    def _observation(self) -> dict[str, Any]:
        ep = self._episode
        return {"images": np.stack(ep.images).astype(np.uint8, copy=False), "prompt": ep.prompt}

    def _question_info(self) -> dict[str, Any]:
        ep = self._episode
        return {"task": self.task.name, "scene_id": ep.scene_id, "episode_id": ep.episode_id,
                "question_index": self._question, "target": copy.deepcopy(ep.target), "answer": ep.answer}


def _jsonable(value):
    """Predictions as plain Python values for ``info`` (numpy scalars and arrays become lists/floats)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
