"""Moving an object in the simulator, plausibly: which objects may move, and a rigid transform that
slides (and turns) one over its support without entering another object's box or leaving the room.

MultiSPA takes object motion from tracked points in 4D captures (§3.2.2); we have the scene, so we move
the object itself and read the truth from the transform. Rules (our choices):

* movable: a non-structural object that rests on the floor (its box bottom within ``REST`` of the
  floor height) or on exactly one other object (a recorded ``on`` relation, or its bottom within
  ``REST`` of that object's top over it), carries nothing, and hangs from nothing;
* the move: a translation over the support (the floor, or the support's top face, which the moved
  footprint must stay within) by a distance drawn in one displacement bin (§3.2.2 balances bins),
  with a turn about the vertical through the box centre;
* plausible: the moved box stays ``WALL_GAP`` inside the room bounds (rooms are boxes, as
  :mod:`spatial_env.scene.walkable` also assumes) and intersects no other non-structural object's box (its
  support and flat things beneath it, such as a rug, excepted). Structural objects are left to the bounds
  test: their boxes can span the room (one skirting object runs along every wall).
"""

from __future__ import annotations

import math

import numpy as np

from ...scene.model import Scene, SceneObject

#: Metres between a box bottom and the surface it rests on.
REST = 0.03
#: Metres the moved box keeps from the room bounds (skirting boards stand a few centimetres into the room).
WALL_GAP = 0.03
#: Metres boxes may interpenetrate (touching is not intersecting).
TOUCH = 0.005


def _xy_overlap(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(a[0, 0] < b[1, 0] and b[0, 0] < a[1, 0] and a[0, 1] < b[1, 1] and b[0, 1] < a[1, 1])


def _rests_on(a: SceneObject, b: SceneObject) -> bool:
    """Whether ``a``'s box bottom lies on ``b``'s box top, over it."""
    ba, bb = a.aabb(), b.aabb()
    return abs(ba[0, 2] - bb[1, 2]) <= REST and _xy_overlap(ba, bb)


def movable_objects(scene: Scene) -> dict[int, int | None]:
    """Object id -> its support (None for the floor) for every object that may be moved (module doc)."""
    objects = {i: o for i, o in scene.objects.items() if not o.is_structural}
    hanging = {a for a, rel, _ in scene.relations if rel.startswith("hanging")}
    on = {a: b for a, rel, b in scene.relations if rel == "on" and b in scene.objects}
    carriers = set(on.values()) | {b for a in objects for b in objects if a != b and _rests_on(objects[a], objects[b])}
    out: dict[int, int | None] = {}
    for i, o in sorted(objects.items()):
        if i in hanging or i in carriers:
            continue
        if i in on:
            out[i] = on[i]
        elif abs(o.aabb()[0, 2] - scene.floor_height) <= REST:
            out[i] = None
        else:
            under = [b for b in objects if b != i and _rests_on(o, objects[b])]
            if len(under) == 1:
                out[i] = under[0]
    return out


def obb_intersect(c1, R1, e1, c2, R2, e2, slack: float = TOUCH) -> bool:
    """Whether two oriented boxes (centre, box-to-world rotation, full extents) overlap by more than
    ``slack``: the separating-axis test over the 15 axes of two boxes."""
    a = np.maximum(np.asarray(e1, float) / 2 - slack, 0.0)
    b = np.maximum(np.asarray(e2, float) / 2 - slack, 0.0)
    R = np.asarray(R1, float).T @ np.asarray(R2, float)
    t = np.asarray(R1, float).T @ (np.asarray(c2, float) - np.asarray(c1, float))
    A = np.abs(R) + 1e-9  # parallel edges make cross axes degenerate: the epsilon keeps them harmless
    for i in range(3):
        if abs(t[i]) > a[i] + b @ A[i]:
            return False
    for j in range(3):
        if abs(t @ R[:, j]) > a @ A[:, j] + b[j]:
            return False
    for i in range(3):
        i1, i2 = (i + 1) % 3, (i + 2) % 3
        for j in range(3):
            j1, j2 = (j + 1) % 3, (j + 2) % 3
            ra = a[i1] * A[i2, j] + a[i2] * A[i1, j]
            rb = b[j1] * A[i, j2] + b[j2] * A[i, j1]
            if abs(t[i2] * R[i1, j] - t[i1] * R[i2, j]) > ra + rb:
                return False
    return True


def rigid(yaw: float, center: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """4x4 world transform: turn ``yaw`` radians about the vertical through ``center``, then move by ``shift``."""
    c, s = math.cos(yaw), math.sin(yaw)
    Rz = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    T = np.eye(4)
    T[:3, :3] = Rz
    T[:3, 3] = np.asarray(center, float) + np.asarray(shift, float) - Rz @ np.asarray(center, float)
    return T


def placement_ok(scene: Scene, object_id: int, support: int | None, T: np.ndarray) -> bool:
    """Whether the object moved by ``T`` is plausible (module doc): inside the room, on its support's top,
    clear of every other (non-structural) object's box."""
    o = scene.objects[object_id]
    center = T[:3, :3] @ o.center + T[:3, 3]
    rotation = T[:3, :3] @ o.rotation
    moved = SceneObject(o.id, o.category, center, o.extents, rotation, o.face_indices)
    corners = moved.corners()
    lo, hi = scene.bounds[0], scene.bounds[1]
    if (corners[:, :2] < lo[:2] + WALL_GAP).any() or (corners[:, :2] > hi[:2] - WALL_GAP).any():
        return False
    if support is not None:
        s = scene.objects[support]
        local = (corners - s.center) @ s.rotation  # in the support's box frame
        up = int(np.argmax(np.abs(s.rotation[2, :])))
        flat = [k for k in range(3) if k != up]
        if (np.abs(local[:, flat]) > s.extents[flat] / 2 + 1e-3).any():
            return False
    bottom = corners[:, 2].min()
    for oid, other in scene.objects.items():
        if oid in (object_id, support) or other.is_structural:
            continue
        if other.aabb()[1, 2] <= bottom + REST:  # flat things beneath it (a rug) do not block a slide
            continue
        if obb_intersect(center, rotation, o.extents, other.center, other.rotation, other.extents):
            return False
    return True


def sample_move(scene: Scene, object_id: int, support: int | None, distance: tuple[float, float],
                max_yaw_deg: float, rng: np.random.Generator, tries: int = 24) -> np.ndarray | None:
    """A plausible move of the object by a distance in ``[distance[0], distance[1])`` in a uniform direction,
    turning uniformly within +-``max_yaw_deg``; None when ``tries`` draws found none."""
    center = scene.objects[object_id].center
    for _ in range(tries):
        d = rng.uniform(*distance)
        theta = rng.uniform(0.0, 2.0 * math.pi)
        yaw = math.radians(rng.uniform(-max_yaw_deg, max_yaw_deg))
        T = rigid(yaw, center, np.array([d * math.cos(theta), d * math.sin(theta), 0.0]))
        if placement_ok(scene, object_id, support, T):
            return T
    return None
