"""Write a task family's dataset to disk: images plus one JSONL per task, like the seeds' releases."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Sequence

from .tasks.rep2d import bbox_target, camera_position, exposure_target, normalise_box, position_text
from .views import SamplerConfig, ViewBank, load_bank


def _rep2d_records(bank: ViewBank, image_path) -> dict[str, list[dict]]:
    """Per task, one record per (object, query view) with every other visible view as context."""
    res = bank.resolution
    out = {"rep2d_bbox": [], "rep2d_exposure": [], "rep2d_camera_pose": []}
    for oid in sorted(bank.objects):
        visible = bank.visible_views(oid)
        for q in bank.by_object[oid]:
            context = [i for i in visible if i != q]
            qv = bank.views[q]
            base = {"scene_id": bank.scene_id, "object_id": oid, "category": bank.objects[oid]["category"],
                    "query_view": q, "query_visible": qv.visible, "context_views": context,
                    "images": [image_path(i) for i in context + [q]]}
            boxes = [normalise_box(bank.views[i].annotation.loose_box, res, res) for i in context]
            target, answer = bbox_target(qv, res)
            out["rep2d_bbox"].append({**base, "context_boxes": boxes, "target": target, "answer": answer})
            target, answer = exposure_target(qv)
            out["rep2d_exposure"].append({**base, "context_boxes": boxes,
                                          "context_visibility": [exposure_target(bank.views[i])[0]["visibility"]
                                                                 for i in context],
                                          "target": target, "answer": answer})
            pos = camera_position(qv)
            out["rep2d_camera_pose"].append({**base, "context_positions": [camera_position(bank.views[i])
                                                                          for i in context],
                                             "target": {"position": pos}, "answer": position_text(pos)})
    return out


def export_rep2d(out: str | os.PathLike, scenes: Sequence | None = None, *, resolution: int = 512,
                 cache_dir: str | None = None, sampler: dict | None = None) -> str:
    """Export Rep2D-BEAT (images/<scene>/<view>.png + rep2d_*.jsonl) and return its Table 1 statistics."""
    from .scene import default_scenes

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = SamplerConfig.from_dict({**(sampler or {}), "resolution": resolution})
    files = {t: open(out / f"{t}.jsonl", "w") for t in ("rep2d_bbox", "rep2d_exposure", "rep2d_camera_pose")}
    n_scenes = n_objects = n_images = 0
    try:
        for spec in scenes or default_scenes():
            bank = load_bank(spec, config, cache_dir=cache_dir)
            img_dir = out / "images" / bank.scene_id
            img_dir.mkdir(parents=True, exist_ok=True)
            for v in bank.views:  # the bank's PNGs as they are: no decode, no re-encode
                shutil.copyfile(bank.path / "rgb" / f"{v.index:05d}.png", img_dir / f"{v.index:05d}.png")
            records = _rep2d_records(bank, lambda i, s=bank.scene_id: f"images/{s}/{i:05d}.png")
            for task, rows in records.items():
                for row in rows:
                    files[task].write(json.dumps(row) + "\n")
            n_scenes += 1
            n_objects += len(bank.objects)
            n_images += len(bank.views)
    finally:
        for f in files.values():
            f.close()
    per_obj = f"{config.views_visible}+{config.views_invisible}"
    return ("| Dataset | Scenes | Objects | #Img/Obj | #Images |\n|---|---|---|---|---|\n"
            f"| spatial-env Rep2D ({out}) | {n_scenes} | {n_objects} | {per_obj} | {n_images} |\n"
            "| Rep2D-BEAT (paper, Table 1) | 16 | 604 | 10+2 | 7248 |")
