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
from typing import Any

# Re-exported for callers that import them from here (see the module docstring).
from .formats import (PlyMesh, fan_triangulate, field, floor_height, group_indices, read_json,  # noqa: F401
                      read_ply_mesh, room_bounds, vector)
from .model import Scene, SceneFormatError
from .replica import _layout, is_replica_dir, load_replica
from .scannet import _find_label_map, is_scannet_dir, load_scannet, scannet_files

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


def scene_files(spec: Any) -> tuple[Path, list[Path]]:
    """(scene directory, every file :func:`spatial_env.scene.load_scene` reads for it) of a path spec.

    A mesh file stands for its scene directory (a Replica ``mesh_semantic.ply`` also reads the
    ``info_semantic.json`` beside it); a ScanNet scan also reads the label map found in it or up to
    two folders above. Files that do not exist are listed too (the loader would need them), so adding
    one changes the identity. An unrecognised directory lists everything under it.
    """
    path = Path(str(spec)).expanduser().resolve()
    if not path.exists():
        raise FileNotFoundError(f"scene {str(spec)!r}: no such file or directory")
    try:
        directory = _scene_dir_of_file(path) if path.is_file() else path
    except SceneFormatError:
        return path.parent, [path]
    # The loaders' own order and layout rules, so the identity follows what load_scene reads.
    if is_replica_dir(directory):
        root, habitat = _layout(directory)
        semantic = [habitat / "mesh_semantic.ply", habitat / "info_semantic.json"]
        return root, semantic if any(p.exists() for p in semantic) else [root / "mesh.ply"]
    if is_scannet_dir(directory):
        files = list(scannet_files(directory).values())
        label_map = _find_label_map(directory, None)
        return directory, files + ([label_map] if label_map else [])
    return directory, sorted(p for p in directory.rglob("*") if p.is_file())


def scene_id_of(spec: Any) -> str:
    """The scene id a spec loads as, without loading it: a Scene's own, a generated room's name, or a
    dataset scene's directory name."""
    if isinstance(spec, Scene):
        return spec.scene_id
    text = str(spec)
    if text.startswith("procedural:"):
        from . import procedural

        try:
            kind, index = procedural._parse(text.split(":", 1)[1])
        except ValueError:
            return text.split(":", 1)[1]
        return f"{kind}-{index}"
    return scene_files(text)[0].name
