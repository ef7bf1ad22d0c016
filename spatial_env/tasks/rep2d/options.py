"""Rep2D-BEAT's options: every knob, its default and where it comes from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .. import TaskOptions


@dataclass(frozen=True)
class Rep2DOptions(TaskOptions):
    """Options of the three Rep2D envs (``gym.make`` keywords)."""

    num_views: int = 5                     # images per question incl. the query; paper: 1, 2, 5, 10 (Tables 6-9)
    annotate_context: Literal["text", "draw", "both", "none"] = "text"  # Table 7: boxes as text, drawn, both, none
    context_images: bool = True            # False: context annotations as text only (Table 7's "+ 9 example bboxes")
    include_invisible: bool = False        # allow queries where the object is absent (the paper's 2 of 12 views)
    prompt_style: Literal["paper", "paper_strict"] = "paper"  # paper_strict: Appendix E + annotations, nothing else
    preset: Literal["default", "paper"] = "default"  # paper: official parsing and uncapped L2 (see the README)
    sampler: dict | None = None            # object_views sampler overrides (spatial_env.frames.object_views.SamplerConfig)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.num_views < 1:
            raise ValueError(f"num_views must be >= 1, got {self.num_views}")
        if self.sampler is not None and "resolution" in self.sampler:
            raise ValueError("set the image size with resolution=..., not sampler={'resolution': ...}")

    @property
    def images_per_question(self) -> int:
        """All views, or only the query view when context annotations come as text alone."""
        return self.num_views if self.context_images else 1

    @property
    def parsing(self) -> str:
        """The parse mode in force: the paper preset parses as the paper's prompt demands."""
        return "official" if self.preset == "paper" else self.parse_mode
