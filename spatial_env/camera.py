"""Pinhole cameras in OpenCV axes (x right, y down, z forward) with camera-to-world poses.

World frame: metres, Z up. Habitat-sim uses a Y-up world and OpenGL camera axes (x right, y up,
z backward); the two conversions to and from it live here and nowhere else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# OpenCV camera axes -> OpenGL camera axes (flip y and z).
_CV_TO_GL = np.diag([1.0, -1.0, -1.0])
# Our Z-up world -> habitat's Y-up world: (x, y, z) -> (x, z, -y), i.e. -90 degrees about +X.
_ZUP_TO_YUP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


def intrinsics(hfov_deg: float, width: int, height: int) -> np.ndarray:
    """3x3 pinhole matrix for a horizontal field of view in degrees, square pixels, centred
    principal point (pixel centres at integer + 0.5)."""
    if not 0.0 < hfov_deg < 180.0:
        raise ValueError(f"hfov must be in (0, 180) degrees, got {hfov_deg}")
    if width <= 0 or height <= 0:
        raise ValueError(f"resolution must be positive, got {width}x{height}")
    f = (width / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
    return np.array([[f, 0.0, width / 2.0], [0.0, f, height / 2.0], [0.0, 0.0, 1.0]])


def look_at(eye, target, up=(0.0, 0.0, 1.0)) -> np.ndarray:
    """4x4 OpenCV camera-to-world pose at ``eye`` looking at ``target`` with world ``up`` above."""
    eye, target, up = (np.asarray(a, dtype=np.float64) for a in (eye, target, up))
    z = target - eye
    if np.linalg.norm(z) < 1e-9:
        raise ValueError("look_at: eye and target coincide")
    z /= np.linalg.norm(z)
    x = np.cross(z, up)
    if np.linalg.norm(x) < 1e-9:  # looking straight along up: any right vector will do
        x = np.cross(z, np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0]))
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = x, y, z, eye
    return pose


@dataclass(frozen=True, eq=False)
class Camera:
    """A pinhole camera: intrinsics ``K`` (3x3), OpenCV camera-to-world ``pose`` (4x4), image size."""

    K: np.ndarray
    pose: np.ndarray
    width: int
    height: int

    @classmethod
    def from_hfov(cls, hfov_deg: float, width: int, height: int, pose: np.ndarray) -> "Camera":
        """Camera with intrinsics from a horizontal field of view."""
        return cls(intrinsics(hfov_deg, width, height), np.asarray(pose, dtype=np.float64), int(width), int(height))

    @classmethod
    def looking_at(cls, eye, target, *, hfov_deg: float = 90.0, width: int = 512, height: int = 512) -> "Camera":
        """Camera at ``eye`` aimed at ``target`` (Z up)."""
        return cls.from_hfov(hfov_deg, width, height, look_at(eye, target))

    @property
    def position(self) -> np.ndarray:
        """Camera centre in world coordinates."""
        return self.pose[:3, 3].copy()

    @property
    def hfov_deg(self) -> float:
        """Horizontal field of view in degrees."""
        return math.degrees(2.0 * math.atan(self.width / 2.0 / self.K[0, 0]))

    def world_to_camera(self) -> np.ndarray:
        """4x4 world-to-camera (extrinsic) matrix."""
        R, t = self.pose[:3, :3], self.pose[:3, 3]
        out = np.eye(4)
        out[:3, :3], out[:3, 3] = R.T, -R.T @ t
        return out

    def to_camera(self, points) -> np.ndarray:
        """World points (N, 3) in camera coordinates (N, 3)."""
        p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
        return (p - self.pose[:3, 3]) @ self.pose[:3, :3]

    def project(self, points) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates (N, 2) (continuous, pixel centres at +0.5) and z-depth (N,) of world
        points; points behind the camera get NaN pixels."""
        pc = self.to_camera(points)
        z = pc[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = (pc @ self.K.T)[:, :2] / z[:, None]
        uv[z <= 0] = np.nan
        return uv, z

    def unproject(self, depth: np.ndarray) -> np.ndarray:
        """World points (H, W, 3) of a z-depth map at pixel centres; NaN where depth is 0."""
        depth = np.asarray(depth, dtype=np.float64)
        if depth.shape != (self.height, self.width):
            raise ValueError(f"depth shape {depth.shape} does not match camera {self.height}x{self.width}")
        v, u = np.mgrid[0:self.height, 0:self.width] + 0.5
        x = (u - self.K[0, 2]) / self.K[0, 0] * depth
        y = (v - self.K[1, 2]) / self.K[1, 1] * depth
        pc = np.stack([x, y, depth], -1)
        pw = pc @ self.pose[:3, :3].T + self.pose[:3, 3]
        pw[depth <= 0] = np.nan
        return pw

    def rays(self) -> tuple[np.ndarray, np.ndarray]:
        """Ray origins and unit directions (H*W, 3) through pixel centres, row-major."""
        v, u = np.mgrid[0:self.height, 0:self.width] + 0.5
        d = np.stack([(u - self.K[0, 2]) / self.K[0, 0], (v - self.K[1, 2]) / self.K[1, 1], np.ones_like(u)], -1)
        d = d.reshape(-1, 3) @ self.pose[:3, :3].T
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        return np.broadcast_to(self.pose[:3, 3], d.shape).copy(), d


def pose_to_habitat(pose: np.ndarray) -> np.ndarray:
    """OpenCV camera-to-world pose in our Z-up world -> habitat-sim camera-to-world (OpenGL camera
    axes, Y-up world)."""
    out = np.eye(4)
    out[:3, :3] = _ZUP_TO_YUP @ np.asarray(pose)[:3, :3] @ _CV_TO_GL
    out[:3, 3] = _ZUP_TO_YUP @ np.asarray(pose)[:3, 3]
    return out


def pose_from_habitat(pose: np.ndarray) -> np.ndarray:
    """Inverse of :func:`pose_to_habitat`."""
    out = np.eye(4)
    out[:3, :3] = _ZUP_TO_YUP.T @ np.asarray(pose)[:3, :3] @ _CV_TO_GL
    out[:3, 3] = _ZUP_TO_YUP.T @ np.asarray(pose)[:3, 3]
    return out
