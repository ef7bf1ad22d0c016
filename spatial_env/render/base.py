"""What every renderer backend returns and promises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol, runtime_checkable

import numpy as np

from ..camera import Camera


@dataclass(eq=False)
class Frame:
    """One rendered view: ``rgb`` uint8 (H, W, 3), ``depth`` float32 z-depth in metres (0 where
    nothing is hit), ``instance`` int32 object id per pixel (-1 background)."""

    rgb: np.ndarray
    depth: np.ndarray
    instance: np.ndarray


@runtime_checkable
class Renderer(Protocol):
    """A backend bound to one scene; renders any camera, optionally only some objects."""

    backend: str

    def render(self, camera: Camera, *, only_objects: Iterable[int] | None = None) -> Frame:
        """Render the scene (or just ``only_objects``, for amodal masks) from ``camera``."""
        ...
