"""One entry point for every scene source.

``load_scene`` accepts:

* a Replica scene directory (``<scene>/habitat/mesh_semantic.ply`` + ``info_semantic.json``, or
  ``<scene>/mesh.ply`` alone for geometry without semantics) — see :mod:`.replica`;
* a ScanNet scan directory (``<scene>/<scene>_vh_clean_2.ply`` + segments, aggregation and the
  ``<scene>.txt`` meta file) — see :mod:`.scannet`;
* ``"procedural:<name>"``, a generated room from :mod:`.procedural`.

The PLY/JSON plumbing the dataset loaders share lives in :mod:`.formats`; its public helpers are
re-exported here, where they were defined before, so existing imports keep working.
"""

from __future__ import annotations

import os
from pathlib import Path

# Re-exported for callers that import them from here (see the module docstring).
from .formats import (PlyMesh, fan_triangulate, field, floor_height, group_indices, read_json,  # noqa: F401
                      read_ply_mesh, room_bounds, vector)
from .model import Scene, SceneFormatError
from .replica import is_replica_dir, load_replica
from .scannet import is_scannet_dir, load_scannet

PROCEDURAL_PREFIX = "procedural:"

ACCEPTED_FORMATS = (
    "a Replica scene directory (habitat/mesh_semantic.ply + habitat/info_semantic.json, or mesh.ply), "
    "a ScanNet scan directory (<scene>_vh_clean_2.ply, <scene>_vh_clean_2.0.010000.segs.json, "
    "<scene>.aggregation.json, <scene>.txt), or 'procedural:<name>'"
)


def load_scene(path_or_name: str | os.PathLike) -> Scene:
    """Load a scene from a Replica or ScanNet directory, or generate ``procedural:<name>``."""
    spec = os.fspath(path_or_name)
    if isinstance(spec, str) and spec.startswith(PROCEDURAL_PREFIX):
        name = spec[len(PROCEDURAL_PREFIX):]
        if not name:
            raise ValueError(f"{spec!r}: give a generated scene name after 'procedural:'")
        from .procedural import make_scene  # lazy: the generator is heavy and needs none of the loaders

        return make_scene(name)
    path = Path(spec)
    if not path.exists():
        raise SceneFormatError(path, f"no such file or directory; expected {ACCEPTED_FORMATS}")
    directory = _scene_dir_of_file(path) if path.is_file() else path
    if is_replica_dir(directory):
        return load_replica(directory)
    if is_scannet_dir(directory):
        return load_scannet(directory)
    raise SceneFormatError(path, f"not a recognised scene; expected {ACCEPTED_FORMATS}")


def _scene_dir_of_file(path: Path) -> Path:
    """The scene directory a dataset file belongs to (users often pass the mesh itself)."""
    if path.name in ("mesh_semantic.ply", "info_semantic.json", "mesh.ply"):
        return path.parent
    if path.name.endswith(("_vh_clean_2.ply", ".aggregation.json", ".segs.json")):
        return path.parent
    raise SceneFormatError(path, f"not a scene file; expected {ACCEPTED_FORMATS}")
