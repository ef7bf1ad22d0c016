"""Parametric furniture: one small function per category, built from primitives with realistic sizes.

Every builder returns a :class:`Furniture` in its own frame: footprint centred on the origin, standing
on z = 0, front facing -y (the back is +y, so "against a wall" is yaw only). ``surfaces`` lists the
rectangles other objects may rest on. Randomness lives in :data:`VARIANTS` (category -> function of a
``np.random.Generator`` giving builder keyword arguments), so equal arguments give identical meshes;
:func:`make` ties the two together and names the model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .primitives import (
    Mesh,
    box,
    cylinder,
    fabric,
    frustum,
    lathe,
    param_grid,
    rotation_x,
    rotation_y,
    rotation_z,
    rounded_box,
    shade,
    speckle,
    sphere,
    torus,
    value_noise,
    vertical_gradient,
    wood,
)

Color = tuple[int, int, int]
E = 0.04  # default max edge (m) on large surfaces: fine enough for vertex-colour texture


@dataclass
class Furniture:
    """A mesh in object frame plus support rectangles ``(x0, x1, y0, y1, z[, headroom])`` on which small
    things stand."""

    mesh: Mesh
    surfaces: list[tuple[float, float, float, float, float]] = field(default_factory=list)


# ----------------------------------------------------------------------------- helpers


def _bz(size, x: float, y: float, z0: float, color, e: float | None = None) -> Mesh:
    """Box of ``size`` whose bottom face is centred at (x, y, z0)."""
    return box(size, (x, y, z0 + size[2] / 2), color, max_edge=e)


def _rz(size, r: float, x: float, y: float, z0: float, color, e: float | None = E) -> Mesh:
    """Rounded box of ``size`` whose bottom is centred at (x, y, z0)."""
    return rounded_box(size, r, (x, y, z0 + size[2] / 2), color, max_edge=e)


def _cz(r: float, h: float, x: float, y: float, z0: float, color, seg: int = 16) -> Mesh:
    """Vertical cylinder standing at (x, y, z0)."""
    return cylinder(r, h, (x, y, z0 + h / 2), color, segments=seg)


def _bar(p0, p1, r: float, color, seg: int = 10) -> Mesh:
    """A cylinder from point ``p0`` to point ``p1`` (legs, rails, handles)."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    d = p1 - p0
    L = float(np.linalg.norm(d))
    m = cylinder(r, L, (0, 0, 0), color, segments=seg)
    z = d / L
    a = np.cross([0.0, 0.0, 1.0], z)
    s, c = np.linalg.norm(a), z[2]
    if s < 1e-9:
        R = np.eye(3) if c > 0 else np.diag([1.0, -1.0, -1.0])
    else:
        k = a / s
        K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
        R = np.eye(3) + s * K + (1 - c) * K @ K
    return m.transformed(R, (p0 + p1) / 2)


def _cat(*parts: Mesh) -> Mesh:
    return Mesh.concat([p for p in parts if p is not None])


def _finish(mesh: Mesh, surfaces=()) -> Furniture:
    """Centre the footprint on the origin and put the lowest point on z = 0 (surfaces follow)."""
    lo, hi = mesh.vertices.min(0), mesh.vertices.max(0)
    off = np.array([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])
    surf = [(r[0] + off[0], r[1] + off[0], r[2] + off[1], r[3] + off[1], r[4] + off[2], *r[5:]) for r in surfaces]
    return Furniture(mesh.transformed(None, off), surf)


def _jit(rng: np.random.Generator, c, amount: float = 12) -> Color:
    """A colour near ``c``: natural variation between otherwise equal pieces."""
    return tuple(int(v) for v in np.clip(np.asarray(c) + rng.normal(0, amount, 3), 0, 255))


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def _panel(
    w: float, h: float, x: float, y_front: float, z0: float, color, seed: int, axis: int = 2, t: float = 0.012
) -> Mesh:
    """A door/drawer front of width ``w`` and height ``h`` whose front face is at ``y_front``."""
    return wood(_bz((w, t, h), x, y_front + t / 2, z0, color, 0.03), seed, axis=axis)


def _knob(x: float, y: float, z: float, color) -> Mesh:
    return sphere(0.015, (x, y - 0.012, z), color, segments=8, rings=5)


def _handle_h(x: float, y: float, z: float, w: float, color) -> Mesh:
    """Horizontal bar handle in front of a face at ``y``."""
    return _cat(
        _bar((x - w / 2, y - 0.03, z), (x + w / 2, y - 0.03, z), 0.006, color, 8),
        _bar((x - w / 2, y, z), (x - w / 2, y - 0.03, z), 0.005, color, 6),
        _bar((x + w / 2, y, z), (x + w / 2, y - 0.03, z), 0.005, color, 6),
    )


def _handle_v(x: float, y: float, z: float, h: float, color) -> Mesh:
    """Vertical bar handle in front of a face at ``y``."""
    return _cat(
        _bar((x, y - 0.03, z - h / 2), (x, y - 0.03, z + h / 2), 0.007, color, 8),
        _bar((x, y, z - h / 2), (x, y - 0.03, z - h / 2), 0.005, color, 6),
        _bar((x, y, z + h / 2), (x, y - 0.03, z + h / 2), 0.005, color, 6),
    )


def _legs(w: float, d: float, h: float, inset: float, size: float, color, round_: bool = False, seed: int = 0) -> Mesh:
    """Four legs of height ``h`` at the corners of a w x d footprint."""
    out = []
    for sx in (-1, 1):
        for sy in (-1, 1):
            x, y = sx * (w / 2 - inset - size / 2), sy * (d / 2 - inset - size / 2)
            leg = _cz(size / 2, h, x, y, 0, color, 12) if round_ else _bz((size, size, h), x, y, 0, color, 0.05)
            out.append(leg)
    return wood(_cat(*out), seed, axis=2)


# Palettes: base colours that variants jitter.
WOODS: list[Color] = [(156, 110, 68), (112, 74, 44), (196, 158, 112), (84, 56, 36), (205, 178, 136), (140, 92, 60)]
PAINTS: list[Color] = [(236, 234, 228), (210, 206, 198), (120, 124, 128), (52, 54, 58), (60, 78, 104), (128, 146, 122)]
FABRICS: list[Color] = [
    (132, 134, 140),
    (192, 178, 152),
    (56, 66, 96),
    (78, 104, 84),
    (186, 146, 66),
    (166, 96, 72),
    (74, 74, 80),
    (200, 156, 150),
    (222, 214, 196),
    (110, 84, 110),
]
METALS: list[Color] = [(182, 184, 188), (42, 42, 46), (186, 152, 94), (150, 150, 155)]
BRIGHT: list[Color] = [
    (196, 60, 52),
    (52, 110, 170),
    (232, 190, 60),
    (70, 150, 90),
    (230, 120, 50),
    (150, 70, 140),
    (240, 240, 236),
    (40, 40, 44),
    (90, 180, 190),
    (200, 90, 120),
]
SKY = ((150, 190, 228), (228, 238, 246))


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(1 << 30))


# ----------------------------------------------------------------------------- beds and storage


def bed(
    width: float = 1.6,
    length: float = 2.05,
    frame: Color = WOODS[0],
    duvet: Color = FABRICS[8],
    pillow: Color = (240, 238, 232),
    headboard_h: float = 1.0,
    seed: int = 0,
) -> Furniture:
    """Bed: wooden frame and headboard, mattress, duvet and pillows."""
    w, L = width, length
    fw, fl = w + 0.08, L + 0.06
    parts = [
        wood(_bz((fw, fl, 0.22), 0, 0, 0.08, frame, E), seed, axis=1),
        _legs(fw, fl, 0.08, 0.02, 0.06, frame, seed=seed),
        wood(_rz((fw, 0.07, headboard_h), 0.02, 0, fl / 2 - 0.035, 0, frame), seed + 1, axis=0),
    ]
    parts.append(fabric(_rz((w, L - 0.02, 0.22), 0.05, 0, -0.03, 0.30, (238, 236, 230), 0.08), seed + 2, 0.05))
    # the duvet drapes over the mattress sides and ends in a turned-down band, which is what makes a
    # bed read as a bed rather than a box from eye height
    duvet_l = 0.74 * L
    y0 = -L / 2 + duvet_l / 2 - 0.035
    parts.append(fabric(_rz((w + 0.07, duvet_l, 0.3), 0.07, 0, y0, 0.27, duvet), seed + 3, 0.12))
    parts.append(
        fabric(_rz((w + 0.08, 0.22, 0.05), 0.025, 0, y0 + duvet_l / 2 - 0.1, 0.555, (236, 234, 228)), seed + 5, 0.06)
    )
    n = 2 if w >= 1.3 else 1
    pw = min(0.7, (w - 0.12) / n - 0.04)
    for i in range(n):
        x = (i - (n - 1) / 2) * (pw + 0.06)
        p = rounded_box((pw, 0.42, 0.15), 0.06, (0, 0, 0), pillow, max_edge=0.04)
        p = fabric(p.transformed(rotation_x(-0.35), (x, L / 2 - 0.32, 0.60)), seed + 4, 0.06)
        parts.append(p)
    top = (-w / 2 + 0.05, w / 2 - 0.05, y0 - duvet_l / 2 + 0.1, y0 + duvet_l / 2 - 0.22, 0.57)  # flat duvet
    return _finish(_cat(*parts), [top])


def nightstand(
    width: float = 0.46,
    depth: float = 0.4,
    height: float = 0.55,
    color: Color = WOODS[0],
    knob: Color = METALS[2],
    drawers: int = 2,
    seed: int = 0,
) -> Furniture:
    """Bedside table with drawers and knobs; its top is a support surface."""
    w, d, h = width, depth, height
    parts = [
        wood(_bz((w, d, h - 0.07), 0, 0, 0.05, shade_c(color, 0.85), E), seed, axis=2),
        wood(_bz((w + 0.02, d + 0.02, 0.025), 0, 0, h - 0.025, color, E), seed + 1, axis=0),
        _legs(w, d, 0.05, 0.01, 0.04, color, seed=seed),
    ]
    dh = (h - 0.1) / drawers
    for i in range(drawers):
        z0 = 0.06 + i * dh
        parts.append(_panel(w - 0.03, dh - 0.012, 0, -d / 2 - 0.012, z0, color, seed + 2 + i, axis=0))
        parts.append(_knob(0, -d / 2 - 0.012, z0 + dh / 2, knob))
    return _finish(_cat(*parts), [(-w / 2 + 0.03, w / 2 - 0.03, -d / 2 + 0.03, d / 2 - 0.03, h)])


def shade_c(c, f: float) -> Color:
    """Colour ``c`` scaled by ``f`` (darker sides, lighter highlights)."""
    return tuple(int(np.clip(v * f, 0, 255)) for v in c)


