"""The frame bank: one scene's sampled frames with their annotations, cached on disk.

A bank is what a frame sampler produced for one scene: per frame the RGB image (PNG), z-depth in
millimetres and instance ids (NPZ), the camera, and the annotation of every object seen
(:mod:`spatial_env.frames.annotate`), indexed in ``index.json``. Images are decoded on first use into
one byte-bounded cache per process.

Two layouts, chosen by the sampler:

* **Whole** (``walkthrough``, ``captured``): built at once into a temporary directory and renamed into
  place, so concurrent builders never leave a half-written bank. A walk is one random stream whose
  frame k depends on every frame before it, and its questions compare frames across the whole walk.
* **Units** (``object_views``: a sampler with ``units(scene)``, one unit per object): ``index.json`` is a
  manifest written when the bank is created (scene, config, every object, the list of units) and each
  unit's frames are rendered on first use (:meth:`FrameBank.fill`): its PNG and NPZ files are written
  under temporary names and renamed, then ``units/<unit>.json`` is renamed into place last, so a unit
  either exists whole or not at all. Units are seeded each on their own and frame ``j`` of unit ``k``
  is frame ``k * slots + j``, so a bank filled lazily, in any order, by any number of processes equals
  one built in full, byte for byte. Two processes filling the same unit render the same bytes (a file
  lock makes the second wait and read the first's).

The cache directory name is the scene's identity (the path, size and modification time of every file
its loader reads, and of the files a sampler reads beside it, such as captured photos and poses) plus
a hash of everything that changes pixels or annotations: the sampler and its config, the renderer,
the bank format and the package version.

Frames need not be square: captured photos keep their own size (``FrameBank.width`` x ``height``;
``resolution`` is the width), and the index records per frame the file its image came from
(``source_frames``) and the objects whose annotation the sampler had dropped (``excluded_objects``).

Banks are checked when opened (index, image files and their sizes; a unit when it is first read); a
damaged whole bank is rebuilt and swapped in atomically, a damaged unit rendered again. Directories
and files are created with the umask's permissions, so a team can share a cache; temporary
directories and files left by killed builders are removed.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import logging
import os
import secrets
import shutil
import socket
import struct
import sys
import tempfile
import time
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import imageio.v3 as iio
import numpy as np

from .. import __version__
from ..camera import Camera
from ..render.base import Frame
from ..scene.model import Scene
from ..progress import is_terminal
from .annotate import FrameAnnotator, ObjectAnnotation, amodal_item
from .samplers import get_sampler

#: Bump when the bank layout or what samplers store changes; old caches are then ignored.
#: 3: ``image_size``, ``source_frames``, ``excluded_objects`` and ``sampler_counts`` in the index.
#: 4: samplers with units (object views) store one file per unit, filled on demand, frame ``k * slots + j``;
#: NPZ files carry fixed timestamps (same frames, same bytes).
#: 5: the renderer culls closed solids' back faces, which recolours a few silhouette pixels (same ids and
#: depths); banks rendered before would differ from fresh renders by those pixels.
BANK_FORMAT = 5

#: A temporary build directory or file older than this is an orphan whatever its owner (seconds).
ORPHAN_AGE = 24 * 3600

#: numba threads while a bank is rendered (``$SPATIAL_ENV_BANK_THREADS``, default 1): sampling is thousands of
#: small renders (64x64 visibility probes) whose parallel regions cost more than they save, and on a busy
#: machine a 2-thread region waits for a descheduled thread (a unit of living_room-0 at 512x512: 2.6 s on one
#: thread, 8 s on two, on 2 shared cores). Parallelism comes from processes (spatial-env prepare).
BANK_THREADS = int(os.environ.get("SPATIAL_ENV_BANK_THREADS", "1"))

log = logging.getLogger(__name__)


class _render_threads:
    """numba's thread count set to :data:`BANK_THREADS` for a ``with`` block (this thread only; the output does
    not depend on it)."""

    def __enter__(self):
        self.old = None
        try:
            import numba
        except ImportError:
            return self
        self.old = numba.get_num_threads()
        numba.set_num_threads(max(1, min(BANK_THREADS, numba.config.NUMBA_NUM_THREADS)))
        return self

    def __exit__(self, *exc) -> None:
        if self.old is not None:
            import numba

            numba.set_num_threads(self.old)


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

    @property
    def has_units(self) -> bool:
        """Whether the sampler's banks are filled unit by unit on demand (it has ``units(scene)``)."""
        return hasattr(get_sampler(self.sampler), "units")

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


