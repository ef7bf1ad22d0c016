"""Embedded default scenes: furnished rooms generated from a name, identical on every machine.

Replica and ScanNet cannot be shipped, so these rooms are what users meet first. A name such as
``bedroom-0`` fixes the room type and a seed; :func:`make_scene` builds the shell (floor, walls with
door and window openings, ceiling, skirting), lays out furniture from :mod:`.furniture` against walls and
in functional groups, and puts small objects on support surfaces.

Relations recorded in ``Scene.relations``: ``("on", a, b)`` when ``a`` rests on ``b``'s top or shelf,
``("hanging on", a, wall)`` for wall-mounted objects, ``("hanging from", light, ceiling)``, and
``("next to", a, b)`` (``a < b``) for neighbours standing on the same floor or surface. Object
``attributes`` hold ``model`` (equal strings mean identical geometry and colours), ``placement``
(``floor``, ``wall``, ``ceiling``, ``surface``, ``structure``), ``support`` (id, for ``surface``) and
``room_type``.

The layout is built in the room frame (a corner at the origin, walls along +x and +y), then the finished
room is moved rigidly by :func:`room_placement`: a turn by a multiple of 90 degrees about the vertical
and a horizontal offset of up to 4 m, both fixed by the name, so camera positions are not all positive
from one corner. Turns are quarter turns so that the walls stay axis-aligned, as in Replica and aligned
ScanNet rooms: ``Scene.bounds``, which the view samplers and :mod:`.walkable` take as the room, stays
tight around it (a continuous yaw would leave empty margins outside the walls inside the box).
"""

from __future__ import annotations

import functools
import hashlib
import re
import time

import numpy as np

from . import furniture as F
from .build import SceneBuilder
from .model import Scene
from .primitives import Mesh, box, speckle, value_noise

#: Version of the generated scenes, part of their cache identity: bump it when any room changes.
#: 2: rooms are placed with a random quarter turn and offset (same layouts as 1).
GENERATOR_VERSION = 2
#: Tag in each room's layout seed, kept when GENERATOR_VERSION moves so that names keep their layouts.
LAYOUT_SEED_TAG = "v1"
#: Tag of the placement seed: its own random stream, so drawing the placement leaves the layout alone.
PLACEMENT_SEED_TAG = "placement-v1"
#: Largest horizontal offset of a room's corner from the origin, per axis (m).
MAX_OFFSET = 4.0
ROOM_TYPES = ("bedroom", "living_room", "kitchen", "office", "bathroom", "dining_room")
#: How many default scenes each room type contributes (16 in all, as many as Rep2D-BEAT's scenes).
DEFAULT_COUNTS = {"bedroom": 3, "living_room": 3, "kitchen": 3, "office": 3, "bathroom": 2, "dining_room": 2}
MAX_OBJECTS = 40

_WALL_YAW = (np.pi, -np.pi / 2, 0.0, np.pi / 2)  # furniture front (-y) faces into the room
_T = 0.15  # wall thickness (m), visible in door and window reveals
_GAP = 0.02  # furniture clears the skirting by this much


# ----------------------------------------------------------------------------- room shell


def _quad_cells(origin, u, v, s_edges, t_edges, normal, color_fn) -> Mesh:
    """A planar patch ``origin + s*u + t*v`` cut at the given edges into cells with their own vertices,
    so colour may jump between cells (tiles, planks); ``color_fn(points, ci, cj)`` colours vertices."""
    s_edges, t_edges = np.asarray(s_edges, float), np.asarray(t_edges, float)
    ns, nt = len(s_edges) - 1, len(t_edges) - 1
    ci, cj = np.meshgrid(np.arange(ns), np.arange(nt), indexing="ij")
    ci, cj = ci.ravel(), cj.ravel()
    corners = [(0, 0), (1, 0), (1, 1), (0, 1)]
    S = np.stack([s_edges[ci + a] for a, _ in corners], 1)
    T = np.stack([t_edges[cj + b] for _, b in corners], 1)
    o, u, v = (np.asarray(x, float) for x in (origin, u, v))
    pts = o + S.reshape(-1, 1) * u + T.reshape(-1, 1) * v
    base = np.arange(len(ci)) * 4
    faces = np.concatenate([np.stack([base, base + 1, base + 2], 1), np.stack([base, base + 2, base + 3], 1)])
    if np.dot(np.cross(u, v), normal) < 0:
        faces = faces[:, [0, 2, 1]]
    colors = color_fn(pts, np.repeat(ci, 4), np.repeat(cj, 4))
    return Mesh(pts, faces.astype(np.int64), np.clip(colors, 0, 255).astype(np.uint8))


def _edges(a: float, b: float, step: float) -> np.ndarray:
    return np.linspace(a, b, max(1, int(np.ceil((b - a) / step - 1e-9))) + 1)


def _paint(base, seed: int, amount: float = 0.035):
    base = np.asarray(base, float)

    def fn(p, ci, cj):
        return base * (1 + amount * value_noise(p, 0.4, seed) + 0.01 * value_noise(p, 0.05, seed + 1))[:, None]

    return fn


