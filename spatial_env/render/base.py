"""What every renderer backend returns and promises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Protocol, runtime_checkable

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
    """A backend bound to one scene; renders any camera, optionally only some objects, optionally with
    some objects moved."""

    backend: str

    def render(self, camera: Camera, *, only_objects: Iterable[int] | None = None,
               object_transforms: Mapping[int, np.ndarray] | None = None) -> Frame:
        """Render the scene (or just ``only_objects``, for amodal masks) from ``camera``;
        ``object_transforms`` (object id -> 4x4 rigid world transform) moves those objects' meshes for
        this call only, exactly as a scene rebuilt with :func:`transform_vertices` applied to them."""
        ...


def check_rigid_transform(matrix, what: str = "transform") -> np.ndarray:
    """``matrix`` as a float64 4x4 rigid transform (rotation + translation, bottom row 0 0 0 1), or a
    ValueError naming ``what``."""
    T = np.asarray(matrix, dtype=np.float64)
    if T.shape != (4, 4) or not np.isfinite(T).all():
        raise ValueError(f"{what} must be a finite 4x4 matrix, got shape {T.shape}")
    R = T[:3, :3]
    if not (np.allclose(T[3], [0.0, 0.0, 0.0, 1.0]) and np.allclose(R.T @ R, np.eye(3), atol=1e-6)
            and np.linalg.det(R) > 0):
        raise ValueError(f"{what} must be rigid (orthonormal right-handed rotation, bottom row 0 0 0 1), "
                         f"got {T.tolist()}")
    return T


def check_object_transforms(object_transforms, object_faces: Mapping[int, np.ndarray], faces: np.ndarray,
                            shared: Callable[[], np.ndarray], scene_id: str) -> list[tuple[int, np.ndarray]]:
    """``render``'s ``object_transforms`` as (object id, float64 4x4 rigid transform) pairs sorted by id, or one
    clear error: not a mapping, a key that is not an object id of the scene, a matrix that is not rigid, or an
    object whose vertices other faces use too (``shared()``: per vertex, see :func:`shared_vertices`)."""
    if object_transforms is None:
        return []
    if not isinstance(object_transforms, Mapping):
        raise TypeError(f"object_transforms must map object ids to 4x4 matrices, got "
                        f"{type(object_transforms).__name__}")
    out = []
    for oid, matrix in sorted(object_transforms.items()):
        if isinstance(oid, (bool, np.bool_)) or not isinstance(oid, (int, np.integer)):
            raise ValueError(f"object_transforms keys must be object ids (int), got {oid!r}")
        if int(oid) not in object_faces:
            raise ValueError(f"object_transforms: unknown object id {int(oid)} in scene {scene_id!r}")
        T = check_rigid_transform(matrix, f"object_transforms[{int(oid)}]")
        if shared()[faces[object_faces[int(oid)]]].any():
            raise ValueError(f"object_transforms: object {int(oid)} shares mesh vertices with other objects' faces "
                             f"(a scanned mesh); only objects with their own vertices can be moved")
        out.append((int(oid), T))
    return out


def shared_vertices(faces: np.ndarray, face_object: np.ndarray, n_vertices: int) -> np.ndarray:
    """Per vertex: whether faces of more than one owner (object id, or -1 for none) use it."""
    owner = np.repeat(face_object.astype(np.int64), 3)
    v = faces.ravel().astype(np.int64)
    lo = np.full(n_vertices, np.iinfo(np.int64).max)
    hi = np.full(n_vertices, np.iinfo(np.int64).min)
    np.minimum.at(lo, v, owner)
    np.maximum.at(hi, v, owner)
    return (lo != hi) & (hi >= lo)


def transform_vertices(vertices: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """float32 vertices ``(N, 3)`` moved by the 4x4 ``matrix`` (``R @ p + t`` in float64, rounded once to
    float32), written out per component so every caller gets the same bits for the same input."""
    v = np.asarray(vertices, dtype=np.float64)
    T = np.asarray(matrix, dtype=np.float64)
    out = np.empty((len(v), 3), np.float32)
    for i in range(3):
        out[:, i] = ((v[:, 0] * T[i, 0] + v[:, 1] * T[i, 1]) + v[:, 2] * T[i, 2]) + T[i, 3]
    return out


def check_options(scene, backend: str, near: float, ambient: float, background) -> np.ndarray:
    """Validate the options every backend takes (the scene, ``near``, ``ambient``); ``background`` as uint8 RGB."""
    from ..scene.model import Scene

    if not isinstance(scene, Scene):
        raise TypeError(f"the {backend} renderer needs a spatial_env.scene.Scene, got {type(scene).__name__}")
    if not near > 0.0:
        raise ValueError(f"near must be positive, got {near}")
    if not 0.0 <= ambient <= 1.0:
        raise ValueError(f"ambient must be in [0, 1], got {ambient}")
    return np.asarray(background, dtype=np.uint8).reshape(3)


def check_camera(camera, max_size: int) -> None:
    """Reject what no backend can render: not a Camera, a size outside 1..``max_size``, a non-finite or
    skewed K, a pose whose rotation is not orthonormal and right-handed."""
    if not isinstance(camera, Camera):
        raise TypeError(f"render() needs a spatial_env.camera.Camera, got {type(camera).__name__}")
    if not (0 < camera.width <= max_size and 0 < camera.height <= max_size):
        raise ValueError(f"image size must be within 1..{max_size} pixels, got {camera.width}x{camera.height}")
    K, pose = np.asarray(camera.K), np.asarray(camera.pose)
    if K.shape != (3, 3) or pose.shape != (4, 4) or not (np.isfinite(K).all() and np.isfinite(pose).all()):
        raise ValueError("camera K must be a finite 3x3 and pose a finite 4x4 matrix")
    if K[0, 0] <= 0 or K[1, 1] <= 0 or K[0, 1] != 0:
        raise ValueError("camera K must have positive focal lengths and no skew")
    # on Python floats: every render checks its camera, and numpy's allclose and det cost more than a small
    # frame's rasterisation; tolerances as np.allclose(R.T @ R, I, atol=1e-6) (rtol 1e-5 on the diagonal)
    (a, b, c), (d, e, f), (g, h, i) = (row[:3] for row in pose[:3].tolist())
    gram = ((a * a + d * d + g * g, 1.0), (b * b + e * e + h * h, 1.0), (c * c + f * f + i * i, 1.0),
            (a * b + d * e + g * h, 0.0), (a * c + d * f + g * i, 0.0), (b * c + e * f + h * i, 0.0))
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    if not all(abs(x - want) <= 1e-6 + 1e-5 * want for x, want in gram) or det <= 0:
        raise ValueError("camera pose rotation must be orthonormal and right-handed")


def subset_key(only_objects) -> frozenset[int]:
    """The id set of ``only_objects`` (one id or several), the key backends cache subsets by."""
    if isinstance(only_objects, (int, np.integer)):
        only_objects = [only_objects]
    return frozenset(int(i) for i in only_objects)


def subset_faces(key: frozenset[int], object_faces: Mapping[int, np.ndarray], scene_id: str) -> np.ndarray:
    """Sorted face indices (int64) of the objects in ``key``; unknown ids are an error naming them."""
    unknown = sorted(key - object_faces.keys())
    if unknown:
        raise ValueError(f"unknown object id(s) {unknown} in scene {scene_id!r} ({len(object_faces)} objects)")
    parts = [object_faces[i] for i in sorted(key)]
    return np.unique(np.concatenate(parts)).astype(np.int64) if parts else np.zeros(0, np.int64)

