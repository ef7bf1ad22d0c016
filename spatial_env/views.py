"""Where to look: the Rep2D-BEAT view sampler, and the on-disk view bank episodes are drawn from.

For every object the sampler finds ``views_visible`` camera poses that see it and ``views_invisible``
that do not (seed paper §4.1): random positions in the room's free space at eye height, a minimum
distance apart, aimed at the object with a small random rotation so it lands at different places in
the frame. Objects that need more than ``max_tries`` candidates are skipped.

A :class:`ViewBank` holds one scene's sampled views with their annotations. It is built once and
cached on disk (one directory per scene keyed by scene identity, sampler parameters and renderer;
PNG + NPZ + one JSON index), written to a temporary directory and renamed so concurrent builders
never leave a half-written bank. Images load lazily, so stepping an environment does no rendering.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import imageio.v3 as iio
import numpy as np

from . import __version__
from .annotate import ObjectAnnotation, annotate_object
from .camera import Camera, intrinsics, look_at
from .scene.model import Scene
from .scene.primitives import rotation_x, rotation_z

#: Bump when the bank layout or the sampling algorithm changes; old caches are then ignored.
BANK_FORMAT = 1


@dataclass(frozen=True)
class SamplerConfig:
    """View sampling parameters; defaults follow Rep2D-BEAT (10 + 2 views per object at 512x512)."""

    views_visible: int = 10
    views_invisible: int = 2
    resolution: int = 512
    hfov_deg: float = 90.0
    eye_height: tuple[float, float] = (1.1, 1.8)      # camera height above the floor, metres
    object_distance: tuple[float, float] = (0.8, 4.5)  # camera to object-centre distance, metres
    min_camera_distance: float = 0.4                   # between one object's chosen camera positions
    wall_margin: float = 0.25                          # keep cameras this far inside the room bounds
    furniture_margin: float = 0.15                     # and this far from any furniture footprint
    max_rotation_deg: float = 12.0                     # yaw/pitch perturbation away from the object
    min_visible_fraction: float = 0.0005               # of the image's pixels, for a view to count as "visible"
    max_background_fraction: float = 0.2               # more empty pixels means a hole or outside the mesh
    max_tries: int = 250                               # candidate poses per object before skipping it
    max_objects: int | None = None                     # cap on objects per scene (None: all)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.views_visible < 1 or self.views_invisible < 0:
            raise ValueError(f"views_visible must be >= 1 and views_invisible >= 0, got "
                             f"{self.views_visible}, {self.views_invisible}")
        if self.resolution < 8:
            raise ValueError(f"resolution must be >= 8 pixels, got {self.resolution}")
        for name in ("eye_height", "object_distance"):
            lo, hi = getattr(self, name)
            if not 0 <= lo <= hi:
                raise ValueError(f"{name} must be an increasing (low, high) pair, got {(lo, hi)}")

    @classmethod
    def from_dict(cls, values: dict | None) -> "SamplerConfig":
        """Config from a plain dict (YAML), naming any unknown key in the error."""
        values = dict(values or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown sampler option(s) {unknown}; valid: {sorted(known)}")
        for name in ("eye_height", "object_distance"):
            if name in values:
                values[name] = tuple(float(v) for v in values[name])
        return cls(**values)

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class View:
    """One sampled view of one object: camera, whether the object is visible, its annotation."""

    index: int
    object_id: int
    visible: bool
    camera: Camera
    annotation: ObjectAnnotation

    def to_json(self) -> dict:
        """JSON-ready dict (pose and intrinsics as nested lists)."""
        return {"index": self.index, "object_id": self.object_id, "visible": self.visible,
                "pose": self.camera.pose.tolist(), "K": self.camera.K.tolist(),
                "width": self.camera.width, "height": self.camera.height,
                "annotation": self.annotation.to_json()}

    @classmethod
    def from_json(cls, d: dict) -> "View":
        """Inverse of :meth:`to_json`."""
        cam = Camera(np.array(d["K"], float), np.array(d["pose"], float), int(d["width"]), int(d["height"]))
        return cls(int(d["index"]), int(d["object_id"]), bool(d["visible"]), cam,
                   ObjectAnnotation.from_json(d["annotation"]))


class ViewSampler:
    """Samples and annotates views of a scene's objects with a renderer (see module docstring)."""

    def __init__(self, scene: Scene, renderer, config: SamplerConfig = SamplerConfig()):
        self.scene, self.renderer, self.config = scene, renderer, config
        self.K = intrinsics(config.hfov_deg, config.resolution, config.resolution)
        # Footprints (x0, y0, x1, y1, z_bottom) of furniture that a person could not stand in or under;
        # flat things (rugs) are walked on, not around.
        boxes = [o.aabb() for o in scene.objects.values() if not o.is_structural]
        m = config.furniture_margin
        self._footprints = np.array([[*(lo[:2] - m), *(hi[:2] + m), lo[2]] for lo, hi in boxes
                                     if hi[2] - lo[2] > 0.05]).reshape(-1, 5)

    def is_free(self, position: np.ndarray) -> bool:
        """True if a camera may stand at ``position``: inside the room, not in or under furniture."""
        lo, hi = self.scene.bounds
        m = self.config.wall_margin
        if np.any(position[:2] < lo[:2] + m) or np.any(position[:2] > hi[:2] - m):
            return False
        if not (lo[2] < position[2] < hi[2]):
            return False
        f = self._footprints
        inside = (f[:, 0] <= position[0]) & (position[0] <= f[:, 2]) & (f[:, 1] <= position[1]) & (position[1] <= f[:, 3])
        # Furniture hanging entirely above the camera (a ceiling lamp) does not block it.
        return not np.any(inside & (f[:, 4] < position[2] + 0.3))

    def _position(self, obj, rng: np.random.Generator) -> np.ndarray | None:
        """A free eye-height position in the room within ``object_distance`` of the object's centre.

        Positions are drawn over the whole room rather than around the object, so small rooms
        (where most of a ring around the object lies outside the walls) are sampled efficiently.
        Small objects are looked at from closer (at most 8 box diagonals away), as a person would.
        """
        cfg = self.config
        target = obj.center
        near, far = cfg.object_distance
        far = min(far, max(near + 1.0, 8.0 * float(np.linalg.norm(obj.extents))))
        lo, hi = self.scene.bounds[0, :2] + cfg.wall_margin, self.scene.bounds[1, :2] - cfg.wall_margin
        if np.any(hi <= lo):
            return None
        for _ in range(64):
            pos = np.array([*rng.uniform(lo, hi), self.scene.floor_height + rng.uniform(*cfg.eye_height)])
            if near <= np.linalg.norm(pos - target) <= far and self.is_free(pos):
                return pos
        return None

    def _camera(self, pos: np.ndarray, aim: np.ndarray, rng: np.random.Generator) -> Camera:
        """A camera at ``pos`` looking at ``aim``, turned by a small random yaw and pitch so the
        aimed-at point lands at different places in the frame."""
        cfg = self.config
        pose = look_at(pos, aim)
        a, b = np.radians(rng.uniform(-cfg.max_rotation_deg, cfg.max_rotation_deg, size=2))
        pose[:3, :3] = rotation_z(a) @ pose[:3, :3] @ rotation_x(b)
        return Camera(self.K, pose, cfg.resolution, cfg.resolution)

    def _elsewhere(self, object_id: int, pos: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Where to aim a view meant not to show the object: half the time another object (it may
        hide the target), otherwise away from the target, within 60 degrees of straight away."""
        obj = self.scene.objects[object_id]
        others = [o for o in self.scene.object_ids() if o != object_id]
        if others and rng.random() < 0.5:
            return self.scene.objects[others[int(rng.integers(len(others)))]].center
        away = pos[:2] - obj.center[:2]
        yaw = np.arctan2(away[1], away[0]) + rng.uniform(-np.pi / 3, np.pi / 3)
        return np.array([pos[0] + np.cos(yaw), pos[1] + np.sin(yaw), pos[2] - 0.3])

    def sample_object(self, object_id: int, rng: np.random.Generator) -> list[tuple[View, np.ndarray, np.ndarray, np.ndarray]]:
        """Views of one object with their rgb, depth and instance images; [] when it is skipped."""
        cfg = self.config
        obj = self.scene.objects[object_id]
        n_pixels = cfg.resolution ** 2
        chosen: list[tuple[View, np.ndarray, np.ndarray, np.ndarray]] = []
        n_vis = n_inv = 0
        for attempt in range(cfg.max_tries):
            if n_vis == cfg.views_visible and n_inv == cfg.views_invisible:
                break
            # Mostly aim at the object; every 4th try (or once its visible views are found) aim
            # elsewhere, which is where views without the object come from.
            want_visible = n_vis < cfg.views_visible and (n_inv == cfg.views_invisible or attempt % 4 != 3)
            pos = self._position(obj, rng)
            if pos is None or any(np.linalg.norm(pos - v.camera.position) < cfg.min_camera_distance
                                  for v, *_ in chosen):
                continue
            cam = self._camera(pos, obj.center if want_visible else self._elsewhere(object_id, pos, rng), rng)
            frame = self.renderer.render(cam)
            if (frame.instance < 0).mean() > cfg.max_background_fraction:
                continue
            visible_pixels = int((frame.instance == object_id).sum())
            if visible_pixels >= cfg.min_visible_fraction * n_pixels and n_vis < cfg.views_visible:
                is_visible = True
            elif visible_pixels == 0 and n_inv < cfg.views_invisible:
                is_visible = False
            else:
                continue
            alone = self.renderer.render(cam, only_objects=[object_id])
            ann = annotate_object(obj, cam, frame.instance, alone.instance)
            chosen.append((View(-1, object_id, is_visible, cam, ann), frame.rgb, frame.depth, frame.instance))
            n_vis += is_visible
            n_inv += not is_visible
        if n_vis < cfg.views_visible or n_inv < cfg.views_invisible:
            return []
        # Visible views first, then invisible ones, each in the order they were found.
        return sorted(chosen, key=lambda c: not c[0].visible)


def scene_identity(spec) -> str:
    """A cheap cache identity for a scene spec (a Scene, a ``procedural:`` name or a directory)
    that does not need the scene loaded: content hash, generator version, or file sizes + mtimes."""
    if isinstance(spec, Scene):
        return f"{spec.scene_id}-{spec.content_hash}"
    text = str(spec)
    if text.startswith("procedural:"):
        from .scene import procedural
        return f"{text.split(':', 1)[1]}-gen{procedural.GENERATOR_VERSION}"
    path = Path(text).expanduser().resolve()
    if not path.exists():
        raise FileNotFoundError(f"scene {text!r}: no such file or directory")
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    h = hashlib.sha256(str(path).encode())
    for p in files:
        st = p.stat()
        h.update(f"{p.relative_to(path.parent)}:{st.st_size}:{st.st_mtime_ns}".encode())
    return f"{path.name}-{h.hexdigest()[:12]}"


def default_cache_dir() -> Path:
    """Where view banks live: ``$SPATIAL_ENV_CACHE``, else ``$XDG_CACHE_HOME/spatial_env``, else ``~/.cache/spatial_env``."""
    if os.environ.get("SPATIAL_ENV_CACHE"):
        return Path(os.environ["SPATIAL_ENV_CACHE"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "spatial_env"


class ImageCache:
    """A least-recently-used cache of decoded images bounded in bytes, shared by every bank of a process
    (one budget, however many scenes an env draws from)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = int(max_bytes)
        self.nbytes = 0
        self._items: OrderedDict[tuple, np.ndarray] = OrderedDict()

    def get(self, key: tuple, load) -> np.ndarray:
        """The cached array for ``key``, or ``load()``'s result, cached read-only."""
        img = self._items.get(key)
        if img is not None:
            self._items.move_to_end(key)
            return img
        img = load()
        img.setflags(write=False)
        self._items[key] = img
        self.nbytes += img.nbytes
        while self.nbytes > self.max_bytes and len(self._items) > 1:
            self.nbytes -= self._items.popitem(last=False)[1].nbytes
        return img


#: Decoded bank images kept in memory: ``$SPATIAL_ENV_IMAGE_CACHE_MB`` MiB (default 1024), about
#: 1,400 images at 512x512, i.e. several scenes' banks, so steps of a warm env do no PNG decoding.
IMAGE_CACHE = ImageCache(int(os.environ.get("SPATIAL_ENV_IMAGE_CACHE_MB", "1024")) * 2**20)


class ViewBank:
    """One scene's sampled views and annotations on disk, with images loaded lazily and cached."""

    def __init__(self, path: Path, index: dict):
        self.path = Path(path)
        self.index = index
        self.scene_id: str = index["scene_id"]
        self.views: list[View] = [View.from_json(v) for v in index["views"]]
        self.objects: dict[int, dict] = {int(o["id"]): o for o in index["objects"]}
        self.by_object: dict[int, list[int]] = {}
        for v in self.views:
            self.by_object.setdefault(v.object_id, []).append(v.index)
        # Episode sampling asks for these on every reset.
        self._visible = {o: [i for i in ids if self.views[i].visible] for o, ids in self.by_object.items()}
        self._invisible = {o: [i for i in ids if not self.views[i].visible] for o, ids in self.by_object.items()}
        self._eligible: dict[int, list[int]] = {}

    @property
    def resolution(self) -> int:
        """Image side length in pixels."""
        return int(self.index["config"]["resolution"])

    def visible_views(self, object_id: int) -> list[int]:
        """Indices of the views where ``object_id`` is visible."""
        return list(self._visible.get(object_id, []))

    def objects_with_visible(self, n: int) -> list[int]:
        """Sorted ids of the objects with at least ``n`` visible views (cached per ``n``)."""
        if n not in self._eligible:
            self._eligible[n] = [o for o in sorted(self.objects) if len(self._visible.get(o, ())) >= n]
        return list(self._eligible[n])

    def invisible_views(self, object_id: int) -> list[int]:
        """Indices of the views where ``object_id`` is not visible."""
        return list(self._invisible.get(object_id, []))

    def rgb(self, index: int) -> np.ndarray:
        """The view's RGB image (H, W, 3) uint8 (read-only, cached)."""
        return IMAGE_CACHE.get((str(self.path), index), lambda: iio.imread(self.path / "rgb" / f"{index:05d}.png"))

    def maps(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The view's z-depth (float32 metres, 0 = nothing) and instance ids (int32, -1 = background)."""
        with np.load(self.path / "maps" / f"{index:05d}.npz") as z:
            return z["depth_mm"].astype(np.float32) / 1000.0, z["instance"].astype(np.int32)

    @classmethod
    def open(cls, path: str | os.PathLike) -> "ViewBank":
        """Open a built bank directory."""
        path = Path(path)
        try:
            index = json.loads((path / "index.json").read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise ValueError(f"{path / 'index.json'}: not a readable view bank index ({e})") from None
        if index.get("format") != BANK_FORMAT:
            raise ValueError(f"{path / 'index.json'}: bank format {index.get('format')} != {BANK_FORMAT}")
        return cls(path, index)

    @classmethod
    def build(cls, scene: Scene, out: str | os.PathLike, config: SamplerConfig = SamplerConfig(), *,
              renderer: str = "auto", progress: bool = True, identity: str | None = None) -> "ViewBank":
        """Sample, render and annotate every object of ``scene`` into directory ``out`` (atomically)."""
        from .render import make_renderer
        from tqdm.auto import tqdm

        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            r = make_renderer(scene, backend=renderer)
            sampler = ViewSampler(scene, r, config)
            (tmp / "rgb").mkdir()
            (tmp / "maps").mkdir()
            ids = scene.object_ids()
            # Each object draws from its own stream so skipping one does not shift the others.
            seeds = np.random.SeedSequence([config.seed, int(scene.content_hash[:8], 16)]).spawn(len(ids))
            if config.max_objects is not None and config.max_objects < len(ids):
                pick = np.random.default_rng(config.seed).choice(len(ids), config.max_objects, replace=False)
                ids, seeds = [ids[i] for i in sorted(pick)], [seeds[i] for i in sorted(pick)]
            views, skipped = [], []
            for oid, seed in tqdm(list(zip(ids, seeds)), desc=f"views {scene.scene_id}", disable=not progress,
                                  unit="obj", leave=False):
                sampled = sampler.sample_object(oid, np.random.default_rng(seed))
                if not sampled:
                    skipped.append(oid)
                for view, rgb, depth, inst in sampled:
                    view = dataclasses.replace(view, index=len(views))
                    iio.imwrite(tmp / "rgb" / f"{view.index:05d}.png", rgb)
                    depth_mm = np.minimum(np.round(depth * 1000.0), 65535).astype(np.uint16)
                    np.savez_compressed(tmp / "maps" / f"{view.index:05d}.npz", depth_mm=depth_mm, instance=inst)
                    views.append(view)
            kept = sorted({v.object_id for v in views})
            index = {
                "format": BANK_FORMAT, "spatial_env": __version__, "scene_id": scene.scene_id,
                "scene_hash": scene.content_hash, "identity": identity or scene_identity(scene),
                "source": scene.source, "renderer": r.backend, "config": config.to_dict(),
                "floor_height": scene.floor_height, "bounds": scene.bounds.tolist(),
                "objects": [{"id": o, "category": scene.objects[o].category,
                             "center": scene.objects[o].center.tolist(), "extents": scene.objects[o].extents.tolist(),
                             "model": scene.objects[o].attributes.get("model")} for o in kept],
                "skipped_objects": skipped,
                "views": [v.to_json() for v in views],
            }
            (tmp / "index.json").write_text(json.dumps(index))
            try:
                os.rename(tmp, out)
            except OSError:
                if not (out / "index.json").exists():
                    raise
                # Another process finished the same bank first; theirs is equivalent.
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return cls.open(out)


def bank_key(identity: str, config: SamplerConfig, renderer: str) -> str:
    """Directory name of a bank: scene identity + hash of sampler parameters, renderer and format."""
    payload = json.dumps([config.to_dict(), renderer, BANK_FORMAT], sort_keys=True)
    return f"{identity}-{hashlib.sha256(payload.encode()).hexdigest()[:10]}"


def load_bank(spec, config: SamplerConfig = SamplerConfig(), *, cache_dir: str | os.PathLike | None = None,
              renderer: str = "auto", progress: bool = True) -> ViewBank:
    """The view bank of a scene spec (Scene, ``procedural:`` name or dataset path), built on first use."""
    from .render import resolve_backend

    backend = resolve_backend(renderer)
    identity = scene_identity(spec)
    path = Path(cache_dir or default_cache_dir()) / "banks" / bank_key(identity, config, backend)
    if (path / "index.json").exists():
        return ViewBank.open(path)
    from .scene import load_scene

    scene = spec if isinstance(spec, Scene) else load_scene(spec)
    return ViewBank.build(scene, path, config, renderer=backend, progress=progress, identity=identity)

