"""Task families: the plug-in point of spatial-env.

A family is one folder under ``spatial_env/tasks/`` (or any module that calls
:func:`register_family`, found through the ``spatial_env.families`` entry point group). It declares:

* its :class:`Task` objects: how a question is sampled from a frame bank, parsed, scored, drawn,
  and which frames it needs; its headline :class:`~spatial_env.metrics.Metric`;
* its options dataclass (a :class:`TaskOptions` subclass): every knob with its default, once;
* its env ids (``{"Rep2D-Bbox-v0": {"task": "rep2d_bbox"}}``), registered with Gymnasium here;
* its summary groups (question types averaged together, e.g. SPAR's Low / Medium / High) and the
  small settings its conformance tests run with.

The env (:class:`spatial_env.env.SpatialEnv`), the evaluation harness, the report, the export and
the scripted agents read families through this registry only. docs/architecture.md has a worked example.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

import numpy as np

from ..metrics import Metric
from ..parsing import ParseFailure
from ..typecheck import dataclass_from_dict

ENTRY_POINT = "spatial_env.env:SpatialEnv"
PLUGIN_GROUP = "spatial_env.families"


# ---- options ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TaskOptions:
    """Options every task has. A family subclasses this with its own knobs, each with its default
    and a comment naming its paper source or "our choice"; ``gym.make`` keywords are validated
    against the fields (unknown keys and wrong types are errors naming the valid ones)."""

    resolution: int = 512                       # image side in pixels (square frames)
    questions_per_episode: int = 1              # questions asked before ``terminated``
    parse_mode: Literal["robust", "official"] = "robust"  # answer parsing (spatial_env.parsing)

    def __post_init__(self) -> None:
        if not 8 <= self.resolution <= 4096:
            raise ValueError(f"resolution must be within 8..4096 pixels, got {self.resolution}")
        if self.questions_per_episode < 1:
            raise ValueError(f"questions_per_episode must be >= 1, got {self.questions_per_episode}")

    @property
    def images_per_question(self) -> int:
        """How many images each observation holds (fixed per env, as vector envs need)."""
        return 1

    @classmethod
    def from_kwargs(cls, values: dict[str, Any], *, where: str = "options") -> "TaskOptions":
        """Options from keyword arguments, checked against the fields' names and types."""
        return dataclass_from_dict(cls, values, where=where)

    def to_dict(self) -> dict[str, Any]:
        """The options as a plain dict."""
        return dataclasses.asdict(self)


# ---- episodes and tasks ----------------------------------------------------------------------------

class CannotPose(ValueError):
    """A scene cannot pose a task's question under its rules and options (too few objects, views or
    frame pairs); the message says what to relax. The env then draws another of its scenes."""


@dataclass(frozen=True)
class Episode:
    """One question: the images shown, the prompt, the structured target and its reference answer.

    ``question_type`` names the kind of question (summaries group by it); ``choices`` holds the
    options of a multiple-choice question; ``meta`` is what the family's drawing needs (pixel
    boxes, points) and the geometry the answer was computed from. ``task`` names the registered
    task that parses and scores the answer when it is not the env's own (an env mixing several
    tasks, such as a whole benchmark, samples from each and says which)."""

    images: list[np.ndarray]
    prompt: str
    target: dict
    answer: str
    scene_id: str
    episode_id: str
    question_type: str
    choices: list[str] | None = None
    meta: dict = field(default_factory=dict)
    task: str | None = None


def json_value(value: Any) -> Any:
    """``value`` (an episode's target or meta, a prediction) as JSON values: tuples and numpy arrays become
    lists, numpy scalars numbers, dict keys strings."""
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass(frozen=True)
class AnswerFormat:
    """What scripted agents know of a task's answer format (only what the prompt spells out):
    a random valid answer, the training-set prior of targets, and the last context value in a prompt."""

    random: Callable[[np.random.Generator], str]
    prior: Callable[[list[dict]], str] | None = None
    last_context: Callable[[str], str | None] | None = None


@dataclass(frozen=True)
class Judgement:
    """A scored answer: the parsed prediction (or the ParseFailure), every metric, and the reward."""

    prediction: Any
    metrics: dict[str, float]
    reward: float

    @property
    def parse_ok(self) -> bool:
        """False when the answer did not parse (it then scored the worst value)."""
        return not isinstance(self.prediction, ParseFailure)


