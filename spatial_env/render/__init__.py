"""Renderers: turn a scene and a camera into RGB, z-depth and instance-id images."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ..camera import Camera
from ..scene.model import Scene
from .base import Frame, Renderer

#: Names ``make_renderer`` accepts; "auto" picks the best available one.
BACKENDS = ("auto", "numba", "gl", "habitat")
# Backends on the design card whose implementation has not landed yet.
_PLANNED = {"habitat": "habitat-sim adapter"}


@functools.lru_cache(maxsize=None)
def _auto() -> str:
    # Decided once per process, from the machine alone (moderngl installed and a GPU EGL device), so a
    # bank's cache key, which holds the resolved name, is the same on every call.
    from .gl_backend import hardware_gl_available

    return "gl" if hardware_gl_available() else "numba"


def resolve_backend(backend: str = "auto") -> str:
    """The concrete backend ``make_renderer(scene, backend)`` uses (view-bank caches key on it): "auto" is
    "gl" where a GPU EGL device and moderngl exist, else "numba"; "gl" raises GLUnavailableError (naming
    what is missing) where it cannot run."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown renderer backend {backend!r}; valid backends: {', '.join(BACKENDS)}")
    if backend in _PLANNED:
        raise NotImplementedError(
            f"renderer backend {backend!r} ({_PLANNED[backend]}) is not available yet; use 'numba' (or 'auto')")
    if backend == "auto":
        return _auto()
    if backend == "gl":
        from .gl_backend import GLUnavailableError, gl_unavailable_reason

        reason = gl_unavailable_reason()
        if reason is not None:
            raise GLUnavailableError(reason)
    return backend


def make_renderer(scene: Scene, backend: str = "auto", **options) -> Renderer:
    """A renderer bound to ``scene``; ``backend`` is one of :data:`BACKENDS` (see :func:`resolve_backend`)."""
    name = resolve_backend(backend)
    # imported here so `import spatial_env.render` stays light until a renderer is wanted
    if name == "gl":
        from .gl_backend import GLRenderer

        return GLRenderer(scene, **options)
    from .numba_backend import NumbaRenderer

    return NumbaRenderer(scene, **options)


def render_many(renderer: Renderer, cameras: Sequence[Camera], *, only_objects: Iterable[int] | None = None,
                object_transforms: Mapping[int, np.ndarray] | None = None) -> list[Frame]:
    """``renderer.render`` for each camera, batched where the backend can (``gl``: one upload, read-back
    through one buffer); same keywords as ``render``, applied to every camera."""
    batched = getattr(renderer, "render_many", None)
    if batched is not None:
        return batched(cameras, only_objects=only_objects, object_transforms=object_transforms)
    return [renderer.render(cam, only_objects=only_objects, object_transforms=object_transforms) for cam in cameras]


def __getattr__(name: str):
    """Lazy access to the backends' classes without importing numba or moderngl at package import time."""
    if name == "NumbaRenderer":
        from .numba_backend import NumbaRenderer

        return NumbaRenderer
    if name in ("GLRenderer", "GLUnavailableError"):
        from . import gl_backend

        return getattr(gl_backend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BACKENDS", "Frame", "GLRenderer", "GLUnavailableError", "NumbaRenderer", "Renderer", "make_renderer",
           "render_many", "resolve_backend"]
