"""SPAR-Bench's options: every knob, its default, and where the default comes from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .. import TaskOptions


@dataclass(frozen=True)
class SparOptions(TaskOptions):
    """Options of the SPAR envs (``gym.make`` keywords). Thresholds the paper names without a value
    (spar-7m.txt §7.4-7.5) are marked "our choice"; docs: the family's module docstring."""

    frames: Literal["rendered", "captured"] = "rendered"  # rendered walkthrough, or a scan's exported photos
    frames_dir: str | None = None          # captured: folder of exported frames when not inside the scan
    frames_per_scene: int = 48             # rendered: walkthrough frames per scene (our choice)
    sampler: dict | None = None            # overrides of the frame sampler's config (walkthrough / captured)
    mv_views: int = 3                      # images of the *-MV tasks (our choice; the paper says "multi-view")
    # Image items (§7.4): an object counts as seen in a frame when all three hold.
    min_vertex_fraction: float = 0.3       # τ: share of its vertices visible (our choice; value not given)
    min_area: float = 0.003                # its visible pixels over the image's (our choice)
    depth_range: tuple[float, float] = (0.2, 8.0)  # metres, its visible z-buffer depths (our choice)
    # Skip rules (§7.5).
    relation_threshold: float = 0.1        # metres: closer than this is "indistinguishable" (§7.5, stated)
    min_distance: float = 0.3              # metres: object pairs nearer than this are skipped (our choice)
    min_gap: float = 0.15                  # metres: depth / distance pairs closer in value are skipped (our choice)
    max_vertical_angle_deg: float = 30.0   # spatial imagination: steeper "face B" views are discarded (our choice)
    min_overlap: float = 0.05              # multi-view: voxel IoU of each view with the main one (our choice)
    marker: Literal["point", "box"] = "point"  # how objects are marked: coloured points (§7.6) or boxes
    max_tries: int = 400                   # candidate draws before a scene is declared unable to pose the task

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mv_views < 2:
            raise ValueError(f"mv_views must be >= 2 (multi-view tasks show several images), got {self.mv_views}")
        if self.frames_per_scene < 2:
            raise ValueError(f"frames_per_scene must be >= 2, got {self.frames_per_scene}")
        if not 0.0 <= self.min_vertex_fraction <= 1.0 or not 0.0 <= self.min_area < 1.0:
            raise ValueError("min_vertex_fraction must be in [0, 1] and min_area in [0, 1)")
        lo, hi = self.depth_range
        if not 0.0 <= lo < hi:
            raise ValueError(f"depth_range must be (near, far) with 0 <= near < far, got {self.depth_range}")
        if self.frames_dir is not None and self.frames != "captured":
            raise ValueError("frames_dir is only used with frames='captured'")
        if self.sampler is not None and "resolution" in self.sampler:
            raise ValueError("set the image size with resolution=..., not sampler={'resolution': ...}")
        if self.max_tries < 1:
            raise ValueError(f"max_tries must be >= 1, got {self.max_tries}")
