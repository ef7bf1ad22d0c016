"""What scripted agents know of a task's answer format: the task's own :class:`~spatial_env.tasks.AnswerFormat`.

Each family declares its answer formats in its folder (only what its prompts spell out, never its
internals); a task without one still works with :class:`PriorAgent` (most frequent answer text)
and :class:`OracleAgent`.
"""

from __future__ import annotations

from typing import Any

from spatial_env.tasks import AnswerFormat, get_task


def answer_format(task: str) -> AnswerFormat:
    """The answer format of task ``task`` (KeyError when the task is unknown or declares none)."""
    try:
        fmt = get_task(task).answers
    except ValueError as exc:
        raise KeyError(str(exc)) from None
    if fmt is None:
        raise KeyError(f"task {task!r} declares no answer format (Task.answers)")
    return fmt


def most_frequent(answers: list[str]) -> str:
    """The most frequent answer text (ties broken by first appearance): the prior for any task."""
    counts: dict[str, int] = {}
    for a in answers:
        counts[a] = counts.get(a, 0) + 1
    return max(counts, key=lambda a: counts[a]) if counts else ""


def targets_and_answers(infos: list[dict[str, Any]]) -> tuple[list[dict], list[str]]:
    """(targets, reference answers) of every question in a list of env ``info`` dicts."""
    return [i["target"] for i in infos], [i["answer"] for i in infos]
