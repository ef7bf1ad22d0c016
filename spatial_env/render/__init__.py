"""Renderers: turn a scene and a camera into RGB, z-depth and instance-id images."""

from __future__ import annotations

from ..scene.model import Scene
from .base import Frame, Renderer

#: Names ``make_renderer`` accepts; "auto" picks the best available one.
BACKENDS = ("auto", "numba", "gl", "habitat")
# Backends on the design card whose implementation has not landed yet.
_PLANNED = {"gl": "moderngl over EGL", "habitat": "habitat-sim adapter"}


def resolve_backend(backend: str = "auto") -> str:
    """The concrete backend ``make_renderer(scene, backend)`` uses (view-bank caches key on it)."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown renderer backend {backend!r}; valid backends: {', '.join(BACKENDS)}")
    if backend in _PLANNED:
        raise NotImplementedError(
            f"renderer backend {backend!r} ({_PLANNED[backend]}) is not available yet; use 'numba' (or 'auto')")
    return "numba" if backend == "auto" else backend


def make_renderer(scene: Scene, backend: str = "auto", **options) -> Renderer:
    """A renderer bound to ``scene``; ``backend`` is one of :data:`BACKENDS` ("auto" = "numba")."""
    resolve_backend(backend)
    # imported here so `import spatial_env.render` stays light until a renderer is wanted
    from .numba_backend import NumbaRenderer

    return NumbaRenderer(scene, **options)


def __getattr__(name: str):
    """Lazy access to ``NumbaRenderer`` without importing numba at package import time."""
    if name == "NumbaRenderer":
        from .numba_backend import NumbaRenderer

        return NumbaRenderer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BACKENDS", "Frame", "NumbaRenderer", "Renderer", "make_renderer", "resolve_backend"]