def wardrobe(
    width: float = 1.2,
    depth: float = 0.6,
    height: float = 2.1,
    color: Color = PAINTS[0],
    handle: Color = METALS[0],
    doors: int = 2,
    seed: int = 0,
) -> Furniture:
    """Wardrobe: carcass on a plinth, hinged doors with long bar handles."""
    w, d, h = width, depth, height
    parts = [
        speckle(_bz((w, d - 0.02, h - 0.08), 0, 0.01, 0.08, color, E), seed),
        _bz((w - 0.04, d - 0.06, 0.08), 0, 0.02, 0, shade_c(color, 0.6), 0.1),
    ]
    dw = w / doors
    for i in range(doors):
        x = -w / 2 + dw * (i + 0.5)
        parts.append(speckle(_bz((dw - 0.006, 0.02, h - 0.1), x, -d / 2 + 0.0, 0.09, color, E), seed + i, 0.03))
        hx = x + (dw / 2 - 0.06) * (1 if i % 2 == 0 else -1)
        parts.append(_handle_v(hx, -d / 2, 1.05, 0.35, handle))
    return _finish(_cat(*parts))


def dresser(
    width: float = 1.0,
    depth: float = 0.45,
    height: float = 0.82,
    color: Color = WOODS[2],
    handle: Color = METALS[1],
    rows: int = 3,
    seed: int = 0,
) -> Furniture:
    """Chest of drawers with bar handles; its top is a support surface."""
    w, d, h = width, depth, height
    parts = [
        wood(_bz((w, d, h - 0.1), 0, 0, 0.08, shade_c(color, 0.85), E), seed, axis=2),
        wood(_bz((w + 0.02, d + 0.02, 0.025), 0, 0, h - 0.025, color, E), seed + 1, axis=0),
        _legs(w, d, 0.08, 0.02, 0.045, color, seed=seed),
    ]
    dh = (h - 0.12) / rows
    for i in range(rows):
        z0 = 0.09 + i * dh
        parts.append(_panel(w - 0.03, dh - 0.012, 0, -d / 2 - 0.012, z0, color, seed + 2 + i, axis=0))
        parts.append(_handle_h(0, -d / 2 - 0.012, z0 + dh / 2, 0.16, handle))
    return _finish(_cat(*parts), [(-w / 2 + 0.03, w / 2 - 0.03, -d / 2 + 0.03, d / 2 - 0.03, h)])


def bookshelf(
    width: float = 0.9,
    depth: float = 0.32,
    height: float = 1.9,
    color: Color = WOODS[2],
    shelves: int = 5,
    empty_shelf: int = 2,
    seed: int = 0,
) -> Furniture:
    """Open bookcase whose shelves hold rows of books in varied colours; shelf ``empty_shelf`` is left
    free (a support surface) for separate objects."""
    w, d, h, t = width, depth, height, 0.022
    rng = np.random.default_rng(seed)
    parts = [
        wood(_bz((t, d, h), -w / 2 + t / 2, 0, 0, color, E), seed, axis=2),
        wood(_bz((t, d, h), w / 2 - t / 2, 0, 0, color, E), seed + 1, axis=2),
        wood(_bz((w - 2 * t, 0.01, h - 0.02), 0, d / 2 - 0.005, 0.01, shade_c(color, 0.8), E), seed + 2, axis=2),
    ]
    gap = (h - 0.08 - t) / shelves
    surfaces = []
    for i in range(shelves + 1):
        z = 0.06 + i * gap if i < shelves else h - t
        parts.append(wood(_bz((w - 2 * t, d - 0.01, t), 0, -0.005, z, color, E), seed + 3 + i, axis=0))
        if i == shelves:
            continue
        top = z + t
        if i == empty_shelf:
            surfaces.append((-w / 2 + t + 0.02, w / 2 - t - 0.02, -d / 2 + 0.03, d / 2 - 0.03, top, gap - t - 0.01))
            continue
        x = -w / 2 + t + 0.01
        end = w / 2 - t - 0.01 - (rng.uniform(0.05, 0.3) if rng.random() < 0.6 else 0.0)
        while True:
            bw = rng.uniform(0.018, 0.045)
            if x + bw > end:
                break
            bh = min(gap - t - 0.02, rng.uniform(0.17, 0.28))
            bd = rng.uniform(0.15, min(0.24, d - 0.05))
            col = _jit(rng, _pick(rng, BRIGHT + FABRICS), 18)
            bk = _bz((bw - 0.002, bd, bh), x + bw / 2, -d / 2 + 0.03 + bd / 2, top, col, 0.05)
            parts.append(vertical_gradient(bk, 1.0, 0.9))
            x += bw
    return _finish(_cat(*parts), surfaces)


def tv_stand(
    width: float = 1.6, depth: float = 0.42, height: float = 0.5, color: Color = WOODS[3], seed: int = 0
) -> Furniture:
    """Low media cabinet with doors and an open middle bay; its top is a support surface."""
    w, d, h = width, depth, height
    parts = [
        wood(_bz((w, d, h - 0.06), 0, 0, 0.06, shade_c(color, 0.8), E), seed, axis=0),
        wood(_bz((w + 0.02, d + 0.01, 0.025), 0, 0, h - 0.025, color, E), seed + 1, axis=0),
        _legs(w, d, 0.06, 0.04, 0.04, METALS[1]),
    ]
    n = 3
    cw = (w - 0.02) / n
    for i in range(n):
        x = -w / 2 + 0.01 + cw * (i + 0.5)
        if i == 1:
            parts.append(_bz((cw - 0.02, 0.01, h - 0.14), x, -d / 2 + 0.05, 0.08, (30, 28, 26), 0.1))
            continue
        parts.append(_panel(cw - 0.01, h - 0.11, x, -d / 2 - 0.012, 0.07, color, seed + 2 + i, axis=0))
        parts.append(_knob(x + (cw / 2 - 0.05) * (1 if i == 0 else -1), -d / 2 - 0.012, h / 2 + 0.02, METALS[0]))
    return _finish(_cat(*parts), [(-w / 2 + 0.03, w / 2 - 0.03, -d / 2 + 0.03, d / 2 - 0.03, h)])


def cabinet(
    width: float = 0.9,
    depth: float = 0.45,
    height: float = 0.85,
    color: Color = PAINTS[0],
    top: Color | None = None,
    handle: Color = METALS[0],
    doors: int = 2,
    seed: int = 0,
) -> Furniture:
    """Sideboard / vanity / filing cabinet: a carcass with doors; its top is a support surface."""
    w, d, h = width, depth, height
    top = top or color
    parts = [
        speckle(_bz((w, d, h - 0.1), 0, 0, 0.08, shade_c(color, 0.9), E), seed),
        _bz((w - 0.06, d - 0.06, 0.08), 0, 0.02, 0, shade_c(color, 0.55), 0.1),
        wood(_bz((w + 0.02, d + 0.02, 0.03), 0, 0, h - 0.03, top, E), seed + 1, axis=0, amount=0.06),
    ]
    dw = (w - 0.02) / doors
    for i in range(doors):
        x = -w / 2 + 0.01 + dw * (i + 0.5)
        parts.append(speckle(_bz((dw - 0.008, 0.014, h - 0.13), x, -d / 2 - 0.007, 0.09, color, 0.04), seed + i))
        parts.append(_handle_v(x + (dw / 2 - 0.05) * (1 if i % 2 else -1), -d / 2 - 0.014, h - 0.18, 0.12, handle))
    return _finish(_cat(*parts), [(-w / 2 + 0.03, w / 2 - 0.03, -d / 2 + 0.03, d / 2 - 0.03, h)])


def wall_cabinet(
    width: float = 0.8,
    depth: float = 0.34,
    height: float = 0.7,
    color: Color = PAINTS[0],
    handle: Color = METALS[0],
    seed: int = 0,
) -> Furniture:
    """Kitchen or bathroom wall cupboard (hung on a wall; z = 0 is its own bottom)."""
    w, d, h = width, depth, height
    doors = 2 if w > 0.6 else 1
    parts = [speckle(_bz((w, d - 0.02, h), 0, 0.01, 0, shade_c(color, 0.9), E), seed)]
    dw = w / doors
    for i in range(doors):
        x = -w / 2 + dw * (i + 0.5)
        parts.append(speckle(_bz((dw - 0.006, 0.02, h - 0.01), x, -d / 2 + 0.0, 0.005, color, 0.04), seed + i))
        parts.append(_handle_v(x + (dw / 2 - 0.05) * (1 if i % 2 else -1), -d / 2, 0.12, 0.12, handle))
    return _finish(_cat(*parts))


# ----------------------------------------------------------------------------- seating and tables


def sofa(
    width: float = 2.1,
    depth: float = 0.92,
    height: float = 0.84,
    color: Color = FABRICS[0],
    leg: Color = WOODS[3],
    seats: int = 3,
    seed: int = 0,
) -> Furniture:
    """Sofa: base on legs, rounded arms, seat and back cushions; the seat is a support surface."""
    w, d, h = width, depth, height
    arm_w, leg_h = 0.18, 0.1
    parts = [
        _legs(w - 0.06, d - 0.06, leg_h, 0.0, 0.05, leg, round_=True, seed=seed),
        fabric(_rz((w, d, 0.2), 0.03, 0, 0, leg_h, shade_c(color, 0.9)), seed),
        fabric(_rz((w - 2 * arm_w, 0.2, h - leg_h), 0.06, 0, d / 2 - 0.1, leg_h, shade_c(color, 0.95)), seed + 1),
    ]
    for sx in (-1, 1):
        parts.append(fabric(_rz((arm_w, d, 0.62 - leg_h), 0.07, sx * (w / 2 - arm_w / 2), 0, leg_h, color), seed + 2))
    sw = (w - 2 * arm_w) / seats
    seat_top = leg_h + 0.2 + 0.14
    for i in range(seats):
        x = -w / 2 + arm_w + sw * (i + 0.5)
        parts.append(fabric(_rz((sw - 0.01, d - 0.24, 0.14), 0.06, x, -0.1, leg_h + 0.2, color), seed + 3 + i, 0.1))
        back = rounded_box((sw - 0.01, 0.16, h - seat_top - 0.02), 0.07, (0, 0, 0), color, max_edge=E)
        back = fabric(
            back.transformed(rotation_x(0.18), (x, d / 2 - 0.26, seat_top + (h - seat_top) / 2 - 0.02)),
            seed + 6 + i,
            0.1,
        )
        parts.append(back)
    return _finish(_cat(*parts), [(-w / 2 + arm_w + 0.05, w / 2 - arm_w - 0.05, -d / 2 + 0.08, d / 2 - 0.38, seat_top)])


def armchair(
    width: float = 0.85,
    depth: float = 0.85,
    height: float = 0.82,
    color: Color = FABRICS[1],
    leg: Color = WOODS[3],
    seed: int = 0,
) -> Furniture:
    """Upholstered armchair (a one-seat sofa with deeper arms)."""
    return sofa(width, depth, height, color, leg, seats=1, seed=seed)


