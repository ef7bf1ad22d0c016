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
