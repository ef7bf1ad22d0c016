"""Option dataclasses (task options, frame sampler configs) from plain dicts, checked against their annotations.

``gym.make`` keywords, YAML frame specs and dataset rows all arrive as plain dicts; one checker names an
unknown key with the valid ones, and a value of the wrong type with the type its field wants.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal

import numpy as np


def type_ok(value: Any, tp: Any) -> bool:
    """Whether ``value`` fits the annotation ``tp`` (the shapes options use; bools are not numbers)."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return True
    if origin is Literal:
        return value in typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return any(type_ok(value, t) for t in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if tp is bool:
        return isinstance(value, (bool, np.bool_))
    if tp is int:
        return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if tp is float:
        return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, (tuple, list)):
            return False
        if len(args) == 2 and args[1] is Ellipsis:  # tuple[float, ...]
            return all(type_ok(v, args[0]) for v in value)
        return len(value) == len(args) and all(type_ok(v, t) for v, t in zip(value, args))
    if origin is dict or tp is dict:
        return isinstance(value, dict)
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True


def type_name(tp: Any) -> str:
    """An annotation as the error messages name it (``int | None``, ``'robust' | 'official'``)."""
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in typing.get_args(tp))
    if origin is tuple:
        args = typing.get_args(tp)
        inner = f"{type_name(args[0])}, ..." if len(args) == 2 and args[1] is Ellipsis else \
            ", ".join(type_name(a) for a in args)
        return f"tuple[{inner}]"
    return "None" if tp is type(None) else getattr(tp, "__name__", str(tp))


def _coerced(value: Any, tp: Any) -> Any:
    """``value`` (already checked against ``tp``) as the field stores it: a number for a float field, a tuple
    for a tuple field (YAML and JSON give lists), a Python int for an int field."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return next((_coerced(value, t) for t in typing.get_args(tp) if type_ok(value, t)), value)
    if tp is float:
        return float(value)
    if tp is int:
        return int(value)
    if origin is tuple:
        args = typing.get_args(tp)
        each = [args[0]] * len(value) if len(args) == 2 and args[1] is Ellipsis else args
        return tuple(_coerced(v, t) for v, t in zip(value, each))
    return value


def dataclass_from_dict(cls: type, values: dict[str, Any] | None, *, where: str, coerce: bool = False) -> Any:
    """``cls(**values)``, after checking every key is a field and every value fits its annotation; ``coerce``
    also stores numbers of float fields as floats and sequences of tuple fields as tuples. Errors start with
    ``where`` (what is being configured) and name the key, the value and the valid options."""
    values = dict(values or {})
    hints = typing.get_type_hints(cls)
    fields = {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        valid = ", ".join(f"{k}: {type_name(t)}" for k, t in fields.items())
        raise ValueError(f"{where}: unknown option(s) {unknown}; valid options are {valid}")
    for key, value in values.items():
        if not type_ok(value, fields[key]):
            raise ValueError(f"{where}: option {key}={value!r} must be {type_name(fields[key])}")
        if coerce:
            values[key] = _coerced(value, fields[key])
    return cls(**values)