def _chair_body(
    seat_w: float, seat_d: float, seat_h: float, back_h: float, color, seat_color, seed: int, slats: int = 3
) -> list[Mesh]:
    """Four-legged wooden chair with a padded seat and a slatted back (front -y)."""
    lw = 0.035
    parts = [
        _legs(seat_w, seat_d, seat_h - 0.04, 0.0, lw, color, seed=seed),
        wood(_bz((seat_w, seat_d, 0.04), 0, 0, seat_h - 0.05, color, 0.04), seed + 1, axis=0),
        fabric(
            _rz((seat_w - 0.04, seat_d - 0.04, 0.035), 0.015, 0, -0.005, seat_h - 0.012, seat_color, 0.03),
            seed + 2,
            0.08,
        ),
    ]
    for sx in (-1, 1):
        parts.append(
            wood(
                _bz((lw, lw, back_h), sx * (seat_w / 2 - lw / 2), seat_d / 2 - lw / 2, seat_h - 0.01, color, 0.05),
                seed + 3,
                axis=2,
            )
        )
    for i in range(slats):
        z = seat_h + back_h * (0.45 + 0.5 * i / max(slats - 1, 1)) - 0.04
        parts.append(
            wood(
                _bz(
                    (seat_w - 2 * lw, 0.018, 0.06 if i == slats - 1 else 0.035), 0, seat_d / 2 - lw / 2, z, color, 0.04
                ),
                seed + 4 + i,
                axis=0,
            )
        )
    return parts


def dining_chair(
    seat_w: float = 0.44,
    seat_d: float = 0.44,
    seat_h: float = 0.46,
    back_h: float = 0.46,
    color: Color = WOODS[0],
    seat_color: Color = FABRICS[0],
    seed: int = 0,
) -> Furniture:
    """Dining chair: four legs, padded seat, slatted back."""
    return _finish(_cat(*_chair_body(seat_w, seat_d, seat_h, back_h, color, seat_color, seed)))


def stool(
    radius: float = 0.17, height: float = 0.65, color: Color = WOODS[1], seat_color: Color | None = None, seed: int = 0
) -> Furniture:
    """Round stool on four splayed legs with a foot ring."""
    sc = seat_color or color
    parts = [wood(_cz(radius, 0.035, 0, 0, height - 0.035, sc, 24), seed, axis=0)]
    for k in range(4):
        a = np.pi / 4 + k * np.pi / 2
        top = (0.6 * radius * np.cos(a), 0.6 * radius * np.sin(a), height - 0.035)
        bot = (1.0 * radius * np.cos(a), 1.0 * radius * np.sin(a), 0.0)
        parts.append(_bar(bot, top, 0.016, color, 8))
    parts.append(torus(0.82 * radius, 0.008, (0, 0, 0.25), METALS[1], segments=24, sides=6))
    return _finish(_cat(*parts), [(-radius * 0.6, radius * 0.6, -radius * 0.6, radius * 0.6, height)])


def office_chair(seat: Color = FABRICS[6], frame: Color = METALS[1], seat_h: float = 0.48, seed: int = 0) -> Furniture:
    """Swivel chair: five-star base on casters, gas lift, seat, backrest and armrests."""
    parts = []
    for k in range(5):
        a = k * 2 * np.pi / 5 + np.pi / 2
        tip = np.array([0.30 * np.cos(a), 0.30 * np.sin(a)])
        parts.append(_bar((0, 0, 0.09), (tip[0], tip[1], 0.07), 0.018, frame, 8))
        parts.append(sphere(0.025, (tip[0], tip[1], 0.025), (30, 30, 30), segments=8, rings=5))
    parts.append(_cz(0.025, seat_h - 0.16, 0, 0, 0.08, METALS[0], 12))
    parts.append(fabric(_rz((0.5, 0.48, 0.08), 0.03, 0, 0, seat_h - 0.08, seat), seed, 0.1))
    back = fabric(rounded_box((0.46, 0.07, 0.52), 0.03, (0, 0, 0), seat, max_edge=E), seed + 1, 0.1)
    parts.append(back.transformed(rotation_x(-0.12), (0, 0.26, seat_h + 0.34)))
    parts.append(_bz((0.06, 0.04, 0.24), 0, 0.25, seat_h - 0.04, frame, None))
    for sx in (-1, 1):
        parts.append(_bz((0.03, 0.03, 0.2), sx * 0.27, 0.02, seat_h - 0.04, frame, None))
        parts.append(_rz((0.06, 0.26, 0.03), 0.012, sx * 0.27, 0.0, seat_h + 0.16, (36, 36, 38), None))
    return _finish(_cat(*parts))


def _table(
    w: float,
    d: float,
    h: float,
    top_t: float,
    color,
    leg_color,
    seed: int,
    round_legs: bool = False,
    leg: float = 0.06,
    shelf: bool = False,
) -> Furniture:
    parts = [
        wood(_rz((w, d, top_t), 0.008, 0, 0, h - top_t, color, E), seed, axis=0),
        _legs(w, d, h - top_t, 0.04, leg, leg_color, round_=round_legs, seed=seed + 1),
    ]
    if not round_legs:  # apron rails read as "table" from low viewpoints
        parts.append(wood(_bz((w - 0.12, 0.02, 0.08), 0, -d / 2 + 0.06, h - top_t - 0.08, leg_color, 0.05), seed + 2))
        parts.append(wood(_bz((w - 0.12, 0.02, 0.08), 0, d / 2 - 0.06, h - top_t - 0.08, leg_color, 0.05), seed + 2))
    if shelf:
        parts.append(wood(_bz((w - 0.12, d - 0.12, 0.02), 0, 0, 0.12, color, E), seed + 3, axis=0))
    return _finish(_cat(*parts), [(-w / 2 + 0.03, w / 2 - 0.03, -d / 2 + 0.03, d / 2 - 0.03, h)])


def dining_table(
    width: float = 1.6,
    depth: float = 0.9,
    height: float = 0.75,
    color: Color = WOODS[0],
    leg: Color | None = None,
    seed: int = 0,
) -> Furniture:
    """Rectangular dining table on four legs with aprons; the top is a support surface."""
    return _table(width, depth, height, 0.04, color, leg or color, seed, leg=0.07)


def coffee_table(
    width: float = 1.1,
    depth: float = 0.6,
    height: float = 0.42,
    color: Color = WOODS[1],
    leg: Color | None = None,
    seed: int = 0,
) -> Furniture:
    """Low table with a lower shelf; the top is a support surface."""
    return _table(width, depth, height, 0.035, color, leg or color, seed, round_legs=True, leg=0.045, shelf=True)


def desk(
    width: float = 1.3,
    depth: float = 0.65,
    height: float = 0.74,
    color: Color = WOODS[4],
    leg: Color = METALS[1],
    seed: int = 0,
) -> Furniture:
    """Desk: wooden top, metal legs, a drawer pedestal on the right; the top is a support surface."""
    w, d, h = width, depth, height
    parts = [wood(_bz((w, d, 0.03), 0, 0, h - 0.03, color, E), seed, axis=0)]
    for sx in (-1, 1):
        for sy in (-1, 1):
            if sx > 0:
                continue
            parts.append(_bz((0.05, 0.05, h - 0.03), sx * (w / 2 - 0.05), sy * (d / 2 - 0.05), 0, leg, None))
    parts.append(_bz((0.04, d - 0.15, 0.04), -(w / 2 - 0.05), 0, 0.05, leg, None))
    pw = 0.42
    px = w / 2 - pw / 2 - 0.02
    parts.append(speckle(_bz((pw, d - 0.06, h - 0.03), px, 0.01, 0, shade_c(color, 0.9), E), seed + 1))
    for i in range(3):
        z0 = 0.05 + i * (h - 0.1) / 3
        parts.append(_panel(pw - 0.02, (h - 0.1) / 3 - 0.012, px, -d / 2 + 0.028, z0, color, seed + 2 + i, axis=0))
        parts.append(_handle_h(px, -d / 2 + 0.028, z0 + (h - 0.1) / 6, 0.12, METALS[0]))
    return _finish(_cat(*parts), [(-w / 2 + 0.03, w / 2 - 0.03, -d / 2 + 0.03, d / 2 - 0.03, h)])


def side_table(radius: float = 0.25, height: float = 0.55, color: Color = WOODS[2], seed: int = 0) -> Furniture:
    """Round pedestal side table; the top is a support surface."""
    r, h = radius, height
    parts = [
        wood(_cz(r, 0.03, 0, 0, h - 0.03, color, 32), seed, axis=0),
        wood(
            lathe([0.2 * r, 0.12 * r, 0.1 * r, 0.14 * r], [0.04, 0.3 * h, 0.7 * h, h - 0.03], segments=16, color=color),
            seed + 1,
            axis=2,
        ),
        wood(frustum(0.7 * r, 0.5 * r, 0.04, (0, 0, 0.02), color, segments=24), seed + 2, axis=0),
    ]
    s = r / np.sqrt(2) - 0.02
    return _finish(_cat(*parts), [(-s, s, -s, s, h)])


# ----------------------------------------------------------------------------- kitchen and bathroom


def kitchen_counter(
    width: float = 1.2,
    depth: float = 0.62,
    height: float = 0.9,
    color: Color = PAINTS[0],
    top: Color = (70, 70, 72),
    handle: Color = METALS[0],
    seed: int = 0,
) -> Furniture:
    """Run of base cabinets (doors below a drawer row) under a stone worktop; the top is a support surface."""
    w, d, h = width, depth, height
    parts = [
        _bz((w - 0.02, d - 0.08, 0.1), 0, 0.03, 0, (40, 40, 40), 0.1),
        speckle(_bz((w, d - 0.04, h - 0.14), 0, 0.02, 0.1, shade_c(color, 0.85), E), seed),
        speckle(_bz((w, d, 0.04), 0, 0, h - 0.04, top, 0.025), seed + 1, 0.12, 0.01),
    ]
    n = max(1, int(round(w / 0.6)))
    cw = w / n
    for i in range(n):
        x = -w / 2 + cw * (i + 0.5)
        parts.append(speckle(_bz((cw - 0.006, 0.018, 0.15), x, -d / 2 + 0.02 - 0.018, h - 0.2, color, 0.04), seed + i))
        parts.append(_handle_h(x, -d / 2 + 0.002, h - 0.125, 0.14, handle))
        parts.append(speckle(_bz((cw - 0.006, 0.018, h - 0.37), x, -d / 2 + 0.02 - 0.018, 0.11, color, 0.04), seed + i))
        parts.append(_handle_v(x + cw / 2 - 0.05, -d / 2 + 0.002, h - 0.36, 0.12, handle))
    return _finish(_cat(*parts), [(-w / 2 + 0.03, w / 2 - 0.03, -d / 2 + 0.04, d / 2 - 0.04, h)])


