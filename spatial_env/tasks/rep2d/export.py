"""Rep2D-BEAT's whole dataset on disk: images plus one JSONL per task, like the paper's release."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Sequence

from ...frames import FrameBank, load_bank
from . import prompts as P
from .generate import bbox_target, camera_position, exposure_target, frames
from .options import Rep2DOptions

TASKS = ("rep2d_bbox", "rep2d_exposure", "rep2d_camera_pose")


def records(bank: FrameBank, image_path) -> dict[str, list[dict]]:
    """Per task, one record per (object, query view) with every other visible view as context."""
    res = bank.resolution
    out: dict[str, list[dict]] = {t: [] for t in TASKS}
    for oid in sorted(bank.by_target):
        visible = bank.targeted(oid, "visible")
        for q in bank.targeted(oid):
            context = [i for i in visible if i != q]
            qf = bank.frames[q]
            base = {"scene_id": bank.scene_id, "object_id": oid, "category": bank.objects[oid]["category"],
                    "query_view": q, "query_visible": qf.role == "visible", "context_views": context,
                    "images": [image_path(i) for i in context + [q]]}
            boxes = [P.normalise_box(bank.frames[i].objects[oid].loose_box, res, res) for i in context]
            target, answer = bbox_target(qf, oid, res)
            out["rep2d_bbox"].append({**base, "context_boxes": boxes, "target": target, "answer": answer})
            target, answer = exposure_target(qf, oid)
            out["rep2d_exposure"].append({**base, "context_boxes": boxes,
                                          "context_visibility": [exposure_target(bank.frames[i], oid)[0]["visibility"]
                                                                 for i in context],
                                          "target": target, "answer": answer})
            pos = camera_position(qf)
            out["rep2d_camera_pose"].append({**base, "context_positions": [camera_position(bank.frames[i])
                                                                          for i in context],
                                             "target": {"position": pos}, "answer": P.position_text(pos)})
    return out


def export(out: str | os.PathLike, scenes: Sequence | None = None, *, resolution: int = 512,
           cache_dir: str | None = None, sampler: dict | None = None, progress: bool = False) -> str:
    """Export Rep2D-BEAT (images/<scene>/<view>.png + rep2d_*.jsonl) and return its Table 1 statistics."""
    from ...scene import default_scenes

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    spec = frames(Rep2DOptions(resolution=resolution, sampler=sampler, num_views=1))
    files = {t: open(out / f"{t}.jsonl", "w") for t in TASKS}
    n_scenes = n_objects = n_images = 0
    try:
        for scene in scenes or default_scenes():
            bank = load_bank(scene, spec, cache_dir=cache_dir, progress=progress)
            img_dir = out / "images" / bank.scene_id
            img_dir.mkdir(parents=True, exist_ok=True)
            for f in bank.frames:  # the bank's PNGs as they are: no decode, no re-encode
                shutil.copyfile(bank.image_path(f.index), img_dir / f"{f.index:05d}.png")
            for task, rows in records(bank, lambda i, s=bank.scene_id: f"images/{s}/{i:05d}.png").items():
                for row in rows:
                    files[task].write(json.dumps(row) + "\n")
            n_scenes += 1
            n_objects += len(bank.by_target)
            n_images += len(bank.frames)
    finally:
        for f in files.values():
            f.close()
    config = bank.index["config"] if n_scenes else {"views_visible": "?", "views_invisible": "?"}
    per_obj = f"{config['views_visible']}+{config['views_invisible']}"
    return ("| Dataset | Scenes | Objects | #Img/Obj | #Images |\n|---|---|---|---|---|\n"
            f"| spatial-env Rep2D ({out}) | {n_scenes} | {n_objects} | {per_obj} | {n_images} |\n"
            "| Rep2D-BEAT (paper, Table 1) | 16 | 604 | 10+2 | 7248 |")