#: zlib level of stored PNGs: 4 encodes a 512x512 frame in ~21 ms against ~55 ms at Pillow's default 6, for
#: files ~8 % larger (level 1: 14 ms, +30 %); at 6, encoding was a third of a bank build and of an export.
PNG_LEVEL = 4


def png_bytes(rgb: np.ndarray) -> bytes:
    """A frame's RGB image as the PNG file a bank (or an export) stores."""
    return iio.imwrite("<bytes>", np.ascontiguousarray(rgb), extension=".png", compress_level=PNG_LEVEL)


def npz_bytes(depth: np.ndarray, instance: np.ndarray) -> bytes:
    """A frame's maps as the NPZ file a bank stores: depth in whole millimetres (uint16) and instance ids.

    ``np.savez_compressed`` stamps the current time into the archive; a fixed one keeps equal maps equal
    byte for byte, whoever rendered them and when."""
    depth_mm = np.minimum(np.round(depth * 1000.0), 65535).astype(np.uint16)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, arr in (("depth_mm", depth_mm), ("instance", np.ascontiguousarray(instance))):
            raw = io.BytesIO()
            np.lib.format.write_array(raw, arr, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, raw.getvalue())
    return buf.getvalue()


def _frame_data(k: int, shot, annotator: FrameAnnotator) -> tuple[FrameRecord, list[int], bytes, bytes]:
    """Frame ``k`` of a shot: its record (every object annotated, the shot's exclusions dropped), the
    dropped ids, and its PNG and NPZ bytes."""
    f = shot.frame
    objects = annotator.annotate(shot.camera, f.depth, f.instance, shot.amodal)
    dropped = sorted(o for o in objects if o in shot.exclude)
    for o in dropped:
        del objects[o]
    return FrameRecord(k, shot.camera, shot.target, shot.role, objects), dropped, png_bytes(f.rgb), \
        npz_bytes(f.depth, f.instance)


class _UnitFrames(Sequence):
    """A unit bank's frames by frame index: reading one fills its unit; ``len`` and iteration fill every
    unit (frames of skipped units do not exist, so indices may have gaps)."""

    def __init__(self, bank: "FrameBank"):
        self._bank = bank

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(self)[index]
        return self._bank._record(index)

    def __len__(self) -> int:
        self._bank.fill()
        return len(self._bank._records)

    def __iter__(self) -> Iterator[FrameRecord]:
        self._bank.fill()
        records = self._bank._records
        return iter([records[i] for i in sorted(records)])