def refrigerator(
    width: float = 0.7,
    depth: float = 0.68,
    height: float = 1.85,
    color: Color = (228, 228, 226),
    handle: Color = METALS[0],
    seed: int = 0,
) -> Furniture:
    """Two-door fridge-freezer with long handles."""
    w, d, h = width, depth, height
    parts = [
        speckle(_rz((w, d - 0.05, h - 0.03), 0.02, 0, 0.025, 0.03, shade_c(color, 0.92)), seed, 0.02),
        _bz((w - 0.1, 0.05, 0.05), 0, -d / 2 + 0.05, 0, (40, 40, 40), None),
    ]
    split = 0.62 * h
    for z0, z1 in ((0.04, split - 0.005), (split + 0.005, h - 0.005)):
        parts.append(speckle(_rz((w - 0.004, 0.05, z1 - z0), 0.015, 0, -d / 2 + 0.025, z0, color, E), seed + 1, 0.02))
    parts.append(_handle_v(-w / 2 + 0.06, -d / 2, split - 0.25, 0.4, handle))
    parts.append(_handle_v(-w / 2 + 0.06, -d / 2, split + 0.2, 0.3, handle))
    return _finish(_cat(*parts))


def stove(
    width: float = 0.6, depth: float = 0.62, height: float = 0.9, color: Color = (226, 226, 224), seed: int = 0
) -> Furniture:
    """Freestanding cooker: oven door with a dark glass window, four hob rings, knobs and a back panel."""
    w, d, h = width, depth, height
    dark = (28, 28, 30)
    parts = [
        speckle(_bz((w, d, h - 0.02), 0, 0, 0, color, E), seed, 0.02),
        _bz((w - 0.02, d - 0.02, 0.02), 0, 0, h - 0.02, dark, 0.05),
        _bz((w, 0.05, 0.14), 0, d / 2 - 0.025, h, color, 0.05),
        _bz((w - 0.08, 0.012, 0.4), 0, -d / 2 - 0.012, 0.18, dark, 0.05),
        _bz((w - 0.2, 0.014, 0.22), 0, -d / 2 - 0.02, 0.26, (56, 50, 46), 0.05),
        _handle_h(0, -d / 2 - 0.012, 0.64, w - 0.12, METALS[0]),
        _bz((w - 0.04, 0.012, 0.1), 0, -d / 2 - 0.012, 0.03, shade_c(color, 0.9), 0.05),
    ]
    for sx in (-1, 1):
        for sy in (-1, 1):
            r = 0.09 if sx * sy > 0 else 0.07
            parts.append(torus(r, 0.006, (sx * 0.14, sy * 0.13, h + 0.004), (70, 70, 72), segments=24, sides=5))
            parts.append(_cz(r * 0.6, 0.01, sx * 0.14, sy * 0.13, h - 0.004, (52, 52, 54), 20))
    for k in range(4):
        x = (k - 1.5) * 0.11
        parts.append(_bar((x, -d / 2, 0.79), (x, -d / 2 - 0.025, 0.79), 0.018, (60, 60, 62), 12))
    return _finish(_cat(*parts))


def microwave(
    width: float = 0.5, depth: float = 0.38, height: float = 0.29, color: Color = (40, 40, 42), seed: int = 0
) -> Furniture:
    """Countertop microwave: body, dark glass door, control strip."""
    w, d, h = width, depth, height
    parts = [
        speckle(_rz((w, d, h), 0.01, 0, 0, 0, color, 0.04), seed, 0.03),
        _bz((w * 0.68, 0.006, h - 0.06), -w * 0.13, -d / 2 - 0.006, 0.03, (22, 24, 26), 0.05),
        _bz((w * 0.2, 0.006, h - 0.06), w * 0.36, -d / 2 - 0.006, 0.03, (180, 182, 186), 0.05),
        _bz((0.06, 0.008, 0.02), w * 0.36, -d / 2 - 0.012, h - 0.09, (90, 180, 120), None),
    ]
    return _finish(_cat(*parts))


def kitchen_sink(width: float = 0.8, depth: float = 0.5, metal: Color = METALS[0], seed: int = 0) -> Furniture:
    """Sink that sits on a worktop: steel rim around a dark bowl, drainer and a swan-neck tap."""
    w, d = width, depth
    bw = w * 0.55
    parts = [
        speckle(_bz((w, d, 0.02), 0, 0, 0, metal, 0.03), seed, 0.04),
        _bz((bw, d - 0.1, 0.004), -w / 2 + 0.05 + bw / 2, -0.02, 0.02, (96, 98, 102), 0.03),
        _cz(0.025, 0.005, -w / 2 + 0.05 + bw / 2, -0.02, 0.022, (40, 40, 42), 12),
    ]
    for k in range(6):  # drainer ribs
        x = -w / 2 + 0.1 + bw + k * 0.04
        if x < w / 2 - 0.03:
            parts.append(_bz((0.01, d - 0.14, 0.006), x, -0.02, 0.02, shade_c(metal, 0.9), None))
    tx = -w / 2 + 0.05 + bw / 2
    parts.append(_cz(0.022, 0.04, tx, d / 2 - 0.05, 0.02, metal, 12))
    parts.append(_bar((tx, d / 2 - 0.05, 0.05), (tx, d / 2 - 0.05, 0.3), 0.012, metal, 10))
    parts.append(_bar((tx, d / 2 - 0.05, 0.3), (tx, d / 2 - 0.22, 0.27), 0.011, metal, 10))
    return _finish(_cat(*parts))


def basin(radius: float = 0.22, color: Color = (244, 244, 242), seed: int = 0) -> Furniture:
    """Bathroom vessel basin with a tap behind it (stands on a vanity)."""
    r = radius
    bowl = lathe(
        [0.45 * r, 0.8 * r, r, r, 0.92 * r, 0.6 * r, 0.0],
        [0, 0.02, 0.08, 0.14, 0.14, 0.06, 0.05],
        segments=32,
        color=color,
        cap_bottom=True,
        cap_top=False,
    )
    parts = [
        speckle(bowl, seed, 0.02),
        _cz(0.02, 0.2, 0, r + 0.06, 0, METALS[0], 12),
        _bar((0, r + 0.06, 0.19), (0, r - 0.06, 0.19), 0.011, METALS[0], 10),
    ]
    return _finish(_cat(*parts))


def toilet(color: Color = (244, 244, 242), seed: int = 0) -> Furniture:
    """Close-coupled toilet: pedestal, bowl, seat and lid, cistern with a flush button (front -y)."""
    parts = [
        speckle(
            lathe([0.12, 0.13, 0.16, 0.19, 0.0], [0, 0.1, 0.25, 0.38, 0.38], segments=28, color=color), seed, 0.02
        ).transformed(np.diag([1.0, 1.45, 1.0]), (0, -0.05, 0)),
        torus(0.16, 0.02, (0, 0, 0), shade_c(color, 0.97), segments=28, sides=8).transformed(
            np.diag([1.0, 1.45, 1.0]), (0, -0.05, 0.4)
        ),
        speckle(_rz((0.42, 0.18, 0.38), 0.03, 0, 0.27, 0.36, color), seed + 1, 0.02),
        _cz(0.02, 0.01, 0, 0.27, 0.74, METALS[0], 12),
        _rz((0.22, 0.17, 0.36), 0.04, 0, 0.27, 0.0, color),
    ]
    lid = rounded_box((0.36, 0.46, 0.02), 0.01, (0, 0, 0), shade_c(color, 0.98), max_edge=0.05)
    parts.append(lid.transformed(rotation_x(1.35), (0, 0.16, 0.62)))
    return _finish(_cat(*parts))


def bathtub(
    length: float = 1.7, width: float = 0.75, height: float = 0.56, color: Color = (244, 244, 242), seed: int = 0
) -> Furniture:
    """Built-in bath: panelled outer shell, rounded rim and a recessed tub, tap at one end (long side is x)."""
    L, W, h, t = length, width, height, 0.08
    parts = [speckle(_bz((L, W, 0.12), 0, 0, 0, color, E), seed, 0.02)]
    for sx in (-1, 1):
        parts.append(speckle(_rz((t, W, h - 0.12), 0.02, sx * (L / 2 - t / 2), 0, 0.12, color), seed + 1, 0.02))
    for sy in (-1, 1):
        parts.append(
            speckle(_rz((L - 2 * t + 0.02, t, h - 0.12), 0.02, 0, sy * (W / 2 - t / 2), 0.12, color), seed + 2, 0.02)
        )
    parts.append(_rz((L - 2 * t, W - 2 * t, 0.02), 0.01, 0, 0, 0.12, shade_c(color, 0.93)))
    parts.append(_cz(0.02, 0.012, -L / 2 + 0.25, 0, 0.14, METALS[0], 12))
    tx = L / 2 - t / 2
    parts.append(_cz(0.02, 0.12, tx, 0, h, METALS[0], 12))
    parts.append(_bar((tx, 0, h + 0.1), (tx - 0.15, 0, h + 0.08), 0.012, METALS[0], 10))
    return _finish(_cat(*parts), [])


def washing_machine(color: Color = (240, 240, 238), seed: int = 0) -> Furniture:
    """Front-loading washer: body, round door with dark glass, control panel; top is a support surface."""
    w, d, h = 0.6, 0.58, 0.85
    door = torus(0.16, 0.025, (0, 0, 0), (190, 192, 196), segments=32, sides=8).transformed(
        rotation_x(np.pi / 2), (0, -d / 2 - 0.02, 0.42)
    )
    glass = cylinder(0.15, 0.02, (0, 0, 0), (40, 46, 54), segments=32).transformed(
        rotation_x(np.pi / 2), (0, -d / 2 - 0.01, 0.42)
    )
    parts = [
        speckle(_rz((w, d, h), 0.015, 0, 0, 0, color), seed, 0.02),
        door,
        glass,
        _bz((w - 0.04, 0.008, 0.1), 0, -d / 2 - 0.008, h - 0.13, shade_c(color, 0.9), None),
        _bar((0.18, -d / 2, h - 0.08), (0.18, -d / 2 - 0.02, h - 0.08), 0.025, (120, 120, 124), 14),
    ]
    return _finish(_cat(*parts), [(-w / 2 + 0.04, w / 2 - 0.04, -d / 2 + 0.04, d / 2 - 0.04, h)])


# ----------------------------------------------------------------------------- electronics


def tv(width: float = 1.2, height: float = 0.7, frame: Color = (24, 24, 26), seed: int = 0) -> Furniture:
    """Flat-screen television on a pedestal foot (stands on a tv stand)."""
    w, h = width, height
    screen = vertical_gradient(_bz((w - 0.03, 0.004, h - 0.03), 0, -0.025, 0.075, (34, 40, 52), 0.05), 1.25, 0.8)
    parts = [
        _rz((w, 0.045, h), 0.008, 0, 0, 0.06, frame, 0.05),
        screen,
        _bz((0.3, 0.22, 0.012), 0, 0.0, 0, frame, None),
        _bz((0.06, 0.03, 0.07), 0, 0.01, 0.01, frame, None),
    ]
    return _finish(_cat(*parts))


