"""Environment registration: every ``*.yaml`` spec here registers its ids with Gymnasium on import."""

from __future__ import annotations

from importlib import resources

import gymnasium as gym
import yaml

ENTRY_POINT = "spatial_env.env:SpatialEnv"


def load_specs() -> dict[str, dict]:
    """Env id -> constructor kwargs, from the YAML specs shipped in this package."""
    specs: dict[str, dict] = {}
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        doc = yaml.safe_load(entry.read_text()) or {}
        defaults = doc.get("defaults", {})
        for env_id, spec in (doc.get("envs") or {}).items():
            if "task" not in (spec or {}):
                raise ValueError(f"{entry.name}: env {env_id!r} has no 'task' field")
            specs[env_id] = {**defaults, **spec}
    return specs


def register_all() -> list[str]:
    """Register every spec'd env id (idempotent); returns the ids."""
    specs = load_specs()
    for env_id, kwargs in specs.items():
        if env_id not in gym.registry:
            gym.register(env_id, entry_point=ENTRY_POINT, kwargs=kwargs)
    return sorted(specs)


ENV_IDS = register_all()
