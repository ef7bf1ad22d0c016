"""Plain triangle meshes and the primitive shapes scenes are built from (numpy in, numpy out)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Mesh:
    """A coloured triangle mesh: vertices float64 (V, 3), faces int64 (F, 3), colors uint8 (V, 3)."""

    vertices: np.ndarray
    faces: np.ndarray
    colors: np.ndarray

    def transformed(self, rotation: np.ndarray | None = None, translation=(0.0, 0.0, 0.0)) -> "Mesh":
        """A copy moved by ``x -> rotation @ x + translation``."""
        v = self.vertices if rotation is None else self.vertices @ np.asarray(rotation, dtype=np.float64).T
        return Mesh(v + np.asarray(translation, dtype=np.float64), self.faces.copy(), self.colors.copy())

    def with_colors(self, colors: np.ndarray) -> "Mesh":
        """A copy with per-vertex colours replaced (broadcast from one RGB if given)."""
        c = np.broadcast_to(np.asarray(colors, dtype=np.uint8), self.vertices.shape).copy()
        return Mesh(self.vertices.copy(), self.faces.copy(), c)

    @staticmethod
    def concat(meshes: list["Mesh"]) -> "Mesh":
        """One mesh holding all of ``meshes`` (faces re-indexed)."""
        if not meshes:
            return Mesh(np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64), np.zeros((0, 3), dtype=np.uint8))
        offsets = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
        return Mesh(
            np.concatenate([m.vertices for m in meshes]),
            np.concatenate([m.faces + o for m, o in zip(meshes, offsets)]),
            np.concatenate([m.colors for m in meshes]),
        )


def grid_quad(origin, u, v, nu: int, nv: int, color) -> Mesh:
    """A planar quad ``origin + s*u + t*v`` (s, t in [0, 1]) split into nu x nv cells, wound so the
    normal is ``u x v``."""
    s, t = np.meshgrid(np.linspace(0, 1, nu + 1), np.linspace(0, 1, nv + 1), indexing="ij")
    verts = np.asarray(origin, float) + s.reshape(-1, 1) * np.asarray(u, float) + t.reshape(-1, 1) * np.asarray(v, float)
    idx = np.arange((nu + 1) * (nv + 1)).reshape(nu + 1, nv + 1)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
    faces = np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)])
    colors = np.broadcast_to(np.asarray(color, dtype=np.uint8), verts.shape).copy()
    return Mesh(verts, faces.astype(np.int64), colors)


def box(size, center=(0.0, 0.0, 0.0), color=(200, 200, 200), max_edge: float | None = None) -> Mesh:
    """An axis-aligned box of full side lengths ``size`` with outward-facing triangles.

    ``max_edge`` (metres) subdivides each face so no cell edge is longer, letting per-vertex colour
    carry texture; ``None`` gives 12 triangles.
    """
    sx, sy, sz = (float(x) for x in size)
    c = np.asarray(center, dtype=np.float64) - np.array([sx, sy, sz]) / 2

    def n(length: float) -> int:
        return 1 if max_edge is None else max(1, int(np.ceil(length / max_edge)))

    X, Y, Z = np.array([sx, 0, 0]), np.array([0, sy, 0]), np.array([0, 0, sz])
    faces = [
        grid_quad(c, Y, X, n(sy), n(sx), color),          # bottom, normal -z
        grid_quad(c + Z, X, Y, n(sx), n(sy), color),      # top, +z
        grid_quad(c, X, Z, n(sx), n(sz), color),          # front, -y
        grid_quad(c + Y, Z, X, n(sz), n(sx), color),      # back, +y
        grid_quad(c, Z, Y, n(sz), n(sy), color),          # left, -x
        grid_quad(c + X, Y, Z, n(sy), n(sz), color),      # right, +x
    ]
    return Mesh.concat(faces)


# ---------------------------------------------------------------------------------------------
# Curved and bevelled primitives, built on one helper that triangulates a grid of points.
# All are centred like ``box`` unless said otherwise, and all take a single RGB colour; texture is
# applied afterwards by the colour helpers below, since it depends on the object's frame.
# ---------------------------------------------------------------------------------------------


def _grid_faces(nu: int, nv: int) -> np.ndarray:
    """Faces of an (nu+1) x (nv+1) vertex grid (row-major), normal ``d/du x d/dv``."""
    idx = np.arange((nu + 1) * (nv + 1)).reshape(nu + 1, nv + 1)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel(), idx[:-1, 1:].ravel()
    return np.concatenate([np.stack([a, b, c], 1), np.stack([a, c, d], 1)]).astype(np.int64)


def param_grid(points: np.ndarray, color) -> Mesh:
    """A mesh from an (nu+1, nv+1, 3) array of grid points; the normal is ``d/du x d/dv``."""
    nu, nv = points.shape[0] - 1, points.shape[1] - 1
    verts = np.asarray(points, np.float64).reshape(-1, 3)
    return Mesh(verts, _grid_faces(nu, nv), np.broadcast_to(np.asarray(color, np.uint8), verts.shape).copy())


def lathe(radii, heights, *, segments: int = 24, color=(200, 200, 200), cap_bottom: bool = True,
          cap_top: bool = True, center=(0.0, 0.0, 0.0)) -> Mesh:
    """A surface of revolution about +Z through ``center`` from a profile of (radius, height) pairs
    listed bottom to top; end caps close the profile where its end radius is non-zero."""
    r = np.asarray(radii, np.float64)
    z = np.asarray(heights, np.float64)
    ang = np.linspace(0.0, 2 * np.pi, segments + 1)
    pts = np.stack([r[:, None] * np.cos(ang)[None], r[:, None] * np.sin(ang)[None],
                    np.broadcast_to(z[:, None], (len(r), segments + 1))], -1)
    side = param_grid(pts, color)
    side.faces = side.faces[:, [0, 2, 1]]  # d/dangle x d/dprofile points outward for an upward profile
    parts = [side]
    for end, flip, want in ((0, True, cap_bottom), (-1, False, cap_top)):
        if want and r[end] > 1e-9:
            ring = pts[end, :-1]
            verts = np.concatenate([ring, [[0.0, 0.0, z[end]]]])
            i = np.arange(segments)
            tri = np.stack([np.full(segments, segments), i, (i + 1) % segments], 1)
            if flip:
                tri = tri[:, [0, 2, 1]]
            parts.append(Mesh(verts, tri.astype(np.int64),
                              np.broadcast_to(np.asarray(color, np.uint8), verts.shape).copy()))
    return Mesh.concat(parts).transformed(None, center)


def cylinder(radius: float, height: float, center=(0.0, 0.0, 0.0), color=(200, 200, 200), *,
             segments: int = 24, rings: int = 1, caps: bool = True) -> Mesh:
    """A capped cylinder along +Z centred at ``center``; ``rings`` splits the side for texture."""
    z = np.linspace(-height / 2, height / 2, rings + 1)
    return lathe(np.full(rings + 1, radius), z, segments=segments, color=color, cap_bottom=caps,
                 cap_top=caps, center=center)


def frustum(r_bottom: float, r_top: float, height: float, center=(0.0, 0.0, 0.0), color=(200, 200, 200), *,
            segments: int = 24, rings: int = 1) -> Mesh:
    """A truncated cone along +Z centred at ``center`` (``r_top=0`` gives a cone)."""
    t = np.linspace(0.0, 1.0, rings + 1)
    return lathe(r_bottom + (r_top - r_bottom) * t, (t - 0.5) * height, segments=segments, color=color,
                 center=center)


def sphere(radius: float, center=(0.0, 0.0, 0.0), color=(200, 200, 200), *, segments: int = 24,
           rings: int = 12, scale=(1.0, 1.0, 1.0)) -> Mesh:
    """A UV sphere (an ellipsoid when ``scale`` is not uniform) centred at ``center``."""
    phi = np.linspace(-np.pi / 2, np.pi / 2, rings + 1)
    m = lathe(radius * np.cos(phi), radius * np.sin(phi), segments=segments, color=color,
              cap_bottom=False, cap_top=False)
    m.vertices *= np.asarray(scale, np.float64)
    return m.transformed(None, center)


def torus(major: float, minor: float, center=(0.0, 0.0, 0.0), color=(200, 200, 200), *,
          segments: int = 32, sides: int = 12) -> Mesh:
    """A torus around +Z: tube of radius ``minor`` on a circle of radius ``major``."""
    t = np.linspace(0.0, 2 * np.pi, sides + 1)
    return lathe(major + minor * np.cos(t), minor * np.sin(t), segments=segments, color=color,
                 cap_bottom=False, cap_top=False, center=center)


def _bevel_coords(half: float, radius: float, max_edge: float | None, steps: int) -> np.ndarray:
    """Grid coordinates along one box axis: dense in the bevel bands, ``max_edge`` apart inside."""
    inner = half - radius
    n_mid = 1 if max_edge is None else max(1, int(np.ceil(2 * inner / max_edge)))
    mid = np.linspace(-inner, inner, n_mid + 1)
    if radius <= 0:
        return mid
    # tan spacing puts the mapped points at equal angles on the rounded edge
    band = inner + radius * np.tan(np.linspace(0.0, np.pi / 4, steps + 1))
    return np.concatenate([-band[::-1], mid[1:-1], band])


def rounded_box(size, radius: float, center=(0.0, 0.0, 0.0), color=(200, 200, 200), *,
                max_edge: float | None = None, steps: int = 3) -> Mesh:
    """A box of full side lengths ``size`` whose edges and corners are rounded with ``radius``
    (clamped to the smallest half side); cushions, mattresses, appliances."""
    half = np.asarray(size, np.float64) / 2
    radius = float(min(radius, half.min() * 0.999))
    coords = [_bevel_coords(h, radius, max_edge, steps) for h in half]
    parts = []
    for k in range(3):
        i, j = (k + 1) % 3, (k + 2) % 3  # (i, j, k) right-handed, so d/di x d/dj = +k
        for sign in (1.0, -1.0):
            a, b = (coords[i], coords[j]) if sign > 0 else (coords[j], coords[i])
            A, B = np.meshgrid(a, b, indexing="ij")
            p = np.zeros(A.shape + (3,))
            if sign > 0:
                p[..., i], p[..., j] = A, B
            else:
                p[..., j], p[..., i] = A, B
            p[..., k] = sign * half[k]
            parts.append(param_grid(p, color))
    m = Mesh.concat(parts)
    inner = half - radius
    q = np.clip(m.vertices, -inner, inner)
    d = m.vertices - q
    n = np.linalg.norm(d, axis=1, keepdims=True)
    m.vertices = q + d / np.maximum(n, 1e-12) * radius
    return m.transformed(None, center)


def rotation_x(angle: float) -> np.ndarray:
    """Rotation about +X by ``angle`` radians."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rotation_y(angle: float) -> np.ndarray:
    """Rotation about +Y by ``angle`` radians."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rotation_z(angle: float) -> np.ndarray:
    """Rotation about +Z by ``angle`` radians."""
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


# ---------------------------------------------------------------------------------------------
# Procedural colour: per-vertex functions of position, so surfaces carry texture once tessellated.
# ---------------------------------------------------------------------------------------------


def value_noise(points: np.ndarray, scale: float, seed: int) -> np.ndarray:
    """Smooth pseudo-random noise in [-1, 1] at ``points`` (N, 3) with features ``scale`` metres
    apart; trilinear interpolation of a hashed lattice, so it is deterministic and seamless."""
    p = np.asarray(points, np.float64) / scale
    i0 = np.floor(p).astype(np.int64)
    f = p - i0
    f = f * f * (3 - 2 * f)  # smoothstep hides the lattice

    def h(ix, iy, iz):
        x = (ix * 73856093) ^ (iy * 19349663) ^ (iz * 83492791) ^ ((seed & 0x7FFFFFFF) * 2654435761)
        x = (x ^ (x >> 13)) * 1274126177
        return ((x ^ (x >> 16)) & 0xFFFF) / 32767.5 - 1.0

    out = np.zeros(len(p))
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                w = ((f[:, 0] if dx else 1 - f[:, 0]) * (f[:, 1] if dy else 1 - f[:, 1])
                     * (f[:, 2] if dz else 1 - f[:, 2]))
                out += w * h(i0[:, 0] + dx, i0[:, 1] + dy, i0[:, 2] + dz)
    return out


def shade(mesh: Mesh, factor: np.ndarray) -> Mesh:
    """``mesh`` with each vertex colour multiplied by ``factor`` (N,) or (N, 3), clipped to uint8."""
    f = np.asarray(factor, np.float64)
    if f.ndim == 1:
        f = f[:, None]
    c = np.clip(mesh.colors.astype(np.float64) * f, 0, 255).astype(np.uint8)
    return Mesh(mesh.vertices, mesh.faces, c)


def fabric(mesh: Mesh, seed: int, amount: float = 0.08) -> Mesh:
    """Soft cloth mottling plus fine weave noise."""
    v = mesh.vertices
    n = 0.7 * value_noise(v, 0.12, seed) + 0.3 * value_noise(v, 0.025, seed + 1)
    return shade(mesh, 1.0 + amount * n)


def wood(mesh: Mesh, seed: int, axis: int = 0, amount: float = 0.12) -> Mesh:
    """Wood grain: stripes running along ``axis`` (0, 1, 2), warped by noise."""
    v = mesh.vertices
    across = [a for a in range(3) if a != axis]
    warp = value_noise(v * np.array([0.3 if a == axis else 1.0 for a in range(3)]), 0.08, seed)
    ring = np.sin((v[:, across[0]] + v[:, across[1]] * 0.7) * 90.0 + warp * 4.0)
    fine = value_noise(v, 0.015, seed + 7)
    return shade(mesh, 1.0 + amount * (0.6 * ring + 0.4 * fine))


def speckle(mesh: Mesh, seed: int, amount: float = 0.04, scale: float = 0.05) -> Mesh:
    """Gentle large-scale unevenness for paint, plastic and stone."""
    return shade(mesh, 1.0 + amount * value_noise(mesh.vertices, scale, seed))


def vertical_gradient(mesh: Mesh, top: float, bottom: float) -> Mesh:
    """Scale colours linearly from ``bottom`` at the lowest vertex to ``top`` at the highest."""
    z = mesh.vertices[:, 2]
    t = (z - z.min()) / max(z.max() - z.min(), 1e-9)
    return shade(mesh, bottom + (top - bottom) * t)