def monitor(width: float = 0.56, height: float = 0.34, frame: Color = (30, 30, 32), seed: int = 0) -> Furniture:
    """Computer monitor on a stand (stands on a desk)."""
    w, h = width, height
    screen = vertical_gradient(_bz((w - 0.02, 0.004, h - 0.02), 0, -0.022, 0.14, (40, 60, 96), 0.04), 1.3, 0.7)
    parts = [
        _rz((w, 0.04, h), 0.006, 0, 0, 0.13, frame, 0.05),
        screen,
        _bz((0.05, 0.03, 0.15), 0, 0.04, 0.01, frame, None),
        _rz((0.24, 0.18, 0.012), 0.005, 0, 0.03, 0, frame, None),
    ]
    return _finish(_cat(*parts))


def keyboard(width: float = 0.44, color: Color = (36, 36, 38), key: Color = (70, 70, 74), seed: int = 0) -> Furniture:
    """Keyboard: a low slab with a grid of keys."""
    w, d = width, 0.14
    parts = [_rz((w, d, 0.018), 0.004, 0, 0, 0, color, None)]
    for r in range(5):
        n = 14
        kw = (w - 0.04) / n
        for c in range(n):
            parts.append(
                _bz(
                    (kw - 0.004, 0.018, 0.008),
                    -w / 2 + 0.02 + kw * (c + 0.5),
                    -d / 2 + 0.02 + r * 0.024 + 0.009,
                    0.018,
                    key,
                    None,
                )
            )
    return _finish(_cat(*parts))


def laptop(width: float = 0.33, depth: float = 0.23, color: Color = (170, 172, 176), seed: int = 0) -> Furniture:
    """Open laptop: base with keyboard area and a lid tilted back ~105 degrees."""
    w, d = width, depth
    base = _rz((w, d, 0.016), 0.004, 0, 0, 0, color, None)
    keys = _bz((w - 0.05, d * 0.45, 0.002), 0, 0.02, 0.016, (40, 40, 42), None)
    pad = _bz((0.1, 0.06, 0.001), 0, -d / 2 + 0.045, 0.016, shade_c(color, 0.9), None)
    lid = _cat(
        _rz((w, 0.008, d), 0.003, 0, 0, 0, color, None),
        vertical_gradient(_bz((w - 0.02, 0.002, d - 0.03), 0, -0.005, 0.015, (46, 70, 110), 0.05), 1.3, 0.7),
    )
    lid = lid.transformed(rotation_x(-0.26), (0, d / 2, 0.012))
    return _finish(_cat(base, keys, pad, lid))


def computer_mouse(color: Color = (40, 40, 42), seed: int = 0) -> Furniture:
    """Mouse: a squashed ellipsoid."""
    m = sphere(0.03, (0, 0, 0), color, segments=14, rings=8, scale=(1.0, 1.7, 0.6))
    v = m.vertices
    v[:, 2] = np.maximum(v[:, 2], -0.001)
    return _finish(m)


# ----------------------------------------------------------------------------- lamps, plants, decor


def floor_lamp(
    height: float = 1.6, shade: Color = (238, 226, 200), metal: Color = METALS[1], seed: int = 0
) -> Furniture:
    """Floor lamp: weighted base, pole, drum shade with a bright inside."""
    parts = [
        _cz(0.15, 0.025, 0, 0, 0, metal, 28),
        _cz(0.012, height - 0.33, 0, 0, 0.025, metal, 10),
        speckle(
            lathe([0.2, 0.15], [height - 0.34, height], segments=32, color=shade, cap_bottom=False, cap_top=False),
            seed,
            0.03,
        ),
        lathe(
            [0.14, 0.195],
            [height - 0.02, height - 0.33],
            segments=32,
            color=(255, 244, 214),
            cap_bottom=False,
            cap_top=False,
        ),
    ]
    return _finish(_cat(*parts))


def table_lamp(
    height: float = 0.5, base: Color = (210, 200, 180), shade: Color = (240, 232, 214), seed: int = 0
) -> Furniture:
    """Table lamp: turned base, stem, conical shade (stands on a table)."""
    h = height
    parts = [
        speckle(
            lathe([0.07, 0.09, 0.1, 0.06, 0.03, 0.012], [0, 0.02, 0.12, 0.24, 0.28, 0.3], segments=24, color=base),
            seed,
            0.05,
        ),
        _cz(0.008, h - 0.32, 0, 0, 0.3, METALS[2], 8),
        speckle(
            lathe([0.16, 0.1], [h - 0.22, h], segments=28, color=shade, cap_bottom=False, cap_top=False), seed + 1, 0.03
        ),
        lathe(
            [0.095, 0.155], [h - 0.005, h - 0.215], segments=28, color=(255, 246, 220), cap_bottom=False, cap_top=False
        ),
    ]
    return _finish(_cat(*parts))


def ceiling_light(radius: float = 0.2, drop: float = 0.5, shade: Color = (236, 236, 232), seed: int = 0) -> Furniture:
    """Pendant light: ceiling rose, cord and a dome shade with a glowing bulb (z = 0 is its lowest point)."""
    r = radius
    dome = lathe([r, 0.9 * r, 0.6 * r, 0.15 * r], [0, 0.06, 0.14, 0.2], segments=32, color=shade, cap_bottom=False)
    inner = lathe(
        [0.88 * r, 0.5 * r, 0.1 * r],
        [0.005, 0.1, 0.17],
        segments=32,
        color=(255, 248, 224),
        cap_bottom=False,
        cap_top=False,
    )
    parts = [
        dome,
        inner,
        sphere(0.05, (0, 0, 0.07), (255, 250, 232), segments=12, rings=6),
        _cz(0.004, drop, 0, 0, 0.2, (40, 40, 40), 6),
        _cz(0.06, 0.03, 0, 0, 0.2 + drop, shade, 16),
    ]
    return _finish(_cat(*parts))


def potted_plant(
    height: float = 1.0, pot: Color = (176, 98, 68), leaf: Color = (62, 112, 58), seed: int = 0
) -> Furniture:
    """Plant in a pot: tapered pot, soil, stems and a crown of leaf clumps."""
    rng = np.random.default_rng(seed)
    pr = 0.1 + 0.12 * (height - 0.3) / 1.2
    ph = pr * 1.5
    parts = [
        speckle(lathe([pr * 0.75, pr, pr * 1.05], [0, ph * 0.95, ph], segments=24, color=pot), seed, 0.06),
        _cz(pr * 0.95, 0.01, 0, 0, ph - 0.03, (62, 46, 34), 20),
    ]
    crown_r = max(0.15, 0.35 * height)
    n = int(6 + 10 * height)
    for i in range(n):
        a = rng.uniform(0, 2 * np.pi)
        rad = crown_r * np.sqrt(rng.uniform(0.05, 1.0)) * 0.75
        z = ph + (height - ph) * rng.uniform(0.35, 0.9)
        top = np.array([rad * np.cos(a), rad * np.sin(a), z])
        parts.append(_bar((0, 0, ph - 0.02), top, 0.006, (88, 110, 60), 5))
        s = rng.uniform(0.08, 0.14) * (0.6 + 0.5 * height)
        col = _jit(rng, leaf, 14)
        m = sphere(s, (0, 0, 0), col, segments=10, rings=6, scale=(1.0, 0.55, 0.35))
        m = m.transformed(rotation_z(a + np.pi / 2) @ rotation_x(rng.uniform(-0.6, 0.6)), top)
        parts.append(fabric(m, seed + i, 0.15))
    return _finish(_cat(*parts))


def rug(
    width: float = 2.0, depth: float = 1.4, base: Color = FABRICS[1], border: Color = FABRICS[2], seed: int = 0
) -> Furniture:
    """Flat rug (6 mm) with a border band and woven noise."""
    w, d = width, depth
    nx, ny = int(np.ceil(w / 0.04)), int(np.ceil(d / 0.04))
    X, Y = np.meshgrid(np.linspace(-w / 2, w / 2, nx + 1), np.linspace(-d / 2, d / 2, ny + 1), indexing="ij")
    top = param_grid(np.stack([X, Y, np.full_like(X, 0.006)], -1), base)
    v = top.vertices
    edge = np.minimum(w / 2 - np.abs(v[:, 0]), d / 2 - np.abs(v[:, 1]))
    band = (edge > 0.08) & (edge < 0.18)
    c = np.where(band[:, None], np.asarray(border, float), np.asarray(base, float))
    inner = edge >= 0.18
    motif = np.sin(v[:, 0] * 9) * np.sin(v[:, 1] * 9) > 0.55
    c = np.where((inner & motif)[:, None], 0.6 * c + 0.4 * np.asarray(border, float), c)
    top.colors = np.clip(c, 0, 255).astype(np.uint8)
    top = fabric(top, seed, 0.12)
    sides = _bz((w, d, 0.005), 0, 0, 0, shade_c(base, 0.8), None)
    return _finish(_cat(top, sides), [(-w / 2, w / 2, -d / 2, d / 2, 0.006)])


def picture(width: float = 0.6, height: float = 0.45, frame: Color = (40, 36, 32), seed: int = 0) -> Furniture:
    """Framed picture (hung on a wall): moulded frame, mat and an abstract landscape (front -y)."""
    rng = np.random.default_rng(seed)
    w, h, t = width, height, 0.03
    parts = []
    fw = 0.035
    for x, y, sx, sz in (
        (0, h / 2 - fw / 2, w, fw),
        (0, -h / 2 + fw / 2, w, fw),
        (-w / 2 + fw / 2, 0, fw, h),
        (w / 2 - fw / 2, 0, fw, h),
    ):
        parts.append(wood(box((sx, t, sz), (x, 0, y), frame, max_edge=0.05), seed))
    iw, ih = w - 2 * fw, h - 2 * fw
    nx, nz = int(np.ceil(iw / 0.02)), int(np.ceil(ih / 0.02))
    X, Z = np.meshgrid(np.linspace(-iw / 2, iw / 2, nx + 1), np.linspace(-ih / 2, ih / 2, nz + 1), indexing="ij")
    canvas = param_grid(np.stack([X, np.full_like(X, -0.005), Z], -1), (0, 0, 0))
    canvas.faces = canvas.faces[:, [0, 2, 1]]
    v = canvas.vertices
    pal = np.array([_jit(rng, _pick(rng, BRIGHT + FABRICS + list(SKY)), 25) for _ in range(4)], float)
    horizon = rng.uniform(-0.2, 0.2) * ih + 0.08 * ih * value_noise(v * [1, 0, 0], 0.15, seed)
    n = value_noise(v, 0.08, seed + 1)
    mat = 0.04
    inside = (np.abs(v[:, 0]) < iw / 2 - mat) & (np.abs(v[:, 2]) < ih / 2 - mat)
    sky = pal[0] * (0.8 + 0.2 * (v[:, 2:3] / ih + 0.5)) + 20 * n[:, None]
    ground = np.where((n > 0)[:, None], pal[1], pal[2]) * (0.85 + 0.15 * n[:, None])
    col = np.where((v[:, 2] > horizon)[:, None], sky, ground)
    col = np.where(inside[:, None], col, np.array([236, 232, 222], float))
    canvas.colors = np.clip(col, 0, 255).astype(np.uint8)
    parts.append(canvas)
    parts.append(box((iw, 0.01, ih), (0, 0.01, 0), (200, 196, 190)))
    return _finish(_cat(*parts))


