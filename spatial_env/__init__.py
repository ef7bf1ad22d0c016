"""spatial-env: Gymnasium environments for the 3D spatial understanding of vision-language models.

Importing the package registers every task family's environments (``Rep2D-Bbox-v0``, ...) with
Gymnasium; ``spatial-env list envs`` lists them.
"""

__version__ = "0.2.0"

from .envs import ENV_IDS  # noqa: E402  (registers the environments)

__all__ = ["ENV_IDS", "Results", "__version__", "evaluate"]


def __getattr__(name: str):
    """``evaluate`` and ``Results`` load the harness on first use, so ``import spatial_env`` stays light."""
    if name in ("evaluate", "Results"):
        from . import evaluation

        return getattr(evaluation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