class _Room:
    """Mutable layout state for one room: dimensions, builder, occupied boxes, supports."""

    def __init__(self, name: str, kind: str, rng: np.random.Generator):
        self.name, self.kind, self.rng = name, kind, rng
        self.b = SceneBuilder(name, source="procedural")
        self.occupied: list[tuple[np.ndarray, np.ndarray, int]] = []  # world AABB lo, hi, object id
        self.keepout: list[tuple[np.ndarray, np.ndarray]] = []  # door swings, window fronts
        self.surfaces: dict[int, list[tuple]] = {}  # id -> world rects (x0, x1, y0, y1, z, headroom)
        self.info: dict[int, dict] = {}  # id -> placement bookkeeping
        self.openings: dict[int, list[tuple]] = {0: [], 1: [], 2: [], 3: []}  # wall -> (s0, s1, z0, z1, kind)
        self.wall_ids: dict[int, int] = {}
        self.n_objects = 0

    # --- geometry of walls
    def wall_frame(self, k: int):
        """Origin, along-wall unit vector, inward normal and length of wall ``k`` (0=S, 1=E, 2=N, 3=W)."""
        W, D = self.W, self.D
        return [
            ((0, 0), (1, 0), (0, 1), W),
            ((W, 0), (0, 1), (-1, 0), D),
            ((W, D), (-1, 0), (0, -1), W),
            ((0, D), (0, -1), (1, 0), D),
        ][k]

    def wall_point(self, k: int, s: float, depth: float) -> np.ndarray:
        o, u, n, _ = self.wall_frame(k)
        return np.asarray(o, float) + s * np.asarray(u, float) + depth * np.asarray(n, float)

    # --- collision bookkeeping
    @staticmethod
    def footprint(furn: F.Furniture, yaw: float) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = furn.mesh.vertices.min(0), furn.mesh.vertices.max(0)
        c = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
        R = np.array([[np.cos(yaw), -np.sin(yaw)], [np.sin(yaw), np.cos(yaw)]])
        w = c @ R.T
        return np.append(w.min(0), lo[2]), np.append(w.max(0), hi[2])

    def fits(self, lo, hi, ignore=(), keepout: bool = True) -> bool:
        if (lo[:2] < -1e-6).any() or hi[0] > self.W + 1e-6 or hi[1] > self.D + 1e-6 or hi[2] > self.H - 0.01:
            return False
        for olo, ohi, oid in self.occupied:
            if oid in ignore:
                continue
            ov = np.minimum(hi, ohi) - np.maximum(lo, olo)
            if ov[0] > 1e-4 and ov[1] > 1e-4 and ov[2] > 0.01:  # flat rugs may lie under things
                return False
        if keepout:
            for klo, khi in self.keepout:
                ov = np.minimum(hi, khi) - np.maximum(lo, klo)
                if (ov > 1e-4).all():
                    return False
        return True

    def add(
        self,
        category: str,
        furn: F.Furniture,
        model: str,
        x: float,
        y: float,
        yaw: float,
        z: float = 0.0,
        *,
        placement: str = "floor",
        ignore=(),
        check: bool = True,
        keepout: bool = True,
        **attrs,
    ) -> int | None:
        """Place ``furn`` with its footprint centre at (x, y), bottom at z; None if it does not fit."""
        if self.n_objects >= MAX_OBJECTS - (placement != "ceiling") and placement != "structure":  # room for the light
            return None
        lo, hi = self.footprint(furn, yaw)
        t = np.array([x, y, z])
        lo, hi = lo + t, hi + t
        if check and not self.fits(lo, hi, ignore, keepout):
            return None
        oid = self.b.add_object(
            category, furn.mesh, yaw=yaw, translation=t, model=model, placement=placement, room_type=self.kind, **attrs
        )
        if placement != "structure":  # the shell is handled by the room bounds and keep-out zones
            self.occupied.append((lo, hi, oid))
        self.info[oid] = dict(
            category=category, placement=placement, lo=lo, hi=hi, yaw=yaw, support=attrs.get("support")
        )
        if placement != "structure":
            self.n_objects += 1
        if furn.surfaces:
            R = np.array([[np.cos(yaw), -np.sin(yaw)], [np.sin(yaw), np.cos(yaw)]])
            rects = []
            for rect in furn.surfaces:
                x0, x1, y0, y1, zs = rect[:5]
                head = rect[5] if len(rect) > 5 else 10.0
                c = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]) @ R.T + [x, y]
                rects.append((*c.min(0), *c.max(0), zs + z, head))
            self.surfaces[oid] = [(r[0], r[2], r[1], r[3], r[4], r[5]) for r in rects]
        return oid

    # --- placement helpers
    def against_wall(
        self,
        category: str,
        furn: F.Furniture,
        model: str,
        wall: int,
        s: float | None = None,
        *,
        gap: float = _GAP,
        clear: float = 0.0,
        tries: int = 24,
        exact: bool = False,
        **attrs,
    ) -> int | None:
        """Stand ``furn`` with its back to ``wall`` centred at ``s`` along it (searched near ``s``, or anywhere
        when None); ``clear`` keeps that much floor in front free of other furniture."""
        _, u, n, L = self.wall_frame(wall)
        yaw = _WALL_YAW[wall]
        lo, hi = furn.mesh.vertices.min(0), furn.mesh.vertices.max(0)
        w, d = hi[0] - lo[0], hi[1] - lo[1]
        if w > L:
            return None
        if s is None:
            cands = list(self.rng.uniform(w / 2, L - w / 2, tries))
        elif exact:
            cands = [s]
        else:
            cands = [
                s + o
                for o in np.concatenate(
                    [[0.0], np.repeat(np.arange(1, tries // 2 + 1) * 0.1, 2) * np.tile([1, -1], tries // 2)]
                )
            ]
        for sc in cands:
            if sc < w / 2 - 1e-9 or sc > L - w / 2 + 1e-9:
                continue
            p = self.wall_point(wall, sc, gap + d / 2)
            if clear > 0:
                q = self.wall_point(wall, sc, gap + d + clear / 2)
                ext = np.abs(np.asarray(u)) * w / 2 + np.abs(np.asarray(n)) * clear / 2
                clo, chi = np.append(q - ext, 0.05), np.append(q + ext, 1.5)
                if not self.fits(clo, chi, keepout=False):
                    continue
            oid = self.add(category, furn, model, p[0], p[1], yaw, wall=wall, **attrs)
            if oid is not None:
                self.info[oid].update(wall=wall, s=sc, width=w, depth=d)
                return oid
        return None

    def wall_fits(self, furn: F.Furniture, wall: int, s: float, gap: float = _GAP) -> bool:
        """Whether ``furn`` would fit against ``wall`` at ``s`` (nothing is placed)."""
        lo, hi = furn.mesh.vertices.min(0), furn.mesh.vertices.max(0)
        w, d = hi[0] - lo[0], hi[1] - lo[1]
        if s < w / 2 or s > self.wall_frame(wall)[3] - w / 2:
            return False
        p = self.wall_point(wall, s, gap + d / 2)
        flo, fhi = self.footprint(furn, _WALL_YAW[wall])
        return self.fits(flo + [p[0], p[1], 0.0], fhi + [p[0], p[1], 0.0])

    def on_wall(
        self, category: str, furn: F.Furniture, model: str, wall: int, s: float | None, z: float, tries: int = 20
    ) -> int | None:
        """Hang ``furn`` on ``wall`` with its bottom at height ``z``, centred at ``s`` (or searched)."""
        lo, hi = furn.mesh.vertices.min(0), furn.mesh.vertices.max(0)
        w, d = hi[0] - lo[0], hi[1] - lo[1]
        L = self.wall_frame(wall)[3]
        cands = [s] if s is not None else []
        cands += list(self.rng.uniform(w / 2 + 0.1, L - w / 2 - 0.1, tries)) if L > w + 0.2 else []
        for sc in cands:
            if sc < w / 2 or sc > L - w / 2:
                continue
            p = self.wall_point(wall, sc, d / 2 + 0.002)
            oid = self.add(category, furn, model, p[0], p[1], _WALL_YAW[wall], z, placement="wall")
            if oid is not None:
                self.b.add_relation(oid, "hanging on", self.wall_ids[wall])
                self.info[oid].update(wall=wall, s=sc)
                return oid
        return None

    def _hidden_on(self, support: int, lo: np.ndarray, hi: np.ndarray) -> bool:
        """On a support against a wall, would this box hide (or be hidden by) a lower thing behind (in
        front of) it? Keeps every small object visible from the room."""
        info = self.info[support]
        if "wall" not in info:
            return False
        n = np.asarray(self.wall_frame(info["wall"])[2], float)  # towards the room
        a = np.abs(n[::-1])  # the along-wall axis
        for o in self.info.values():
            if o.get("support") != support:
                continue
            ov = min(hi[:2] @ a, o["hi"][:2] @ a) - max(lo[:2] @ a, o["lo"][:2] @ a)
            if ov <= 0.3 * min((hi - lo)[:2] @ a, (o["hi"] - o["lo"])[:2] @ a):
                continue
            me_front = (lo[:2] + hi[:2]) @ n > (o["lo"][:2] + o["hi"][:2]) @ n
            h_me, h_o = hi[2] - lo[2], o["hi"][2] - o["lo"][2]
            if (me_front and h_me > 0.6 * h_o) or (not me_front and h_o > 0.6 * h_me):
                return True
        return False

    def on_surface(
        self,
        category: str,
        furn: F.Furniture,
        model: str,
        support: int,
        at=None,
        yaw=None,
        tries: int = 30,
        margin: float = 0.0,
    ) -> int | None:
        """Rest ``furn`` on one of ``support``'s surfaces, at world (x, y) ``at`` or at a free random spot."""
        rects = self.surfaces.get(support)
        if not rects:
            return None
        base_yaw = self.info[support]["yaw"]
        lo_m, hi_m = furn.mesh.vertices.min(0), furn.mesh.vertices.max(0)
        for i in range(tries if at is None else 1):
            r = rects[int(self.rng.integers(len(rects)))]
            y_ = base_yaw + (
                yaw
                if yaw is not None
                else self.rng.choice([0.0, 0.0, np.pi / 2, -np.pi / 2]) + self.rng.normal(0, 0.15)
            )
            flo, fhi = self.footprint(furn, y_)
            hx, hy = (fhi[0] - flo[0]) / 2, (fhi[1] - flo[1]) / 2
            if hx * 2 > r[1] - r[0] - 2 * margin or hy * 2 > r[3] - r[2] - 2 * margin:
                continue
            if hi_m[2] - lo_m[2] > r[5]:
                continue
            if at is not None:
                cx, cy = at
            else:
                cx = self.rng.uniform(r[0] + hx + margin, r[1] - hx - margin)
                cy = self.rng.uniform(r[2] + hy + margin, r[3] - hy - margin)
            # place the footprint centre (not the mesh origin) at (cx, cy)
            ox, oy = cx - (flo[0] + fhi[0]) / 2, cy - (flo[1] + fhi[1]) / 2
            if cx - hx < r[0] - 1e-6 or cx + hx > r[1] + 1e-6 or cy - hy < r[2] - 1e-6 or cy + hy > r[3] + 1e-6:
                continue
            if self._hidden_on(
                support, np.array([cx - hx, cy - hy, r[4]]), np.array([cx + hx, cy + hy, r[4] + hi_m[2] - lo_m[2]])
            ):
                continue
            oid = self.add(
                category,
                furn,
                model,
                ox,
                oy,
                y_,
                r[4],
                placement="surface",
                ignore=(support,),
                keepout=False,
                support=support,
            )
            if oid is not None:
                self.b.add_relation(oid, "on", support)
                return oid
        return None


def _make_shell(room: _Room) -> None:
    """Floor, ceiling, walls with openings, door, windows, skirting; registers keep-out zones."""
    rng, W, D, H = room.rng, room.W, room.D, room.H
    kind = room.kind
    seed = int(rng.integers(1 << 30))

    # -- openings: one door, one or two windows on other walls
    door_wall = int(rng.integers(4))
    L = room.wall_frame(door_wall)[3]
    dw = float(rng.choice([0.8, 0.85, 0.9]))
    ds = (
        float(rng.uniform(0.15 + dw / 2 + 0.1, L - 0.15 - dw / 2 - 0.1))
        if rng.random() < 0.5
        else float(rng.choice([0.25 + dw / 2, L - 0.25 - dw / 2]))
    )
    room.openings[door_wall].append((ds - dw / 2, ds + dw / 2, 0.0, 2.05, "door"))
    others = [k for k in range(4) if k != door_wall]
    rng.shuffle(others)
    n_win = 1 if kind in ("bathroom", "kitchen") else int(rng.integers(1, 3))
    sill = {"bathroom": 1.45, "kitchen": 1.05}.get(kind, float(rng.uniform(0.8, 0.95)))
    top = min(H - 0.3, 2.15)
    for k in others[:n_win]:
        L = room.wall_frame(k)[3]
        ww = float(min(L - 1.0, rng.choice([0.9, 1.2, 1.5, 1.8]) if kind != "bathroom" else 0.7))
        s = float(rng.uniform(0.5 + ww / 2, L - 0.5 - ww / 2)) if rng.random() < 0.4 else L / 2
        room.openings[k].append((s - ww / 2, s + ww / 2, sill, top, "window"))

    # -- floor
    if kind in ("bathroom", "kitchen"):
        tile = float(rng.choice([0.3, 0.45, 0.6]))
        base = np.asarray(
            F._jit(
                rng,
                F._pick(rng, [(214, 208, 198), (180, 180, 178), (120, 120, 122), (222, 222, 220), (160, 132, 110)]),
                8,
            ),
            float,
        )
        grout = base * 0.72
        xs = np.unique(
            np.concatenate(
                [np.arange(0, W, tile), np.arange(0, W, tile) + 0.005, np.arange(tile, W, tile) - 0.005, [W]]
            )
        )
        ys = np.unique(
            np.concatenate(
                [np.arange(0, D, tile), np.arange(0, D, tile) + 0.005, np.arange(tile, D, tile) - 0.005, [D]]
            )
        )
        sub = int(round(tile / 0.04)) + 1  # ~4 cm cells inside each tile carry its mottling
        xs = np.unique(np.concatenate([xs] + [np.linspace(a, a + tile, sub)[1:-1] for a in np.arange(0, W, tile)]))
        ys = np.unique(np.concatenate([ys] + [np.linspace(a, a + tile, sub)[1:-1] for a in np.arange(0, D, tile)]))
        xs, ys = xs[xs <= W], ys[ys <= D]
        tone = rng.normal(0, 0.03, (int(W / tile) + 2, int(D / tile) + 2))

        def floor_fn(p, ci, cj):
            cx = (xs[ci] + xs[np.minimum(ci + 1, len(xs) - 1)]) / 2
            cy = (ys[cj] + ys[np.minimum(cj + 1, len(ys) - 1)]) / 2
            fx, fy = np.mod(cx, tile), np.mod(cy, tile)
            is_grout = (np.minimum(fx, tile - fx) < 0.005) | (np.minimum(fy, tile - fy) < 0.005)
            t = tone[(cx // tile).astype(int), (cy // tile).astype(int)]
            c = base * (1 + t + 0.04 * value_noise(p, 0.07, seed))[:, None]
            return np.where(is_grout[:, None], grout, c)

        floor = _quad_cells((0, 0, 0), (1, 0, 0), (0, 1, 0), xs, ys, (0, 0, 1), floor_fn)
    else:
        base = np.asarray(F._jit(rng, F._pick(rng, F.WOODS), 8), float)
        pw = float(rng.choice([0.14, 0.18, 0.2]))
        along_x = bool(rng.random() < 0.5)
        A, B = (W, D) if along_x else (D, W)
        parts = []
        for row, b0 in enumerate(np.arange(0, B, pw)):
            b1 = min(B, b0 + pw)
            cuts = [0.0]
            a = -rng.uniform(0, 1.2)
            while True:
                a += rng.uniform(0.9, 1.5)
                if a >= A - 0.2:
                    break
                if a > 0.2:
                    cuts.append(a)
            cuts.append(A)
            for a0, a1 in zip(cuts[:-1], cuts[1:]):
                col = base * (1 + rng.normal(0, 0.07))
                s_e, t_e = _edges(a0, a1, 0.05), np.array([b0, (b0 + b1) / 2, b1])
                sd = int(rng.integers(1 << 30))

                def plank_fn(p, ci, cj, col=col, sd=sd):
                    q = p[:, 0] if along_x else p[:, 1]
                    r = p[:, 1] if along_x else p[:, 0]
                    warp = value_noise(p * 0.5, 0.1, sd)
                    grain = np.sin(r * 140 + warp * 5 + q * 0.3)
                    return col * (1 + 0.06 * grain + 0.05 * value_noise(p, 0.2, sd + 1))[:, None]

                if along_x:
                    parts.append(_quad_cells((0, 0, 0), (1, 0, 0), (0, 1, 0), s_e, t_e, (0, 0, 1), plank_fn))
                else:
                    parts.append(_quad_cells((0, 0, 0), (0, 1, 0), (1, 0, 0), s_e, t_e, (0, 0, 1), plank_fn))
        floor = Mesh.concat(parts)
    fid = room.add("floor", F.Furniture(floor), "floor", 0, 0, 0.0, 0.0, placement="structure", check=False)
    room.info[fid]["keep"] = True

    # -- ceiling
    ceil = _quad_cells(
        (0, 0, H),
        (1, 0, 0),
        (0, 1, 0),
        _edges(0, W, 0.15),
        _edges(0, D, 0.15),
        (0, 0, -1),
        _paint((246, 245, 240), seed + 5, 0.02),
    )
    room.ceiling_id = room.add(
        "ceiling", F.Furniture(ceil), "ceiling", 0, 0, 0.0, 0.0, placement="structure", check=False
    )

    # -- walls (inner face with holes + reveals), doors, windows, skirting
    paint = np.asarray(
        F._jit(
            rng,
            F._pick(
                rng,
                [
                    (238, 236, 228),
                    (232, 226, 212),
                    (214, 218, 220),
                    (206, 214, 198),
                    (226, 216, 200),
                    (200, 210, 222),
                    (236, 222, 214),
                ],
            ),
            5,
        ),
        float,
    )
    tiles_to = 1.25 if kind == "bathroom" else 0.0
    tile_col = np.asarray(F._jit(rng, F._pick(rng, [(236, 236, 234), (190, 210, 214), (214, 208, 196)]), 5), float)
    skirt_col = F._pick(
        rng, [(244, 244, 240), F._jit(rng, base if kind not in ("bathroom", "kitchen") else (244, 244, 240), 4)]
    )
    skirt_parts = []
    for k in range(4):
        o, u, n, L = room.wall_frame(k)
        o3, u3, n3, ez = np.array([*o, 0.0]), np.array([*u, 0.0]), np.array([*n, 0.0]), np.array([0.0, 0.0, 1.0])
        ops = room.openings[k]
        cuts = sorted({0.0, L, *[x for op in ops for x in op[:2]]})
        parts = []
        for a, b in zip(cuts[:-1], cuts[1:]):
            blocked = [(op[2], op[3]) for op in ops if op[0] <= a + 1e-9 and op[1] >= b - 1e-9]
            zs = [0.0] + [z for iv in blocked for z in iv] + [H]
            for z0, z1 in zip(zs[::2], zs[1::2]):
                if z1 - z0 < 1e-6:
                    continue
                z_edges = _edges(z0, z1, 0.06)
                if tiles_to and z0 < tiles_to:
                    z_edges = np.unique(
                        np.concatenate(
                            [
                                z_edges[z_edges > tiles_to],
                                np.arange(z0, min(z1, tiles_to), 0.15),
                                [min(z1, tiles_to), z1],
                            ]
                        )
                    )
                s_edges = (
                    _edges(a, b, 0.06)
                    if not tiles_to
                    else np.unique(np.concatenate([_edges(a, b, 0.06), np.arange(np.ceil(a / 0.15) * 0.15, b, 0.15)]))
                )
                sd = seed + 11 * k

                def wall_fn(p, ci, cj, sd=sd, u3=u3, o3=o3, L=L):
                    c = _paint(paint, sd)(p, ci, cj)
                    zc = p[:, 2]
                    if tiles_to:
                        tile_id = np.floor(np.round(p @ u3 * 1e6) / 1e6 / 0.15)
                        tone = 1 + 0.03 * np.sin(tile_id * 12.9898 + np.floor(zc / 0.15 + 1e-6) * 78.233)
                        c = np.where((zc <= tiles_to + 1e-6)[:, None], tile_col * tone[:, None], c)
                    # baked ambient occlusion in the room's corners (a headlight alone leaves them flat)
                    sa = (p - o3) @ u3
                    edge = np.minimum(np.minimum(sa, L - sa), np.minimum(zc, H - zc))
                    return c * (1.0 - 0.14 * np.clip(1.0 - edge / 0.35, 0, 1) ** 2)[:, None]

                parts.append(_quad_cells(o3, u3, ez, s_edges, z_edges, n3, wall_fn))
        for s0, s1, z0, z1, what in ops:  # reveals: jambs, head, sill
            rc = paint * 0.93
            fn = lambda p, ci, cj, rc=rc: np.broadcast_to(rc, p.shape).copy()
            for s_, nrm in ((s0, u3), (s1, -u3)):
                parts.append(_quad_cells(o3 + s_ * u3, -n3, ez, [0, _T], _edges(z0, z1, 0.2), nrm, fn))
            parts.append(_quad_cells(o3 + z1 * ez, u3, -n3, _edges(s0, s1, 0.2), [0, _T], -ez, fn))
            if z0 > 0:
                parts.append(_quad_cells(o3 + z0 * ez, u3, -n3, _edges(s0, s1, 0.2), [0, _T], ez, fn))
        wall = Mesh.concat(parts)
        room.wall_ids[k] = room.add(
            "wall", F.Furniture(wall), "wall", 0, 0, 0.0, 0.0, placement="structure", check=False, wall=k
        )
        # skirting pieces between the door openings
        spans, cur = [], 0.0
        for s0, s1, z0, z1, what in sorted(ops):
            if what == "door":
                spans.append((cur, s0 - 0.075))
                cur = s1 + 0.075
        spans.append((cur, L))
        for a, b in spans:
            if b - a < 0.02:
                continue
            c = (a + b) / 2
            p = o3 + c * u3 + n3 * 0.0075
            sk = box(
                (b - a if abs(u[0]) else 0.015, 0.015 if abs(u[0]) else b - a, 0.08),
                (p[0], p[1], 0.04),
                skirt_col,
                max_edge=0.1,
            )
            skirt_parts.append(speckle(sk, seed + 3))
    room.add(
        "skirting",
        F.Furniture(Mesh.concat(skirt_parts)),
        "skirting",
        0,
        0,
        0.0,
        0.0,
        placement="structure",
        check=False,
    )

    door_col = F._jit(
        rng, F._pick(rng, [(244, 244, 240), (244, 244, 240), (150, 110, 70), (90, 70, 52), (200, 180, 150)]), 4
    )
    for k in range(4):
        for s0, s1, z0, z1, what in room.openings[k]:
            w = s1 - s0
            m = _door(w, z1, door_col, seed) if what == "door" else _window(w, z1 - z0, seed)
            # object frame: front -y, opening plane y = 0 (room side), centred along the wall
            p = room.wall_point(k, (s0 + s1) / 2, 0.0)
            lo, hi = m.vertices.min(0), m.vertices.max(0)
            yaw = _WALL_YAW[k]
            R = np.array([[np.cos(yaw), -np.sin(yaw)], [np.sin(yaw), np.cos(yaw)]])
            oid = room.b.add_object(
                what,
                m,
                yaw=yaw,
                translation=(p[0], p[1], z0),
                model=f"{what}/{room.name}/{w:.3f}x{z1 - z0:.3f}",
                placement="structure",
                room_type=kind,
                wall=k,
            )
            corners = np.array([[lo[0], lo[1]], [hi[0], hi[1]]]) @ R.T + p
            olo, ohi = np.append(corners.min(0), z0 + lo[2]), np.append(corners.max(0), z0 + hi[2])
            room.occupied.append((olo, ohi, oid))
            room.info[oid] = dict(category=what, placement="structure", lo=olo, hi=ohi, yaw=yaw)
            # keep the door swing and the window front clear
            if what == "door":
                a = room.wall_point(k, s0 - 0.1, 0.0)
                b = room.wall_point(k, s1 + 0.1, w + 0.15)
                room.keepout.append((np.append(np.minimum(a, b), 0.0), np.append(np.maximum(a, b), H)))
            else:
                a = room.wall_point(k, s0 - 0.05, 0.0)
                b = room.wall_point(k, s1 + 0.05, 0.5)
                room.keepout.append((np.append(np.minimum(a, b), z0 - 0.02), np.append(np.maximum(a, b), H)))


def _door(w: float, h: float, color, seed: int) -> Mesh:
    """Door leaf in the opening (y from -T/2 into the wall), architrave on the room face, lever handle.
    Object frame: x along the wall, y = 0 the room-side wall plane, -y into the room, z = 0 the floor."""
    leaf_t = 0.04
    yc = _T / 2
    parts = [speckle(box((w - 0.01, leaf_t, h - 0.005), (0, yc, (h - 0.005) / 2), color, max_edge=0.05), seed, 0.02)]
    dark = F.shade_c(color, 0.88)
    for z0, z1 in ((0.12, 0.95), (1.1, h - 0.12)):  # two raised panels read as a door at a glance
        parts.append(box((w - 0.22, 0.008, z1 - z0), (0, yc - leaf_t / 2 - 0.004, (z0 + z1) / 2), dark, max_edge=0.1))
    arch = F.shade_c(color, 1.02)
    parts.append(box((0.07, 0.018, h + 0.07), (-w / 2 - 0.035, -0.009, (h + 0.07) / 2), arch, max_edge=0.1))
    parts.append(box((0.07, 0.018, h + 0.07), (w / 2 + 0.035, -0.009, (h + 0.07) / 2), arch, max_edge=0.1))
    parts.append(box((w + 0.14, 0.018, 0.07), (0, -0.009, h + 0.035), arch, max_edge=0.1))
    hx = w / 2 - 0.08
    yf = yc - leaf_t / 2
    parts.append(F._bar((hx, yf, 1.0), (hx, yf - 0.05, 1.0), 0.025, F.METALS[0], 12).transformed(None, (0, 0, 0)))
    parts.append(F._bar((hx, yf - 0.05, 1.0), (hx - 0.13, yf - 0.05, 1.0), 0.01, F.METALS[0], 8))
    parts.append(box((0.06, 0.01, 0.15), (hx, yf - 0.005, 1.0), F.METALS[0]))
    return Mesh.concat(parts)


def _window(w: float, h: float, seed: int) -> Mesh:
    """Casement window set in the opening: frame, mullion, sky-coloured glass, sill board on the room side."""
    fc = (244, 244, 242)
    yc = _T / 2
    ft = 0.06
    parts = []
    nx, nz = max(2, int(w / 0.05)), max(2, int(h / 0.05))
    X, Z = np.meshgrid(np.linspace(-w / 2, w / 2, nx + 1), np.linspace(0, h, nz + 1), indexing="ij")
    glass = F.param_grid(np.stack([X, np.full_like(X, yc), Z], -1), (0, 0, 0))
    v = glass.vertices
    t = (v[:, 2] / h)[:, None]
    sky = np.asarray(F.SKY[1], float) * (1 - t) + np.asarray(F.SKY[0], float) * t
    hills = v[:, 2] < h * (0.18 + 0.06 * value_noise(v * [1, 0, 0], 0.4, seed))
    sky = np.where(hills[:, None], np.array([120, 150, 110.0]) * (1 + 0.1 * value_noise(v, 0.1, seed))[:, None], sky)
    glass.colors = np.clip(sky, 0, 255).astype(np.uint8)
    parts.append(glass)
    for x, z, sx, sz in (
        (0, ft / 2, w, ft),
        (0, h - ft / 2, w, ft),
        (-w / 2 + ft / 2, h / 2, ft, h),
        (w / 2 - ft / 2, h / 2, ft, h),
        (0, h / 2, 0.05, h),
    ):
        parts.append(box((sx, 0.07, sz), (x, yc, z), fc, max_edge=0.1))
    if h > 1.0:
        parts.append(box((w, 0.05, 0.05), (0, yc, h * 0.7), fc, max_edge=0.1))
    parts.append(
        speckle(box((w + 0.1, yc + 0.06, 0.025), (0, (yc - 0.06) / 2 - 0.0, -0.0125), fc, max_edge=0.1), seed, 0.02)
    )
    return Mesh.concat(parts)


# ----------------------------------------------------------------------------- room programmes


def _mk(room: _Room, category: str, **overrides) -> tuple[F.Furniture, str]:
    """A new variant of ``category`` drawn from the room's generator."""
    return F.make(category, room.rng, **overrides)


def _free_walls(room: _Room) -> list[int]:
    """Walls without a door first, then roughly longest first (ties broken at random)."""
    ks = list(range(4))
    room.rng.shuffle(ks)
    jitter = room.rng.uniform(0, 0.6, 4)
    return sorted(ks, key=lambda k: (any(o[4] == "door" for o in room.openings[k]), -room.wall_frame(k)[3] + jitter[k]))


def _decorate(room: _Room, support: int, cats: list[str], n: int) -> None:
    """Put up to ``n`` small objects drawn from ``cats`` on ``support``."""
    for c in room.rng.permutation(cats)[:n]:
        f, m = _mk(room, str(c))
        room.on_surface(F.CATEGORY_OF.get(str(c), str(c)), f, m, support)


def _walls_extras(room: _Room, pictures: int = 2, clock: bool = True, curtains: bool = True) -> None:
    """Curtains beside windows (identical pairs), pictures and a clock on free wall space."""
    rng = room.rng
    if curtains:
        colour = F._jit(rng, F._pick(rng, F.FABRICS))  # one fabric per room
        for k in range(4):
            for s0, s1, z0, z1, what in room.openings[k]:
                if what != "window":
                    continue
                cf, cm = _mk(room, "curtain", color=colour, height=float(np.round(z1 + 0.07, 3)))
                w = np.ptp(cf.mesh.vertices[:, 0])
                for s in (s0 - w / 2 - 0.07, s1 + w / 2 + 0.07):  # an identical pair either side
                    room.on_wall("curtain", cf, cm, k, s, 0.03, tries=0)
    if pictures:
        pf, pm = _mk(room, "picture")
        for _ in range(pictures):
            if rng.random() < 0.5:
                pf, pm = _mk(room, "picture")
            room.on_wall("picture", pf, pm, int(rng.integers(4)), None, float(rng.uniform(1.35, 1.6)))
    if clock:
        f, m = _mk(room, "clock")
        room.on_wall("clock", f, m, int(rng.integers(4)), None, float(rng.uniform(1.75, 1.95)))


def _corner_items(room: _Room, cats: list[str], n: int) -> None:
    """Free-standing small floor items (plants, bins, lamps) against walls near corners."""
    for c in list(cats)[:n]:
        f, m = _mk(room, c)
        for k in room.rng.permutation(4):
            L = room.wall_frame(int(k))[3]
            w = np.ptp(f.mesh.vertices[:, 0])
            s = w / 2 + 0.03 if room.rng.random() < 0.5 else L - w / 2 - 0.03
            if room.against_wall(c, f, m, int(k), s, tries=10, clear=0.45) is not None:
                break


def _wall_shelf(room: _Room, cats: list[str], n: int, identical: str | None = None, z: float | None = None) -> None:
    """A floating shelf on some wall with ``n`` things on it (``identical`` repeats one model)."""
    f, m = _mk(room, "shelf")
    for k in room.rng.permutation(4):
        sid = room.on_wall("shelf", f, m, int(k), None, z if z is not None else float(room.rng.uniform(1.05, 1.3)))
        if sid is None:
            continue
        if identical:
            for f2, m2 in _identical(room, identical, n):
                room.on_surface(identical, f2, m2, sid)
        else:
            _decorate(room, sid, cats, n)
        return


def _identical(room: _Room, category: str, n: int, **overrides):
    """One piece used ``n`` times (matching chairs, twin lamps)."""
    f, m = _mk(room, category, **overrides)
    return [(f, m)] * n


def _bedroom(room: _Room) -> None:
    rng = room.rng
    walls = _free_walls(room)
    bf, bm = _mk(room, "bed", width=float(rng.choice([1.4, 1.6, 1.8])))
    ns = _identical(room, "nightstand", 2)
    bed = None
    for k in walls:
        L = room.wall_frame(k)[3]
        bw = np.ptp(bf.mesh.vertices[:, 0])
        nw = np.ptp(ns[0][0].mesh.vertices[:, 0])
        for s in (L / 2, L / 2 + 0.3, L / 2 - 0.3, bw / 2 + nw + 0.1, L - bw / 2 - nw - 0.1, L / 2 + 0.6, L / 2 - 0.6):
            # a bed goes only where both nightstands fit beside it
            if not all(room.wall_fits(ns[0][0], k, s + side * (bw / 2 + 0.05 + nw / 2)) for side in (-1, 1)):
                continue
            bed = room.against_wall("bed", bf, bm, k, s, exact=True, clear=0.5)
            if bed is not None:
                break
        if bed is not None:
            break
    if bed is None:
        bed = room.against_wall("bed", bf, bm, walls[0], None, tries=60)
    lamps = _identical(room, "table_lamp", 2)
    if bed is not None:
        k, s, bw = room.info[bed]["wall"], room.info[bed]["s"], room.info[bed]["width"]
        for side, (f, m), (lf, lm) in zip((-1, 1), ns, lamps):
            nw = np.ptp(f.mesh.vertices[:, 0])
            nid = room.against_wall("nightstand", f, m, k, s + side * (bw / 2 + 0.05 + nw / 2), exact=True)
            if nid is not None:
                room.on_surface("table_lamp", lf, lm, nid)
                _decorate(room, nid, ["book", "cup", "bottle"], int(rng.integers(1, 3)))
        # identical scatter cushions on the duvet, just below the pillows
        x0, x1, y0, y1 = room.surfaces[bed][0][:4]
        _, u, n, _ = room.wall_frame(k)
        u, n = np.asarray(u, float), np.asarray(n, float)
        c = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        head = c - n * (abs(n @ [x1 - x0, y1 - y0]) / 2 - 0.13)
        cushions = _identical(room, "cushion", 2 if bw >= 1.3 else 1, size=0.4)
        for j, (cf, cm) in enumerate(cushions):
            at = head + u * (0.22 * (2 * j - 1) if len(cushions) == 2 else 0.0)
            room.on_surface("cushion", cf, cm, bed, at=tuple(at), yaw=float(rng.normal(0, 0.1)))
        rf, rm = _mk(room, "rug", width=float(np.round(bw + 0.6, 1)), depth=1.4)
        p = room.wall_point(k, s, _GAP + room.info[bed]["depth"] - 0.3)
        room.add("rug", rf, rm, p[0], p[1], _WALL_YAW[k], placement="floor")
        pf, pm = _mk(room, "picture", width=float(np.round(min(1.0, bw * 0.6), 2)), height=0.5)
        room.on_wall("picture", pf, pm, k, s, float(room.info[bed]["hi"][2] + 0.2))
    for cat in ("wardrobe", "dresser"):
        f, m = _mk(room, cat)
        oid = None
        for k in walls[1:] + walls[:1]:
            oid = room.against_wall(cat, f, m, k, None, clear=0.6)
            if oid is not None:
                break
        if oid is not None and cat == "dresser":
            _decorate(room, oid, ["vase", "box", "book", "bowl", "potted_plant_small", "bottle"], 3)
            mf, mm = _mk(room, "mirror")
            room.on_wall(
                "mirror", mf, mm, room.info[oid]["wall"], room.info[oid]["s"], float(room.info[oid]["hi"][2] + 0.25)
            )
    if rng.random() < 0.5:
        _desk_group(room, 1)
    else:
        f, m = _mk(room, "armchair")
        a = None
        for k in walls[1:]:
            a = room.against_wall("armchair", f, m, k, None, clear=0.3)
            if a is not None:
                break
        if a is not None:
            lf, lm = _mk(room, "floor_lamp")
            info = room.info[a]
            for side in (1, -1):
                if (
                    room.against_wall(
                        "floor_lamp", lf, lm, info["wall"], info["s"] + side * (info["width"] / 2 + 0.25), exact=True
                    )
                    is not None
                ):
                    break
    _walls_extras(room, pictures=1)
    _wall_shelf(room, ["book", "book", "vase", "potted_plant_small", "box", "clock"][:5], int(rng.integers(2, 4)))
    _corner_items(room, ["potted_plant", "basket", "trash_can", "box"], int(rng.integers(3, 5)))


def _desk_group(room: _Room, n: int) -> None:
    """``n`` identical desks against walls, each with an identical office chair and desk things."""
    rng = room.rng
    desks = _identical(room, "desk", n)
    chairs = _identical(room, "office_chair", n)
    monitors = _identical(room, "monitor", n)
    keyboards = _identical(room, "keyboard", n)
    placed = 0
    for k in _free_walls(room):
        for (df, dm), (cf, cm), (mf, mm), (kf, km) in list(zip(desks, chairs, monitors, keyboards))[placed:]:
            did = room.against_wall("desk", df, dm, k, None, clear=0.9)
            if did is None:
                break
            placed += 1
            info = room.info[did]
            p = room.wall_point(k, info["s"] - 0.15, _GAP + info["depth"] + 0.12 + np.ptp(cf.mesh.vertices[:, 1]) / 2)
            room.add("office_chair", cf, cm, p[0], p[1], _WALL_YAW[k] + np.pi + rng.normal(0, 0.2))
            s0 = info["s"] - 0.15  # the chair's side of the desk; the pedestal is to its right
            back = room.wall_point(k, s0, _GAP + 0.2)  # depth is measured from the wall
            front = room.wall_point(k, s0, _GAP + info["depth"] - 0.16)
            if rng.random() < 0.75:
                room.on_surface("monitor", mf, mm, did, at=tuple(back), yaw=0.0)
                room.on_surface("keyboard", kf, km, did, at=tuple(front), yaw=0.0)
                mo, mom = _mk(room, "mouse")
                side = room.wall_point(k, s0 + 0.32 * (1 if k in (1, 2) else -1), _GAP + info["depth"] - 0.16)
                room.on_surface("mouse", mo, mom, did, at=tuple(side), yaw=0.0)
            else:
                lf, lm = _mk(room, "laptop")
                room.on_surface(
                    "laptop", lf, lm, did, at=tuple(room.wall_point(k, s0, _GAP + info["depth"] - 0.22)), yaw=0.0
                )
            _decorate(
                room,
                did,
                ["cup", "book", "table_lamp", "potted_plant_small", "bottle", "book"],
                int(rng.integers(2, 4)),
            )
        if placed == n:
            break


def _living_room(room: _Room) -> None:
    rng = room.rng
    walls = _free_walls(room)
    sf, sm = _mk(room, "sofa")
    sofa = None
    for k in walls:
        L = room.wall_frame(k)[3]
        sofa = room.against_wall("sofa", sf, sm, k, L / 2, clear=1.3, tries=12)
        if sofa is not None:
            break
    if sofa is not None:
        info = room.info[sofa]
        k, s, sw, sd = info["wall"], info["s"], info["width"], info["depth"]
        ctf, ctm = _mk(room, "coffee_table")
        ctd = np.ptp(ctf.mesh.vertices[:, 1])
        p = room.wall_point(k, s, _GAP + sd + 0.45 + ctd / 2)
        rf, rm = _mk(room, "rug", width=float(np.round(min(sw + 0.4, 2.6), 1)), depth=1.7)
        rp = room.wall_point(k, s, _GAP + sd + 0.45 + ctd / 2 - 0.1)
        room.add("rug", rf, rm, rp[0], rp[1], _WALL_YAW[k])
        ct = room.add("coffee_table", ctf, ctm, p[0], p[1], _WALL_YAW[k])
        if ct is not None:
            _decorate(room, ct, ["book", "bowl", "cup", "vase", "book", "laptop"], int(rng.integers(3, 5)))
            # armchairs facing each other across the coffee table
            ac = _identical(room, "armchair", 2)
            ctw = np.ptp(ctf.mesh.vertices[:, 0])
            u = room.wall_frame(k)[1]
            for side, (af, am) in zip((-1, 1), ac):
                ad = np.ptp(af.mesh.vertices[:, 1])
                q = np.asarray(p) + side * np.asarray(u) * (ctw / 2 + 0.4 + ad / 2)
                f = np.asarray(p) - q  # the front (-y) points back at the table
                yaw = float(np.arctan2(f[0], -f[1]))
                room.add("armchair", af, am, q[0], q[1], yaw)
        sts = _identical(room, "side_table", 2)
        lamps = _identical(room, "table_lamp", 2)
        for side, (tf, tm), (lf, lm) in zip((-1, 1), sts, lamps):
            tw = np.ptp(tf.mesh.vertices[:, 0])
            tid = room.against_wall("side_table", tf, tm, k, s + side * (sw / 2 + 0.05 + tw / 2), exact=True)
            if tid is not None:
                mid = (room.info[tid]["lo"][:2] + room.info[tid]["hi"][:2]) / 2
                room.on_surface("table_lamp", lf, lm, tid, at=tuple(mid))
        cus = _identical(room, "cushion", int(rng.integers(2, 4)))
        for i, (cf, cm) in enumerate(cus):
            t = (i + 0.5) / len(cus)
            back = room.wall_point(k, s - sw / 2 + 0.25 + t * (sw - 0.5), _GAP + 0.47)  # against the back
            room.on_surface("cushion", cf, cm, sofa, at=(back[0], back[1]), yaw=rng.normal(0, 0.1))
        pics = _identical(room, "picture", 2)
        for side, (pf, pm) in zip((-1, 1), pics):
            room.on_wall("picture", pf, pm, k, s + side * 0.45, float(room.info[sofa]["hi"][2] + 0.3))
        # tv opposite the sofa
        opp = (k + 2) % 4
        tsf, tsm = _mk(room, "tv_stand")
        Lo = room.wall_frame(opp)[3]
        stand = room.against_wall("tv_stand", tsf, tsm, opp, Lo - s, clear=0.4)  # walls run opposite ways
        if stand is not None:
            tf, tm = _mk(room, "tv")
            ti = room.info[stand]
            tp = room.wall_point(opp, ti["s"], _GAP + ti["depth"] / 2)
            room.on_surface("tv", tf, tm, stand, at=(tp[0], tp[1]), yaw=0.0)
            _decorate(room, stand, ["box", "potted_plant_small", "vase", "book"], 2)
    bs = _identical(room, "bookshelf", 2)
    for k in walls[1:] + walls[:1]:
        first = room.against_wall("bookshelf", *bs[0], k, None, clear=0.6)
        if first is not None:
            i = room.info[first]
            room.against_wall("bookshelf", *bs[1], k, i["s"] + i["width"] + 0.005, exact=True)
            break
    for oid, info in list(room.info.items()):
        if info["category"] == "bookshelf":
            _decorate(room, oid, ["book", "vase", "box", "bowl", "potted_plant_small"], 3)
    plants = _identical(room, "potted_plant", 2)
    _corner_items(room, ["floor_lamp", "box"], 2)
    for f, m in plants:
        _place_anywhere_on_wall(room, "potted_plant", f, m)
    _walls_extras(room, pictures=1)
    _wall_shelf(room, ["book", "vase", "potted_plant_small", "bowl", "box"], 3)


def _kitchen(room: _Room) -> None:
    rng = room.rng
    walls = sorted(_free_walls(room), key=lambda k: bool(room.openings[k]))  # keep counters off the window
    k = walls[0]
    L = room.wall_frame(k)[3]
    paint = F._jit(rng, F._pick(rng, F.PAINTS + [(170, 120, 80), (200, 170, 130)]), 5)  # one colour for all units
    cf, cm = _mk(room, "kitchen_counter", color=paint)
    ff, fm = _mk(room, "refrigerator")
    stf, stm = _mk(room, "stove")
    wcf, wcm = _mk(room, "wall_cabinet", color=paint)
    modules = [
        ("refrigerator", ff, fm),
        ("kitchen_counter", cf, cm),
        ("stove", stf, stm),
        ("kitchen_counter", cf, cm),
        ("kitchen_counter", cf, cm),
        ("kitchen_counter", cf, cm),
    ]
    if rng.random() < 0.5:
        modules = modules[::-1][:-1] + modules[:1]
    small = _mk(room, "kitchen_counter", width=0.6, color=paint)
    s, counters = 0.005, []
    for cat, f, m in modules:
        # slide along the wall past the door swing until the module fits; a 0.6 m counter fills short ends
        for f_, m_ in [(f, m), small] if cat == "kitchen_counter" else [(f, m)]:
            w = np.ptp(f_.mesh.vertices[:, 0])
            t, oid = s, None
            while t + w <= L and oid is None:
                oid = room.against_wall(cat, f_, m_, k, t + w / 2, exact=True)
                t += 0.05 if oid is None else 0.0
            if oid is not None:
                break
        if oid is None:
            continue
        s = t + w + 0.002
        if cat == "kitchen_counter":
            counters.append(oid)
            if w >= 1.2:
                room.on_wall("wall_cabinet", wcf, wcm, k, t + w / 2, 1.45, tries=0)
    # an L-shaped second run on a neighbouring wall, starting clear of the first run's corner
    for k2 in ((k + 1) % 4, (k + 3) % 4):
        if any(o[4] == "door" for o in room.openings[k2]) or rng.random() < 0.3:
            continue
        L2 = room.wall_frame(k2)[3]
        t = 0.64 if k2 == (k + 1) % 4 else 0.005
        end = L2 if k2 == (k + 1) % 4 else L2 - 0.64
        run = 0
        while t + 1.2 <= end and run < 2:
            oid = room.against_wall("kitchen_counter", cf, cm, k2, t + 0.6, exact=True)
            if oid is None:
                t += 0.05
                continue
            counters.append(oid)
            room.on_wall("wall_cabinet", wcf, wcm, k2, t + 0.6, 1.45, tries=0)
            t += 1.202
            run += 1
        break
    if counters:
        room.on_surface("sink", *_mk(room, "sink"), counters[len(counters) // 2], tries=40)
        room.on_surface("microwave", *_mk(room, "microwave"), counters[0], tries=40)
        for c in counters:
            _decorate(room, c, ["kettle", "cutting_board", "bottle", "bowl", "cup", "potted_plant_small"], 3)
        cups = _identical(room, "cup", 2)
        for f, m in cups:
            room.on_surface("cup", f, m, counters[-1])
    # small table with identical chairs in the free part of the room
    tf, tm = _mk(room, "dining_table", width=float(rng.choice([1.0, 1.2])), depth=0.8)
    _table_group(room, tf, tm, max_chairs=4, plates=2)
    _corner_items(room, ["trash_can", "potted_plant"], 2)
    _walls_extras(room, pictures=1)
    _wall_shelf(room, [], 3, identical=str(rng.choice(["cup", "bowl", "bottle"])), z=1.3)  # below eye level


def _table_group(
    room: _Room, tf, tm, max_chairs: int, plates: int, rug: bool = False, light: bool = False
) -> int | None:
    """A table placed in the open middle of the room with identical chairs around it."""
    rng = room.rng
    chf, chm = _mk(room, "dining_chair")
    cd = np.ptp(chf.mesh.vertices[:, 1])
    tw, td = np.ptp(tf.mesh.vertices[:, 0]), np.ptp(tf.mesh.vertices[:, 1])
    margin = 0.55
    need_x, need_y = tw + 2 * (cd + 0.1) + 2 * margin, td + 2 * (cd + 0.1) + 2 * margin
    table = None
    for _ in range(40):
        yaw = 0.0 if (room.W - need_x) >= (room.D - need_y) else np.pi / 2
        ex, ey = (need_x, need_y) if yaw == 0.0 else (need_y, need_x)
        if ex > room.W or ey > room.D:
            ex, ey = min(ex, room.W), min(ey, room.D)
        cx = rng.uniform(ex / 2, room.W - ex / 2) if room.W > ex else room.W / 2
        cy = rng.uniform(ey / 2, room.D - ey / 2) if room.D > ey else room.D / 2
        if _ < 5:
            cx, cy = room.W / 2 + rng.normal(0, 0.2), room.D / 2 + rng.normal(0, 0.2)
        lo = np.array([cx - ex / 2 + margin, cy - ey / 2 + margin, 0])
        hi = np.array([cx + ex / 2 - margin, cy + ey / 2 - margin, 1.0])
        if not room.fits(lo, hi):
            continue
        if rug:
            rf, rm = _mk(room, "rug", width=float(np.round(tw + 1.2, 1)), depth=float(np.round(td + 1.2, 1)))
            room.add("rug", rf, rm, cx, cy, yaw)
        table = room.add("dining_table", tf, tm, cx, cy, yaw)
        if table is not None:
            break
    if table is None:
        return None
    R = np.array([[np.cos(yaw), -np.sin(yaw)], [np.sin(yaw), np.cos(yaw)]])
    seats = []
    per_side = max(1, min(3, int((tw - 0.1) // 0.6)))
    for side in (-1, 1):
        for i in range(per_side):
            x = (i - (per_side - 1) / 2) * (tw / per_side)
            seats.append((np.array([x, side * (td / 2 + 0.08 + cd / 2)]), side))
    ends = [(np.array([side * (tw / 2 + 0.08 + cd / 2), 0.0]), side * 2) for side in (-1, 1)]
    if max_chairs > len(seats):
        seats += ends
    seats = seats[:max_chairs] if max_chairs >= len(seats) else seats[::2][:max_chairs]
    plate_f, plate_m = _mk(room, "plate")
    glasses = _mk(room, "cup") if rng.random() < 0.6 else None
    n_pl = 0
    for local, side in seats:
        w = R @ local + [cx, cy]
        if abs(side) == 1:  # long side: chair front faces the table centre
            local_yaw = 0.0 if side > 0 else np.pi
        else:
            local_yaw = -np.pi / 2 if side > 0 else np.pi / 2
        cid = room.add("dining_chair", chf, chm, w[0], w[1], yaw + local_yaw + rng.normal(0, 0.05))
        if cid is not None and n_pl < plates:
            pl = (
                R @ (local * np.array([1.0, 0.0]) + np.array([0, np.sign(local[1]) * (td / 2 - 0.2)])) + [cx, cy]
                if abs(side) == 1
                else R @ np.array([np.sign(local[0]) * (tw / 2 - 0.2), 0]) + [cx, cy]
            )
            if room.on_surface("plate", plate_f, plate_m, table, at=(pl[0], pl[1]), yaw=0.0) is not None:
                n_pl += 1
                if glasses is not None:  # a matching cup to the right of each plate
                    g = pl + R @ np.array([0.2 if side < 0 else -0.2, 0.0])
                    room.on_surface("cup", *glasses, table, at=(g[0], g[1]), yaw=0.0)
    _decorate(room, table, ["vase", "bowl", "bottle", "cup", "bottle"], int(rng.integers(1, 3)))
    if light:
        lf, lm = _mk(room, "ceiling_light")
        h = np.ptp(lf.mesh.vertices[:, 2])
        oid = room.add("ceiling_light", lf, lm, cx, cy, 0.0, room.H - h, placement="ceiling")
        if oid is not None:
            room.b.add_relation(oid, "hanging from", room.ceiling_id)
    return table


def _office(room: _Room) -> None:
    rng = room.rng
    _desk_group(room, int(rng.integers(1, 3)))
    bs = _identical(room, "bookshelf", 2)
    for k in _free_walls(room):
        first = room.against_wall("bookshelf", *bs[0], k, None, clear=0.6)
        if first is not None:
            i = room.info[first]
            for off in (i["width"] + 0.005, -(i["width"] + 0.005)):
                if room.against_wall("bookshelf", *bs[1], k, i["s"] + off, exact=True) is not None:
                    break
            break
    for oid, info in list(room.info.items()):
        if info["category"] == "bookshelf":
            _decorate(room, oid, ["book", "box", "vase", "potted_plant_small"], 3)
    cf, cm = _mk(room, "cabinet", width=0.9)
    for k in _free_walls(room):
        c = room.against_wall("cabinet", cf, cm, k, None, clear=0.5)
        if c is not None:
            room.on_surface("printer", *_mk(room, "printer"), c)
            _decorate(room, c, ["box", "book", "potted_plant_small"], 1)
            break
    wf, wm = _mk(room, "whiteboard")
    for k in _free_walls(room):
        if room.on_wall("whiteboard", wf, wm, k, None, 1.0) is not None:
            break
    if rng.random() < 0.6:
        f, m = _mk(room, "armchair")
        for k in _free_walls(room):
            if room.against_wall("armchair", f, m, k, None, clear=0.4) is not None:
                break
    boxes = _identical(room, "box", 2)
    for f, m in boxes:
        _place_anywhere_on_wall(room, "box", f, m)
    _corner_items(room, ["potted_plant", "trash_can", "floor_lamp"], 3)
    _walls_extras(room, pictures=1)
    _wall_shelf(room, [], 3, identical="book")


def _place_anywhere_on_wall(room: _Room, cat: str, f, m) -> int | None:
    for k in room.rng.permutation(4):
        oid = room.against_wall(cat, f, m, int(k), None, tries=12, clear=0.45)
        if oid is not None:
            return oid
    return None


def _bathroom(room: _Room) -> None:
    rng = room.rng
    walls = _free_walls(room)
    tf, tm = _mk(room, "bathtub")
    tub = None
    for k in walls:
        L = room.wall_frame(k)[3]
        tw = np.ptp(tf.mesh.vertices[:, 0])
        for s in (tw / 2 + 0.005, L - tw / 2 - 0.005):
            tub = room.against_wall("bathtub", tf, tm, k, s, exact=True, gap=0.0)
            if tub is not None:
                break
        if tub is not None:
            break
    if tub is not None:
        i = room.info[tub]
        mat, mm = _mk(room, "rug", width=0.8, depth=0.5)
        p = room.wall_point(i["wall"], i["s"], i["depth"] + 0.3)
        room.add("rug", mat, mm, p[0], p[1], _WALL_YAW[i["wall"]])
        tws = _identical(room, "towel", 2)
        for f, m in tws:
            for k in walls:
                if room.on_wall("towel", f, m, k, None, 1.35) is not None:
                    break
    vf, vm = _mk(room, "cabinet", width=float(rng.choice([0.6, 0.8, 1.0])), depth=0.48, doors=2)
    for k in walls[1:] + walls[:1]:
        v = room.against_wall("cabinet", vf, vm, k, None, clear=0.6)
        if v is not None:
            i = room.info[v]
            bp = room.wall_point(k, i["s"], _GAP + 0.26)
            room.on_surface("sink", *_mk(room, "basin"), v, at=(bp[0], bp[1]), yaw=0.0)
            mf, mm = _mk(room, "mirror", width=float(min(0.8, i["width"])))
            room.on_wall("mirror", mf, mm, k, i["s"], float(i["hi"][2] + 0.35))
            bots = _identical(room, "bottle", 2)
            for f, m in bots:
                room.on_surface("bottle", f, m, v)
            _decorate(room, v, ["cup", "box"], 1)
            break
    toilet = _mk(room, "toilet")
    for k in walls[1:] + walls[:1]:
        if room.against_wall("toilet", *toilet, k, None, clear=0.5) is not None:
            break
    if rng.random() < 0.7:
        _place_anywhere_on_wall(room, "washing_machine", *_mk(room, "washing_machine"))
    sh, shm = _mk(room, "shelf", width=0.6)
    for k in walls:
        sid = room.on_wall("shelf", sh, shm, k, None, 1.3)
        if sid is not None:
            bots = _identical(room, "bottle", 3)
            for f, m in bots:
                room.on_surface("bottle", f, m, sid)
            break
    wf, wm = _mk(room, "wall_cabinet", width=0.6, depth=0.22)
    for k in walls[1:]:
        if room.on_wall("wall_cabinet", wf, wm, k, None, 1.5) is not None:
            break
    _corner_items(room, ["basket", "trash_can", "potted_plant", "stool"], 4)
    _walls_extras(room, pictures=1, clock=False, curtains=False)
    _wall_shelf(room, ["box", "cup", "potted_plant_small", "bottle"], 2)


def _dining_room(room: _Room) -> None:
    rng = room.rng
    tf, tm = _mk(room, "dining_table", width=float(np.clip(np.round(max(room.W, room.D) - 2.5, 1), 1.4, 2.0)))
    _table_group(room, tf, tm, max_chairs=int(rng.choice([4, 6, 6])), plates=4, rug=rng.random() < 0.6, light=True)
    cf, cm = _mk(room, "cabinet", width=float(rng.choice([1.4, 1.6, 1.8])), depth=0.45, doors=3)
    for k in _free_walls(room):
        c = room.against_wall("cabinet", cf, cm, k, None, clear=0.5)
        if c is not None:
            i = room.info[c]
            lamps = _identical(room, "table_lamp", 2)
            for side, (lf, lm) in zip((-1, 1), lamps):
                p = room.wall_point(k, i["s"] + side * (i["width"] / 2 - 0.2), _GAP + i["depth"] / 2)
                room.on_surface("table_lamp", lf, lm, c, at=(p[0], p[1]), yaw=0.0)
            _decorate(room, c, ["vase", "bowl", "bottle", "box"], 2)
            pics = _identical(room, "picture", 2)
            for side, (pf, pm) in zip((-1, 1), pics):
                room.on_wall("picture", pf, pm, k, i["s"] + side * 0.4, float(i["hi"][2] + 0.6))
            break
    if rng.random() < 0.6:
        f, m = _mk(room, "bookshelf")
        for k in _free_walls(room):
            b = room.against_wall("bookshelf", f, m, k, None, clear=0.5)
            if b is not None:
                _decorate(room, b, ["vase", "bowl", "box"], 1)
                break
    plants = _identical(room, "potted_plant", 2)
    for f, m in plants:
        for k in room.rng.permutation(4):
            L = room.wall_frame(int(k))[3]
            w = np.ptp(f.mesh.vertices[:, 0])
            s = w / 2 + 0.03 if room.rng.random() < 0.5 else L - w / 2 - 0.03
            if room.against_wall("potted_plant", f, m, int(k), s, tries=10, clear=0.45) is not None:
                break
    _walls_extras(room, pictures=1)


_PROGRAMMES = {
    "bedroom": _bedroom,
    "living_room": _living_room,
    "kitchen": _kitchen,
    "office": _office,
    "bathroom": _bathroom,
    "dining_room": _dining_room,
}
_SIZES = {  # (width range, depth range) in metres
    "bedroom": ((3.4, 4.6), (3.6, 5.0)),
    "living_room": ((4.5, 6.5), (4.0, 5.5)),
    "kitchen": ((3.2, 4.5), (3.0, 4.2)),
    "office": ((3.5, 5.0), (3.4, 4.6)),
    "bathroom": ((3.0, 3.6), (3.0, 3.4)),
    "dining_room": ((4.2, 5.5), (3.8, 4.8)),
}


def _main_light(room: _Room) -> None:
    """A ceiling light in the middle unless a pendant already hangs over a table."""
    if any(i["category"] == "ceiling_light" for i in room.info.values()):
        return
    lf, lm = _mk(room, "ceiling_light", drop=0.2 if room.kind in ("bathroom", "kitchen") else 0.4)
    h = np.ptp(lf.mesh.vertices[:, 2])
    oid = room.add("ceiling_light", lf, lm, room.W / 2, room.D / 2, 0.0, room.H - h, placement="ceiling", check=False)
    room.b.add_relation(oid, "hanging from", room.ceiling_id)


def _next_to(room: _Room) -> None:
    """("next to", a, b) for neighbours on the same floor or surface, 25 cm apart at most."""
    items = [(i, v) for i, v in room.info.items() if v["placement"] in ("floor", "surface") and v["category"] != "rug"]
    for ai, (a, va) in enumerate(items):
        for b, vb in items[ai + 1 :]:
            if va["placement"] != vb["placement"] or va.get("support") != vb.get("support"):
                continue
            gap = np.maximum(va["lo"][:2] - vb["hi"][:2], vb["lo"][:2] - va["hi"][:2]).max()
            if gap < (0.25 if va["placement"] == "floor" else 0.15):
                room.b.add_relation(min(a, b), "next to", max(a, b))


# ----------------------------------------------------------------------------- public API


_NAME = re.compile(r"^(?:procedural:)?(?P<kind>[a-z_]+)-(?P<index>\d+)$")


def _parse(name: str) -> tuple[str, int]:
    m = _NAME.match(name.strip())
    if m and m["kind"] in ROOM_TYPES:
        return m["kind"], int(m["index"])
    if m and m["kind"] == "seed":  # seed-N: any room type, chosen by the seed
        n = int(m["index"])
        return ROOM_TYPES[n % len(ROOM_TYPES)], 1000 + n // len(ROOM_TYPES)
    raise ValueError(
        f"unknown procedural scene {name!r}; valid names are <room_type>-<index> with room_type in "
        f"{list(ROOM_TYPES)} (e.g. bedroom-0) or seed-<n>; the default set is "
        f"{[s.split(':', 1)[1] for s in default_scenes()]}"
    )


def _name_seed(kind: str, index: int, tag: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{kind}-{index}-{tag}".encode()).digest()[:8], "little")


def scene_seed(name: str) -> int:
    """The fixed layout seed behind a scene name (stable across Python versions and machines)."""
    kind, index = _parse(name)
    return _name_seed(kind, index, LAYOUT_SEED_TAG)


def room_placement(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(rotation, translation) taking the room frame to the scene frame: a quarter turn about +Z and an
    offset uniform in [-MAX_OFFSET, MAX_OFFSET] m on x and y (z stays, so the floor stays at 0)."""
    kind, index = _parse(name)
    rng = np.random.default_rng(_name_seed(kind, index, PLACEMENT_SEED_TAG))
    cos, sin = ((1, 0), (0, 1), (-1, 0), (0, -1))[int(rng.integers(4))]
    # Written out rather than from cos/sin of the angle: exact zeros keep the walls exactly axis-aligned.
    rotation = np.array([[cos, -sin, 0], [sin, cos, 0], [0, 0, 1]], dtype=np.float64)
    dx, dy = rng.uniform(-MAX_OFFSET, MAX_OFFSET, 2)
    return rotation, np.array([dx, dy, 0.0])


@functools.lru_cache(maxsize=32)
def _make_scene(kind: str, index: int) -> Scene:
    return _build_room(kind, index).transformed(*room_placement(f"{kind}-{index}"))


def _build_room(kind: str, index: int) -> Scene:
    """The room in its own frame, before :func:`room_placement` moves it (uncached)."""
    name = f"{kind}-{index}"
    rng = np.random.default_rng(scene_seed(name))
    room = _Room(name, kind, rng)
    (w0, w1), (d0, d1) = _SIZES[kind]
    room.W, room.D = float(np.round(rng.uniform(w0, w1), 2)), float(np.round(rng.uniform(d0, d1), 2))
    room.H = float(np.round(rng.uniform(2.5, 2.9), 2))
    _make_shell(room)
    _PROGRAMMES[kind](room)
    _main_light(room)
    _next_to(room)
    scene = room.b.build(bounds=[[0.0, 0.0, 0.0], [room.W, room.D, room.H]], floor_height=0.0)
    _bake_contact_shadows(scene)  # reads only bounds and boxes, so it holds in any wall-aligned frame
    return scene


_LEGGY = {
    "dining_table",
    "coffee_table",
    "desk",
    "dining_chair",
    "office_chair",
    "stool",
    "side_table",
    "floor_lamp",
    "armchair",
    "sofa",
    "potted_plant",
    "trash_can",
    "basket",
}


def _bake_contact_shadows(scene: Scene) -> None:
    """Darken the floor under and around furniture and along the walls (baked ambient occlusion): the
    renderers light with a headlight only, and without contact shadows furniture seems to float."""
    floor = next(o for o in scene.objects.values() if o.category == "floor")
    vid = np.unique(scene.faces[floor.face_indices])
    xy = scene.vertices[vid, :2].astype(np.float64)
    lo, hi = scene.bounds[0, :2], scene.bounds[1, :2]
    edge = np.minimum(xy - lo, hi - xy).min(1)
    factor = 1.0 - 0.18 * np.clip(1.0 - edge / 0.25, 0, 1) ** 2
    for o in scene.objects.values():
        if o.is_structural or o.attributes.get("placement") != "floor" or o.category == "rug":
            continue
        # distance from each floor vertex to the object's footprint (its box in the box frame)
        local = (xy - o.center[:2]) @ o.rotation[:2, :2]
        d = np.linalg.norm(np.maximum(np.abs(local) - o.extents[:2] / 2, 0), axis=1)
        strength = 0.25 if o.category in _LEGGY else 0.45
        shadow = strength * np.clip(1.0 - d / 0.15, 0, 1) ** 1.5
        factor = np.minimum(factor, 1.0 - shadow)
    scene.colors[vid] = np.clip(scene.colors[vid] * factor[:, None], 0, 255).astype(np.uint8)


def make_scene(name: str) -> Scene:
    """The generated room called ``name`` (``bedroom-0``, ``procedural:office-2``, ``seed-17``); cached."""
    kind, index = _parse(name)
    return _make_scene(kind, index)


def default_scenes() -> list[str]:
    """The named default set, as ``procedural:<name>`` strings (16 rooms over 6 room types)."""
    return [f"procedural:{kind}-{i}" for kind in ROOM_TYPES for i in range(DEFAULT_COUNTS[kind])]


def scene_stats(scene: Scene) -> dict:
    """Objects (non-structural), categories, triangles and identical-model groups of one scene."""
    objs = [scene.objects[i] for i in scene.object_ids()]
    models: dict[str, int] = {}
    for o in objs:
        models[o.attributes.get("model", f"#{o.id}")] = models.get(o.attributes.get("model", f"#{o.id}"), 0) + 1
    return {
        "scene_id": scene.scene_id,
        "objects": len(objs),
        "categories": len({o.category for o in objs}),
        "triangles": scene.num_triangles,
        "identical_groups": sum(1 for n in models.values() if n >= 2),
        "relations": len(scene.relations),
        "size_m": tuple(float(x) for x in np.round(scene.bounds[1] - scene.bounds[0], 2)),
    }


def default_set_stats() -> str:
    """A table of the default set: per scene objects, categories, triangles, generation time; totals vs
    Rep2D-BEAT (16 Replica scenes, 604 objects)."""
    rows, cats, tot_o, tot_t = [], set(), 0, 0
    for s in default_scenes():
        t0 = time.perf_counter()
        sc = make_scene(s)
        dt = time.perf_counter() - t0
        st = scene_stats(sc)
        cats |= {sc.objects[i].category for i in sc.object_ids()}
        tot_o += st["objects"]
        tot_t += st["triangles"]
        sz = "x".join(f"{x:.1f}" for x in st["size_m"])
        rows.append(
            f"{s:30s} {sz:>13s} {st['objects']:7d} {st['categories']:10d} {st['identical_groups']:9d} "
            f"{st['triangles']:10,d} {dt:7.2f}s"
        )
    head = (f"{'scene':30s} {'size (m)':>13s} {'objects':>7s} {'categories':>10s} {'identical':>9s} "
            f"{'triangles':>10s} {'gen':>8s}")
    n = len(rows)
    foot = [
        f"{'total (' + str(n) + ' scenes)':30s} {'':>13s} {tot_o:7d} {len(cats):10d} {'':>9s} {tot_t:10,d}",
        f"{'Rep2D-BEAT (Replica)':30s} {'':>13s} {604:7d} {'':>10s} {'':>9s} {'':>10s}   16 scenes",
        "gen: time to build in this process (0.00s when already cached)",
    ]
    return "\n".join([head, "-" * len(head), *rows, "-" * len(head), *foot])