def clock(radius: float = 0.16, rim: Color = (40, 40, 42), seed: int = 0) -> Furniture:
    """Wall clock: rim, white face with hour marks and hands (hung on a wall, front -y)."""
    r = radius
    rng = np.random.default_rng(seed)
    face = cylinder(r, 0.03, (0, 0, 0), (246, 244, 238), segments=40)
    ring = torus(r, 0.012, (0, 0, 0.0), rim, segments=40, sides=8)
    parts = [face, ring]
    for k in range(12):
        a = k * np.pi / 6
        L = 0.03 if k % 3 == 0 else 0.015
        parts.append(
            box((0.006, L, 0.004), (0, 0, 0), (30, 30, 30)).transformed(
                rotation_z(a), (0.85 * r * np.sin(a) * -1, 0.85 * r * np.cos(a), 0.017)
            )
        )
    for L, wdt, a in ((0.6 * r, 0.01, rng.uniform(0, 2 * np.pi)), (0.85 * r, 0.006, rng.uniform(0, 2 * np.pi))):
        parts.append(box((wdt, L, 0.003), (0, L / 2, 0), (20, 20, 20)).transformed(rotation_z(a), (0, 0, 0.02)))
    m = _cat(*parts).transformed(rotation_x(np.pi / 2))  # face +z -> -y
    return _finish(m)


def mirror(width: float = 0.6, height: float = 0.8, frame: Color = METALS[2], seed: int = 0) -> Furniture:
    """Wall mirror: thin frame around a pale reflective pane (hung on a wall, front -y)."""
    w, h = width, height
    # a mirror shows the bright room: a light, cool gradient with a diagonal sheen, never a dark screen
    pane = box((w - 0.06, 0.006, h - 0.06), (0, -0.012, 0), (214, 222, 226), max_edge=0.03)
    v = pane.vertices
    sheen = 1.0 + 0.08 * np.cos((v[:, 0] + v[:, 2]) * 9.0)
    pane = speckle(shade(pane, sheen * (0.9 + 0.12 * (v[:, 2] / h + 0.5))), seed, 0.03, 0.2)
    return _finish(_cat(_rz((w, 0.025, h), 0.008, 0, 0, -h / 2, frame, 0.05), pane))


def towel(width: float = 0.5, length: float = 0.7, color: Color = (240, 240, 236), seed: int = 0) -> Furniture:
    """Towel folded over a wall rail (hung on a wall, front -y)."""
    w, L = width, length
    rail = _cat(
        _bar((-w / 2 - 0.05, -0.06, 0), (w / 2 + 0.05, -0.06, 0), 0.01, METALS[0], 10),
        _bar((-w / 2 - 0.05, 0.0, 0), (-w / 2 - 0.05, -0.06, 0), 0.008, METALS[0], 8),
        _bar((w / 2 + 0.05, 0.0, 0), (w / 2 + 0.05, -0.06, 0), 0.008, METALS[0], 8),
    )
    front = fabric(_rz((w, 0.02, L), 0.008, 0, -0.082, -L + 0.01, color, 0.03), seed, 0.1)
    back = fabric(_rz((w, 0.02, L * 0.6), 0.008, 0, -0.038, -L * 0.6 + 0.01, shade_c(color, 0.92), 0.03), seed + 1, 0.1)
    top = fabric(
        torus(0.023, 0.01, (0, 0, 0), color, segments=12, sides=6).transformed(
            rotation_y(np.pi / 2) @ np.diag([1.0, 1.0, w / 0.066]), (0, -0.06, 0.005)
        ),
        seed + 2,
        0.1,
    )
    return _finish(_cat(rail, front, back, top))


def wall_shelf(width: float = 0.8, depth: float = 0.26, color: Color = WOODS[2], seed: int = 0) -> Furniture:
    """Floating wall shelf on two brackets (hung on a wall); its board is a support surface."""
    w, d = width, depth
    parts = [
        wood(_bz((w, d, 0.025), 0, 0, 0.12, color, 0.04), seed),
        _bz((0.02, 0.02, 0.14), -w / 3, d / 2 - 0.01, 0, METALS[1], None),
        _bz((0.02, 0.02, 0.14), w / 3, d / 2 - 0.01, 0, METALS[1], None),
        _bar((-w / 3, d / 2 - 0.02, 0.02), (-w / 3, -d / 2 + 0.04, 0.115), 0.006, METALS[1], 6),
        _bar((w / 3, d / 2 - 0.02, 0.02), (w / 3, -d / 2 + 0.04, 0.115), 0.006, METALS[1], 6),
    ]
    return _finish(_cat(*parts), [(-w / 2 + 0.01, w / 2 - 0.01, -d / 2 + 0.01, d / 2 - 0.01, 0.145)])


def curtain(width: float = 0.6, height: float = 2.3, color: Color = FABRICS[1], seed: int = 0) -> Furniture:
    """A drawn-back curtain panel with folds (hung beside a window, front -y)."""
    w, h = width, height
    nx, nz = max(8, int(w / 0.02)), int(h / 0.05)
    X, Z = np.meshgrid(np.linspace(-w / 2, w / 2, nx + 1), np.linspace(0, h, nz + 1), indexing="ij")
    Y = -0.05 - 0.035 * np.sin(X / w * 2 * np.pi * max(3, w / 0.12))
    front = param_grid(np.stack([X, Y, Z], -1), color)
    front.faces = front.faces[:, [0, 2, 1]]
    front = fabric(
        shade(front, 0.85 + 0.15 * np.cos(front.vertices[:, 0] / w * 2 * np.pi * max(3, w / 0.12))), seed, 0.08
    )
    rod = _bar((-w / 2 - 0.02, -0.05, h + 0.02), (w / 2 + 0.02, -0.05, h + 0.02), 0.012, METALS[1], 8)
    bracket = _bz((0.02, 0.06, 0.02), 0, -0.03, h + 0.01, METALS[1], None)
    return _finish(_cat(front, rod, bracket))


def whiteboard(width: float = 1.2, height: float = 0.8, seed: int = 0) -> Furniture:
    """Whiteboard with aluminium frame, marker scribbles and a pen tray (hung on a wall, front -y)."""
    rng = np.random.default_rng(seed)
    w, h = width, height
    parts = [
        _bz((w, 0.02, h), 0, 0, 0, METALS[0], 0.05),
        speckle(_bz((w - 0.04, 0.004, h - 0.04), 0, -0.012, 0.02, (246, 246, 244), 0.03), seed, 0.02, 0.3),
        _bz((0.4, 0.05, 0.02), 0, -0.035, 0, METALS[0], None),
    ]
    for i in range(6):  # lines of "writing"
        y0 = h - 0.12 - i * 0.09
        x0 = -w / 2 + 0.1 + rng.uniform(0, 0.1)
        L = rng.uniform(0.3, w - 0.3)
        parts.append(
            _bz(
                (L, 0.002, 0.012),
                x0 + L / 2,
                -0.0155,
                y0,
                _pick(rng, [(40, 60, 160), (30, 30, 30), (170, 40, 40)]),
                None,
            )
        )
    return _finish(_cat(*parts))


def trash_can(radius: float = 0.14, height: float = 0.38, color: Color = METALS[0], seed: int = 0) -> Furniture:
    """Pedal bin: tapered body with a rolled rim and a dark lid."""
    r, h = radius, height
    parts = [
        speckle(lathe([0.85 * r, r], [0, h - 0.03], segments=28, color=color), seed, 0.05),
        _cz(r * 1.02, 0.03, 0, 0, h - 0.03, shade_c(color, 0.7), 28),
        _bz((0.08, 0.05, 0.02), 0, -0.85 * r - 0.02, 0.005, (40, 40, 40), None),
    ]
    return _finish(_cat(*parts))


def storage_box(
    width: float = 0.4, depth: float = 0.3, height: float = 0.28, color: Color = (176, 140, 96), seed: int = 0
) -> Furniture:
    """Cardboard box with a tape strip across the lid."""
    w, d, h = width, depth, height
    parts = [
        speckle(_rz((w, d, h), 0.006, 0, 0, 0, color, 0.03), seed, 0.06),
        _bz((0.05, d + 0.002, 0.002), 0, 0, h, shade_c(color, 1.15), None),
        _bz((0.05, 0.002, 0.08), 0, -d / 2 - 0.001, h - 0.08, shade_c(color, 1.15), None),
    ]
    return _finish(_cat(*parts), [(-w / 2 + 0.02, w / 2 - 0.02, -d / 2 + 0.02, d / 2 - 0.02, h + 0.002)])


def laundry_basket(
    radius: float = 0.22, height: float = 0.5, color: Color = (214, 196, 160), seed: int = 0
) -> Furniture:
    """Woven basket with handles and folded clothes inside."""
    r, h = radius, height
    body = lathe([0.85 * r, r, r], [0, h * 0.9, h], segments=32, color=color, cap_top=False)
    v = body.vertices
    ang = np.arctan2(v[:, 1], v[:, 0])
    weave = (np.sin(ang * 40) * np.sin(v[:, 2] * 120) > 0) * 0.15 + 0.85
    parts = [
        shade(body, weave),
        _cz(0.95 * r, 0.01, 0, 0, h * 0.75, _jit(np.random.default_rng(seed), FABRICS[2], 20), 24),
    ]
    for sx in (-1, 1):
        parts.append(
            torus(0.05, 0.01, (0, 0, 0), shade_c(color, 0.8), segments=12, sides=6).transformed(
                rotation_y(np.pi / 2), (sx * r * 1.01, 0, h - 0.06)
            )
        )
    return _finish(_cat(*parts))


# ----------------------------------------------------------------------------- small objects


def book(
    width: float = 0.16, depth: float = 0.23, thickness: float = 0.03, color: Color = BRIGHT[0], seed: int = 0
) -> Furniture:
    """Book lying flat: cover boards and a page block."""
    w, d, t = width, depth, thickness
    parts = [
        _bz((w, d, 0.003), 0, 0, 0, color, 0.05),
        _bz((w, d, 0.003), 0, 0, t - 0.003, color, 0.05),
        _bz((0.004, d, t), -w / 2 + 0.002, 0, 0, color, None),
        _bz((w - 0.01, d - 0.008, t - 0.006), 0.003, 0, 0.003, (238, 232, 214), None),
    ]
    return _finish(_cat(*parts), [(-w / 2 + 0.01, w / 2 - 0.01, -d / 2 + 0.01, d / 2 - 0.01, t)])


