"""Rep2D-BEAT (rep2d-beat.txt): bounding box, exposure and camera position in a new view.

=====================  ====================================================  =====================
env id                 question (paper §4.1; prompts verbatim, Appendix E)    metric (reward)
=====================  ====================================================  =====================
``Rep2D-Bbox-v0``      the object's loose box in the query view, 0-1000      IoU
``Rep2D-Exposure-v0``  the object's visible percentage in the query view     squared error (−)
``Rep2D-CameraPose-v0``  the query view's camera position (x, y, z), metres   L2 error (−)
=====================  ====================================================  =====================

Rules followed (§4.1): per object 10 views where it is visible and 2 where it is not, 512×512,
cameras at random positions a minimum distance apart aimed at the object; the loose box is the
projected 3D box; visibility is visible pixels over the pixels of the object rendered alone; the
number of views is 1, 2, 5 or 10 (Tables 6-9); Table 7's ablations are ``annotate_context`` and
``context_images``.

Choices where the paper is silent (each an option, :class:`Rep2DOptions`):

* the perturbation is wider than "small" and views are stratified by visibility (see
  :mod:`spatial_env.frames.object_views`), so a constant answer does not solve Rep2D-B or Rep2D-E;
* generated rooms have their own origin and yaw, so Rep2D-AT positions are not all positive;
* a failed parse scores IoU 0, squared error 1 (predictions are clipped to [0, 1]) or the room
  diagonal (L2 errors are capped there by default; ``preset="paper"`` reports them uncapped);
* ``prompt_style="paper"`` adds a few lines to Appendix E (README, "Prompt styles");
  ``"paper_strict"`` is Appendix E plus the per-image annotations and nothing else;
* Rep2D-E answers are percentages with or without '%' (a bare 0.85 is 0.85 %), as the prompt asks.
"""

from __future__ import annotations

from ... import metrics
from .. import Family, Task, register_family
from . import formats, score
from .draw import draw
from .export import export
from .generate import frames, sample_bbox, sample_camera_pose, sample_exposure
from .options import Rep2DOptions

BBOX = Task("rep2d_bbox", "rep2d", metrics.IOU, Rep2DOptions, frames, sample_bbox, score.parse_bbox,
            score.score_bbox, draw, formats.BBOX, description="Rep2D-B: the object's box in a new view (IoU)")
EXPOSURE = Task("rep2d_exposure", "rep2d", metrics.SQUARED_ERROR, Rep2DOptions, frames, sample_exposure,
                score.parse_exposure, score.score_exposure, draw, formats.EXPOSURE,
                description="Rep2D-E: the object's visible fraction in a new view (MSE)")
CAMERA_POSE = Task("rep2d_camera_pose", "rep2d", metrics.L2_ERROR, Rep2DOptions, frames, sample_camera_pose,
                   score.parse_camera_pose, score.score_camera_pose, draw, formats.CAMERA_POSE,
                   metrics=(score.L2_CAPPED,), description="Rep2D-AT: the camera position of a new view (L2)")

FAMILY = register_family(Family(
    name="rep2d",
    title="Rep2D-BEAT",
    paper="rep2d-beat.txt §4.1, Appendix E",
    tasks=(BBOX, EXPOSURE, CAMERA_POSE),
    envs={"Rep2D-Bbox-v0": {"task": "rep2d_bbox"},
          "Rep2D-Exposure-v0": {"task": "rep2d_exposure"},
          "Rep2D-CameraPose-v0": {"task": "rep2d_camera_pose"}},
    test_kwargs={"resolution": 48, "num_views": 3,
                 "sampler": {"views_visible": 4, "views_invisible": 2, "min_visible_fraction": 0.01,
                             "max_tries": 300}},
    test_cases=(("Rep2D-Bbox-v0", {"include_invisible": True, "annotate_context": "both"}),
                ("Rep2D-Bbox-v0", {"context_images": False, "prompt_style": "paper_strict"}),
                ("Rep2D-Exposure-v0", {"include_invisible": True, "annotate_context": "draw"}),
                ("Rep2D-CameraPose-v0", {"include_invisible": True, "questions_per_episode": 3}),
                ("Rep2D-CameraPose-v0", {"preset": "paper"})),
    export=export,
))

__all__ = ["BBOX", "CAMERA_POSE", "EXPOSURE", "FAMILY", "Rep2DOptions"]
