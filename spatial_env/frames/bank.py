"""The frame bank: one scene's sampled frames with their annotations, cached on disk.

A bank is what a frame sampler produced for one scene: per frame the RGB image (PNG), z-depth in
millimetres and instance ids (NPZ), the camera, and the annotation of every object seen
(:mod:`spatial_env.frames.annotate`), indexed in one ``index.json``. It is built once into a
temporary directory and renamed into place, so concurrent builders never leave a half-written bank,
and opened lazily: images are decoded on first use into one byte-bounded cache per process.

The cache directory name is the scene's identity (the path, size and modification time of every file
its loader reads, and of the files a sampler reads beside it, such as captured photos and poses) plus
a hash of everything that changes pixels or annotations: the sampler and its config, the renderer,
the bank format and the package version.

Frames need not be square: captured photos keep their own size (``FrameBank.width`` x ``height``;
``resolution`` is the width), and the index records per frame the file its image came from
(``source_frames``) and the objects whose annotation the sampler had dropped (``excluded_objects``).

Banks are checked when opened (index, image files and their sizes); a damaged one is rebuilt and swapped
in atomically. Build directories are created with the umask's permissions, so a team can share a cache;
temporary directories left by killed builds are removed.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import socket
import struct
import sys
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np

from .. import __version__
from ..camera import Camera
from ..render.base import Frame
from ..scene.model import Scene
from .annotate import FrameAnnotator, ObjectAnnotation, amodal_item
from .samplers import get_sampler

#: Bump when the bank layout or what samplers store changes; old caches are then ignored.
#: 3: ``image_size``, ``source_frames``, ``excluded_objects`` and ``sampler_counts`` in the index.
BANK_FORMAT = 3

#: A temporary build directory older than this is an orphan whatever its owner (seconds).
ORPHAN_AGE = 24 * 3600

log = logging.getLogger(__name__)


class DamagedBank(ValueError):
    """A bank directory that cannot be used as it is (no or unreadable index, missing or wrong-size images)."""


@dataclass(frozen=True)
class FrameSpec:
    """Which frames a task draws from: a registered sampler's name and its config (a plain dict)."""

    sampler: str
    config: dict = field(default_factory=dict)

    def make(self):
        """The sampler instance (validates the config)."""
        return get_sampler(self.sampler)(self.config)

    def key(self, renderer: str) -> str:
        """Hash of everything but the scene that determines a bank's contents."""
        payload = json.dumps([self.sampler, self.make().to_dict(), renderer, BANK_FORMAT, __version__],
                             sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:10]

    def source_files(self, scene_spec: Any) -> list[Path]:
        """Files the sampler reads beside the scene's own (captured photos and poses), or none."""
        sampler = self.make()
        return list(sampler.source_files(scene_spec)) if hasattr(sampler, "source_files") else []

    def image_size(self, scene_spec: Any) -> tuple[int, int]:
        """(height, width) of the frames the sampler makes for a scene spec (rendered: ``resolution`` square)."""
        sampler = self.make()
        if hasattr(sampler, "image_size"):
            return tuple(int(v) for v in sampler.image_size(scene_spec))
        r = int(sampler.config.resolution)
        return r, r


@dataclass(frozen=True)
class FrameRecord:
    """One frame of a bank: its camera, what its sampler aimed at, and every seen object's annotation."""

    index: int
    camera: Camera
    target: int | None
    role: str
    objects: dict[int, ObjectAnnotation]

    def annotation(self, object_id: int) -> ObjectAnnotation | None:
        """The object's annotation in this frame, or None when the object is not seen."""
        return self.objects.get(object_id)

    def to_json(self) -> dict:
        """JSON-ready dict."""
        return {"index": self.index, "pose": self.camera.pose.tolist(), "K": self.camera.K.tolist(),
                "width": self.camera.width, "height": self.camera.height, "target": self.target,
                "role": self.role, "objects": [a.to_json() for a in self.objects.values()]}

    @classmethod
    def from_json(cls, d: dict) -> "FrameRecord":
        """Inverse of :meth:`to_json`."""
        cam = Camera(np.array(d["K"], float), np.array(d["pose"], float), int(d["width"]), int(d["height"]))
        objects = {int(a["id"]): ObjectAnnotation.from_json(a) for a in d["objects"]}
        return cls(int(d["index"]), cam, None if d["target"] is None else int(d["target"]), d["role"], objects)


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