def bottle(
    height: float = 0.26, radius: float = 0.035, color: Color = (60, 110, 70), cap: Color = (30, 30, 30), seed: int = 0
) -> Furniture:
    """Bottle: body, shoulder, neck and cap, with a paper label band."""
    h, r = height, radius
    body = lathe(
        [0.9 * r, r, r, 0.95 * r, 0.4 * r, 0.33 * r, 0.33 * r],
        [0, 0.01, 0.6 * h, 0.66 * h, 0.78 * h, 0.8 * h, 0.95 * h],
        segments=20,
        color=color,
    )
    label = lathe(
        [r * 1.01, r * 1.01], [0.2 * h, 0.45 * h], segments=20, color=(236, 230, 210), cap_bottom=False, cap_top=False
    )
    capm = _cz(0.36 * r, 0.05 * h, 0, 0, 0.95 * h, cap, 12)
    return _finish(_cat(vertical_gradient(body, 1.15, 0.85), label, capm))


def cup(radius: float = 0.04, height: float = 0.09, color: Color = (240, 240, 236), seed: int = 0) -> Furniture:
    """Mug: open cylinder with a visible inside, a coffee-dark bottom and a handle."""
    r, h = radius, height
    outer = lathe([0.9 * r, r, r], [0, 0.01, h], segments=20, color=color, cap_top=False)
    inner = lathe([0.92 * r, 0.0], [h, 0.012], segments=20, color=shade_c(color, 0.7), cap_bottom=False, cap_top=False)
    handle = torus(0.022, 0.006, (0, 0, 0), color, segments=12, sides=6).transformed(
        rotation_x(np.pi / 2), (r + 0.004, 0, h / 2)
    )
    return _finish(_cat(outer, inner, handle))


def bowl(radius: float = 0.1, color: Color = (240, 238, 230), seed: int = 0) -> Furniture:
    """Bowl: a shallow lathe with a darker inside."""
    r = radius
    outer = lathe([0.45 * r, 0.8 * r, r], [0, 0.3 * r, 0.6 * r], segments=28, color=color, cap_top=False)
    inner = lathe(
        [0.95 * r, 0.75 * r, 0.0],
        [0.6 * r, 0.35 * r, 0.1 * r],
        segments=28,
        color=shade_c(color, 0.85),
        cap_bottom=False,
        cap_top=False,
    )
    return _finish(_cat(outer, inner))


def plate(radius: float = 0.13, color: Color = (246, 246, 242), seed: int = 0) -> Furniture:
    """Dinner plate with a raised rim."""
    r = radius
    m = lathe(
        [0.6 * r, 0.65 * r, r, r * 0.98, 0.7 * r, 0.0],
        [0, 0.008, 0.02, 0.022, 0.012, 0.012],
        segments=32,
        color=color,
        cap_top=False,
    )
    return _finish(speckle(m, seed, 0.03))


def vase(height: float = 0.3, color: Color = (60, 100, 140), flowers: bool = True, seed: int = 0) -> Furniture:
    """Vase with an optional bunch of flowers."""
    rng = np.random.default_rng(seed)
    h = height
    body = lathe(
        [0.05, 0.08, 0.09, 0.06, 0.04, 0.05],
        [0, 0.2 * h, 0.45 * h, 0.75 * h, 0.92 * h, h],
        segments=24,
        color=color,
        cap_top=False,
    )
    parts = [speckle(vertical_gradient(body, 1.1, 0.85), seed, 0.05)]
    if flowers:
        for i in range(7):
            a = rng.uniform(0, 2 * np.pi)
            top = np.array(
                [
                    0.09 * np.cos(a) * rng.uniform(0.3, 1),
                    0.09 * np.sin(a) * rng.uniform(0.3, 1),
                    h + rng.uniform(0.1, 0.22),
                ]
            )
            parts.append(_bar((0, 0, h - 0.05), top, 0.003, (70, 110, 60), 5))
            parts.append(sphere(0.025, top, _jit(rng, _pick(rng, BRIGHT[:6]), 20), segments=8, rings=5))
    return _finish(_cat(*parts))


def cushion(size: float = 0.45, color: Color = FABRICS[4], seed: int = 0) -> Furniture:
    """Square scatter cushion standing upright (rests on a sofa seat)."""
    s = size
    m = rounded_box((s, 0.14, s), 0.06, (0, 0, s / 2), color, max_edge=0.03)
    v = m.vertices
    # pinch the corners so it reads as a stuffed cushion rather than a block
    k = (np.abs(v[:, 0]) / (s / 2)) ** 2 + (np.abs(v[:, 2] - s / 2) / (s / 2)) ** 2
    v[:, 1] *= np.clip(1.15 - 0.45 * k, 0.25, 1.0)
    return _finish(fabric(m, seed, 0.1))


def potted_plant_small(seed: int = 0, pot: Color = (240, 240, 236), leaf: Color = (70, 130, 66)) -> Furniture:
    """Small table-top plant."""
    return potted_plant(0.35, pot, leaf, seed)


def kettle(color: Color = METALS[0], seed: int = 0) -> Furniture:
    """Electric kettle on its base."""
    body = lathe([0.09, 0.095, 0.085, 0.06, 0.0], [0.02, 0.05, 0.18, 0.23, 0.235], segments=24, color=color)
    base = _cz(0.1, 0.02, 0, 0, 0, (40, 40, 42), 24)
    handle = torus(0.07, 0.012, (0, 0, 0), (40, 40, 42), segments=14, sides=6).transformed(
        rotation_x(np.pi / 2), (0.09, 0, 0.13)
    )
    spout = _bar((-0.08, 0, 0.16), (-0.13, 0, 0.2), 0.015, color, 8)
    return _finish(_cat(body, base, handle, spout))


def cutting_board(width: float = 0.4, depth: float = 0.28, color: Color = WOODS[4], seed: int = 0) -> Furniture:
    """Wooden chopping board."""
    return _finish(wood(_rz((width, depth, 0.02), 0.006, 0, 0, 0, color, 0.03), seed, axis=0))


def printer(color: Color = (226, 226, 224), seed: int = 0) -> Furniture:
    """Desktop printer with paper tray and output slot."""
    parts = [
        speckle(_rz((0.45, 0.36, 0.2), 0.015, 0, 0, 0, color), seed, 0.02),
        _bz((0.3, 0.02, 0.02), 0, -0.185, 0.12, (40, 40, 42), None),
        _bz((0.26, 0.14, 0.01), 0, -0.24, 0.06, shade_c(color, 0.9), None),
        _bz((0.08, 0.01, 0.03), 0.14, -0.185, 0.16, (60, 60, 62), None),
    ]
    return _finish(_cat(*parts))


# ----------------------------------------------------------------------------- registry


BUILDERS: dict[str, Callable[..., Furniture]] = {
    "bed": bed,
    "nightstand": nightstand,
    "wardrobe": wardrobe,
    "dresser": dresser,
    "bookshelf": bookshelf,
    "tv_stand": tv_stand,
    "cabinet": cabinet,
    "wall_cabinet": wall_cabinet,
    "sofa": sofa,
    "armchair": armchair,
    "dining_chair": dining_chair,
    "stool": stool,
    "office_chair": office_chair,
    "dining_table": dining_table,
    "coffee_table": coffee_table,
    "desk": desk,
    "side_table": side_table,
    "kitchen_counter": kitchen_counter,
    "refrigerator": refrigerator,
    "stove": stove,
    "microwave": microwave,
    "sink": kitchen_sink,
    "basin": basin,
    "toilet": toilet,
    "bathtub": bathtub,
    "washing_machine": washing_machine,
    "tv": tv,
    "monitor": monitor,
    "keyboard": keyboard,
    "laptop": laptop,
    "mouse": computer_mouse,
    "floor_lamp": floor_lamp,
    "table_lamp": table_lamp,
    "ceiling_light": ceiling_light,
    "potted_plant": potted_plant,
    "rug": rug,
    "picture": picture,
    "clock": clock,
    "mirror": mirror,
    "towel": towel,
    "shelf": wall_shelf,
    "curtain": curtain,
    "whiteboard": whiteboard,
    "trash_can": trash_can,
    "box": storage_box,
    "basket": laundry_basket,
    "book": book,
    "bottle": bottle,
    "cup": cup,
    "bowl": bowl,
    "plate": plate,
    "vase": vase,
    "cushion": cushion,
    "kettle": kettle,
    "cutting_board": cutting_board,
    "printer": printer,
    "potted_plant_small": potted_plant_small,
}

#: Builders whose objects take another category's name (a small plant is still a ``potted_plant``).
CATEGORY_OF = {"potted_plant_small": "potted_plant", "basin": "sink"}


def _u(rng: np.random.Generator, lo: float, hi: float, step: float = 0.01) -> float:
    """Uniform value rounded to ``step`` (catalogue sizes are round numbers)."""
    return float(np.round(rng.uniform(lo, hi) / step) * step)


