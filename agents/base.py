"""The ``Agent`` protocol and small helpers shared by every agent."""

from __future__ import annotations

from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np


class AgentError(RuntimeError):
    """An agent could not produce an answer (a server kept failing, a model lacks its image processor, ...)."""


class BatchError(AgentError):
    """Some observations of an ``act_batch`` call got no answer; ``results`` holds, in order, each answer
    or the exception that stopped it, so a caller keeps the answers it already has (and paid for)."""

    def __init__(self, message: str, results: list):
        super().__init__(message)
        self.results = results


@runtime_checkable
class Agent(Protocol):
    """Anything that answers observations ``{"images": uint8 (N, H, W, 3), "prompt": str}`` with text.

    Agents see only the observation. The harness needs only ``act`` (``act_batch`` and ``reset`` are
    used when present) and also takes a plain function ``observation -> str``. An exception from
    ``act``/``act_batch`` costs only the questions that got no answer (each is recorded as an error
    line); a batch that got some answers raises :class:`BatchError` with them. Two optional flags
    change how the harness drives an agent: ``needs_info = True`` makes it pass ``info=`` (privileged
    ground truth, for :class:`OracleAgent`), and ``needs_fit = True`` makes it call
    ``fit(env, episodes, seed)`` first (for :class:`PriorAgent`).
    """

    def act(self, observation: dict) -> str:
        """The answer text for one observation."""

    def act_batch(self, observations: Sequence[dict]) -> list[str]:
        """Answers for several observations, in order."""

    def reset(self) -> None:
        """Forget any per-run state (random streams restart from the agent's seed)."""


class BaseAgent:
    """Convenience base: ``act_batch`` loops over ``act`` and ``reset`` does nothing."""

    needs_info = False
    needs_fit = False

    def act(self, observation: dict, info: dict | None = None) -> str:  # pragma: no cover - abstract
        """The answer text for one observation."""
        raise NotImplementedError

    def act_batch(self, observations: Sequence[dict], infos: Sequence[dict] | None = None) -> list[str]:
        """Answers for several observations, in order (one ``act`` call each)."""
        if infos is None:
            return [self.act(obs) for obs in observations]
        return [self.act(obs, info=info) for obs, info in zip(observations, infos)]

    def reset(self) -> None:
        """Nothing to forget by default."""

    def describe(self) -> dict:
        """The agent's resolved settings for run.json: its class, the YAML spec it was built from (when
        :func:`~spatial_env.agents.load_agent` built it), else its public attributes of plain types.
        The harness drops every field named like a secret."""
        spec = getattr(self, "spec", None)
        if spec:
            return {"class": type(self).__name__, **spec}
        plain = (str, int, float, bool, type(None))
        return {"class": type(self).__name__,
                **{k: v for k, v in vars(self).items() if not k.startswith("_") and k != "name"
                   and isinstance(v, plain)}}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def observation_images(observation: dict) -> list[np.ndarray]:
    """The observation's images as a list of uint8 (H, W, 3) arrays, in order (without the padding
    of an env that mixes tasks with different image counts)."""
    images = observation["images"]
    if observation.get("num_images") is not None:
        images = images[:int(observation["num_images"])]
    if isinstance(images, np.ndarray) and images.ndim == 3:
        images = images[None]
    out = [np.asarray(img, dtype=np.uint8) for img in images]
    for img in out:
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f"expected (H, W, 3) images, got shape {img.shape}")
    return out


def limit_pixels(image: np.ndarray, max_pixels: int | None) -> np.ndarray:
    """``image`` shrunk (aspect kept, PIL bicubic) so that height x width <= ``max_pixels``; else unchanged."""
    h, w = image.shape[:2]
    if not max_pixels or h * w <= max_pixels:
        return image
    from PIL import Image

    scale = (max_pixels / (h * w)) ** 0.5
    size = (max(1, int(w * scale)), max(1, int(h * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.BICUBIC))


def task_of(env_or_task: Any) -> str:
    """The task family name of an env id (``"Rep2D-Bbox-v0"``), an env, or a task name (returned as is)."""
    if not isinstance(env_or_task, str):
        env = getattr(env_or_task, "unwrapped", env_or_task)
        return env.task.name
    import gymnasium as gym

    import spatial_env  # noqa: F401  (registers the env ids)

    name = env_or_task.split(":", 1)[-1]
    if name in gym.registry:
        task = gym.spec(name).kwargs.get("task")
        if task is None:
            raise ValueError(f"env {name!r} does not name its task family in its spec; pass the task name")
        return task
    return env_or_task
