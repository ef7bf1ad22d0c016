"""Command-line options the chance benchmarks share: the scenes and image size of the envs they evaluate."""

from __future__ import annotations

import argparse


def add_env_args(p: argparse.ArgumentParser) -> None:
    """Add ``--resolution`` and ``--scenes`` (both default to the env's own)."""
    p.add_argument("--resolution", type=int, default=None, help="image side (default: the env's)")
    p.add_argument("--scenes", default=None, help="comma-separated scene specs (default: the embedded set)")


def env_kwargs(args: argparse.Namespace) -> dict:
    """The ``gym.make`` keyword arguments those options ask for."""
    kwargs = {} if args.resolution is None else {"resolution": args.resolution}
    if args.scenes:
        kwargs["scenes"] = args.scenes.split(",")
    return kwargs
