"""MultiSPA's options: every knob, its default and where the default comes from.

One options class per env (each has its own question types and image count); the knobs every env
shares live in :class:`MultiSPAOptions`. "§" refers to multi-spatialmllm.txt; "our choice" marks
what the paper leaves open (docs: the family's module docstring).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Literal

from .. import TaskOptions
from .table import types_of


@dataclass(frozen=True)
class MultiSPAOptions(TaskOptions):
    """Options every MultiSPA env has (``gym.make`` keywords)."""

    QUESTION_TYPES: ClassVar[tuple[str, ...]] = ()
    IMAGES: ClassVar[int] = 2

    frames: Literal["rendered", "captured"] = "rendered"  # rendered walkthrough, or a scan's exported photos
    frames_dir: str | None = None          # captured: folder of exported frames when not inside the scan
    frames_per_scene: int = 48             # rendered: walkthrough frames per scene (our choice)
    sampler: dict | None = None            # overrides of the frame sampler's config (walkthrough / captured)
    question_types: str | None = None      # comma-separated subset of the env's question types (None: all)
    prompt_style: Literal["paper", "paper_strict"] = "paper"  # paper: + a line naming the answer format (our choice)
    overlap_range: tuple[float, float] = (0.06, 0.35)  # §3.2: frame pairs with overlap in [6 %, 35 %]
    overlap_bin_width: float = 0.01        # Listing 1's interval (1 %): pairs are drawn uniformly over bins
    point_margin: float = 0.03             # referenced pixels stay this share of the side off the border (our choice)
    max_tries: int = 200                   # draws before a scene cannot pose a question type (our choice)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.frames_per_scene < 2:
            raise ValueError(f"frames_per_scene must be >= 2, got {self.frames_per_scene}")
        if self.frames_dir is not None and self.frames != "captured":
            raise ValueError("frames_dir is only used with frames='captured'")
        if self.sampler is not None and "resolution" in self.sampler:
            raise ValueError("set the image size with resolution=..., not sampler={'resolution': ...}")
        lo, hi = self.overlap_range
        if not 0.0 <= lo < hi <= 1.0:
            raise ValueError(f"overlap_range must be (low, high) with 0 <= low < high <= 1, got {self.overlap_range}")
        if not 0.0 < self.overlap_bin_width <= 1.0:
            raise ValueError(f"overlap_bin_width must be in (0, 1], got {self.overlap_bin_width}")
        if not 0.0 <= self.point_margin < 0.5:
            raise ValueError(f"point_margin must be in [0, 0.5), got {self.point_margin}")
        if self.max_tries < 1:
            raise ValueError(f"max_tries must be >= 1, got {self.max_tries}")
        if self.question_types is not None:
            wanted = [t.strip() for t in self.question_types.split(",") if t.strip()]
            unknown = sorted(set(wanted) - set(self.QUESTION_TYPES))
            if not wanted or unknown:
                raise ValueError(f"question_types={self.question_types!r}: unknown or no question type(s) {unknown}; "
                                 f"this env's are {', '.join(self.QUESTION_TYPES)}")

    @property
    def types(self) -> tuple[str, ...]:
        """The question types asked (all of the env's unless ``question_types`` picks some), in table order."""
        if self.question_types is None:
            return self.QUESTION_TYPES
        wanted = {t.strip() for t in self.question_types.split(",")}
        return tuple(t for t in self.QUESTION_TYPES if t in wanted)

    @property
    def images_per_question(self) -> int:
        """Images per question: fixed per env."""
        return self.IMAGES


@dataclass(frozen=True)
class DepthOptions(MultiSPAOptions):
    """MultiSPA-Depth-v0: depth of a pixel, and which of two pixels is closer (§3.1, "Depth perception")."""

    QUESTION_TYPES: ClassVar[tuple[str, ...]] = types_of("depth")
    IMAGES: ClassVar[int] = 1

    min_depth_gap: float = 0.01            # metres between the two compared depths (our choice: no ties)
    min_point_separation: float = 0.1      # share of the width between the two compared pixels (our choice)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min_depth_gap < 0:
            raise ValueError(f"min_depth_gap must be >= 0 metres, got {self.min_depth_gap}")
        if not 0.0 <= self.min_point_separation < 1.0:
            raise ValueError(f"min_point_separation must be in [0, 1), got {self.min_point_separation}")


@dataclass(frozen=True)
class CorrespondenceOptions(MultiSPAOptions):
    """MultiSPA-Correspondence-v0: the pixel of image 2 showing a given pixel of image 1 (§3.1)."""

    QUESTION_TYPES: ClassVar[tuple[str, ...]] = types_of("correspondence")

    distractors: Literal["easy", "hard"] = "easy"  # §4.3: easy = random pixels, hard = near the answer
    hard_radius: float = 0.15              # hard distractors lie within this share of the width (our choice)
    min_label_separation: float = 0.06     # the four MCQ points are this share of the width apart (our choice)
    visibility_tolerance: float = 0.02     # metres (+ 1 % of depth) for eq. 3's depth test in image 2 (our choice)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 < self.hard_radius <= 1.0:
            raise ValueError(f"hard_radius must be in (0, 1], got {self.hard_radius}")
        if not 0.0 <= self.min_label_separation < self.hard_radius:
            raise ValueError(f"min_label_separation must be in [0, hard_radius={self.hard_radius}), "
                             f"got {self.min_label_separation}")
        if self.visibility_tolerance < 0:
            raise ValueError(f"visibility_tolerance must be >= 0 metres, got {self.visibility_tolerance}")


@dataclass(frozen=True)
class CameraMotionOptions(MultiSPAOptions):
    """MultiSPA-CameraMotion-v0: the camera's motion from image 1 to image 2, nine question types (§3.1)."""

    QUESTION_TYPES: ClassVar[tuple[str, ...]] = types_of("camera_motion")

    min_translation: float = 0.02          # metres: a direction / distance asked is at least this (our choice)
    min_rotation_deg: float = 1.0          # degrees: a rotation asked is at least this (our choice)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min_translation < 0 or self.min_rotation_deg < 0:
            raise ValueError(f"min_translation and min_rotation_deg must be >= 0, got {self.min_translation} and "
                             f"{self.min_rotation_deg}")


@dataclass(frozen=True)
class ObjectMotionOptions(MultiSPAOptions):
    """MultiSPA-ObjectMotion-v0: how far a point on a moved object travelled (§3.1, §3.2.2); the object is
    moved in the simulator (a rigid transform of its mesh), the camera stays or moves."""

    QUESTION_TYPES: ClassVar[tuple[str, ...]] = types_of("object_motion")

    motion_bins: tuple | list = (0.05, 0.25, 0.5, 1.0, 1.5)  # metres: §3.2.2 balances bins; edges our choice
    max_object_yaw_deg: float = 30.0       # the object also turns up to this about the vertical (our choice)
    min_object_fraction: float = 0.002     # the object covers at least this share of image 1 (our choice)
    visibility_tolerance: float = 0.02     # metres (+ 1 % of depth): the moved point is seen in image 2 (our choice)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.frames != "rendered":
            raise ValueError("MultiSPA-ObjectMotion moves objects in the simulator: it needs frames='rendered'")
        edges = self.motion_bins
        if (len(edges) < 2 or not all(isinstance(e, (int, float)) and not isinstance(e, bool) and math.isfinite(e)
                                      for e in edges)
                or edges[0] <= 0 or any(b <= a for a, b in zip(edges, edges[1:]))):
            raise ValueError(f"motion_bins must be >= 2 increasing positive distances in metres, got {edges!r}")
        object.__setattr__(self, "motion_bins", tuple(float(e) for e in edges))
        if not 0.0 <= self.max_object_yaw_deg <= 180.0:
            raise ValueError(f"max_object_yaw_deg must be in [0, 180], got {self.max_object_yaw_deg}")
        if not 0.0 <= self.min_object_fraction < 1.0:
            raise ValueError(f"min_object_fraction must be in [0, 1), got {self.min_object_fraction}")
        if self.visibility_tolerance < 0:
            raise ValueError(f"visibility_tolerance must be >= 0 metres, got {self.visibility_tolerance}")


@dataclass(frozen=True)
class ObjectSizeOptions(MultiSPAOptions):
    """MultiSPA-ObjectSize-v0: an object's height, width or length from images that cover it only
    together (§3.1, §3.2.1, supplementary F)."""

    QUESTION_TYPES: ClassVar[tuple[str, ...]] = types_of("object_size")

    size_views: int = 2                    # images per question; supplementary F: "we only use two images"
    coverage_tolerance: float = 0.1        # Listing 2's tol: |coverage - size| <= tol * size (value our choice)
    min_object_fraction: float = 0.002     # the object covers at least this share of each image (our choice)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 2 <= self.size_views <= 4:
            raise ValueError(f"size_views must be in 2..4 (a set no proper subset of which covers), "
                             f"got {self.size_views}")
        if not 0.0 < self.coverage_tolerance < 1.0:
            raise ValueError(f"coverage_tolerance must be in (0, 1), got {self.coverage_tolerance}")
        if not 0.0 <= self.min_object_fraction < 1.0:
            raise ValueError(f"min_object_fraction must be in [0, 1), got {self.min_object_fraction}")

    @property
    def images_per_question(self) -> int:
        """``size_views`` images."""
        return self.size_views
