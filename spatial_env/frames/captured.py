"""Captured frames: a ScanNet scan's real posed photos as a frame source (SPAR-7M builds its questions
from such frames, spar-7m.txt §7.3).

Layout read (what ScanNet's SensReader exporter writes), in a *frames folder*:

* ``color/<n>.jpg``: the photos (ScanNet: 1296x968). ``.jpeg`` and ``.png`` are read too.
* ``depth/<n>.png``: optional uint16 depth in millimetres (0 = no reading), same pose as the photo,
  usually another size (ScanNet: 640x480) with its own intrinsics.
* ``pose/<n>.txt``: 4x4 camera-to-world, OpenCV axes (x right, y down, z forward), in the scan's
  *original* frame (the ``_vh_clean_2.ply`` mesh before ``axisAlignment``); SensReader writes rows of
  ``-inf`` for frames its tracking lost.
* ``intrinsic/intrinsic_color.txt``, ``intrinsic/intrinsic_depth.txt``: 4x4 (or 3x3), K top-left.
  The ``extrinsic_*`` files are not read: the exporter gives both sensors the frame's one pose.

The frames folder is the scan directory itself, or ``frames_dir`` (which holds ``color/`` or
``<scene_id>/color/``, so one folder serves many scans). Names sort numerically (0, 1, 2, ..., 10).

Per photo the sampler yields a :class:`~spatial_env.frames.samplers.Shot` whose RGB is the photo as
decoded (its own size, pixels untouched) and whose depth and instance ids are the scene mesh rendered
at the photo's world pose ``A @ pose`` (``A`` the scan's ``axisAlignment``, which our loader applies to
the mesh) with the colour intrinsics, so every annotation the bank computes comes from the mesh seen
exactly as the photo sees it. K is used as written (ScanNet's calibrated K; our renderer puts pixel
centres at +0.5, a half-pixel convention difference below the calibration's accuracy).

Decisions (our choices; the paper's numbers for ScanNet are not legible in our copy):

* Frames whose pose file is missing, unreadable or not finite are skipped and counted (bank index
  ``sampler_counts``); a pose file that is not a 4x4 rigid transform is an error naming it.
* Pose-based subsampling (spar-7m.txt §7.3): frames are walked in order and one is dropped as redundant
  when a kept frame stands within ``translation_threshold`` (0.25 m, about a step) *and* looks within
  ``rotation_threshold_deg`` (15 degrees, a quarter of ScanNet's 58-degree horizontal field of view) of
  it, the angle being ``arccos((trace(R_i^T R_j) - 1) / 2)``. Then ``max_frames`` keeps that many,
  evenly spaced.
* Depth check: each colour pixel's ray is looked up in the depth image (same centre, other
  intrinsics; nearest depth pixel); over an object's rendered pixels, a sensor reading nearer than the
  render by more than ``depth_tolerance`` + ``depth_tolerance_fraction`` x depth (0.1 m + 5 %, above
  the sensor's noise and the mesh's reconstruction error) means something the mesh lacks stands in
  front (a person, a moved chair). When more than ``max_occluded_fraction`` (0.5) of the object's
  rendered pixels are so occluded, its annotation is dropped from that frame (``Shot.exclude``); the
  stored instance map is left as rendered.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Iterator

import imageio.v3 as iio
import numpy as np

from ..camera import Camera
from ..render.base import Frame
from ..scene.model import Scene, SceneFormatError
from ..typecheck import dataclass_from_dict
from .samplers import Shot, register_sampler

log = logging.getLogger(__name__)

#: Photo extensions looked for in ``color/``.
COLOR_EXTENSIONS = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True)
class CapturedConfig:
    """Captured-frame parameters: where the frames are, pose subsampling and the depth check."""

    frames_dir: str | os.PathLike | None = None  # None: the frames lie in the scan directory
    translation_threshold: float = 0.25    # metres (see the module doc)
    rotation_threshold_deg: float = 15.0   # degrees
    max_frames: int | None = None          # keep at most this many (evenly spaced) after subsampling
    depth_check: bool = True               # drop annotations of objects the depth images show occluded
    depth_tolerance: float = 0.1           # metres the sensor may read nearer than the mesh ...
    depth_tolerance_fraction: float = 0.05  # ... plus this share of the depth
    max_occluded_fraction: float = 0.5     # occluded share of an object's pixels above which it is dropped

    def __post_init__(self) -> None:
        # Values' types are checked where a dict is read (dataclass_from_dict); direct construction and the
        # value ranges are checked here.
        if isinstance(self.frames_dir, os.PathLike):
            object.__setattr__(self, "frames_dir", os.fspath(self.frames_dir))
        if self.frames_dir is not None and (not isinstance(self.frames_dir, str) or not self.frames_dir):
            raise ValueError(f"captured sampler option 'frames_dir' must be a path string or None, "
                             f"got {self.frames_dir!r}")
        if self.max_frames is not None and (isinstance(self.max_frames, bool) or
                                            not isinstance(self.max_frames, (int, np.integer)) or self.max_frames < 1):
            raise ValueError(f"captured sampler option 'max_frames' must be a positive int or None, "
                             f"got {self.max_frames!r}")
        if self.max_frames is not None:
            object.__setattr__(self, "max_frames", int(self.max_frames))  # a numpy int would not go into JSON
        for name in ("translation_threshold", "rotation_threshold_deg", "depth_tolerance", "depth_tolerance_fraction"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"captured sampler option {name!r} must be a finite number >= 0, got {value!r}")
        if not 0.0 <= self.max_occluded_fraction <= 1.0:
            raise ValueError(f"captured sampler option 'max_occluded_fraction' must be within [0, 1], "
                             f"got {self.max_occluded_fraction!r}")


@dataclass(frozen=True)
class CapturedFrame:
    """One listed photo: its name (file stem), files, and world pose (None when skipped)."""

    name: str
    color: Path
    depth: Path | None
    pose_file: Path
    pose: np.ndarray | None


@register_sampler
class Captured:
    """A scan's exported photos with their poses (see the module doc): the photo is the RGB, the mesh
    rendered at its pose gives depth, instance ids and every annotation."""

    name: ClassVar[str] = "captured"

    def __init__(self, config):
        self.config = config if isinstance(config, CapturedConfig) else \
            dataclass_from_dict(CapturedConfig, config, where="captured sampler", coerce=True)
        self.counts: dict[str, int] = {}

    # -- where the frames are -----------------------------------------------------------------------
    def scan_dir(self, scene_spec: Any) -> Path:
        """The ScanNet scan directory of a scene spec (a ValueError for anything without captured frames)."""
        if isinstance(scene_spec, Scene):
            raise ValueError(f"captured frames are read beside a ScanNet scan: pass the scan directory as the scene, "
                             f"not a loaded Scene ({scene_spec.scene_id!r}, source {scene_spec.source!r})")
        text = os.fspath(scene_spec) if isinstance(scene_spec, (str, os.PathLike)) else None
        if text is None:
            raise ValueError(f"captured frames need a ScanNet scan directory as the scene, got {scene_spec!r}")
        if text.startswith("procedural:"):
            raise ValueError(f"scene {text!r} is a generated room: it has no captured frames (only ScanNet scans do)")
        from ..scene.loaders import scene_files
        from ..scene.scannet import is_scannet_dir

        path = Path(text).expanduser()
        if not path.exists():
            raise SceneFormatError(path, "no such file or directory (a ScanNet scan directory was expected)")
        directory = scene_files(path)[0]
        if not is_scannet_dir(directory):
            raise ValueError(f"scene {text!r} is not a ScanNet scan: captured frames exist for ScanNet scans only "
                             f"(Replica scenes and generated rooms have none)")
        return directory

    def scene_ids(self, scene_spec: Any) -> list[str]:
        """The names a scan goes by: its directory's name as given and as resolved (a symlink's target may
        differ), and its files' prefix (a renamed directory keeps it)."""
        from ..scene.scannet import scannet_files

        scan = self.scan_dir(scene_spec)
        given = Path(os.fspath(scene_spec)).expanduser()
        names = [given.name] if given.is_dir() else []
        return list(dict.fromkeys(names + [scan.name, scannet_files(scan)["meta"].stem]))

    def frames_root(self, scene_spec: Any) -> Path:
        """The folder holding ``color/`` (and ``pose/``, ``depth/``, ``intrinsic/``) for a scan."""
        scan = self.scan_dir(scene_spec)
        if self.config.frames_dir is None:
            candidates = [scan]
        else:
            base = Path(self.config.frames_dir).expanduser().resolve()
            candidates = [base] + [base / i for i in self.scene_ids(scene_spec)]
        for root in candidates:
            if (root / "color").is_dir():
                return root
        looked = ", ".join(str(c / "color") for c in candidates)
        raise SceneFormatError(candidates[0] / "color",
                               f"no captured frames for scan {scan.name!r}: looked for {looked}")

    def source_files(self, scene_spec: Any) -> list[Path]:
        """Every file the frames are read from (their path, size and time join the bank's cache key)."""
        root = self.frames_root(scene_spec)
        files = [root / "intrinsic" / "intrinsic_color.txt", root / "intrinsic" / "intrinsic_depth.txt"]
        for sub in ("color", "depth", "pose"):
            folder = root / sub
            if folder.is_dir():
                files.extend(sorted(p for p in folder.iterdir() if p.is_file()))
        return files

    def list_frames(self, scene_spec: Any) -> tuple[Path, list[CapturedFrame]]:
        """(frames folder, every photo in numeric order with its world pose or None), counting skips."""
        root = self.frames_root(scene_spec)
        scan = self.scan_dir(scene_spec)
        from ..scene.scannet import read_axis_alignment, scannet_files

        align = read_axis_alignment(scannet_files(scan)["meta"])
        color_dir = root / "color"
        photos = sorted((p for p in color_dir.iterdir() if p.is_file() and p.suffix.lower() in COLOR_EXTENSIONS),
                        key=_numeric_key)
        if not photos:
            raise SceneFormatError(color_dir, f"no photos ({', '.join(COLOR_EXTENSIONS)})")
        counts = {"photos": len(photos), "missing_pose": 0, "unreadable_pose": 0, "invalid_pose": 0}
        out = []
        for photo in photos:
            name = photo.stem
            pose_file = root / "pose" / f"{name}.txt"
            pose, status = read_pose(pose_file)
            if status != "ok":
                counts[f"{status}_pose"] += 1
                log.debug("captured frames: skipping %s (%s pose file %s)", photo, status, pose_file)
            depth = root / "depth" / f"{name}.png"
            out.append(CapturedFrame(name, photo, depth if depth.is_file() else None, pose_file,
                                     None if pose is None else align @ pose))
        self.counts = counts
        skipped = len(photos) - sum(f.pose is not None for f in out)
        if skipped:
            log.info("captured frames of %s: %d of %d photos skipped for their pose files (%s)", scan.name, skipped,
                     len(photos), {k: v for k, v in counts.items() if k != "photos" and v})
        return root, out

    def select(self, poses: list[np.ndarray]) -> list[int]:
        """Indices of the poses kept: pose-based subsampling (module doc), then ``max_frames`` evenly spaced."""
        cfg = self.config
        cos_limit = np.cos(np.radians(cfg.rotation_threshold_deg))
        kept: list[int] = []
        # The kept frames' positions and rotations, filled in place (a scan has thousands of frames).
        centres, rotations = np.zeros((len(poses), 3)), np.zeros((len(poses), 3, 3))
        for i, pose in enumerate(poses):
            n = len(kept)
            if n:
                near = np.linalg.norm(centres[:n] - pose[:3, 3], axis=1) <= cfg.translation_threshold
                # trace(R_i^T R_j) is the sum of the elementwise product; angle < threshold <=> cos > cos(threshold)
                cos = (np.einsum("kab,ab->k", rotations[:n], pose[:3, :3]) - 1.0) / 2.0
                if np.any(near & (np.clip(cos, -1.0, 1.0) > cos_limit)):
                    continue
            centres[n], rotations[n] = pose[:3, 3], pose[:3, :3]
            kept.append(i)
        if cfg.max_frames is not None and len(kept) > cfg.max_frames:
            n, m = len(kept), int(cfg.max_frames)
            kept = [kept[(j * n) // m] for j in range(m)]
        return kept

    def image_size(self, scene_spec: Any) -> tuple[int, int]:
        """(height, width) of the scan's photos, read from the first photo's header."""
        root = self.frames_root(scene_spec)
        photos = sorted((p for p in (root / "color").iterdir() if p.is_file() and p.suffix.lower() in COLOR_EXTENSIONS),
                        key=_numeric_key)
        if not photos:
            raise SceneFormatError(root / "color", f"no photos ({', '.join(COLOR_EXTENSIONS)})")
        try:
            shape = iio.improps(photos[0]).shape
        except Exception as e:  # imageio raises many types for a damaged file
            raise SceneFormatError(photos[0], f"unreadable image ({e})") from None
        return int(shape[0]), int(shape[1])

    # -- shots ----------------------------------------------------------------------------------------
    def shots(self, scene: Scene, renderer, progress: bool = False, scene_spec: Any = None) -> Iterator[Shot]:
        """One shot per kept photo: the photo, the mesh rendered at its pose, the objects the depth hides."""
        if scene_spec is None:
            raise ValueError(f"captured frames of scene {scene.scene_id!r} need the scan directory: build the bank "
                             f"with load_bank(scan_dir, ...) or FrameBank.build(..., scene_spec=scan_dir)")
        cfg = self.config
        root, listed = self.list_frames(scene_spec)
        if scene.scene_id not in self.scene_ids(scene_spec):
            raise ValueError(f"scene {scene.scene_id!r} is not the scan {str(scene_spec)!r} the frames belong to")
        valid = [f for f in listed if f.pose is not None]
        if not valid:
            raise SceneFormatError(root / "pose", f"no photo has a valid pose ({self.counts})")
        keep = self.select([f.pose for f in valid])
        self.counts.update(valid=len(valid), kept=len(keep))
        K_color = read_intrinsics(root / "intrinsic" / "intrinsic_color.txt")
        K_depth = None
        # One size per scan, the first photo's: what image_size (and so the env's observations) reports.
        height, width = self.image_size(scene_spec)
        _check_principal_point(K_color, width, height, root / "intrinsic" / "intrinsic_color.txt")
        for i in keep:
            f = valid[i]
            rgb = read_photo(f.color)
            h, w = rgb.shape[:2]
            if (h, w) != (height, width):
                raise SceneFormatError(f.color, f"a {w}x{h} photo; the scan's photos are {width}x{height} "
                                                f"(its first photo's size; one size per scan)")
            camera = Camera(K_color.copy(), f.pose.copy(), w, h)
            rendered = renderer.render(camera)
            exclude: frozenset[int] = frozenset()
            if cfg.depth_check and f.depth is not None:
                depth = read_depth(f.depth)
                if K_depth is None:
                    K_depth = read_intrinsics(root / "intrinsic" / "intrinsic_depth.txt")
                    _check_principal_point(K_depth, depth.shape[1], depth.shape[0],
                                           root / "intrinsic" / "intrinsic_depth.txt")
                sensor = sensor_depth_in_color(depth, K_depth, K_color, w, h)
                exclude = occluded_objects(rendered.instance, rendered.depth, sensor, cfg.depth_tolerance,
                                           cfg.depth_tolerance_fraction, cfg.max_occluded_fraction)
                self.counts["dropped_annotations"] = self.counts.get("dropped_annotations", 0) + len(exclude)
            yield Shot(camera, Frame(rgb, rendered.depth, rendered.instance), None, "captured",
                       source=f.color.relative_to(root).as_posix(), exclude=exclude)

    def to_dict(self) -> dict:
        """The config as a JSON-ready dict (part of the bank's cache key)."""
        return dataclasses.asdict(self.config)


# -- file readers --------------------------------------------------------------------------------------

def _numeric_key(path: Path) -> tuple:
    """Numeric stems in numeric order (0, 1, 2, ..., 10), then any others by name."""
    stem = path.stem
    return (0, int(stem), "") if stem.isdecimal() else (1, 0, stem)


def _read_matrix(path: Path) -> np.ndarray:
    """A 4x4 matrix (or a 3x3 one, for intrinsics) of whitespace-separated numbers."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        values = [float(v) for v in text.split()]
    except ValueError:
        raise SceneFormatError(path, f"not a matrix of numbers: {text.strip()[:80]!r}") from None
    if len(values) not in (9, 16):
        raise SceneFormatError(path, f"has {len(values)} numbers; expected a 4x4 matrix (16)")
    return np.array(values, np.float64).reshape(4 if len(values) == 16 else 3, -1)


def read_pose(path: Path) -> tuple[np.ndarray | None, str]:
    """(4x4 camera-to-world pose or None, status): ``"ok"``, ``"missing"``, ``"unreadable"`` or
    ``"invalid"`` (not finite: SensReader's ``-inf`` rows); a file that is not a rigid 4x4 transform is
    a :class:`SceneFormatError`."""
    try:
        m = _read_matrix(path)
    except FileNotFoundError:
        return None, "missing"
    except OSError:
        return None, "unreadable"
    if m.shape != (4, 4):
        raise SceneFormatError(path, "has 9 numbers; a pose is a 4x4 matrix (16)")
    if not np.all(np.isfinite(m)):
        return None, "invalid"
    R = m[:3, :3]
    # Poses are printed with 6 decimals (SensReader's %f): allow that much rounding.
    if not np.allclose(m[3], [0, 0, 0, 1], atol=1e-6) or not np.allclose(R.T @ R, np.eye(3), atol=1e-3) \
            or np.linalg.det(R) < 0:
        raise SceneFormatError(path, f"not a rigid camera-to-world transform: {m.tolist()}")
    return m, "ok"


def read_intrinsics(path: Path) -> np.ndarray:
    """The 3x3 K of an ``intrinsic_*.txt`` file (the top-left of its 4x4 matrix)."""
    try:
        m = _read_matrix(path)
    except FileNotFoundError:
        raise SceneFormatError(path, "missing file (the frames' intrinsics)") from None
    except OSError as e:
        raise SceneFormatError(path, f"unreadable file ({e})") from None
    K = m[:3, :3]
    if not (np.all(np.isfinite(K)) and K[0, 0] > 0 and K[1, 1] > 0 and np.allclose(K[2], [0, 0, 1])
            and K[1, 0] == 0):
        raise SceneFormatError(path, f"not a pinhole intrinsic matrix: {K.tolist()}")
    return K


def _check_principal_point(K: np.ndarray, width: int, height: int, path: Path) -> None:
    """K must belong to images of this size (photos resized after export keep the old K)."""
    if not (0 < K[0, 2] < width and 0 < K[1, 2] < height):
        raise SceneFormatError(path, f"principal point ({K[0, 2]:g}, {K[1, 2]:g}) lies outside the "
                                     f"{width}x{height} images: K belongs to images of another size")


def read_photo(path: Path) -> np.ndarray:
    """The photo as imageio decodes it, (H, W, 3) uint8 (a grey photo repeated in three channels)."""
    try:
        img = iio.imread(path)
    except Exception as e:  # imageio raises many types for a damaged file
        raise SceneFormatError(path, f"unreadable image ({e})") from None
    if img.dtype == np.uint8 and img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise SceneFormatError(path, f"a {img.dtype} image of shape {img.shape}; expected 8-bit RGB")
    return img


def read_depth(path: Path) -> np.ndarray:
    """A depth image in metres (float32, 0 = no reading) from a uint16 millimetre PNG."""
    try:
        img = iio.imread(path)
    except Exception as e:  # imageio raises many types for a damaged file
        raise SceneFormatError(path, f"unreadable image ({e})") from None
    if img.ndim != 2 or img.dtype not in (np.uint16, np.int32):  # Pillow may give 16-bit PNGs as int32
        raise SceneFormatError(path, f"a {img.dtype} image of shape {img.shape}; expected 16-bit millimetres")
    return img.astype(np.float32) / 1000.0


def sensor_depth_in_color(depth: np.ndarray, K_depth: np.ndarray, K_color: np.ndarray, width: int,
                          height: int) -> np.ndarray:
    """The depth image looked up along each colour pixel's ray (same centre and axes, so the z-depth is
    the same): (height, width) float32 metres, 0 where the ray leaves the depth image or has no reading."""
    v, u = np.mgrid[0:height, 0:width] + 0.5
    H = K_depth @ np.linalg.inv(K_color)
    x = H[0, 0] * u + H[0, 1] * v + H[0, 2]
    y = H[1, 0] * u + H[1, 1] * v + H[1, 2]
    col, row = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    inside = (col >= 0) & (col < depth.shape[1]) & (row >= 0) & (row < depth.shape[0])
    out = np.zeros((height, width), np.float32)
    out[inside] = depth[row[inside], col[inside]]
    return out


def occluded_objects(instance: np.ndarray, rendered: np.ndarray, sensor: np.ndarray, tolerance: float,
                     tolerance_fraction: float, max_fraction: float) -> frozenset[int]:
    """Ids of the objects more than ``max_fraction`` of whose rendered pixels the sensor sees something
    nearer than the mesh in front of (by more than ``tolerance + tolerance_fraction * depth``)."""
    seen = instance >= 0
    if not seen.any():
        return frozenset()
    ids = instance[seen]
    total = np.bincount(ids)
    nearer = seen & (sensor > 0) & (sensor < rendered - (tolerance + tolerance_fraction * rendered))
    hidden = np.bincount(instance[nearer], minlength=len(total))
    share = hidden / np.maximum(total, 1)
    return frozenset(int(o) for o in np.flatnonzero((total > 0) & (share > max_fraction)))
