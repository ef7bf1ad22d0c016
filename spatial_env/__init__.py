"""spatial-env: Gymnasium environments for the 3D spatial understanding of vision-language models.

Importing the package registers its environments (``Rep2D-Bbox-v0``, ...) with Gymnasium.
"""

__version__ = "0.1.0"

from .envs import ENV_IDS  # noqa: E402  (registers the environments)

__all__ = ["ENV_IDS", "__version__", "evaluate"]


def __getattr__(name: str):
    # The harness is imported on first use, so ``import spatial_env`` stays light. The submodule
    # ``spatial_env.evaluate`` is itself callable (it runs ``evaluate.evaluate``), so the attribute means
    # the same thing before and after anything imports the submodule.
    if name == "evaluate":
        import importlib

        return importlib.import_module(".evaluate", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
