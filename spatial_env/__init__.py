"""spatial-env: Gymnasium environments for the 3D spatial understanding of vision-language models."""

__version__ = "0.1.0"
