"""Camera conventions: intrinsics, look_at, projection round trips, habitat axis conversions."""

import math

import numpy as np
import pytest

from spatial_env.camera import Camera, intrinsics, look_at, pose_from_habitat, pose_to_habitat


def test_intrinsics_from_hfov():
    K = intrinsics(90.0, 512, 256)
    # tan(45 deg) = 1, so f = half the width.
    assert K[0, 0] == pytest.approx(256.0) and K[1, 1] == pytest.approx(256.0)
    assert (K[0, 2], K[1, 2]) == (256.0, 128.0)
    with pytest.raises(ValueError, match="hfov"):
        intrinsics(180.0, 10, 10)


def test_look_at_axes_are_opencv():
    pose = look_at((0, 0, 1.5), (2, 0, 1.5))
    x, y, z = pose[:3, 0], pose[:3, 1], pose[:3, 2]
    np.testing.assert_allclose(z, [1, 0, 0], atol=1e-12)   # forward
    np.testing.assert_allclose(y, [0, 0, -1], atol=1e-12)  # image down = world down
    np.testing.assert_allclose(x, [0, -1, 0], atol=1e-12)  # right-handed: x = y cross z
    np.testing.assert_allclose(pose[:3, :3].T @ pose[:3, :3], np.eye(3), atol=1e-12)


def test_look_at_straight_down_is_well_defined():
    pose = look_at((0, 0, 3), (0, 0, 0))
    assert np.isfinite(pose).all()
    np.testing.assert_allclose(pose[:3, 2], [0, 0, -1], atol=1e-12)


def test_project_unproject_round_trip():
    cam = Camera.looking_at((0.3, -1.0, 1.4), (1.0, 2.0, 0.8), hfov_deg=70, width=64, height=48)
    assert cam.hfov_deg == pytest.approx(70.0)
    rng = np.random.default_rng(0)
    v, u = rng.integers(0, 48, 20), rng.integers(0, 64, 20)
    depth = np.zeros((48, 64))
    depth[v, u] = rng.uniform(0.5, 5.0, 20)
    pts = cam.unproject(depth)[v, u]
    uv, z = cam.project(pts)
    np.testing.assert_allclose(uv, np.stack([u + 0.5, v + 0.5], 1), atol=1e-9)
    np.testing.assert_allclose(z, depth[v, u], atol=1e-9)
    assert np.isnan(cam.unproject(np.zeros((48, 64)))).all()


def test_points_behind_camera_do_not_project():
    cam = Camera.looking_at((0, 0, 1), (1, 0, 1), width=32, height=32)
    uv, z = cam.project([[-1.0, 0.0, 1.0]])
    assert z[0] < 0 and np.isnan(uv).all()


def test_rays_pass_through_pixel_centres():
    cam = Camera.looking_at((0, 0, 1), (3, 1, 0), width=8, height=6)
    o, d = cam.rays()
    uv, _ = cam.project(o + 2.0 * d)
    v, u = np.mgrid[0:6, 0:8] + 0.5
    np.testing.assert_allclose(uv, np.stack([u.ravel(), v.ravel()], 1), atol=1e-9)


def test_habitat_conversion():
    pose = look_at((1.0, 2.0, 1.5), (3.0, 2.0, 1.5))
    hab = pose_to_habitat(pose)
    # Habitat world is Y up: our z=1.5 height becomes y=1.5; our +y becomes habitat -z.
    np.testing.assert_allclose(hab[:3, 3], [1.0, 1.5, -2.0])
    # OpenGL cameras look down -Z: forward (world +x here) is minus the third column.
    np.testing.assert_allclose(-hab[:3, 2], [1.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(hab[:3, 1], [0.0, 1.0, 0.0], atol=1e-12)  # camera up = world up
    np.testing.assert_allclose(pose_from_habitat(hab), pose, atol=1e-12)
    assert math.isclose(np.linalg.det(hab[:3, :3]), 1.0)
