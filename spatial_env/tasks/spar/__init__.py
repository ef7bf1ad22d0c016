"""SPAR-Bench (spar-7m.txt): 20 spatial tasks from depth to spatial imagination, one env each, and a mix.

=========================  ======  =====================================================  ================
env id                     level   question (§7.2, §7.5; examples §7.6)                   metric
=========================  ======  =====================================================  ================
``SPAR-Depth-OC-v0``       Low     depth of an object's centre                            SPAR MRA
``SPAR-Depth-OC-MV-v0``    Low     depth of an object in another view, given a reference  SPAR MRA
``SPAR-Depth-OO-v0``       Low     depth difference of two objects                        SPAR MRA
``SPAR-Depth-OO-MV-v0``    Low     the same across views                                  SPAR MRA
``SPAR-Dist-OC-v0``        Low     camera-to-object distance                              SPAR MRA
``SPAR-Dist-OC-MV-v0``     Low     main camera to an object seen in another view          SPAR MRA
``SPAR-Dist-OO-v0``        Low     distance between two objects                           SPAR MRA
``SPAR-Dist-OO-MV-v0``     Low     the same across views                                  SPAR MRA
``SPAR-PosMatch-v0``       Medium  an object's box in image 2 given its box in image 1    accuracy
``SPAR-CamMotion-v0``      Medium  image 2's camera in image 1 (coordinates and depth)    accuracy
``SPAR-ViewChgI-v0``       Medium  camera translation and rotation between two views      view-change score
``SPAR-DistI-OO-v0``       High    which of two objects is closer to / farther from A     accuracy
``SPAR-DistI-OO-MV-v0``    High    the same across views                                  accuracy
``SPAR-ObjRel-OC-MV-v0``   High    an object's direction from the main view's observer    accuracy
``SPAR-ObjRel-OO-v0``      High    one object's direction from another                    accuracy
``SPAR-ObjRel-OO-MV-v0``   High    the same across views                                  accuracy
``SPAR-SpImag-OC-v0``      High    after moving to A facing B: C's direction              accuracy
``SPAR-SpImag-OC-MV-v0``   High    the same across views                                  accuracy
``SPAR-SpImag-OO-v0``      High    after moving to A facing B: C's direction from B       accuracy
``SPAR-SpImag-OO-MV-v0``   High    the same across views                                  accuracy
``SPAR-Bench-v0``          all     one of the 20 at random; summaries laid out as Table 4  each task's own
=========================  ======  =====================================================  ================

Rules followed: image items (§7.4: visible-vertex fraction, projected area, z-buffer depth range);
depths are z of 3D centres in the camera, distances between 3D centres (§7.5); relations in the
main view's camera axes with the 0.1 m "indistinguishable" threshold (§7.5); overlapping 2D boxes
and too-similar values skipped (depth), overlapping 3D boxes and short distances skipped (distance);
spatial imagination moves the camera to A facing B with world up and discards steep views (§7.5
Eq. 7-8); position matching uses projected 3D boxes; camera pose projects the second camera centre
into the first image, normalised to 0-1000, with its depth (Eq. 9); objects are marked by red / blue
/ green points at their centres (§7.6); select questions for multiple choice, fill for numbers (§3.3).

Choices where the paper is silent (each an option of :class:`SparOptions`): the thresholds it names
without a value (τ, area, depth range, distance and similarity thresholds, the vertical angle), how
many images a multi-view question shows (``mv_views``), where a marker goes when the projected
centre misses the object (its nearest pixel), that front/behind between two objects means nearer /
farther from the observer, and that SpImag-OO asks C's direction from B. ``frames="captured"`` serves
a ScanNet scan's exported photos instead of rendered walkthrough frames (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import replace

from ... import metrics
from ...frames import FrameSpec
from .. import Family, Task, register_family
from . import formats, questions as Q, score
from .draw import draw
from .options import SparOptions


def frames(o: SparOptions) -> FrameSpec:
    """Rendered walkthrough frames (scan-like), or a scan's captured photos."""
    if o.frames == "captured":
        return FrameSpec("captured", {"frames_dir": o.frames_dir, **(o.sampler or {})})
    return FrameSpec("walkthrough", {"frames": o.frames_per_scene, "resolution": o.resolution, **(o.sampler or {})})


