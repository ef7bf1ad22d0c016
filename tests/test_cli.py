"""The ``spatial-env`` command: demo, show, scenes, show-episode, export."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np

from spatial_env.cli import main

SMALL = {"scenes": ["procedural:bathroom-1"], "resolution": 48,
         "sampler": {"views_visible": 3, "views_invisible": 1, "max_objects": 4}}


def test_demo_writes_rgb_depth_and_id_pngs(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--views", "2", "--resolution", "64"]) == 0
    assert str(tmp_path) in capsys.readouterr().out
    rgb, ids = iio.imread(tmp_path / "view0_rgb.png"), iio.imread(tmp_path / "view0_ids.png")
    assert rgb.shape == (64, 64, 3) and len(np.unique(rgb.reshape(-1, 3), axis=0)) > 100
    assert len(np.unique(ids.reshape(-1, 3), axis=0)) >= 5  # several objects in view
    assert len(list(tmp_path.glob("*.png"))) == 6


def test_show_any_scene_and_bad_paths(tmp_path, capsys):
    out = tmp_path / "sheet.png"
    assert main(["show", "procedural:office-0", "--out", str(out), "--views", "2", "--resolution", "32"]) == 0
    assert iio.imread(out).shape[1] > 3 * 32
    assert main(["show", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_scenes_lists_the_default_set(capsys):
    assert main(["scenes"]) == 0
    names = capsys.readouterr().out.split()
    assert len(names) >= 12 and all(n.startswith("procedural:") for n in names)


def test_show_episode_and_export(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPATIAL_ENV_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "episode.png"
    assert main(["show-episode", "Rep2D-Bbox-v0", "--num-views", "3", "--out", str(out),
                 "--kwargs", json.dumps(SMALL)]) == 0
    printed = capsys.readouterr().out
    assert "Image 3: ?" in printed and "answer: {'x_min'" in printed
    assert iio.imread(out).shape[1] > 3 * 48

    from spatial_env.export import export_rep2d
    table = export_rep2d(tmp_path / "data", SMALL["scenes"], resolution=48, sampler=SMALL["sampler"],
                         cache_dir=str(tmp_path / "cache"))
    rows = [json.loads(line) for line in (tmp_path / "data" / "rep2d_bbox.jsonl").read_text().splitlines()]
    assert rows and "| 3+1 |" in table
    for row in rows:
        assert all((tmp_path / "data" / p).exists() for p in row["images"])
        assert len(row["images"]) == len(row["context_boxes"]) + 1
        assert (row["target"]["box"] is None) == (not row["query_visible"])
