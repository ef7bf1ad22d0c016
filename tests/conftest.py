"""Shared fixtures: a small furnished room built in code, and a session cache for its frame banks."""

from __future__ import annotations

import numpy as np
import pytest

from spatial_env.scene import Scene, SceneBuilder, box


def make_test_room(with_occluder: bool = False) -> Scene:
    """A 5 x 4 x 2.6 m room: shell, a table with two identical chairs, a cabinet, a box on the table.

    ``with_occluder`` adds a tall panel between the table and the room's +x side.
    """
    b = SceneBuilder("test_room", source="test")
    W, D, H = 5.0, 4.0, 2.6
    b.add_object("floor", box((W, D, 0.02), (W / 2, D / 2, -0.01), (150, 120, 90), max_edge=0.5))
    b.add_object("ceiling", box((W, D, 0.02), (W / 2, D / 2, H + 0.01), (235, 235, 235)))
    for i, (size, center) in enumerate([((W, 0.02, H), (W / 2, -0.01, H / 2)), ((W, 0.02, H), (W / 2, D + 0.01, H / 2)),
                                        ((0.02, D, H), (-0.01, D / 2, H / 2)), ((0.02, D, H), (W + 0.01, D / 2, H / 2))]):
        b.add_object("wall", box(size, center, (200 + 10 * i, 195, 185), max_edge=0.5))
    top = box((1.2, 0.8, 0.04), (0, 0, 0.73), (120, 80, 50))
    legs = [box((0.05, 0.05, 0.71), (sx * 0.55, sy * 0.35, 0.355), (90, 60, 40)) for sx in (-1, 1) for sy in (-1, 1)]
    from spatial_env.scene.primitives import Mesh
    table = b.add_object("table", Mesh.concat([top, *legs]), translation=(2.5, 2.0, 0.0), model="table-a")
    chair = Mesh.concat([box((0.45, 0.45, 0.05), (0, 0, 0.45), (60, 90, 160)),
                         box((0.45, 0.05, 0.5), (0, 0.2, 0.72), (60, 90, 160))] +
                        [box((0.04, 0.04, 0.43), (sx * 0.2, sy * 0.2, 0.215), (40, 40, 40))
                         for sx in (-1, 1) for sy in (-1, 1)])
    b.add_object("chair", chair, yaw=0.0, translation=(2.2, 2.75, 0.0), model="chair-a")
    b.add_object("chair", chair, yaw=np.pi, translation=(2.8, 1.25, 0.0), model="chair-a")
    b.add_object("cabinet", box((0.5, 1.0, 1.1), (0, 0, 0.55), (180, 170, 150)), translation=(0.3, 3.0, 0.0),
                 model="cabinet-a")
    cup = b.add_object("box", box((0.2, 0.2, 0.15), (0, 0, 0.075), (200, 40, 40)), translation=(2.4, 2.1, 0.75))
    b.add_relation(cup, "on", table)
    if with_occluder:
        b.add_object("panel", box((0.05, 1.6, 1.8), (0, 0, 0.9), (90, 160, 90)), translation=(3.4, 2.0, 0.0))
    return b.build(bounds=[[0, 0, 0], [W, D, H]], floor_height=0.0)


@pytest.fixture(scope="session")
def test_room() -> Scene:
    """The test room (built once per session)."""
    return make_test_room()


@pytest.fixture(scope="session")
def bank_cache(tmp_path_factory):
    """A cache directory shared by every test of the session, so each bank is built once."""
    return str(tmp_path_factory.mktemp("banks"))
