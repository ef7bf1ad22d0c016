"""Scenes: the mesh + object model, loaders for real datasets, and the embedded generated rooms."""

from .build import SceneBuilder
from .loaders import load_scene
from .model import STRUCTURAL_CATEGORIES, Scene, SceneFormatError, SceneObject
from .primitives import Mesh, box
from .procedural import default_scenes, make_scene
from .replica import load_replica
from .scannet import load_scannet

__all__ = ["Mesh", "STRUCTURAL_CATEGORIES", "Scene", "SceneBuilder", "SceneFormatError", "SceneObject", "box",
           "default_scenes", "load_replica", "load_scannet", "load_scene", "make_scene"]