class FrameBank:
    """One scene's frames and annotations on disk, with images loaded lazily and cached.

    ``scene`` (a Scene or a spec :func:`spatial_env.scene.load_scene` reads) is only loaded when a
    frame is rendered on demand (:meth:`render`, :meth:`amodal`).
    """

    def __init__(self, path: Path, index: dict, scene: Any = None, renderer: str = "auto"):
        self.path = Path(path)
        self.index = index
        self.scene_id: str = index["scene_id"]
        self.frames: list[FrameRecord] = [FrameRecord.from_json(f) for f in index["frames"]]
        self.objects: dict[int, dict] = {int(o["id"]): o for o in index["objects"]}
        self.bounds = np.asarray(index["bounds"], float)
        self.resolution = int(index["resolution"])
        #: Frame size in pixels; captured photos need not be square (``resolution`` is then the width).
        self.width, self.height = (int(v) for v in index.get("image_size") or (self.resolution, self.resolution))
        #: Per frame, the file its image came from (relative to the frames folder), or None when rendered.
        self.source_frames: list[str | None] = list(index.get("source_frames") or [None] * len(self.frames))
        #: Per frame, the ids of the objects whose annotation the sampler dropped (e.g. hidden in the depth image).
        self.excluded_objects: list[list[int]] = [list(map(int, e)) for e in
                                                  index.get("excluded_objects") or [[]] * len(self.frames)]
        if len(self.source_frames) != len(self.frames) or len(self.excluded_objects) != len(self.frames):
            raise ValueError(f"{len(self.frames)} frames but {len(self.source_frames)} source_frames and "
                             f"{len(self.excluded_objects)} excluded_objects entries")
        self._scene_spec, self._renderer_name = scene, renderer
        self._renderer = self._annotator = None
        self._amodal: dict[tuple[int, int], tuple] = {}
        self._points: OrderedDict[int, np.ndarray] = OrderedDict()
        self._targeted: dict[tuple, list[int]] = {}
        self.by_target: dict[int, list[int]] = {}
        for f in self.frames:
            if f.target is not None:
                self.by_target.setdefault(f.target, []).append(f.index)

    # -- frames --------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.frames)

    def rgb(self, index: int) -> np.ndarray:
        """The frame's RGB image (H, W, 3) uint8 (read-only, cached)."""
        return IMAGE_CACHE.get((str(self.path), index), lambda: iio.imread(self.path / "rgb" / f"{index:05d}.png"))

    def image_path(self, index: int) -> Path:
        """Where the frame's PNG lies (for exports that copy files instead of re-encoding)."""
        return self.path / "rgb" / f"{index:05d}.png"

    def maps(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The frame's z-depth (float32 metres, 0 = nothing) and instance ids (int32, -1 = background)."""
        with np.load(self.path / "maps" / f"{index:05d}.npz") as z:
            return z["depth_mm"].astype(np.float32) / 1000.0, z["instance"].astype(np.int32)

    def targeted(self, object_id: int, role: str | None = None) -> list[int]:
        """Indices of the frames a sampler aimed at ``object_id`` (with ``role``, e.g. ``"visible"``)."""
        key = (object_id, role)
        if key not in self._targeted:
            self._targeted[key] = [i for i in self.by_target.get(object_id, ())
                                   if role is None or self.frames[i].role == role]
        return list(self._targeted[key])

    def targets_with(self, role: str, n: int) -> list[int]:
        """Sorted ids of the objects with at least ``n`` frames aimed at them with ``role``."""
        return [o for o in sorted(self.by_target) if len(self.targeted(o, role)) >= n]

    def frames_showing(self, object_id: int, min_pixels: int = 1) -> list[int]:
        """Indices of the frames where ``object_id`` has at least ``min_pixels`` visible pixels."""
        return [f.index for f in self.frames
                if (a := f.objects.get(object_id)) is not None and a.visible_pixels >= min_pixels]

    # -- overlap ---------------------------------------------------------------------------------------
    def surface_voxels(self, index: int, voxel: float = 0.05) -> np.ndarray:
        """Sorted keys of the ``voxel``-metre cells holding the frame's visible surface points."""
        key = (index, voxel)
        if key not in self._points:
            depth, _ = self.maps(index)
            cam = self.frames[index].camera
            pts = cam.unproject(depth)[depth > 0]
            cells = np.floor(pts / voxel).astype(np.int64) + (1 << 20)
            keys = np.unique((cells[:, 0] << 42) | (cells[:, 1] << 21) | cells[:, 2])
            self._points[key] = keys
            if len(self._points) > 256:
                self._points.popitem(last=False)
        return self._points[key]

    def overlap(self, i: int, j: int, voxel: float = 0.05) -> float:
        """IoU of the visible surface of frames ``i`` and ``j`` (MultiSPA §3.2's frame-pair overlap),
        measured on ``voxel``-metre cells so near and far frames count surface, not pixels."""
        a, b = self.surface_voxels(i, voxel), self.surface_voxels(j, voxel)
        inter = len(np.intersect1d(a, b, assume_unique=True))
        union = len(a) + len(b) - inter
        return inter / union if union else 0.0

    # -- renders on demand -------------------------------------------------------------------------------
    @property
    def scene(self) -> Scene:
        """The bank's scene, loaded on first use."""
        if not isinstance(self._scene_spec, Scene):
            if self._scene_spec is None:
                raise ValueError(f"bank {self.path} was opened without its scene; pass scene= to render on demand")
            from ..scene import load_scene

            self._scene_spec = load_scene(self._scene_spec)
        return self._scene_spec

    def _tools(self):
        if self._renderer is None:
            from ..render import make_renderer

            self._renderer = make_renderer(self.scene, backend=self._renderer_name)
            self._annotator = FrameAnnotator(self.scene)
        return self._renderer, self._annotator

    def render(self, camera: Camera, amodal: tuple[int, ...] = (),
               object_transforms: dict[int, np.ndarray] | None = None) -> tuple[Frame, dict[int, ObjectAnnotation]]:
        """Render and annotate any camera (a view placed on demand); ``amodal`` objects also get their
        amodal items. ``object_transforms`` (object id -> 4x4 rigid world transform) moves those objects
        for this render only: pixels, depth and ids show them moved, but the annotations' boxes and
        vertex fractions are the static scene's. Nothing is stored."""
        renderer, annotator = self._tools()
        frame = renderer.render(camera, object_transforms=object_transforms)
        items = {oid: amodal_item(renderer.render(camera, only_objects=[oid], object_transforms=object_transforms)
                                  .instance, oid) for oid in amodal}
        return frame, annotator.annotate(camera, frame.depth, frame.instance, items)

    def amodal(self, index: int, object_id: int) -> ObjectAnnotation | None:
        """The object's annotation in frame ``index`` with its amodal items (rendered on demand if needed)."""
        ann = self.frames[index].objects.get(object_id)
        if ann is None or ann.amodal_pixels is not None:
            return ann
        if (index, object_id) not in self._amodal:
            renderer, _ = self._tools()
            alone = renderer.render(self.frames[index].camera, only_objects=[object_id]).instance
            self._amodal[(index, object_id)] = amodal_item(alone, object_id)
        tight, px = self._amodal[(index, object_id)]
        from dataclasses import replace

        return replace(ann, tight_box=tight, amodal_pixels=px)

    # -- building and opening --------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike, scene: Any = None, renderer: str = "auto") -> "FrameBank":
        """Open a built bank directory, checking its index and files (:class:`DamagedBank` when unusable)."""
        path = Path(path)
        index_path = path / "index.json"
        try:
            index = json.loads(index_path.read_text())
        except FileNotFoundError:
            raise DamagedBank(f"{path}: no index.json (a damaged or unfinished frame bank)") from None
        except (OSError, ValueError) as e:
            raise DamagedBank(f"{index_path}: not a readable frame bank index ({e})") from None
        if not isinstance(index, dict) or index.get("format") != BANK_FORMAT:
            found = index.get("format") if isinstance(index, dict) else type(index).__name__
            raise DamagedBank(f"{index_path}: bank format {found!r} != {BANK_FORMAT}")
        try:
            bank = cls(path, index, scene, renderer)
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise DamagedBank(f"{index_path}: not a frame bank index ({type(e).__name__}: {e})") from None
        bank._check_files()
        return bank

    def _check_files(self) -> None:
        """Every frame's PNG (an 8-bit RGB image of its camera's size, read from the PNG header) and maps."""
        for f in self.frames:
            png = self.image_path(f.index)
            try:
                with open(png, "rb") as fh:
                    head = fh.read(26)
            except OSError as e:
                raise DamagedBank(f"{png}: missing or unreadable ({e.strerror or e})") from None
            if len(head) < 26 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
                raise DamagedBank(f"{png}: not a PNG image")
            width, height = struct.unpack(">II", head[16:24])
            if (width, height) != (f.camera.width, f.camera.height) or head[24:26] != b"\x08\x02":
                raise DamagedBank(f"{png}: a {width}x{height} image (bit depth {head[24]}, colour type {head[25]}); "
                                  f"the frame is {f.camera.width}x{f.camera.height} 8-bit RGB")
            maps = self.path / "maps" / f"{f.index:05d}.npz"
            if not maps.is_file():
                raise DamagedBank(f"{maps}: missing")

    @classmethod
    def build(cls, scene: Scene, out: str | os.PathLike, spec: FrameSpec, *, renderer: str = "auto",
              progress: bool = True, identity: str | None = None, scene_spec: Any = None) -> "FrameBank":
        """Sample, render and annotate ``scene``'s frames into directory ``out`` (atomically).

        ``scene_spec`` is the path ``scene`` was loaded from, for samplers that read files beside it
        (captured frames)."""
        from ..render import make_renderer

        out = Path(out)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            # Host and pid in the name tell a later process whether the builder is gone (see _remove_orphans).
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.{_HOST}.{os.getpid()}.", dir=out.parent))
        except OSError as e:
            if e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise
            raise PermissionError(f"frame bank cache {out.parent} is read-only and lacks the bank {out.name} "
                                  f"(scene {scene.scene_id}): build it once with write access, or point "
                                  f"cache_dir / $SPATIAL_ENV_CACHE at a writable directory") from None
        try:
            os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes it private (0700); a shared cache must be readable
            r = make_renderer(scene, backend=renderer)
            sampler = spec.make()
            annotator = FrameAnnotator(scene)
            (tmp / "rgb").mkdir()
            (tmp / "maps").mkdir()
            frames, sources, excluded = [], [], []
            # Samplers reading files beside the scene (they list them in source_files) need its path.
            extra = {"scene_spec": scene_spec} if hasattr(sampler, "source_files") else {}
            for shot in sampler.shots(scene, r, progress=progress, **extra):
                k = len(frames)
                f = shot.frame
                objects = annotator.annotate(shot.camera, f.depth, f.instance, shot.amodal)
                dropped = sorted(o for o in objects if o in shot.exclude)
                for o in dropped:
                    del objects[o]
                frames.append(FrameRecord(k, shot.camera, shot.target, shot.role, objects))
                sources.append(shot.source)
                excluded.append(dropped)
                iio.imwrite(tmp / "rgb" / f"{k:05d}.png", f.rgb)
                depth_mm = np.minimum(np.round(f.depth * 1000.0), 65535).astype(np.uint16)
                np.savez_compressed(tmp / "maps" / f"{k:05d}.npz", depth_mm=depth_mm, instance=f.instance)
            seen = sorted({o for f in frames for o in f.objects} | {f.target for f in frames if f.target is not None})
            # Captured samplers have no resolution: their frames keep the photos' size.
            resolution = getattr(sampler.config, "resolution", None)
            size = ((frames[0].camera.width, frames[0].camera.height) if frames
                    else (int(resolution or 0), int(resolution or 0)))
            index = {
                "format": BANK_FORMAT, "spatial_env": __version__, "scene_id": scene.scene_id,
                "scene_hash": scene.content_hash, "identity": identity or scene_identity(scene),
                "source": scene.source, "renderer": r.backend, "sampler": spec.sampler,
                "config": sampler.to_dict(), "resolution": int(resolution or size[0]), "image_size": list(size),
                "floor_height": scene.floor_height, "bounds": scene.bounds.tolist(),
                "objects": [{"id": o, "category": scene.objects[o].category,
                             "center": scene.objects[o].center.tolist(), "extents": scene.objects[o].extents.tolist(),
                             "rotation": scene.objects[o].rotation.tolist(),
                             "model": scene.objects[o].attributes.get("model")} for o in seen],
                "relations": [list(r_) for r_ in scene.relations],
                "skipped_objects": list(getattr(sampler, "skipped", [])),
                "sampler_counts": dict(getattr(sampler, "counts", {})),
                "source_frames": sources,
                "excluded_objects": excluded,
                "frames": [f.to_json() for f in frames],
            }
            (tmp / "index.json").write_text(json.dumps(index))
            _install(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return cls.open(out, scene, renderer)


_HOST = socket.gethostname().replace(".", "_") or "host"


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (setting it to read it
    back is not safe while other threads create files)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _install(tmp: Path, out: Path) -> None:
    """Rename a finished build ``tmp`` to ``out``; a damaged ``out`` is first renamed aside (atomically, so
    readers see the old or the new bank, never a mix) and deleted, and a valid one that another process
    finished meanwhile is kept (it is equivalent) and ``tmp`` dropped."""
    for _ in range(5):
        try:
            os.rename(tmp, out)
            return
        except OSError:
            if not out.exists():
                raise
        try:
            FrameBank.open(out)
        except DamagedBank as why:
            log.warning("replacing damaged frame bank %s (%s)", out, why)
            trash = Path(tempfile.mkdtemp(prefix=f".{out.name}.{_HOST}.{os.getpid()}.", dir=out.parent))
            try:
                os.rename(out, trash / "old")
            except FileNotFoundError:
                pass  # another process moved it first
            shutil.rmtree(trash, ignore_errors=True)
            continue
        shutil.rmtree(tmp, ignore_errors=True)
        return
    raise OSError(f"could not move the new frame bank into {out} (it keeps being replaced)")


def _remove_orphans(root: Path) -> None:
    """Delete temporary build directories in ``root`` whose builder is gone: same host and a dead pid,
    or older than :data:`ORPHAN_AGE` (another host's, or from before names carried a pid)."""
    try:
        entries = [p for p in root.iterdir() if p.name.startswith(".") and p.is_dir()]
    except OSError:
        return
    now = time.time()
    for p in entries:
        parts = p.name.rsplit(".", 3)  # ".<bank>", host, pid, mkdtemp's random suffix
        mine = len(parts) == 4 and parts[1] == _HOST and parts[2].isdigit()
        try:
            old = now - p.stat().st_mtime > ORPHAN_AGE
        except OSError:
            continue
        if (mine and not _alive(int(parts[2]))) or old:
            shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: alive
    return True


def _is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def scene_identity(spec, source_files=()) -> str:
    """A cheap cache identity for a scene spec (a Scene, a ``procedural:`` name or a path) that does not
    need the scene loaded: content hash, generator version, or the path, size and modification time of
    every file the loader reads (:func:`spatial_env.scene.loaders.scene_files`); ``source_files`` (files a
    sampler reads beside the scene, :meth:`FrameSpec.source_files`) add a hash of theirs."""
    extra = f"-{_files_hash(source_files, '')[:10]}" if source_files else ""
    if isinstance(spec, Scene):
        return f"{spec.scene_id}-{spec.content_hash}{extra}"
    text = str(spec)
    if text.startswith("procedural:"):
        from ..scene import procedural
        return f"{text.split(':', 1)[1]}-gen{procedural.GENERATOR_VERSION}{extra}"
    from ..scene.loaders import scene_files

    directory, files = scene_files(text)
    return f"{directory.name}-{_files_hash(files, str(directory))[:12]}{extra}"


def _files_hash(files, salt: str) -> str:
    """SHA-256 of the path, size and modification time of each file (absent ones marked as such)."""
    h = hashlib.sha256(salt.encode())
    for p in sorted({Path(f) for f in files}):
        try:
            st = p.stat()
            h.update(f"{p}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        except FileNotFoundError:
            h.update(f"{p}:absent\n".encode())
    return h.hexdigest()


def default_cache_dir() -> Path:
    """Where frame banks live: ``$SPATIAL_ENV_CACHE``, else ``$XDG_CACHE_HOME/spatial_env``, else ``~/.cache/spatial_env``."""
    if os.environ.get("SPATIAL_ENV_CACHE"):
        return Path(os.environ["SPATIAL_ENV_CACHE"]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "spatial_env"


def load_bank(scene, spec: FrameSpec, *, cache_dir: str | os.PathLike | None = None, renderer: str = "auto",
              progress: bool = True) -> FrameBank:
    """The frame bank of a scene spec (Scene, ``procedural:`` name or dataset path) for ``spec``,
    built on first use."""
    from ..render import resolve_backend

    backend = resolve_backend(renderer)
    identity = scene_identity(scene, spec.source_files(scene))
    root = Path(cache_dir or default_cache_dir()) / "banks"
    path = root / f"{identity}-{spec.key(backend)}"
    if root not in _SWEPT:  # once per process and cache: a listing, cheap, but not per scene
        _SWEPT.add(root)
        _remove_orphans(root)
    if path.exists():
        try:
            return FrameBank.open(path, scene, backend)
        except DamagedBank as why:
            log.warning("frame bank %s is damaged (%s); rebuilding it", path, why)
    from ..scene import load_scene

    loaded = scene if isinstance(scene, Scene) else load_scene(scene)
    if not progress or _is_terminal():
        return FrameBank.build(loaded, path, spec, renderer=backend, progress=progress, identity=identity,
                               scene_spec=scene)
    # Not a terminal (a log file, a pipe): two plain lines instead of nested bars' escape codes.
    print(f"building frame bank {path.name} ({spec.sampler} frames of {loaded.scene_id})", file=sys.stderr, flush=True)
    start = time.monotonic()
    bank = FrameBank.build(loaded, path, spec, renderer=backend, progress=False, identity=identity,
                           scene_spec=scene)
    print(f"built frame bank {path.name}: {len(bank)} frames in {time.monotonic() - start:.0f} s", file=sys.stderr,
          flush=True)
    return bank


_SWEPT: set[Path] = set()
