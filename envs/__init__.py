"""Gymnasium registration: every task family under ``spatial_env/tasks/`` (and every plug-in of the
``spatial_env.families`` entry point group) registers its env ids when this package is imported."""

from __future__ import annotations

from spatial_env.tasks import ENTRY_POINT, discover

ENV_IDS: list[str] = discover()

__all__ = ["ENTRY_POINT", "ENV_IDS"]
