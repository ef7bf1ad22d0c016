"""Scripted baselines: random answers, the training-set prior, the oracle, and copy-the-last-context."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from .base import BaseAgent, task_of
from .formats import answer_format, most_frequent, targets_and_answers

FIT_STREAM = 1  # fit episodes use their own seed stream, so they never coincide with evaluation episodes


def fit_seed(seed: int, k: int) -> int:
    """The reset seed of fit episode ``k`` (a stream apart from the harness's evaluation seeds)."""
    return int(np.random.SeedSequence([FIT_STREAM, int(seed), int(k)]).generate_state(1)[0])


class RandomAgent(BaseAgent):
    """A valid random answer in the task's format (uniform box, percentage or position), seeded.

    The random stream of each answer is seeded by ``seed`` and a hash of the observation, so answers do not
    depend on call order or batching, and a resumed run answers exactly as an uninterrupted one.

    Args:
        task: an env id (``"Rep2D-Bbox-v0"``), an env, or a task family name (``"rep2d_bbox"``).
        seed: the agent's seed.
    """

    def __init__(self, task: Any, seed: int = 0):
        self.task = task_of(task)
        self.format = answer_format(self.task)
        self.seed = int(seed)

    def act(self, observation: dict, info: dict | None = None) -> str:
        """A random answer (independent of the observation's content, but a function of it)."""
        digest = hashlib.blake2b(observation["prompt"].encode(), digest_size=8)
        digest.update(np.ascontiguousarray(observation["images"]).tobytes())
        rng = np.random.default_rng([self.seed, int.from_bytes(digest.digest(), "little")])
        return self.format.random(rng)

    def __repr__(self) -> str:
        return f"RandomAgent(task={self.task!r}, seed={self.seed})"


class PriorAgent(BaseAgent):
    """Always answers the training-set prior: the mean target (boxes, fractions, positions) or the mode.

    This is the "chance level (frequency)" row of the seed papers. Call :meth:`fit` with a training env
    (ideally other scenes than the evaluation's) or :meth:`fit_infos` with ``info`` dicts first; the
    harness calls ``fit`` itself when the agent is not fitted yet. Tasks without a known numeric format
    get the most frequent reference answer.
    """

    needs_fit = True

    def __init__(self, task: Any = None, answer: str | None = None):
        self.task = task_of(task) if task is not None else None
        self.answer = answer
        self.needs_fit = answer is None

    def fit_infos(self, infos: list[dict]) -> "PriorAgent":
        """Set the prior from env ``info`` dicts (their ``task``, ``target`` and ``answer``)."""
        if not infos:
            raise ValueError("PriorAgent.fit needs at least one training question")
        self.task = self.task or infos[0]["task"]
        targets, answers = targets_and_answers(infos)
        try:
            prior = answer_format(self.task).prior
        except KeyError:
            prior = None
        self.answer = prior(targets) if prior is not None else most_frequent(answers)
        self.needs_fit = False
        return self

    def fit(self, env, episodes: int = 200, seed: int = 0) -> "PriorAgent":
        """Run ``episodes`` training episodes of ``env`` (answering the reference) and fit the prior."""
        infos = []
        for k in range(episodes):
            _, info = env.reset(seed=fit_seed(seed, k))
            infos.append(info)
            terminated = False
            while not terminated:
                _, _, terminated, _, step_info = env.step(infos[-1]["answer"])
                if not terminated:
                    infos.append({**step_info, "target": step_info["next_target"],
                                  "answer": step_info["next_answer"]})
        return self.fit_infos(infos)

    def act(self, observation: dict, info: dict | None = None) -> str:
        """The fitted prior answer."""
        if self.answer is None:
            raise RuntimeError("PriorAgent is not fitted: call fit(env) or fit_infos(infos) first")
        return self.answer

    def __repr__(self) -> str:
        return f"PriorAgent(task={self.task!r}, answer={self.answer!r})"


class OracleAgent(BaseAgent):
    """Answers the reference answer from ``info`` (upper bound and test tool; it is the only agent that
    reads privileged data). Call ``act(observation, info=info)``; the harness does so because
    ``needs_info`` is set. For later questions of a multi-question episode pass ``next_answer`` as
    ``answer`` (the harness does)."""

    needs_info = True

    def act(self, observation: dict, info: dict | None = None) -> str:
        """``info["answer"]``."""
        if info is None or "answer" not in info:
            raise ValueError("OracleAgent needs the env's info: call act(observation, info=info)")
        return str(info["answer"])


class CopyLastAgent(BaseAgent):
    """Repeats the last context annotation written in the prompt (box, percentage or position).

    A strong "nothing moved" baseline for nearby views. When the prompt has no annotated context (one view,
    or ``annotate_context="draw"``/``"none"``) it answers ``fallback`` (default: the task's random answer
    with seed 0, or the whole image for boxes).
    """

    def __init__(self, task: Any, fallback: str | None = None):
        self.task = task_of(task)
        self.format = answer_format(self.task)
        self.fallback = fallback if fallback is not None else self._default_fallback()

    def _default_fallback(self) -> str:
        if self.task == "rep2d_bbox":
            return "{'x_min': 0, 'y_min': 0, 'x_max': 1000, 'y_max': 1000}"
        return self.format.random(np.random.default_rng(0))

    def act(self, observation: dict, info: dict | None = None) -> str:
        """The last context value, in the answer format."""
        if self.format.last_context is None:
            return self.fallback
        answer = self.format.last_context(observation["prompt"])
        return self.fallback if answer is None else answer

    def __repr__(self) -> str:
        return f"{type(self).__name__}(task={self.task!r})"


class CopyLastBoxAgent(CopyLastAgent):
    """Rep2D-Bbox baseline: repeats the last context box parsed from the prompt (whole image if none)."""

    def __init__(self, task: Any = "rep2d_bbox", fallback: str | None = None):
        super().__init__(task, fallback)
        if self.task != "rep2d_bbox":
            raise ValueError(f"CopyLastBoxAgent answers boxes (rep2d_bbox), not {self.task!r}; use CopyLastAgent")
