"""Where a person can stand in a scene, and overview cameras placed there (any Scene, real or generated)."""

from __future__ import annotations

import numpy as np

from .model import Scene


def walkable_mask(
    scene: Scene, cell: float = 0.05, radius: float = 0.25, head: float = 1.8
) -> tuple[np.ndarray, np.ndarray]:
    """Where a person of ``radius`` can stand and walk to from the door: a boolean grid over the floor
    (index [i, j] is the cell centred at ``origin + (i + 0.5, j + 0.5) * cell``) and its origin (x, y).

    Obstacles are non-structural objects reaching below ``head`` and more than 3 cm above the floor
    (rugs do not block); the grid keeps ``radius`` from walls and furniture footprints."""
    lo, hi = scene.bounds[0, :2], scene.bounds[1, :2]
    n = np.maximum(1, np.round((hi - lo) / cell).astype(int))
    cx = lo[0] + (np.arange(n[0]) + 0.5) * cell
    cy = lo[1] + (np.arange(n[1]) + 0.5) * cell
    X, Y = np.meshgrid(cx, cy, indexing="ij")
    free = (X > lo[0] + radius) & (X < hi[0] - radius) & (Y > lo[1] + radius) & (Y < hi[1] - radius)
    for o in scene.objects.values():
        if o.is_structural:
            continue
        a = o.aabb()
        if a[0, 2] > scene.floor_height + head or a[1, 2] < scene.floor_height + 0.03:
            continue
        # distance from the cell centre to the footprint rectangle
        dx = np.maximum(np.maximum(a[0, 0] - X, X - a[1, 0]), 0)
        dy = np.maximum(np.maximum(a[0, 1] - Y, Y - a[1, 1]), 0)
        free &= dx * dx + dy * dy > radius * radius
    seeds = np.zeros_like(free)
    for o in scene.objects.values():
        if o.category == "door":  # start from the floor just inside each door
            c = o.center[:2] - o.rotation[:2, 1] * 0.6
            i, j = ((c - lo) / cell).astype(int)
            seeds[max(i - 4, 0) : i + 5, max(j - 4, 0) : j + 5] = True
    seeds &= free
    if not seeds.any():
        return free, lo.copy()
    reach = seeds.copy()
    while True:  # 4-connected flood fill, vectorised
        grown = reach.copy()
        grown[1:] |= reach[:-1]
        grown[:-1] |= reach[1:]
        grown[:, 1:] |= reach[:, :-1]
        grown[:, :-1] |= reach[:, 1:]
        grown &= free
        if (grown == reach).all():
            return reach, lo.copy()
        reach = grown


def overview_cameras(scene: Scene, n: int = 4, size: int = 256, hfov_deg: float = 80.0, height: float = 1.6) -> list:
    """``n`` cameras standing in walkable space a step out of the room's corners, each turned to
    frame as many objects as it can (the contact-sheet views)."""
    from ..camera import Camera

    for radius in (0.35, 0.25, 0.15):
        mask, origin = walkable_mask(scene, radius=radius)
        if mask.sum() > 400:  # 1 m2: enough floor to pick four distinct spots
            break
    ii, jj = np.nonzero(mask)
    pts = origin + (np.stack([ii, jj], 1) + 0.5) * 0.05
    lo, hi = scene.bounds[0], scene.bounds[1]
    corners = [(lo[0], lo[1]), (hi[0], lo[1]), (hi[0], hi[1]), (lo[0], hi[1])]
    centre = (lo[:2] + hi[:2]) / 2
    objs = [scene.objects[i] for i in scene.object_ids()]
    centres = np.array([o.center[:2] for o in objs]).reshape(-1, 2)
    boxes = np.array([o.aabb() for o in objs]).reshape(-1, 2, 3)
    tall = (boxes[:, 1, 2] > 0.6) & (boxes[:, 0, 2] < 1.5)  # furniture that would fill the frame up close
    half = np.radians(hfov_deg) / 2 * 0.85
    cams = []
    for k in range(n):
        c = np.asarray(corners[k % 4], float)
        # stand a step out of the corner so the near walls do not fill the frame edge-on
        c = c + 0.7 * np.sign(centre - c)
        near = np.argsort(np.linalg.norm(pts - c, axis=1))[:80:4] if len(pts) else []
        cands = [pts[i] for i in near] or [c + 0.4 * (centre - c)]
        best, choice = -np.inf, (cands[0], 0.0)
        for pos in cands:
            diag = np.arctan2(*(centre - pos)[::-1])
            rel = centres - pos
            dist = np.linalg.norm(rel, axis=1)
            ang = np.arctan2(rel[:, 1], rel[:, 0])
            nearest = np.clip(pos, boxes[:, 0, :2], boxes[:, 1, :2]) - pos  # closest point of each footprint
            close = tall & (np.linalg.norm(nearest, axis=1) < 1.0)
            close_ang = np.arctan2(nearest[:, 1], nearest[:, 0])
            for yaw in diag + np.radians(np.linspace(-40, 40, 9)):
                inside = np.abs((ang - yaw + np.pi) % (2 * np.pi) - np.pi) < half
                looming = close & (np.abs((close_ang - yaw + np.pi) % (2 * np.pi) - np.pi) < half)
                # many objects in view, none looming right in front of the lens
                score = (np.sum(inside & (dist > 1.0)) - 3 * np.sum(looming)
                         - 0.3 * np.linalg.norm(pos - c) - 0.01 * abs(yaw - diag))
                if score > best:
                    best, choice = score, (pos, yaw)
        pos, yaw = choice
        target = pos + 3.0 * np.array([np.cos(yaw), np.sin(yaw)])
        eye = np.array([pos[0], pos[1], scene.floor_height + height])
        cams.append(
            Camera.looking_at(
                eye, (target[0], target[1], scene.floor_height + 0.55), hfov_deg=hfov_deg, width=size, height=size
            )
        )
    return cams
