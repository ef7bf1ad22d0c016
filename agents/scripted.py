"""Scripted baselines: random answers, the training-set prior, the oracle, and copy-the-last-context."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from .base import BaseAgent, task_of
from spatial_env.env import next_question_info
from spatial_env.tasks import get_task

from .formats import answer_format, most_frequent, targets_and_answers

FIT_STREAM = 1  # fit episodes use their own seed stream, so they never coincide with evaluation episodes


def fit_seed(seed: int, k: int) -> int:
    """The reset seed of fit episode ``k`` (a stream apart from the harness's evaluation seeds)."""
    return int(np.random.SeedSequence([FIT_STREAM, int(seed), int(k)]).generate_state(1)[0])


class RandomAgent(BaseAgent):
    """A valid random answer in the task's format (uniform box, percentage, position, option...), seeded.

    The random stream of each answer is seeded by ``seed`` and a hash of the observation, so answers do not
    depend on call order or batching, and a resumed run answers exactly as an uninterrupted one. In an env
    that mixes tasks (``SPAR-Bench-v0``) each answer takes the format of the question's own task, read from
    ``info["task"]`` (what the prompt tells a reader anyway); the harness passes ``info`` for that.

    Args:
        task: an env id (``"Rep2D-Bbox-v0"``), an env, or a task family name (``"rep2d_bbox"``).
        seed: the agent's seed.
    """

    # The harness passes info: in an env mixing tasks, info["task"] names each question's format.
    needs_info = True

    def __init__(self, task: Any, seed: int = 0):
        self.task = task_of(task)
        self.format = _own_format(self.task)
        self.seed = int(seed)

    def act(self, observation: dict, info: dict | None = None) -> str:
        """A random answer (independent of the observation's content, but a function of it)."""
        digest = hashlib.blake2b(observation["prompt"].encode(), digest_size=8)
        digest.update(np.ascontiguousarray(observation["images"]).tobytes())
        rng = np.random.default_rng([self.seed, int.from_bytes(digest.digest(), "little")])
        return _format_for(self.format, self.task, info).random(rng)

    def __repr__(self) -> str:
        return f"RandomAgent(task={self.task!r}, seed={self.seed})"


def _own_format(task: str):
    """The task's answer format, or None for a mixing task whose questions each carry their own."""
    try:
        return answer_format(task)
    except KeyError:
        get_task(task)  # an unknown task is an error; a known one without a format mixes others
        return None


def _format_for(fmt, task: str, info: dict | None):
    """The format to answer in: the question's own task's (``info["task"]``, which differs from the
    agent's in an env mixing tasks), else the agent's task's."""
    asked = (info or {}).get("task")
    if asked and asked != task:
        try:
            return answer_format(asked)
        except KeyError:
            pass
    if fmt is None:
        raise ValueError(f"task {task!r} mixes tasks: act(observation, info=info) with the question's info['task']")
    return fmt


class PriorAgent(BaseAgent):
    """Always answers the training-set prior: the mean target (boxes, fractions, positions) or the mode.

    This is the "chance level (frequency)" row of the seed papers. Call :meth:`fit` with a training env
    (ideally other scenes than the evaluation's) or :meth:`fit_infos` with ``info`` dicts first; the
    harness calls ``fit`` itself when the agent is not fitted yet. Tasks without a known numeric format
    get the most frequent reference answer. In an env mixing tasks the prior is fitted per task and each
    question gets its own task's (``info["task"]``, passed by the harness).
    """

    needs_fit = True

    def __init__(self, task: Any = None, answer: str | None = None):
        self.task = task_of(task) if task is not None else None
        self.answer = answer
        self.answers: dict[str, str] = {}
        self.needs_fit = answer is None
        self.needs_info = False

    def fit_infos(self, infos: list[dict]) -> "PriorAgent":
        """Set the prior from env ``info`` dicts (their ``task``, ``target`` and ``answer``)."""
        if not infos:
            raise ValueError("PriorAgent.fit needs at least one training question")
        by_task: dict[str, list[dict]] = {}
        for info in infos:
            by_task.setdefault(info["task"], []).append(info)
        self.answers = {task: self._prior(task, group) for task, group in by_task.items()}
        self.task = self.task or infos[0]["task"]
        self.needs_info = len(by_task) > 1
        self.answer = self.answers[infos[0]["task"]] if len(by_task) == 1 else None
        self.needs_fit = False
        return self

    @staticmethod
    def _prior(task: str, infos: list[dict]) -> str:
        targets, answers = targets_and_answers(infos)
        try:
            prior = answer_format(task).prior
        except KeyError:
            prior = None
        return prior(targets) if prior is not None else most_frequent(answers)

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
                    infos.append(next_question_info(step_info))
        return self.fit_infos(infos)

    def act(self, observation: dict, info: dict | None = None) -> str:
        """The fitted prior answer (of the question's task, in an env mixing tasks)."""
        if self.answer is not None:
            return self.answer
        if not self.answers:
            raise RuntimeError("PriorAgent is not fitted: call fit(env) or fit_infos(infos) first")
        task = (info or {}).get("task")
        if task not in self.answers:
            # A task never seen in fitting: the most common prior answer is the best guess left.
            return most_frequent(list(self.answers.values()))
        return self.answers[task]

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