# (abbreviation, level, sampler, kind, images: "one" | "two" | "mv")
SPECS = (
    ("Depth-OC", "Low", Q.depth_oc, "number", "one"),
    ("Depth-OC-MV", "Low", Q.depth_oc_mv, "number", "mv"),
    ("Depth-OO", "Low", Q.depth_oo, "number", "one"),
    ("Depth-OO-MV", "Low", Q.depth_oo_mv, "number", "mv"),
    ("Dist-OC", "Low", Q.dist_oc, "number", "one"),
    ("Dist-OC-MV", "Low", Q.dist_oc_mv, "number", "mv"),
    ("Dist-OO", "Low", Q.dist_oo, "number", "one"),
    ("Dist-OO-MV", "Low", Q.dist_oo_mv, "number", "mv"),
    ("PosMatch", "Medium", Q.posmatch, "choice", "two"),
    ("CamMotion", "Medium", Q.cammotion, "choice", "two"),
    ("ViewChgI", "Medium", Q.viewchgi, "view", "two"),
    ("DistI-OO", "High", Q.disti_oo, "choice2", "one"),
    ("DistI-OO-MV", "High", Q.disti_oo_mv, "choice2", "mv"),
    ("ObjRel-OC-MV", "High", Q.objrel_oc_mv, "choice", "mv"),
    ("ObjRel-OO", "High", Q.objrel_oo, "choice", "one"),
    ("ObjRel-OO-MV", "High", Q.objrel_oo_mv, "choice", "mv"),
    ("SpImag-OC", "High", Q.spimag_oc, "choice", "one"),
    ("SpImag-OC-MV", "High", Q.spimag_oc_mv, "choice", "mv"),
    ("SpImag-OO", "High", Q.spimag_oo, "choice", "one"),
    ("SpImag-OO-MV", "High", Q.spimag_oo_mv, "choice", "mv"),
)


def task_name(abbreviation: str) -> str:
    """The registered task name of a SPAR abbreviation ("Depth-OC-MV" -> "spar_depth_oc_mv")."""
    return "spar_" + abbreviation.lower().replace("-", "_")


def _images(kind: str):
    def counts(o: SparOptions) -> tuple[int, ...]:
        return ({"one": 1, "two": 2, "mv": o.mv_views}[kind],)
    return counts


def _task(abbreviation: str, sampler, kind: str, images: str) -> Task:
    key = abbreviation.lower().replace("-", "_")
    common = dict(options=SparOptions, frames=frames, sample=Q.retrying(abbreviation, sampler), draw=draw,
                  images=_images(images), description=f"SPAR-Bench {abbreviation}: {sampler.__doc__.split(': ', 1)[-1]}")
    if kind == "number":
        return Task(task_name(abbreviation), "spar", metrics.SPAR_MRA, parse=score.number_parser(key),
                    score=score.score_number, answers=formats.NUMBER, **common)
    if kind == "view":
        return Task(task_name(abbreviation), "spar", score.VIEW_CHANGE, parse=score.parse_view,
                    score=score.score_view, answers=formats.VIEW_CHANGE, **common)
    return Task(task_name(abbreviation), "spar", metrics.ACCURACY, parse=score.parse_option, score=score.score_option,
                answers=formats.CHOICE2 if kind == "choice2" else formats.CHOICE4, **common)


TASKS = tuple(_task(abbr, sampler, kind, images) for abbr, _, sampler, kind, images in SPECS)


def sample_bench(bank, rng, o: SparOptions):
    """SPAR-Bench-v0: one of the 20 tasks, uniformly, scored by that task (``Episode.task``)."""
    task = TASKS[int(rng.integers(len(TASKS)))]
    return replace(task.sample(bank, rng, o), task=task.name)


def _bench_images(o: SparOptions) -> tuple[int, ...]:
    return tuple(sorted({c for t in TASKS for c in t.images(o)}))


BENCH = Task("spar_bench", "spar", score.BENCH, SparOptions, frames, sample_bench, score.parse_mixed, score.score_mixed,
             draw=draw, images=_bench_images, description="SPAR-Bench: the 20 tasks mixed, summarised as Table 4")

LEVELS = {level: tuple(a for a, lv, *_ in SPECS if lv == level) for level in ("Low", "Medium", "High")}

FAMILY = register_family(Family(
    name="spar",
    title="SPAR-Bench",
    paper="spar-7m.txt §3.3, Table 4, §7.2-7.6",
    tasks=(*TASKS, BENCH),
    envs={**{f"SPAR-{abbr}-v0": {"task": task_name(abbr)} for abbr, *_ in SPECS},
          "SPAR-Bench-v0": {"task": "spar_bench"}},
    groups=LEVELS,
    test_kwargs={"resolution": 64, "frames_per_scene": 16, "min_vertex_fraction": 0.1, "min_gap": 0.05,
                 "min_overlap": 0.02, "max_tries": 2000},
    test_cases=(("SPAR-Bench-v0", {"questions_per_episode": 3}),
                ("SPAR-ObjRel-OO-v0", {"marker": "box"}),
                ("SPAR-Depth-OC-v0", {"parse_mode": "official"}),
                ("SPAR-Dist-OO-MV-v0", {"mv_views": 2})),
))

__all__ = ["BENCH", "FAMILY", "LEVELS", "SPECS", "SparOptions", "TASKS", "task_name"]
