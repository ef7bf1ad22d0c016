"""Scenes: the mesh + object model, loaders for real datasets, and the embedded generated rooms."""

from .build import SceneBuilder
from .model import STRUCTURAL_CATEGORIES, Scene, SceneFormatError, SceneObject
from .primitives import Mesh, box

__all__ = ["Mesh", "STRUCTURAL_CATEGORIES", "Scene", "SceneBuilder", "SceneFormatError", "SceneObject", "box"]
