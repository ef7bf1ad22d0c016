"""Frame samplers: where the cameras of a scene's frame bank stand and look.

A sampler is a class registered with :func:`register_sampler` that turns a scene and a renderer
into a stream of :class:`Shot` (a camera with its rendered frame and what the sampler aimed at).
The bank annotates every shot (:mod:`spatial_env.frames.annotate`) and stores it. Samplers:

==================  =============================================================================
``object_views``    Rep2D-BEAT's object-centric views (rep2d-beat.txt §4.1): per object, views
                    where it is visible and views where it is not (10 + 2 by default);
                    :mod:`spatial_env.frames.object_views`
``walkthrough``     an eye-height walk through the room's walkable floor, turning as a person
                    scanning the room would; frames overlap like a video's, as in ScanNet scans
``captured``        a ScanNet scan's real posed photos (SensReader export), subsampled by pose, with
                    the mesh rendered at each photo's pose; :mod:`spatial_env.frames.captured`
==================  =============================================================================

A sampler whose frames fall into independent *units* (``object_views``: one per object) also has
``units(scene) -> list[int]`` (cheap: from the scene alone), ``slots`` (frames per unit at most) and
``unit_shots(scene, renderer, unit) -> list[Shot]`` (one unit's shots from that unit's own random
stream); its banks are filled unit by unit on demand (:class:`~spatial_env.frames.FrameBank`). A
walkthrough has no units: frame k of a walk depends on every frame before it (one random stream,
frames rejected along the way), its ~48 frames cost a few seconds, and its questions compare frames
across the whole walk, so its bank is built whole.

A sampler whose frames come from files beside the scene (``captured``) also has
``source_files(scene_spec) -> list[Path]`` (they join the bank's cache key) and its ``shots`` takes
``scene_spec=`` (the path the scene was loaded from). ``image_size(scene_spec) -> (height, width)``
says how large the frames are; rendered samplers' frames are ``resolution`` square.

Renders placed on demand (a camera a task computes, such as SPAR's "move to A facing B") do not
need a sampler: :meth:`spatial_env.frames.FrameBank.render` renders and annotates any camera.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator

import numpy as np

from ..camera import Camera, intrinsics, look_at
from ..render.base import Frame
from ..scene.model import Scene
from ..typecheck import dataclass_from_dict

_SAMPLERS: dict[str, type] = {}


@dataclass
class Shot:
    """One sampled camera with its render; ``target`` is the object the sampler aimed at (if any),
    ``role`` the sampler's tag for the shot, ``amodal`` (tight box, pixels) of objects it rendered alone,
    ``source`` the file the image came from (captured frames), ``exclude`` objects whose annotation the
    bank drops (the frame's stored instance map keeps them)."""

    camera: Camera
    frame: Frame
    target: int | None = None
    role: str = ""
    amodal: dict[int, tuple] = field(default_factory=dict)
    source: str | None = None
    exclude: frozenset[int] = frozenset()


def register_sampler(cls: type) -> type:
    """Class decorator: make a sampler available to frame specs by its ``name``."""
    if cls.name in _SAMPLERS and _SAMPLERS[cls.name] is not cls:
        raise ValueError(f"sampler {cls.name!r} is already registered")
    _SAMPLERS[cls.name] = cls
    return cls


def get_sampler(name: str) -> type:
    """The sampler class registered as ``name``."""
    try:
        return _SAMPLERS[name]
    except KeyError:
        raise ValueError(f"unknown frame sampler {name!r}; registered: {sorted(_SAMPLERS)}") from None


@dataclass(frozen=True)
class WalkthroughConfig:
    """Walkthrough parameters: a person's walk over the walkable floor at eye height."""

    frames: int = 48                      # frames per scene
    resolution: int = 512
    hfov_deg: float = 90.0
    eye_height: float = 1.5               # metres above the floor
    step: float = 0.35                    # metres walked between frames
    pitch_deg: tuple[float, float] = (-25.0, -5.0)  # looking slightly down, as a hand-held scan does
    pan_deg: float = 35.0                 # the view swings this far left/right of the walking direction
    max_background_fraction: float = 0.2  # more empty pixels means looking out of a hole in the mesh
    seed: int = 0


@register_sampler
class Walkthrough:
    """An eye-height walk that covers the room: waypoints spread over the walkable floor, visited in
    a nearest-neighbour tour, frames every ``step`` metres with the gaze swinging around the walking
    direction (consecutive frames overlap strongly, distant ones little, as in a scan)."""

    name: ClassVar[str] = "walkthrough"

    def __init__(self, config):
        self.config = config if isinstance(config, WalkthroughConfig) else \
            dataclass_from_dict(WalkthroughConfig, config, where="walkthrough sampler", coerce=True)

    def path(self, scene: Scene, rng: np.random.Generator) -> np.ndarray:
        """(N, 2) floor positions of a walk through the walkable area, ``step`` apart."""
        from ..scene.walkable import walkable_mask

        cell = 0.05
        for radius in (0.35, 0.25, 0.15):
            mask, origin = walkable_mask(scene, cell=cell, radius=radius)
            if mask.sum() > 100:
                break
        ii, jj = np.nonzero(mask)
        if len(ii) == 0:
            raise ValueError(f"scene {scene.scene_id!r}: no walkable floor for a walkthrough")
        pts = origin + (np.stack([ii, jj], 1) + 0.5) * cell
        # Farthest-point waypoints cover the floor evenly; the first is random.
        n_way = int(np.clip(self.config.frames * self.config.step / 1.2, 2, 24))
        way = [int(rng.integers(len(pts)))]
        dist = np.linalg.norm(pts - pts[way[0]], axis=1)
        for _ in range(n_way - 1):
            way.append(int(dist.argmax()))
            dist = np.minimum(dist, np.linalg.norm(pts - pts[way[-1]], axis=1))
        tour, left = [way[0]], set(way[1:])
        while left:
            nxt = min(left, key=lambda w: float(np.linalg.norm(pts[w] - pts[tour[-1]])))
            tour.append(nxt)
            left.remove(nxt)
        # Walk the straight segments between waypoints, snapping each step to walkable floor.
        out = [pts[tour[0]]]
        for a, b in zip(tour[:-1], tour[1:]):
            seg = pts[b] - pts[a]
            n = max(1, int(np.linalg.norm(seg) / self.config.step))
            for t in np.arange(1, n + 1) / n:
                p = pts[a] + t * seg
                out.append(pts[int(np.linalg.norm(pts - p, axis=1).argmin())])
        return np.array(out)

    def shots(self, scene: Scene, renderer, progress: bool = False) -> Iterator[Shot]:
        """Frames along the walk until ``frames`` are kept (the walk repeats backwards if short)."""
        cfg = self.config
        rng = np.random.default_rng([cfg.seed, int(scene.content_hash[:8], 16)])
        path = self.path(scene, rng)
        K = intrinsics(cfg.hfov_deg, cfg.resolution, cfg.resolution)
        kept, k, tries = 0, 0, 0
        heading = 0.0
        while kept < cfg.frames and tries < 4 * cfg.frames + 8:
            tries += 1
            i = k % (2 * len(path) - 2) if len(path) > 1 else 0
            i = i if i < len(path) else 2 * len(path) - 2 - i  # back and forth along the walk
            nxt = path[min(i + 1, len(path) - 1)] if i + 1 < len(path) else path[max(i - 1, 0)]
            move = nxt - path[i]
            if np.linalg.norm(move) > 1e-6:
                heading = float(np.arctan2(move[1], move[0]))
            yaw = heading + np.radians(cfg.pan_deg) * np.sin(0.7 * k) + rng.uniform(-0.1, 0.1)
            pitch = np.radians(rng.uniform(*cfg.pitch_deg))
            pos = np.array([*path[i], scene.floor_height + cfg.eye_height])
            aim = pos + np.array([np.cos(yaw) * np.cos(pitch), np.sin(yaw) * np.cos(pitch), np.sin(pitch)])
            cam = Camera(K, look_at(pos, aim), cfg.resolution, cfg.resolution)
            k += 1
            frame = renderer.render(cam)
            if (frame.instance < 0).mean() > cfg.max_background_fraction:
                continue
            kept += 1
            yield Shot(cam, frame, None, "walk")

    def image_size(self, scene_spec: Any = None) -> tuple[int, int]:
        """(height, width) of the frames: ``resolution`` square, whatever the scene."""
        return self.config.resolution, self.config.resolution

    def to_dict(self) -> dict:
        """The config as a JSON-ready dict (part of the bank's cache key)."""
        return dataclasses.asdict(self.config)