class FrameBank:
    """One scene's frames and annotations on disk, with images loaded lazily and cached.

    ``scene`` (a Scene or a spec :func:`spatial_env.scene.load_scene` reads) is only loaded when a
    frame is rendered on demand (:meth:`render`, :meth:`amodal`) or a unit is filled (:meth:`fill`).
    """

    def __init__(self, path: Path, index: dict, scene: Any = None, renderer: str = "auto"):
        self.path = Path(path)
        self.index = index
        self.scene_id: str = index["scene_id"]
        self.objects: dict[int, dict] = {int(o["id"]): o for o in index["objects"]}
        self.bounds = np.asarray(index["bounds"], float)
        self.resolution = int(index["resolution"])
        #: Frame size in pixels; captured photos need not be square (``resolution`` is then the width).
        self.width, self.height = (int(v) for v in index.get("image_size") or (self.resolution, self.resolution))
        units = index.get("units")
        #: The sampler's units (the objects it aims at) in order, for a bank filled unit by unit; None for a
        #: whole bank.
        self.units: list[int] | None = None if units is None else [int(u) for u in units]
        #: Frames per unit: frame ``j`` of unit ``k`` is frame ``k * slots + j`` (0 for a whole bank).
        self.slots = int(index.get("slots") or 0)
        #: Print one line when the first unit is rendered on demand (set by :func:`load_bank`).
        self.announce = False
        self._unit_pos = {u: k for k, u in enumerate(self.units or ())}
        self._filled: set[int] = set()
        self._unit_stats: dict[int, dict] = {}
        self._swept = False
        self._scene_spec, self._renderer_name = scene, renderer
        self._renderer = self._annotator = self._sampler = None
        self._amodal: dict[tuple[int, int], tuple] = {}
        self._points: OrderedDict[int, np.ndarray] = OrderedDict()
        self._targeted: dict[tuple, list[int]] = {}
        self._records: dict[int, FrameRecord] = {}
        self._sources: dict[int, str | None] = {}
        self._excluded: dict[int, list[int]] = {}
        self._by_target: dict[int, list[int]] = {}
        if self.units is None:
            frames = [FrameRecord.from_json(f) for f in index["frames"]]
            sources = list(index.get("source_frames") or [None] * len(frames))
            excluded = [list(map(int, e)) for e in index.get("excluded_objects") or [[]] * len(frames)]
            if len(sources) != len(frames) or len(excluded) != len(frames):
                raise ValueError(f"{len(frames)} frames but {len(sources)} source_frames and "
                                 f"{len(excluded)} excluded_objects entries")
            for f, s, e in zip(frames, sources, excluded):
                self._add(f, s, e)
            self.frames: Sequence[FrameRecord] = frames
        else:
            if self.slots < 1:
                raise ValueError(f"a bank with units needs slots >= 1, got {self.slots}")
            self.frames = _UnitFrames(self)

    def _add(self, record: FrameRecord, source: str | None, excluded: list[int]) -> None:
        self._records[record.index] = record
        self._sources[record.index] = source
        self._excluded[record.index] = excluded
        if record.target is not None:
            self._by_target.setdefault(record.target, []).append(record.index)

    def _record(self, index: int) -> FrameRecord:
        """Frame ``index``, its unit filled first if need be."""
        rec = self._records.get(index)
        if rec is not None:
            return rec
        if self.units is None or isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
                or not 0 <= index < len(self.units) * self.slots:
            raise IndexError(f"frame {index!r} is not in frame bank {self.path.name}")
        unit = self.units[int(index) // self.slots]
        self.fill_unit(unit)
        rec = self._records.get(int(index))
        if rec is None:
            raise IndexError(f"frame {index} is not in frame bank {self.path.name}: its unit (object {unit}) has "
                             f"{len(self._by_target.get(unit, ()))} frames (the sampler skips objects without enough views)")
        return rec

    # -- frames --------------------------------------------------------------------------------------
    def __len__(self) -> int:
        """Number of frames (a unit bank fills every unit first)."""
        self.fill()
        return len(self._records)

    @property
    def by_target(self) -> dict[int, list[int]]:
        """Frame indices per object a sampler aimed at (a unit bank fills every unit first)."""
        self.fill()
        return self._by_target

    @property
    def source_frames(self) -> list[str | None]:
        """Per frame (in index order), the file its image came from (relative to the frames folder), or None
        when rendered."""
        self.fill()
        return [self._sources[i] for i in sorted(self._records)]

    @property
    def excluded_objects(self) -> list[list[int]]:
        """Per frame (in index order), the ids of the objects whose annotation the sampler dropped (e.g.
        hidden in the depth image)."""
        self.fill()
        return [self._excluded[i] for i in sorted(self._records)]

    def rgb(self, index: int) -> np.ndarray:
        """The frame's RGB image (H, W, 3) uint8 (read-only, cached)."""
        if index not in self._records:
            self._record(index)
        return IMAGE_CACHE.get((str(self.path), index), lambda: iio.imread(self.path / "rgb" / f"{index:05d}.png"))

    def image_path(self, index: int) -> Path:
        """Where the frame's PNG lies (for exports that copy files instead of re-encoding)."""
        if self.units is not None and index not in self._records:
            self._record(index)
        return self.path / "rgb" / f"{index:05d}.png"

    def maps(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The frame's z-depth (float32 metres, 0 = nothing) and instance ids (int32, -1 = background)."""
        if index not in self._records:
            self._record(index)
        with np.load(self.path / "maps" / f"{index:05d}.npz") as z:
            return z["depth_mm"].astype(np.float32) / 1000.0, z["instance"].astype(np.int32)

    def targeted(self, object_id: int, role: str | None = None) -> list[int]:
        """Indices of the frames a sampler aimed at ``object_id`` (with ``role``, e.g. ``"visible"``); a unit
        bank fills that object's unit only."""
        key = (object_id, role)
        if key not in self._targeted:
            if object_id in self._unit_pos:
                self.fill_unit(object_id)
            self._targeted[key] = [i for i in self._by_target.get(object_id, ())
                                   if role is None or self._records[i].role == role]
        return list(self._targeted[key])

    def targets_with(self, role: str, n: int) -> list[int]:
        """Sorted ids of the objects with at least ``n`` frames aimed at them with ``role`` (a unit bank fills
        every unit first: :meth:`draw_target` draws one without)."""
        return [o for o in sorted(self.by_target) if len(self.targeted(o, role)) >= n]

    def draw_target(self, role: str, n: int, rng: np.random.Generator) -> int:
        """An object drawn uniformly from those with at least ``n`` frames aimed at them with ``role``.

        A unit bank draws among all its units and draws again while the drawn one has too few such frames
        (the sampler skipped it), so only drawn objects are rendered and the draw is the same whatever is
        cached; when no unit is skipped it equals ``targets_with(role, n)[rng.integers(len(...))]``."""
        if self.units is None:
            eligible = self.targets_with(role, n)
            if not eligible:
                raise ValueError(f"scene {self.scene_id!r}: no object has {n} frames with role {role!r}")
            return eligible[int(rng.integers(len(eligible)))]
        failed: set[int] = set()
        while len(failed) < len(self.units):
            oid = self.units[int(rng.integers(len(self.units)))]
            if len(self.targeted(oid, role)) >= n:
                return oid
            failed.add(oid)
        raise ValueError(f"scene {self.scene_id!r}: no object has {n} frames with role {role!r} "
                         f"({len(self.units)} objects sampled)")

    def frames_showing(self, object_id: int, min_pixels: int = 1) -> list[int]:
        """Indices of the frames where ``object_id`` has at least ``min_pixels`` visible pixels."""
        return [f.index for f in self.frames
                if (a := f.objects.get(object_id)) is not None and a.visible_pixels >= min_pixels]

    # -- units -----------------------------------------------------------------------------------------
    def missing_units(self) -> list[int]:
        """The units not on disk yet, in order (none for a whole bank)."""
        if self.units is None:
            return []
        try:
            present = {e.name for e in os.scandir(self.path / "units")}
        except FileNotFoundError:
            present = set()
        return [u for k, u in enumerate(self.units) if k not in self._filled and f"{u}.json" not in present]

    def fill(self, units: Sequence[int] | None = None, *, progress: bool = False) -> None:
        """Make sure every unit (or just ``units``) is on disk and loaded, rendering the missing ones; a
        whole bank is always full."""
        if self.units is None:
            return
        todo = [u for u in (self.units if units is None else units) if self._unit_pos.get(u) not in self._filled]
        if not todo:
            return
        if not progress:
            for u in todo:
                self.fill_unit(u)
            return
        from tqdm.auto import tqdm

        missing = set(self.missing_units())
        if is_terminal():
            for u in tqdm(todo, desc=f"frame bank {self.scene_id}", unit="obj", leave=False):
                self.fill_unit(u)
            return
        start, n_missing = time.monotonic(), sum(u in missing for u in todo)
        if n_missing:
            print(f"filling frame bank {self.path.name}: {n_missing} of {len(self.units)} objects to render",
                  file=sys.stderr, flush=True)
        for u in todo:
            self.fill_unit(u)
        if n_missing:
            print(f"filled frame bank {self.path.name}: {len(self._records)} frames in "
                  f"{time.monotonic() - start:.0f} s", file=sys.stderr, flush=True)

    def fill_unit(self, unit: int) -> None:
        """Load unit ``unit`` (an object id), rendering and storing its frames first if no process has."""
        pos = self._unit_pos.get(unit)
        if pos is None:
            raise ValueError(f"{unit!r} is not a unit of frame bank {self.path.name} ({len(self._unit_pos)} units)")
        if pos in self._filled:
            return
        parsed = self._read_unit(pos)
        if parsed is None:
            with _locked(self.path / "units" / f"{unit}.lock"):
                parsed = self._read_unit(pos)  # another process may have rendered it while we waited
                if parsed is None:
                    if self.announce:
                        self.announce = False
                        print(f"frame bank {self.path.name}: rendering object views on demand, {self.slots} "
                              f"frames per object (spatial-env prepare renders whole banks up front)",
                              file=sys.stderr, flush=True)
                    self._render_unit(pos)
                    parsed = self._read_unit(pos)
                    if parsed is None:
                        raise DamagedBank(f"{self.path}: unit {unit} was written but cannot be read back")
        records, sources, excluded, stats = parsed
        for r, s, e in zip(records, sources, excluded):
            self._add(r, s, e)
        self._unit_stats[unit] = stats
        self._filled.add(pos)

    def _read_unit(self, pos: int):
        """(records, sources, excluded, stats) of a stored unit, or None when it is missing or damaged."""
        unit = self.units[pos]
        path = self.path / "units" / f"{unit}.json"
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            log.warning("frame bank unit %s is unreadable (%s); rendering it again", path, e)
            return None
        try:
            if int(data["unit"]) != unit:
                raise ValueError(f"it holds unit {data['unit']}")
            records = [FrameRecord.from_json(f) for f in data["frames"]]
            sources, excluded = list(data["source_frames"]), [list(map(int, e)) for e in data["excluded_objects"]]
            lo = pos * self.slots
            if len(sources) != len(records) or len(excluded) != len(records) or \
                    [r.index for r in records] != list(range(lo, lo + len(records))) or len(records) > self.slots:
                raise ValueError("frame indices or per-frame lists do not match the unit")
            for r in records:
                _check_frame_files(self.path, r)
        except (KeyError, TypeError, ValueError, IndexError) as e:
            log.warning("frame bank unit %s is damaged (%s); rendering it again", path, e)
            return None
        return records, sources, excluded, dict(data.get("stats") or {})

    def _render_unit(self, pos: int) -> None:
        """Render unit ``pos``'s frames and store them: images and maps first, the unit's file last, each
        written under a temporary name and renamed (readers see a unit whole or not at all)."""
        unit = self.units[pos]
        start = time.monotonic()
        renderer, annotator = self._tools()
        if self._sampler is None:
            self._sampler = get_sampler(self.index["sampler"])(self.index["config"])
        if not self._swept:
            self._swept = True
            _remove_orphan_files(self.path)
        frames, sources, excluded, nbytes = [], [], [], 0
        try:
            with _render_threads():
                shots = self._sampler.unit_shots(self.scene, renderer, unit)
            for j, shot in enumerate(shots):
                if j >= self.slots:
                    raise RuntimeError(f"sampler {self.index['sampler']!r} made more than {self.slots} frames "
                                       f"for unit {unit}")
                record, dropped, png, npz = _frame_data(pos * self.slots + j, shot, annotator)
                _write_file(self.path / "rgb" / f"{record.index:05d}.png", png)
                _write_file(self.path / "maps" / f"{record.index:05d}.npz", npz)
                nbytes += len(png) + len(npz)
                frames.append(record.to_json())
                sources.append(shot.source)
                excluded.append(dropped)
            data = {"unit": unit, "frames": frames, "source_frames": sources, "excluded_objects": excluded,
                    "stats": {"seconds": round(time.monotonic() - start, 3), "bytes": nbytes}}
            _write_file(self.path / "units" / f"{unit}.json", json.dumps(data).encode())
        except OSError as e:
            if e.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
                raise
            raise PermissionError(f"frame bank {self.path} lacks object {unit}'s views and its cache is read-only: "
                                  f"fill it once with write access (spatial-env prepare), or point cache_dir / "
                                  f"$SPATIAL_ENV_CACHE at a writable directory") from None

    def stats(self) -> dict:
        """Measured cost of what is on disk: frames, seconds of rendering and bytes written (units read so far,
        or the whole bank's build)."""
        if self.units is None:
            return {"frames": len(self._records), "seconds": float(self.index.get("build_seconds") or 0.0),
                    "bytes": int(self.index.get("bytes") or 0)}
        return {"frames": len(self._records), "seconds": sum(s.get("seconds", 0.0) for s in self._unit_stats.values()),
                "bytes": sum(s.get("bytes", 0) for s in self._unit_stats.values())}

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
        """Open a bank directory, checking its index and (whole banks) files (:class:`DamagedBank` when
        unusable); a unit bank's units are checked when first read."""
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
        if bank.units is None:
            for f in bank.frames:
                _check_frame_files(path, f)
        return bank

    @classmethod
    def build(cls, scene: Scene, out: str | os.PathLike, spec: FrameSpec, *, renderer: str = "auto",
              progress: bool = True, identity: str | None = None, scene_spec: Any = None) -> "FrameBank":
        """Sample, render and annotate all of ``scene``'s frames into directory ``out`` (atomically).

        ``scene_spec`` is the path ``scene`` was loaded from, for samplers that read files beside it
        (captured frames)."""
        return cls._make(scene, Path(out), spec, renderer=renderer, progress=progress, identity=identity,
                         scene_spec=scene_spec, fill=True)

    @classmethod
    def create(cls, scene: Scene, out: str | os.PathLike, spec: FrameSpec, *, renderer: str = "auto",
               progress: bool = True, identity: str | None = None, scene_spec: Any = None) -> "FrameBank":
        """A bank in directory ``out`` ready to use: a unit bank's manifest only (units are filled on demand),
        a whole bank built in full; atomically either way."""
        return cls._make(scene, Path(out), spec, renderer=renderer, progress=progress, identity=identity,
                         scene_spec=scene_spec, fill=False)

    @classmethod
    def _make(cls, scene: Scene, out: Path, spec: FrameSpec, *, renderer: str, progress: bool,
              identity: str | None, scene_spec: Any, fill: bool) -> "FrameBank":
        from ..render import resolve_backend

        backend = resolve_backend(renderer)
        sampler = spec.make()
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
            (tmp / "rgb").mkdir()
            (tmp / "maps").mkdir()
            index = _index_head(scene, spec, sampler, backend, identity)
            if hasattr(sampler, "units"):
                (tmp / "units").mkdir()
                index.update(units=[int(u) for u in sampler.units(scene)], slots=int(sampler.slots),
                             objects=_object_table(scene, scene.object_ids()))
                (tmp / "index.json").write_text(json.dumps(index))
                if fill:
                    cls(tmp, index, scene, backend).fill(progress=progress)
            else:
                _build_whole(tmp, index, scene, sampler, backend, progress, scene_spec)
            _install(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return cls.open(out, scene, renderer)


def _index_head(scene: Scene, spec: FrameSpec, sampler, backend: str, identity: str | None) -> dict:
    """The index entries every bank has (scene, sampler, renderer, sizes)."""
    resolution = getattr(sampler.config, "resolution", None)
    return {"format": BANK_FORMAT, "spatial_env": __version__, "scene_id": scene.scene_id,
            "scene_hash": scene.content_hash, "identity": identity or scene_identity(scene),
            "source": scene.source, "renderer": backend, "sampler": spec.sampler, "config": sampler.to_dict(),
            "resolution": int(resolution or 0), "image_size": [int(resolution or 0)] * 2,
            "floor_height": scene.floor_height, "bounds": scene.bounds.tolist(),
            "relations": [list(r_) for r_ in scene.relations]}


def _object_table(scene: Scene, ids) -> list[dict]:
    """The index's entries for objects ``ids``: category, oriented box and model."""
    return [{"id": o, "category": scene.objects[o].category, "center": scene.objects[o].center.tolist(),
             "extents": scene.objects[o].extents.tolist(), "rotation": scene.objects[o].rotation.tolist(),
             "model": scene.objects[o].attributes.get("model")} for o in ids]


def _build_whole(tmp: Path, index: dict, scene: Scene, sampler, backend: str, progress: bool,
                 scene_spec: Any) -> None:
    """Render every shot of a sampler without units into ``tmp`` and write its index."""
    from ..render import make_renderer

    start = time.monotonic()
    r = make_renderer(scene, backend=backend)
    annotator = FrameAnnotator(scene)
    frames, sources, excluded, nbytes = [], [], [], 0
    # Samplers reading files beside the scene (they list them in source_files) need its path.
    extra = {"scene_spec": scene_spec} if hasattr(sampler, "source_files") else {}
    shots = sampler.shots(scene, r, progress=progress, **extra)
    while True:
        with _render_threads():  # the sampler renders when asked for its next shot
            shot = next(shots, None)
        if shot is None:
            break
        record, dropped, png, npz = _frame_data(len(frames), shot, annotator)
        (tmp / "rgb" / f"{record.index:05d}.png").write_bytes(png)
        (tmp / "maps" / f"{record.index:05d}.npz").write_bytes(npz)
        nbytes += len(png) + len(npz)
        frames.append(record)
        sources.append(shot.source)
        excluded.append(dropped)
    seen = sorted({o for f in frames for o in f.objects} | {f.target for f in frames if f.target is not None})
    if frames:  # captured samplers have no resolution: their frames keep the photos' size
        size = [frames[0].camera.width, frames[0].camera.height]
        index.update(resolution=index["resolution"] or size[0], image_size=size)
    index.update(objects=_object_table(scene, seen), skipped_objects=list(getattr(sampler, "skipped", [])),
                 sampler_counts=dict(getattr(sampler, "counts", {})), source_frames=sources,
                 excluded_objects=excluded, frames=[f.to_json() for f in frames],
                 build_seconds=round(time.monotonic() - start, 3), bytes=nbytes)
    (tmp / "index.json").write_text(json.dumps(index))


def _check_frame_files(path: Path, f: FrameRecord) -> None:
    """A frame's PNG (an 8-bit RGB image of its camera's size, read from the PNG header) and maps exist."""
    png = path / "rgb" / f"{f.index:05d}.png"
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
    maps = path / "maps" / f"{f.index:05d}.npz"
    if not maps.is_file():
        raise DamagedBank(f"{maps}: missing")


_HOST = socket.gethostname().replace(".", "_") or "host"


def _write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temporary sibling (named for its host and pid, so a later
    process can tell an orphan) renamed over it, with the umask's permissions."""
    tmp = path.with_name(f".{path.name}.{_HOST}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class _locked:
    """An exclusive advisory lock on ``path`` (created if need be) for a ``with`` block; where the file
    system or platform has none the block runs unlocked (fillers then render the same bytes twice)."""

    def __init__(self, path: Path):
        self.path, self.fd = path, None

    def __enter__(self):
        try:
            import fcntl

            self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o666)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except (ImportError, OSError):
            pass
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock


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


def _orphaned(name: str, mtime: float, now: float) -> bool:
    """Whether a temporary ``.<name>.<host>.<pid>.<suffix>`` entry's writer is gone: same host and a dead
    pid, or older than :data:`ORPHAN_AGE` (another host's, or from before names carried a pid)."""
    parts = name.rsplit(".", 3)
    mine = len(parts) == 4 and parts[1] == _HOST and parts[2].isdigit()
    return (mine and not _alive(int(parts[2]))) or now - mtime > ORPHAN_AGE


def _remove_orphans(root: Path) -> None:
    """Delete temporary build directories in ``root`` whose builder is gone (see :func:`_orphaned`)."""
    try:
        entries = [p for p in root.iterdir() if p.name.startswith(".") and p.is_dir()]
    except OSError:
        return
    now = time.time()
    for p in entries:
        try:
            old = p.stat().st_mtime
        except OSError:
            continue
        if _orphaned(p.name, old, now):
            shutil.rmtree(p, ignore_errors=True)


def _remove_orphan_files(bank: Path) -> None:
    """Delete temporary files that killed fillers left in a unit bank's folders."""
    now = time.time()
    for sub in ("rgb", "maps", "units"):
        try:
            entries = [e for e in os.scandir(bank / sub) if e.name.startswith(".")]
        except OSError:
            continue
        for e in entries:
            try:
                if _orphaned(e.name, e.stat().st_mtime, now):
                    os.unlink(e.path)
            except OSError:
                pass


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


def bank_path(scene, spec: FrameSpec, *, cache_dir: str | os.PathLike | None = None, renderer: str = "auto") -> Path:
    """The directory of a scene spec's bank for ``spec`` (whether or not it exists), without loading the scene."""
    from ..render import resolve_backend

    identity = scene_identity(scene, spec.source_files(scene))
    return Path(cache_dir or default_cache_dir()) / "banks" / f"{identity}-{spec.key(resolve_backend(renderer))}"


def load_bank(scene, spec: FrameSpec, *, cache_dir: str | os.PathLike | None = None, renderer: str = "auto",
              progress: bool = True, fill: bool = False) -> FrameBank:
    """The frame bank of a scene spec (Scene, ``procedural:`` name or dataset path) for ``spec``.

    A whole bank is built on first use. A unit bank (object views) is created on first use with no frames
    and renders each object's views when a question first needs them; ``fill=True`` renders every missing
    unit now (what ``spatial-env prepare`` does)."""
    from ..render import resolve_backend

    backend = resolve_backend(renderer)
    identity = scene_identity(scene, spec.source_files(scene))
    root = Path(cache_dir or default_cache_dir()) / "banks"
    path = root / f"{identity}-{spec.key(backend)}"
    if root not in _SWEPT:  # once per process and cache: a listing, cheap, but not per scene
        _SWEPT.add(root)
        _remove_orphans(root)
    bank = None
    if path.exists():
        try:
            bank = FrameBank.open(path, scene, backend)
        except DamagedBank as why:
            log.warning("frame bank %s is damaged (%s); rebuilding it", path, why)
    if bank is None:
        bank = _create(scene, spec, path, backend, identity, progress)
    if fill:
        bank.fill(progress=progress)
    else:
        bank.announce = progress
    return bank


def _create(scene, spec: FrameSpec, path: Path, backend: str, identity: str, progress: bool) -> FrameBank:
    from ..scene import load_scene

    if backend == "numba":  # a cold JIT cache compiles while the scene loads
        from ..render.numba_backend import start_warm_up

        start_warm_up()
    loaded = scene if isinstance(scene, Scene) else load_scene(scene)
    if spec.has_units or not progress or is_terminal():
        return FrameBank.create(loaded, path, spec, renderer=backend, progress=progress, identity=identity,
                                scene_spec=scene)
    # Not a terminal (a log file, a pipe): two plain lines instead of nested bars' escape codes.
    print(f"building frame bank {path.name} ({spec.sampler} frames of {loaded.scene_id})", file=sys.stderr, flush=True)
    start = time.monotonic()
    bank = FrameBank.create(loaded, path, spec, renderer=backend, progress=False, identity=identity, scene_spec=scene)
    print(f"built frame bank {path.name}: {len(bank)} frames in {time.monotonic() - start:.0f} s", file=sys.stderr,
          flush=True)
    return bank


_SWEPT: set[Path] = set()