@dataclass(frozen=True, eq=False)
class Task:
    """One kind of question. ``sample(bank, rng, options) -> Episode``; ``parse(text, options)`` ->
    prediction or :class:`~spatial_env.parsing.ParseFailure` (never raises); ``score(prediction,
    target, options)`` -> metric values of a parsed prediction (the headline ``metric`` and the
    side ``metrics``); ``frames(options) -> FrameSpec``; ``draw(episode, prediction)`` -> the
    episode's images with its annotations (truth, and the prediction when given) for people;
    ``images(options)`` -> the image counts its questions can have (default: the options' one count)."""

    name: str
    family: str
    metric: Metric
    options: type[TaskOptions]
    frames: Callable[[Any], Any]
    sample: Callable[..., Episode]
    parse: Callable[[str, Any], Any]
    score: Callable[[Any, dict, Any], dict[str, float]]
    draw: Callable[[Episode, Any], list[np.ndarray]] | None = None
    answers: AnswerFormat | None = None
    metrics: tuple[Metric, ...] = ()
    description: str = ""
    images: Callable[[Any], tuple[int, ...]] | None = None

    def image_counts(self, options: Any) -> tuple[int, ...]:
        """How many images this task's questions show with ``options`` (several when an env mixes
        tasks; the observation then holds the most, padded, and says how many are real)."""
        return tuple(self.images(options)) if self.images is not None else (options.images_per_question,)

    def __reduce__(self):
        # Tasks are registry singletons holding functions: pickle them by name (vector env workers).
        return get_task, (self.name,)

    @property
    def higher_is_better(self) -> bool:
        """Direction of the headline metric."""
        return self.metric.higher_is_better

    @property
    def best_reward(self) -> float:
        """The reward of a perfect answer."""
        return self.metric.reward(self.metric.best)

    def judge(self, text: Any, target: dict, options: Any) -> Judgement:
        """Parse and score an answer: the one convention for rewards and failed parses.

        A failed parse (or an answer that is not a string) scores every metric's worst value."""
        if isinstance(text, str):
            prediction = self.parse(text, options)
        else:
            prediction = ParseFailure(f"answer is {type(text).__name__}, not str")
        if isinstance(prediction, ParseFailure):
            values = {m.name: m.worst_value(target) for m in (self.metric, *self.metrics)}
        else:
            values = {k: float(v) for k, v in self.score(prediction, target, options).items()}
        return Judgement(prediction, values, self.metric.reward(values[self.metric.name]))


@dataclass(frozen=True, eq=False)
class Family:
    """A task family: its tasks, env ids, summary groups and conformance settings (see the module doc).

    ``envs`` maps each env id to ``{"task": <task name>, **option overrides}``; ``groups`` names sets
    of question types whose mean of means a summary reports; ``test_kwargs`` make an env small and
    fast for the conformance suite; ``test_cases`` are extra (env id, kwargs) cases it also runs;
    ``export`` optionally writes the family's whole dataset (``export(out, scenes, **kwargs) -> str``)."""

    name: str
    title: str
    paper: str
    tasks: tuple[Task, ...]
    envs: dict[str, dict]
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    test_kwargs: dict = field(default_factory=dict)
    test_cases: tuple[tuple[str, dict], ...] = ()
    export: Callable[..., str] | None = None


# ---- registry --------------------------------------------------------------------------------------

_FAMILIES: dict[str, Family] = {}
_TASKS: dict[str, Task] = {}
_ENVS: dict[str, dict] = {}


def register_family(family: Family) -> Family:
    """Register a family's tasks and env ids (also with Gymnasium); idempotent for the same family."""
    import gymnasium as gym

    old = _FAMILIES.get(family.name)
    if old is not None:
        if old is family:
            return family
        raise ValueError(f"task family {family.name!r} is already registered")
    for task in family.tasks:
        if task.name in _TASKS:
            raise ValueError(f"task {task.name!r} (family {family.name!r}) is already registered")
        if task.family != family.name:
            raise ValueError(f"task {task.name!r} says family {task.family!r}, registered in {family.name!r}")
    names = {t.name for t in family.tasks}
    for env_id, spec in family.envs.items():
        if env_id in _ENVS or env_id in gym.registry:
            raise ValueError(f"env id {env_id!r} is already registered")
        if spec.get("task") not in names:
            raise ValueError(f"env {env_id!r}: task {spec.get('task')!r} is not one of family {family.name!r}'s "
                             f"{sorted(names)}")
        task = next(t for t in family.tasks if t.name == spec["task"])
        task.options.from_kwargs({k: v for k, v in spec.items() if k != "task"}, where=env_id)
    _FAMILIES[family.name] = family
    _TASKS.update({t.name: t for t in family.tasks})
    for env_id, spec in family.envs.items():
        _ENVS[env_id] = dict(spec)
        gym.register(env_id, entry_point=ENTRY_POINT, kwargs=dict(spec))
    return family


def discover() -> list[str]:
    """Import every family folder under ``spatial_env/tasks/`` and every ``spatial_env.families``
    entry point (each registers itself); returns all registered env ids."""
    for module in pkgutil.iter_modules(__path__):
        if module.ispkg:
            importlib.import_module(f"{__name__}.{module.name}")
    from importlib.metadata import entry_points

    for ep in entry_points(group=PLUGIN_GROUP):
        ep.load()
    return sorted(_ENVS)


def families() -> dict[str, Family]:
    """Registered families by name."""
    return dict(_FAMILIES)


def get_family(name: str) -> Family:
    """The registered family called ``name``."""
    try:
        return _FAMILIES[name]
    except KeyError:
        raise ValueError(f"unknown task family {name!r}; registered: {sorted(_FAMILIES)}") from None


def get_task(name: str) -> Task:
    """The registered task called ``name``."""
    try:
        return _TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; registered: {sorted(_TASKS)}") from None


def env_specs() -> dict[str, dict]:
    """Env id -> its registration kwargs (``task`` plus option overrides), for every registered env."""
    return {k: dict(v) for k, v in _ENVS.items()}


def family_of(env_id: str) -> Family:
    """The family that registered ``env_id``."""
    spec = _ENVS.get(env_id.split(":", 1)[-1])
    if spec is None:
        raise ValueError(f"{env_id!r} is not a registered spatial-env id")
    return get_family(get_task(spec["task"]).family)
