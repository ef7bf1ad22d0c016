"""TRL reward functions that return the env's own reward: ``GRPOTrainer(reward_funcs=[env_reward, format_reward])``.

TRL calls each function with the completions and every other dataset column as keyword lists
(``completions, **kwargs -> list[float]``). These read the columns :func:`spatial_env.rl.build_dataset`
writes: ``task`` (the task name), ``task_options`` (the env's options as JSON) and ``target`` (JSON), and judge
each completion with :meth:`spatial_env.tasks.Task.judge`, the very call ``env.step`` makes, so the reward is
the benchmark metric (error metrics negated; an unparseable answer scores the metric's worst value).

Completions may be plain strings or TRL's conversational form (a list of messages whose last assistant turn is
the answer, its content a string or a list of text parts). Rows of different tasks may share a batch.
"""

from __future__ import annotations

import functools
import json
import typing
from typing import Any, Sequence

from ..parsing import ParseFailure
from ..tasks import Judgement, get_task


def completion_text(completion: Any) -> str | None:
    """The answer text of one completion (a string, or the last assistant message of a conversation)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        completion = [completion]
    if isinstance(completion, (list, tuple)):
        for message in reversed(completion):
            if isinstance(message, dict) and message.get("role", "assistant") == "assistant":
                content = message.get("content")
                if isinstance(content, str):
                    return content
                if isinstance(content, (list, tuple)):
                    return "".join(part.get("text") or "" for part in content
                                   if isinstance(part, dict) and part.get("type", "text") == "text")
                return ""
    return None  # not an answer at all: judged as a failed parse


@functools.lru_cache(maxsize=256)
def _options(task_name: str, options_json: str):
    """The task's options instance from the dataset's JSON (cached: every row of an env shares it)."""
    task = get_task(task_name)
    values = json.loads(options_json)
    hints = typing.get_type_hints(task.options)
    for key, value in values.items():
        # JSON has no tuples: give tuple-typed options back their type, so judging sees what the env saw.
        if typing.get_origin(hints.get(key)) is tuple and isinstance(value, list):
            values[key] = tuple(value)
    return task.options.from_kwargs(values, where=f"task {task_name!r} (dataset task_options)")


def _column(kwargs: dict, name: str, n: int) -> Sequence:
    if name not in kwargs:
        raise KeyError(f"the reward needs the dataset column {name!r} (build the dataset with "
                       f"spatial_env.rl.build_dataset; keep remove_unused_columns=False)")
    values = kwargs[name]
    if len(values) != n:
        raise ValueError(f"column {name!r} has {len(values)} values for {n} completions")
    return values


def judge_completion(completion: Any, task: str, task_options: str, target: str | dict) -> Judgement:
    """Judge one completion against one dataset row's ``task``, ``task_options`` and ``target``."""
    t = get_task(task)
    target = json.loads(target) if isinstance(target, str) else target
    return t.judge(completion_text(completion), target, _options(task, task_options))


def env_reward(completions: Sequence, **kwargs: Any) -> list[float]:
    """The env's reward for each completion: the task's headline metric, as ``env.step`` returns it."""
    n = len(completions)
    rows = zip(completions, _column(kwargs, "task", n), _column(kwargs, "task_options", n),
               _column(kwargs, "target", n))
    return [judge_completion(c, task, options, target).reward for c, task, options, target in rows]


def format_reward(completions: Sequence, **kwargs: Any) -> list[float]:
    """1.0 when the answer parses in the task's answer format (whatever its value), else 0.0."""
    n = len(completions)
    rows = zip(completions, _column(kwargs, "task", n), _column(kwargs, "task_options", n))
    out = []
    for completion, task, options in rows:
        text = completion_text(completion)
        ok = isinstance(text, str) and not isinstance(get_task(task).parse(text, _options(task, options)), ParseFailure)
        out.append(1.0 if ok else 0.0)
    return out

