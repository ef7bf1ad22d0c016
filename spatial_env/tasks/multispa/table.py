"""MultiSPA's question types: their answer kind, Table 2 column, and what their answers look like.

Every question type is one scoring :class:`~spatial_env.tasks.Task` (``multispa_<type>``), so each
knows its own answer format (parsing, random answer, prior); the five env-level tasks mix them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QType:
    """One question type: ``kind`` is ``label`` (A/B/...), ``word`` (a direction), ``point`` (0-1000
    ``[x, y]``), ``scalar`` or ``vector`` (``[x, y, z]``); ``options`` the labels or words; ``unit`` of a
    number ("mm" or "deg"); ``exact`` points are matched exactly (a choice among written coordinates);
    ``random_range`` bounds a random number / vector component (our choice, for the random baseline)."""

    name: str
    env: str
    group: str
    kind: str
    options: tuple[str, ...] = ()
    unit: str | None = None
    exact: bool = False
    random_range: tuple[float, float] = (0.0, 0.0)

    @property
    def key(self) -> str:
        """The target's key holding the answer value: ``choice`` (labels, words), ``point``, ``number`` or
        ``vector``; one key per kind keeps each info key's type fixed across an env's question types (vector
        envs stack infos per key)."""
        return {"label": "choice", "word": "choice", "scalar": "number"}.get(self.kind, self.kind)

    @property
    def task(self) -> str:
        """The name of the task that scores this question type."""
        return f"multispa_{self.name}"


# Table 2's columns (multi-spatialmllm.txt §4.1): the family's summary groups.
DEPTH_COMPARISON = "Depth perception: Comparison"
DEPTH_VALUE = "Depth perception: Value"
CORR_COORD = "Visual correspondence: Coordinate"
CORR_MCQ = "Visual correspondence: MCQ"
ORIENT_DIRECTION = "Camera orientation: Direction"
ORIENT_DEGREE = "Camera orientation: Degree"
TRANS_DIRECTION = "Camera translation: Direction"
TRANS_DISTANCE = "Camera translation: Distance"
TRANS_VECTOR = "Camera translation: Vector"
OBJ_DISTANCE = "Object movement: Distance"
OBJ_VECTOR = "Object movement: Vector"
SIZE = "Object perception: Size"

_MM, _DEG = "mm", "deg"
_TYPES = [
    QType("depth_comparison_dot", "depth", DEPTH_COMPARISON, "label", ("A", "B")),
    QType("depth_comparison_coord", "depth", DEPTH_COMPARISON, "point", exact=True),
    QType("depth_value_dot", "depth", DEPTH_VALUE, "scalar", unit=_MM, random_range=(300.0, 6000.0)),
    QType("depth_value_coord", "depth", DEPTH_VALUE, "scalar", unit=_MM, random_range=(300.0, 6000.0)),
    QType("correspondence_coord", "correspondence", CORR_COORD, "point"),
    QType("correspondence_mcq", "correspondence", CORR_MCQ, "label", ("A", "B", "C", "D")),
    # §3.2.1: x > 0 "right", y > 0 "down", z > 0 "forward", otherwise "left", "up", "backward"
    QType("camera_translation_x", "camera_motion", TRANS_DIRECTION, "word", ("left", "right")),
    QType("camera_translation_y", "camera_motion", TRANS_DIRECTION, "word", ("up", "down")),
    QType("camera_translation_z", "camera_motion", TRANS_DIRECTION, "word", ("forward", "backward")),
    QType("camera_yaw_direction", "camera_motion", ORIENT_DIRECTION, "word", ("left", "right")),
    QType("camera_pitch_direction", "camera_motion", ORIENT_DIRECTION, "word", ("up", "down")),
    QType("camera_translation_distance", "camera_motion", TRANS_DISTANCE, "scalar", unit=_MM,
          random_range=(0.0, 3000.0)),
    QType("camera_yaw_degree", "camera_motion", ORIENT_DEGREE, "scalar", unit=_DEG, random_range=(0.0, 180.0)),
    QType("camera_pitch_degree", "camera_motion", ORIENT_DEGREE, "scalar", unit=_DEG, random_range=(0.0, 45.0)),
    QType("camera_translation_vector", "camera_motion", TRANS_VECTOR, "vector", unit=_MM,
          random_range=(-2000.0, 2000.0)),
    *[QType(f"object_{out}_{ref}_{cam}", "object_motion", OBJ_DISTANCE if out == "distance" else OBJ_VECTOR,
            "scalar" if out == "distance" else "vector", unit=_MM,
            random_range=(0.0, 2000.0) if out == "distance" else (-1500.0, 1500.0))
      for out in ("distance", "vector") for ref in ("dot", "coord") for cam in ("still", "moving")],
    *[QType(f"object_size_{dim}", "object_size", SIZE, "scalar", unit=_MM, random_range=(50.0, 2500.0))
      for dim in ("height", "width", "length")],
]

#: Question types by name, in Table 2's order.
QUESTION_TYPES: dict[str, QType] = {q.name: q for q in _TYPES}

#: Table 2's columns, in its order: name -> question types (Family.groups).
GROUPS: dict[str, tuple[str, ...]] = {
    g: tuple(q.name for q in _TYPES if q.group == g)
    for g in (DEPTH_COMPARISON, DEPTH_VALUE, CORR_COORD, CORR_MCQ, ORIENT_DIRECTION, ORIENT_DEGREE, TRANS_DIRECTION,
              TRANS_DISTANCE, TRANS_VECTOR, OBJ_DISTANCE, OBJ_VECTOR, SIZE)}


def types_of(env: str) -> tuple[str, ...]:
    """The question types of one env-level task (``depth``, ``correspondence``, ...)."""
    return tuple(q.name for q in _TYPES if q.env == env)
