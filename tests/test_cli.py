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

    from spatial_env.tasks import get_family
    table = get_family("rep2d").export(tmp_path / "data", SMALL["scenes"], resolution=48, sampler=SMALL["sampler"],
                                       cache_dir=str(tmp_path / "cache"))
    rows = [json.loads(line) for line in (tmp_path / "data" / "rep2d_bbox.jsonl").read_text().splitlines()]
    assert rows and "| 3+1 |" in table
    for row in rows:
        assert all((tmp_path / "data" / p).exists() for p in row["images"])
        assert len(row["images"]) == len(row["context_boxes"]) + 1
        assert (row["target"]["box"] is None) == (not row["query_visible"])


def test_export_any_env_writes_questions_and_refuses_a_full_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPATIAL_ENV_CACHE", str(tmp_path / "cache"))
    args = ["export", "Rep2D-Exposure-v0", "--out", str(tmp_path / "q"), "--episodes", "3", "--drawn",
            "--kwargs", json.dumps({**SMALL, "num_views": 3})]
    assert main(args) == 0
    rows = [json.loads(line) for line in (tmp_path / "q" / "questions.jsonl").read_text().splitlines()]
    assert [r["episode"] for r in rows] == [0, 1, 2]
    for row in rows:
        assert row["question_type"] == "Rep2D-E" and row["task"] == "rep2d_exposure"
        assert len(row["images"]) == 3 and all((tmp_path / "q" / p).is_file() for p in row["images"])
        assert (tmp_path / "q" / row["drawn"]).is_file() and "visibility" in row["target"]
        assert row["geometry"]["object_id"] >= 0 and row["prompt"].endswith("Image 3: ?")
    assert main(args) == 2 and "not empty" in capsys.readouterr().err
    assert main(args + ["--overwrite"]) == 0


def test_list_names_envs_families_and_agents(capsys):
    assert main(["list", "envs"]) == 0
    out = capsys.readouterr().out
    assert "Rep2D-Bbox-v0" in out and "iou" in out and "rep2d" in out
    assert main(["list", "families"]) == 0 and "Rep2D-BEAT" in capsys.readouterr().out
    assert main(["list", "agents"]) == 0 and "random" in capsys.readouterr().out.split()
