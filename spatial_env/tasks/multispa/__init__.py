"""MultiSPA (multi-spatialmllm.txt): multi-frame spatial questions with the paper's templates and metric.

==============================  ==========================================================  ===============
env id                          questions (§3.1; question types, Table 2's columns)          images
==============================  ==========================================================  ===============
``MultiSPA-Depth-v0``           a pixel's depth in mm (Value); which of two pixels is        1
                                closer / farther (Comparison); pixels by dot or 0-1000
                                coordinates
``MultiSPA-Correspondence-v0``  image 1's pixel in image 2: 0-1000 coordinates               2
                                (Coordinate) or one of 4 labelled dots (MCQ)
``MultiSPA-CameraMotion-v0``    translation direction on x / y / z, yaw and pitch            2
                                direction, translation distance, yaw and pitch degrees,
                                displacement vector (the paper's nine question types)
``MultiSPA-ObjectMotion-v0``    a point's travelled distance or displacement vector when     2
                                its object is moved (dot / coordinate; camera still /
                                moving: 8 question types)
``MultiSPA-ObjectSize-v0``      an object's height / width / length from images that cover   ``size_views``
                                it only together
==============================  ==========================================================  ===============

Each question type is also a task of its own (``multispa_<type>``: its parser, random answer and prior);
an env draws its question types uniformly (§3.3 holds out 300 questions per subtask) and each episode
names the task that scores it. ``Family.groups`` are Table 2's columns.

Rules followed (multi-spatialmllm.txt):

* §3.2 "Data Format": prompt = description + question from the paper's templates (Listing 4, Figures
  6-14; several where it lists several, drawn with the rng), answers in backticks, lengths in integer
  millimetres, pixel coordinates ⌊x / W · 1000⌋ (eq. 1);
* §3.2.1: depth is the camera z of a visible point; image pairs have overlap (IoU of visible points,
  eq. 4, :meth:`FrameBank.overlap`) in [6 %, 35 %], drawn uniformly over overlap bins (supplementary D,
  Listing 1's 1 % bins); correspondence truth back-projects image 1's depth and projects into image 2
  with eq. 3's depth test; camera motion is E_i^-1 E_j with x > 0 "right", y > 0 "down", z > 0
  "forward"; yaw and pitch follow supplementary E; object size uses the 3D box and supplementary F's
  minimum-coverage-set search with two images;
* §3.2.2: object-motion pairs are balanced over displacement bins; §4.3: MCQ distractors are random
  ("easy", the default) or near the answer ("hard");
* §3.3: exact match for qualitative and multiple-choice answers, ‖error‖ ≤ 20 % of ‖truth‖ for scalars
  and vectors, within 5 % of the image width for coordinates; headline: accuracy.

Choices where the paper is silent (options, :mod:`.options`, each marked "our choice"): the frames are a
rendered walkthrough (or a scan's photos, ``frames="captured"``); objects are moved in the simulator
(:mod:`.motion`: slid over their support, turned up to 30 degrees, never into another box) instead of
being tracked in 4D captures; the displacement bins' edges; degrees are absolute changes; directions and
distances below ``min_translation`` / ``min_rotation_deg`` are not asked; compared depths differ by at
least ``min_depth_gap``; height is the box axis nearest gravity, length the longer horizontal one;
object-size images must share content (overlap > 0); ``prompt_style="paper"`` adds one line naming the
answer format (``"paper_strict"``: templates only); the camera translation distance / vector templates
are ours (Figure 11's text is not in our copy).
"""

from __future__ import annotations

from ... import metrics
from .. import Family, Task, register_family
from .marks import draw
from .formats import answer_format, env_answer_format
from .generate import frames, sample, sampler
from .options import (CameraMotionOptions, CorrespondenceOptions, DepthOptions, MultiSPAOptions, ObjectMotionOptions,
                      ObjectSizeOptions)
from .score import env_parser, env_score, parser, score
from .table import GROUPS, QUESTION_TYPES

#: env-level task name -> (options class, description)
_ENVS = {
    "depth": (DepthOptions, "MultiSPA depth perception: a pixel's depth, or which of two is closer"),
    "correspondence": (CorrespondenceOptions, "MultiSPA visual correspondence: image 1's pixel in image 2"),
    "camera_motion": (CameraMotionOptions, "MultiSPA camera movement: direction, distance, angle, vector"),
    "object_motion": (ObjectMotionOptions, "MultiSPA object movement: a moved point's distance or vector"),
    "object_size": (ObjectSizeOptions, "MultiSPA object size: height, width or length from covering images"),
}

ENV_TASKS = tuple(
    Task(f"multispa_{env}", "multispa", metrics.ACCURACY, options, frames, sample, env_parser(options.QUESTION_TYPES),
         env_score, draw, env_answer_format(options.QUESTION_TYPES), description=text)
    for env, (options, text) in _ENVS.items())

TYPE_TASKS = tuple(
    Task(q.task, "multispa", metrics.ACCURACY, _ENVS[q.env][0], frames, sampler(q.name), parser(q), score, draw,
         answer_format(q), description=f"MultiSPA {q.group}: {q.name}")
    for q in QUESTION_TYPES.values())

FAMILY = register_family(Family(
    name="multispa",
    title="MultiSPA",
    paper="multi-spatialmllm.txt §3.1-3.3, Table 2, supplementary D-F",
    tasks=ENV_TASKS + TYPE_TASKS,
    envs={"MultiSPA-Depth-v0": {"task": "multispa_depth"},
          "MultiSPA-Correspondence-v0": {"task": "multispa_correspondence"},
          "MultiSPA-CameraMotion-v0": {"task": "multispa_camera_motion"},
          "MultiSPA-ObjectMotion-v0": {"task": "multispa_object_motion"},
          "MultiSPA-ObjectSize-v0": {"task": "multispa_object_size"}},
    groups=dict(GROUPS),
    test_kwargs={"resolution": 64, "frames_per_scene": 24},
    test_cases=(("MultiSPA-Depth-v0", {"parse_mode": "official", "prompt_style": "paper_strict"}),
                ("MultiSPA-Correspondence-v0", {"distractors": "hard", "questions_per_episode": 3}),
                ("MultiSPA-CameraMotion-v0", {"question_types": "camera_yaw_degree,camera_translation_vector",
                                              "parse_mode": "official"}),
                ("MultiSPA-ObjectMotion-v0", {"max_object_yaw_deg": 0.0, "questions_per_episode": 2}),
                ("MultiSPA-ObjectSize-v0", {"parse_mode": "official"})),
))

__all__ = ["ENV_TASKS", "FAMILY", "TYPE_TASKS", "CameraMotionOptions", "CorrespondenceOptions", "DepthOptions",
           "MultiSPAOptions", "ObjectMotionOptions", "ObjectSizeOptions"]