VARIANTS: dict[str, Callable[[np.random.Generator], dict]] = {
    "bed": lambda r: dict(
        width=_pick(r, [0.9, 1.4, 1.6, 1.8]),
        length=_pick(r, [2.0, 2.05, 2.1]),
        frame=_jit(r, _pick(r, WOODS + PAINTS[:3])),
        duvet=_jit(r, _pick(r, FABRICS)),
        headboard_h=_u(r, 0.9, 1.2),
        seed=_seed(r),
    ),
    "nightstand": lambda r: dict(
        width=_u(r, 0.4, 0.55),
        depth=_u(r, 0.35, 0.45),
        height=_u(r, 0.5, 0.62),
        color=_jit(r, _pick(r, WOODS + PAINTS[:2])),
        drawers=int(r.integers(1, 3)),
        seed=_seed(r),
    ),
    "wardrobe": lambda r: dict(
        width=_u(r, 0.9, 1.6),
        height=_u(r, 1.95, 2.2),
        color=_jit(r, _pick(r, WOODS + PAINTS[:3])),
        doors=int(r.integers(2, 4)),
        seed=_seed(r),
    ),
    "dresser": lambda r: dict(
        width=_u(r, 0.8, 1.3),
        height=_u(r, 0.75, 0.95),
        color=_jit(r, _pick(r, WOODS + PAINTS[:2])),
        rows=int(r.integers(3, 5)),
        seed=_seed(r),
    ),
    "bookshelf": lambda r: dict(
        width=_u(r, 0.7, 1.0),
        height=_u(r, 1.75, 2.0),
        color=_jit(r, _pick(r, WOODS + PAINTS[:1] + PAINTS[3:4])),
        shelves=int(r.integers(4, 6)),
        empty_shelf=int(r.integers(1, 4)),
        seed=_seed(r),
    ),
    "tv_stand": lambda r: dict(
        width=_u(r, 1.4, 1.8), height=_u(r, 0.45, 0.55), color=_jit(r, _pick(r, WOODS + PAINTS[:4])), seed=_seed(r)
    ),
    "cabinet": lambda r: dict(
        width=_u(r, 0.8, 1.4),
        depth=_u(r, 0.4, 0.5),
        height=_u(r, 0.75, 0.9),
        color=_jit(r, _pick(r, WOODS + PAINTS)),
        doors=int(r.integers(2, 4)),
        seed=_seed(r),
    ),
    "wall_cabinet": lambda r: dict(width=0.8, color=_jit(r, _pick(r, PAINTS), 6), seed=_seed(r)),
    "sofa": lambda r: dict(
        width=_u(r, 1.8, 2.4),
        depth=_u(r, 0.85, 0.98),
        color=_jit(r, _pick(r, FABRICS)),
        seats=int(r.integers(2, 4)),
        seed=_seed(r),
    ),
    "armchair": lambda r: dict(width=_u(r, 0.75, 0.95), color=_jit(r, _pick(r, FABRICS)), seed=_seed(r)),
    "dining_chair": lambda r: dict(
        seat_h=_u(r, 0.44, 0.48),
        back_h=_u(r, 0.4, 0.5),
        color=_jit(r, _pick(r, WOODS + PAINTS[3:4])),
        seat_color=_jit(r, _pick(r, FABRICS)),
        seed=_seed(r),
    ),
    "stool": lambda r: dict(height=_u(r, 0.62, 0.75), color=_jit(r, _pick(r, WOODS)), seed=_seed(r)),
    "office_chair": lambda r: dict(seat=_jit(r, _pick(r, FABRICS[:3] + FABRICS[6:7])), seed=_seed(r)),
    "dining_table": lambda r: dict(
        width=_u(r, 1.4, 1.9), depth=_u(r, 0.8, 1.0), color=_jit(r, _pick(r, WOODS)), seed=_seed(r)
    ),
    "coffee_table": lambda r: dict(
        width=_u(r, 0.9, 1.3), depth=_u(r, 0.5, 0.7), color=_jit(r, _pick(r, WOODS)), seed=_seed(r)
    ),
    "desk": lambda r: dict(
        width=_u(r, 1.2, 1.6), depth=_u(r, 0.6, 0.75), color=_jit(r, _pick(r, WOODS + PAINTS[:1])), seed=_seed(r)
    ),
    "side_table": lambda r: dict(
        radius=_u(r, 0.2, 0.28), height=_u(r, 0.5, 0.6), color=_jit(r, _pick(r, WOODS)), seed=_seed(r)
    ),
    "kitchen_counter": lambda r: dict(width=1.2, color=_jit(r, _pick(r, PAINTS), 5), seed=_seed(r)),
    "refrigerator": lambda r: dict(
        width=_pick(r, [0.6, 0.7]),
        height=_u(r, 1.75, 1.95),
        color=_jit(r, _pick(r, [(228, 228, 226), (182, 184, 188), (40, 40, 42)]), 4),
        seed=_seed(r),
    ),
    "stove": lambda r: dict(
        color=_jit(r, _pick(r, [(226, 226, 224), (182, 184, 188), (40, 40, 42)]), 4), seed=_seed(r)
    ),
    "microwave": lambda r: dict(
        color=_jit(r, _pick(r, [(40, 40, 42), (226, 226, 224), (182, 184, 188)]), 4), seed=_seed(r)
    ),
    "sink": lambda r: dict(width=_pick(r, [0.8, 0.9]), seed=_seed(r)),
    "basin": lambda r: dict(radius=_u(r, 0.19, 0.24), seed=_seed(r)),
    "toilet": lambda r: dict(seed=_seed(r)),
    "bathtub": lambda r: dict(length=_pick(r, [1.6, 1.7, 1.8]), width=_u(r, 0.7, 0.8), seed=_seed(r)),
    "washing_machine": lambda r: dict(seed=_seed(r)),
    "tv": lambda r: dict(width=_pick(r, [1.0, 1.1, 1.25, 1.45]), height=0.0, seed=_seed(r)),
    "monitor": lambda r: dict(width=_pick(r, [0.54, 0.6, 0.7]), seed=_seed(r)),
    "keyboard": lambda r: dict(color=_pick(r, [(36, 36, 38), (220, 220, 222)]), seed=_seed(r)),
    "laptop": lambda r: dict(color=_jit(r, _pick(r, [(170, 172, 176), (50, 50, 54)]), 4), seed=_seed(r)),
    "mouse": lambda r: dict(color=_pick(r, [(40, 40, 42), (230, 230, 232)]), seed=_seed(r)),
    "floor_lamp": lambda r: dict(
        height=_u(r, 1.5, 1.75), shade=_jit(r, (238, 226, 200), 10), metal=_pick(r, METALS), seed=_seed(r)
    ),
    "table_lamp": lambda r: dict(
        height=_u(r, 0.45, 0.58),
        base=_jit(r, _pick(r, BRIGHT + PAINTS[:3]), 10),
        shade=_jit(r, (240, 232, 214), 8),
        seed=_seed(r),
    ),
    "ceiling_light": lambda r: dict(
        radius=_u(r, 0.16, 0.26),
        drop=_u(r, 0.25, 0.6),
        shade=_pick(r, [(236, 236, 232), (40, 40, 42), (186, 152, 94)]),
        seed=_seed(r),
    ),
    "potted_plant": lambda r: dict(
        height=_u(r, 0.7, 1.3),
        pot=_jit(r, _pick(r, [(176, 98, 68), (236, 234, 228), (52, 54, 58), (120, 124, 128)])),
        leaf=_jit(r, (62, 112, 58), 10),
        seed=_seed(r),
    ),
    "rug": lambda r: dict(
        width=_u(r, 1.6, 2.4, 0.1),
        depth=_u(r, 1.2, 1.7, 0.1),
        base=_jit(r, _pick(r, FABRICS)),
        border=_jit(r, _pick(r, FABRICS)),
        seed=_seed(r),
    ),
    "picture": lambda r: dict(
        width=_u(r, 0.4, 0.9, 0.05),
        height=_u(r, 0.3, 0.7, 0.05),
        frame=_jit(r, _pick(r, [(40, 36, 32), (236, 234, 228)] + WOODS[:3]), 6),
        seed=_seed(r),
    ),
    "clock": lambda r: dict(
        radius=_u(r, 0.13, 0.2), rim=_pick(r, [(40, 40, 42)] + WOODS[:2] + METALS[2:3]), seed=_seed(r)
    ),
    "mirror": lambda r: dict(
        width=_u(r, 0.5, 0.8, 0.05), height=_u(r, 0.6, 0.9, 0.05), frame=_pick(r, METALS + WOODS[:2]), seed=_seed(r)
    ),
    "towel": lambda r: dict(color=_jit(r, _pick(r, [(240, 240, 236)] + FABRICS), 8), seed=_seed(r)),
    "shelf": lambda r: dict(width=_u(r, 0.6, 1.0, 0.05), color=_jit(r, _pick(r, WOODS + PAINTS[:1])), seed=_seed(r)),
    "curtain": lambda r: dict(color=_jit(r, _pick(r, FABRICS)), seed=_seed(r)),
    "whiteboard": lambda r: dict(width=_pick(r, [1.0, 1.2, 1.5]), seed=_seed(r)),
    "trash_can": lambda r: dict(
        radius=_u(r, 0.12, 0.16),
        height=_u(r, 0.3, 0.45),
        color=_jit(r, _pick(r, METALS[:2] + [(236, 236, 232), (70, 110, 160)]), 5),
        seed=_seed(r),
    ),
    "box": lambda r: dict(
        width=_u(r, 0.3, 0.5),
        depth=_u(r, 0.25, 0.4),
        height=_u(r, 0.2, 0.35),
        color=_jit(r, (176, 140, 96), 10),
        seed=_seed(r),
    ),
    "basket": lambda r: dict(
        radius=_u(r, 0.18, 0.25), height=_u(r, 0.4, 0.55), color=_jit(r, (214, 196, 160), 14), seed=_seed(r)
    ),
    "book": lambda r: dict(
        width=_u(r, 0.13, 0.21),
        depth=_u(r, 0.19, 0.28),
        thickness=_u(r, 0.015, 0.05, 0.005),
        color=_jit(r, _pick(r, BRIGHT + FABRICS), 14),
        seed=_seed(r),
    ),
    "bottle": lambda r: dict(
        height=_u(r, 0.18, 0.32),
        radius=_u(r, 0.028, 0.042, 0.002),
        color=_jit(
            r,
            _pick(r, [(60, 110, 70), (120, 70, 40), (200, 220, 230), (60, 90, 150), (236, 236, 230), (180, 40, 60)]),
            10,
        ),
        seed=_seed(r),
    ),
    "cup": lambda r: dict(color=_jit(r, _pick(r, BRIGHT), 10), seed=_seed(r)),
    "bowl": lambda r: dict(
        radius=_u(r, 0.07, 0.14), color=_jit(r, _pick(r, BRIGHT + [(240, 238, 230)]), 10), seed=_seed(r)
    ),
    "plate": lambda r: dict(radius=_u(r, 0.11, 0.14), seed=_seed(r)),
    "vase": lambda r: dict(
        height=_u(r, 0.2, 0.4),
        color=_jit(r, _pick(r, BRIGHT + PAINTS), 10),
        flowers=bool(r.random() < 0.6),
        seed=_seed(r),
    ),
    "cushion": lambda r: dict(size=_u(r, 0.4, 0.5), color=_jit(r, _pick(r, FABRICS + BRIGHT[:6])), seed=_seed(r)),
    "kettle": lambda r: dict(color=_pick(r, METALS[:2] + [(236, 236, 232)]), seed=_seed(r)),
    "cutting_board": lambda r: dict(color=_jit(r, _pick(r, WOODS)), seed=_seed(r)),
    "potted_plant_small": lambda r: dict(
        pot=_jit(r, _pick(r, [(240, 240, 236), (176, 98, 68), (52, 54, 58)])),
        leaf=_jit(r, (70, 130, 66), 10),
        seed=_seed(r),
    ),
    "printer": lambda r: dict(color=_pick(r, [(226, 226, 224), (50, 50, 54)]), seed=_seed(r)),
}


def make(category: str, rng: np.random.Generator, **overrides) -> tuple[Furniture, str]:
    """Sample a variant of ``category`` and build it; returns the piece and its ``model`` key (equal keys
    mean identical geometry and colours)."""
    if category not in BUILDERS:
        raise ValueError(f"unknown furniture category {category!r}; known: {sorted(BUILDERS)}")
    params = {**VARIANTS[category](rng), **overrides}
    if category == "tv":
        params["height"] = float(np.round(params["width"] * 0.5625 + 0.03, 3))
    key = hashlib.sha1(repr(sorted(params.items())).encode()).hexdigest()[:10]
    return BUILDERS[category](**params), f"{category}/{key}"
