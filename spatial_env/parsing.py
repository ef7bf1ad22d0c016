"""Turn model text into values for :mod:`spatial_env.metrics`.

Every ``parse_*`` function has the shape ``parse_x(text, *, mode="robust", ...)`` and returns
either a value or a :class:`ParseFailure` (with a ``.reason``). None of them raises on any
input text, however long or strange; a non-``str`` input is a ``ParseFailure`` too. Invalid
*arguments* (an unknown ``mode`` or ``benchmark``) do raise ``ValueError``: those are bugs
in the calling task, not model behaviour.

Two modes
---------
``official``
    Extract exactly what the benchmark's own evaluation code extracts, so scores are
    comparable with published tables, quirks included. Where a benchmark's code is public
    we mirror it (VSI-Bench: lmms-eval ``vsibench/utils.py``; SPAR-Bench: fudan-zvg/spar
    ``sparbench/utils.py``). Rep2D-BEAT and MultiSPA have not released evaluation code, so
    their ``official`` mode is the strict reading of the answer format their prompts
    demand (Rep2D: the JSON ``{'x_min': .., ...}`` / a bare float / a bare ``(x, y, z)``;
    MultiSPA: the first backtick span, as in its answer templates). ``benchmark=`` picks
    which benchmark's extraction to use.
``robust`` (default, for rewards)
    First :func:`clean_response`: drop ``<think>…</think>`` (and everything after an
    unclosed ``<think>``), keep the last ``<answer>…</answer>``, unwrap code fences, keep
    what follows the last "Answer:" / "the answer is", keep the last ``\\boxed{…}``, drop
    markdown bold. Then search the rest leniently (any quote style, any order of keys,
    units, number words, ``<box>`` tags …), preferring the final answer: the first match
    after an explicit answer marker, otherwise the last match in the text.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from spatial_env.metrics import EMPTY_BOX, box_from_norm1000

__all__ = [
    "ParseFailure",
    "is_failure",
    "clean_response",
    "parse_box",
    "parse_scalar",
    "parse_fraction",
    "parse_vector",
    "parse_vector3",
    "parse_point",
    "parse_choice",
    "parse_backtick",
    "parse_view_change",
]

MODES = ("robust", "official")


@dataclass(frozen=True)
class ParseFailure:
    """Returned (never raised) when text holds no parsable answer; ``reason`` says why."""

    reason: str


def is_failure(value: Any) -> bool:
    """True if ``value`` is a :class:`ParseFailure`."""
    return isinstance(value, ParseFailure)


class _ArgumentError(ValueError):
    """A bad argument from the caller; the only exception a parser lets through."""


def _check(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise _ArgumentError(f"{name} must be one of {allowed}, got {value!r}")


def _never_raises(func: Callable[..., Any]) -> Callable[..., Any]:
    """Guarantee the parser contract: non-str → ParseFailure, any internal error → ParseFailure."""

    @functools.wraps(func)
    def wrapper(text: Any, **kwargs: Any) -> Any:
        _check("mode", kwargs.get("mode", "robust"), MODES)
        if not isinstance(text, str):
            return ParseFailure(f"expected str, got {type(text).__name__}")
        try:
            return func(text, **kwargs)
        except _ArgumentError:
            raise
        except Exception as exc:  # a parser bug must cost one answer, never the whole run
            return ParseFailure(f"internal error: {type(exc).__name__}: {str(exc)[:200]}")

    return wrapper


# ------------------------------------------------------------------------------ cleaning
# All patterns below are written to run in linear time on megabyte inputs: no nested
# quantifiers and no two adjacent unbounded quantifiers that can trade characters.

_THINK_OPEN = re.compile(r"<think>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think>", re.IGNORECASE)
_ANSWER_OPEN = re.compile(r"<answer>", re.IGNORECASE)
_ANSWER_CLOSE = re.compile(r"</answer>", re.IGNORECASE)
_FENCE = re.compile(r"```[A-Za-z0-9_+-]*")
_ANSWER_MARKER = re.compile(r"answer\s*(?:is\b\s*)?[:：]|answer\s+is\b", re.IGNORECASE)
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_BACKTICK = re.compile(r"`([^`]*)`")


def _last_match(pattern: re.Pattern, text: str, start: int = 0) -> re.Match | None:
    # The final answer is usually the last occurrence; finditer keeps this linear.
    last = None
    for last in pattern.finditer(text, start):
        pass
    return last


def _strip_think(text: str) -> str:
    # Remove <think>…</think> blocks; an unclosed <think> swallows the rest (no answer given).
    parts, pos = [], 0
    while True:
        opened = _THINK_OPEN.search(text, pos)
        if opened is None:
            parts.append(text[pos:])
            break
        parts.append(text[pos:opened.start()])
        closed = _THINK_CLOSE.search(text, opened.end())
        if closed is None:
            break
        pos = closed.end()
    text = "".join(parts)
    # Chat templates that open <think> in the prompt leave only a closing tag in the reply.
    orphan = _last_match(_THINK_CLOSE, text)
    return text[orphan.end():] if orphan else text


def _last_answer_tag(text: str) -> str | None:
    opened = _last_match(_ANSWER_OPEN, text)
    if opened is None:
        return None
    closed = _ANSWER_CLOSE.search(text, opened.end())
    return text[opened.end():closed.start() if closed else len(text)]


def _clean(text: str) -> tuple[str, bool]:
    """Robust pre-processing; also reports whether an explicit final-answer marker was seen."""
    marked = False
    text = _strip_think(text)
    tagged = _last_answer_tag(text)
    if tagged is not None and tagged.strip():
        text, marked = tagged, True
    text = _FENCE.sub("", text)
    marker = _last_match(_ANSWER_MARKER, text)
    if marker is not None and text[marker.end():].strip():
        text, marked = text[marker.end():], True
    boxed = _last_match(_BOXED, text)
    if boxed is not None and boxed.group(1).strip():
        text, marked = boxed.group(1), True
    return text.replace("**", "").strip(), marked


def clean_response(text: str) -> str:
    """Robust-mode pre-processing shared by every parser (see the module docstring)."""
    if not isinstance(text, str):
        return ""
    return _clean(text)[0]


# ------------------------------------------------------------------------------- numbers

# A signed decimal with optional exponent. The sign only counts when it is not glued to a
# word or closing bracket, so "Image-2" reads as 2, not −2. ASCII digits only.
_NUM = r"(?:(?<![\w)\]])[-+\u2212])?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_NUM_RE = re.compile(_NUM)
# An ASCII-signed decimal with no context rule, for official modes' whole-answer matches.
_BARE_NUM = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_ONLY_NUM_RE = re.compile(r"\s*" + _BARE_NUM + r"\s*")


def _to_float(token: str) -> float:
    return float(token.replace("\u2212", "-"))


def _finite(values: tuple[float, ...], what: str) -> tuple[float, ...] | ParseFailure:
    if all(math.isfinite(v) for v in values):
        return values
    return ParseFailure(f"non-finite {what}")


_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1000}
_WORD_RE = re.compile(r"[a-z]+")


def _number_from_words(text: str) -> float | None:
    """First run of English number words ("three", "twenty-five", "one hundred and two")."""
    total, current, seen = 0, 0, False
    for match in _WORD_RE.finditer(text.lower()):
        word = match.group()
        if word in _SMALL or word in _TENS:
            current += _SMALL.get(word, 0) + _TENS.get(word, 0)
        elif word in _SCALES and seen:
            if _SCALES[word] == 100:
                current *= 100
            else:
                total, current = total + current * 1000, 0
        elif word == "and" and seen:
            continue
        elif seen:
            break
        else:
            continue
        seen = True
    return float(total + current) if seen else None


# ------------------------------------------------------------------------------ scalars

# Length units as powers of ten relative to metres; exact division keeps 250 cm == 2.5 m.
_UNIT_EXP = {"m": 0, "cm": -2, "mm": -3}
_UNIT_WORDS = {
    "mm": "mm", "millimeter": "mm", "millimeters": "mm", "millimetre": "mm", "millimetres": "mm",
    "cm": "cm", "centimeter": "cm", "centimeters": "cm", "centimetre": "cm", "centimetres": "cm",
    "m": "m", "meter": "m", "meters": "m", "metre": "m", "metres": "m",
    "%": "%", "percent": "%",
}
_SCALAR_RE = re.compile(
    r"(?P<num>(?:(?<![\w)\]])[-+\u2212])?[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])(?:\.[0-9]+)?|" + _NUM + r")"
    r"\s*(?P<unit>%|(?:millimet(?:er|re)s?|centimet(?:er|re)s?|met(?:er|re)s?|percent|mm|cm|m)(?![A-Za-z]))?",
    re.IGNORECASE,
)
# Same pattern as SPAR's process_na (Unicode \d, no sign, skips a number right after '^');
# it must match theirs character for character for the extraction to be identical.
_SPAR_NUM_RE = re.compile(r"(?<!\^)\d+\.\d+|(?<!\^)\d+")


def _convert_length(value: float, from_unit: str | None, to_unit: str | None) -> float:
    if from_unit is None or to_unit is None or from_unit == "%":
        return value
    shift = _UNIT_EXP[from_unit] - _UNIT_EXP[to_unit]
    return value * 10 ** shift if shift >= 0 else value / 10 ** (-shift)


def _spar_number(token: str) -> float | ParseFailure:
    # SPAR: float(num) if '.' in num else int(num). int() rejects more than 4300 digits,
    # an exception SPAR's bare except scores as the worst case, i.e. a failure here.
    try:
        return float(token) if "." in token else float(int(token))
    except (ValueError, OverflowError):
        return ParseFailure("SPAR: number too long for int()")


def _scalar_official(text: str, benchmark: str, task: str) -> float | ParseFailure:
    if benchmark == "vsi":
        # VSI: to_float(fuzzy_matching(pred)); float() semantics (accepts "nan", "1_0", …).
        token = text.split(" ")[0].rstrip(".").strip()
        try:
            return float(token)
        except ValueError:
            return ParseFailure(f"VSI: first token {token[:50]!r} is not a float")
    if benchmark == "spar":
        # SPAR process_na: unsigned numbers; the last one for *_mv tasks (−1 if none),
        # else the first one (none → IndexError → worst case, i.e. a failure here).
        numbers = _SPAR_NUM_RE.findall(text)
        if task.lower().endswith("_mv"):
            return _spar_number(numbers[-1]) if numbers else -1.0
        if not numbers:
            return ParseFailure("SPAR: no number in answer")
        return _spar_number(numbers[0])
    if benchmark == "multispa":
        span = _BACKTICK.search(text)
        if span is None:
            return ParseFailure("MultiSPA: no backtick span")
        text = span.group(1)
    if _ONLY_NUM_RE.fullmatch(text) is None:
        return ParseFailure(f"{benchmark}: answer is not a bare number")
    return float(text)


def _find_scalar(text: str) -> tuple[float, str | None] | ParseFailure:
    """The robust number and the unit written after it ("m", "cm", "mm", "%" or None)."""
    cleaned, marked = _clean(text)
    spans = [s for s in _BACKTICK.findall(cleaned) if _NUM_RE.search(s)]
    if spans:  # MultiSPA-style `value`: trust the last span
        cleaned, marked = spans[-1], True
    matches = list(_SCALAR_RE.finditer(cleaned))
    if matches:
        chosen = matches[0] if marked else matches[-1]
        value = _to_float(chosen.group("num").replace(",", ""))
        found = _UNIT_WORDS[chosen.group("unit").lower()] if chosen.group("unit") else None
        return value, found
    words = _number_from_words(cleaned)
    return (words, None) if words is not None else ParseFailure("no number found")


def _scalar_robust(text: str, unit: str | None, fraction: bool) -> float | ParseFailure:
    found = _find_scalar(text)
    if is_failure(found):
        return found
    value, written_unit = found
    if written_unit == "%" and fraction:
        value /= 100.0
    value = _convert_length(value, written_unit, unit)
    return value if math.isfinite(value) else ParseFailure("non-finite number")


@_never_raises
def parse_scalar(text: str, *, mode: str = "robust", benchmark: str = "generic", task: str = "",
                 unit: str | None = None, fraction: bool = False) -> float | ParseFailure:
    """A single number, e.g. a distance, depth, count or visible fraction.

    official: ``benchmark="vsi"`` float of the first space-separated token ('.' stripped);
    ``"spar"`` first unsigned number (``\\d+\\.\\d+|\\d+``), the last one when ``task`` ends
    in ``_mv`` (−1.0 if none); ``"multispa"`` the first backtick span, a bare number;
    ``"rep2d"`` / ``"generic"`` the whole text, a bare number.
    robust: signed decimals, thousands separators, exponents, number words ("three");
    with ``unit`` ("m", "cm", "mm") a number written with a length unit is converted to
    ``unit`` (a bare number is assumed to be in ``unit`` already); with ``fraction=True``
    "45%" / "45 percent" → 0.45, otherwise the percent sign is ignored (45.0).
    """
    _check("benchmark", benchmark, ("generic", "vsi", "spar", "multispa", "rep2d"))
    if unit is not None:
        _check("unit", unit, tuple(_UNIT_EXP))
    if mode == "official":
        return _scalar_official(text, benchmark, task)
    return _scalar_robust(text, unit, fraction)


@_never_raises
def parse_fraction(text: str, *, mode: str = "robust", percent: bool = True) -> float | ParseFailure:
    """A visible fraction from a percentage answer (Rep2D-E): "73.5" or "73.5%" → 0.735.

    ``percent=True`` (Rep2D-E, whose prompt asks for "the percentage as a float"): the number
    is a percentage with or without a '%' sign and is divided by 100. ``percent=False``:
    the number is already a fraction, but an explicit "45%" still reads as 0.45.
    official (Rep2D): the whole answer must be a bare number (no '%'), as the prompt demands.
    robust: as :func:`parse_scalar`. Values are not clipped to [0, 1].
    """
    if mode == "official":
        value = _scalar_official(text, "rep2d", "")
        if is_failure(value):
            return value
        written_unit = None
    else:
        found = _find_scalar(text)
        if is_failure(found):
            return found
        value, written_unit = found
    if percent or written_unit == "%":
        value /= 100.0
    return value if math.isfinite(value) else ParseFailure("non-finite number")


# ------------------------------------------------------------------------------ vectors


def _bracket_list_re(n: int) -> re.Pattern:
    return re.compile(r"[\[(]\s*(" + _NUM + r")" + (r"\s*,\s*(" + _NUM + r")") * (n - 1) + r"\s*[\])]")


_LIST_RE = {n: _bracket_list_re(n) for n in range(1, 17)}  # dims a task may ask for
_AXIS_RE = re.compile(r"(?<![A-Za-z])([xyz])\s*[:=]\s*(" + _NUM + r")", re.IGNORECASE)


def _vector_official(text: str, n: int, benchmark: str) -> tuple[float, ...] | ParseFailure:
    if benchmark == "multispa":
        span = _BACKTICK.search(text)
        if span is None:
            return ParseFailure("MultiSPA: no backtick span")
        text = span.group(1)
    match = _LIST_RE[n].fullmatch(text.strip())
    if match is None:
        return ParseFailure(f"{benchmark}: answer is not a bare {n}-list")
    return _finite(tuple(_to_float(g) for g in match.groups()), "coordinate")


def _vector_robust(text: str, n: int) -> tuple[float, ...] | ParseFailure:
    cleaned, _ = _clean(text)
    spans = [s for s in _BACKTICK.findall(cleaned) if _LIST_RE[n].search(s)]
    if spans:
        cleaned = spans[-1]
    listed = _last_match(_LIST_RE[n], cleaned)
    if listed is not None:
        return _finite(tuple(_to_float(g) for g in listed.groups()), "coordinate")
    axes = {m.group(1).lower(): _to_float(m.group(2)) for m in _AXIS_RE.finditer(cleaned)}
    names = "xyz"[:n]
    if n <= 3 and all(a in axes for a in names):
        return _finite(tuple(axes[a] for a in names), "coordinate")
    numbers = _NUM_RE.findall(cleaned)
    if len(numbers) == n:
        return _finite(tuple(_to_float(v) for v in numbers), "coordinate")
    return ParseFailure(f"no {n}-vector found")


@_never_raises
def parse_vector(text: str, *, mode: str = "robust", benchmark: str = "generic",
                 dim: int = 3) -> tuple[float, ...] | ParseFailure:
    """A ``dim``-vector (1 ≤ dim ≤ 16); :func:`parse_vector3` and :func:`parse_point` fix ``dim``.

    official: ``benchmark="multispa"`` the first backtick span must be ``[a, b, …]``;
    ``"rep2d"`` / ``"generic"`` the whole text must be ``[a, b, …]`` or ``(a, b, …)``.
    robust: the last bracketed ``dim``-list (inside the last backtick span if any), else
    ``x=…, y=…, z=…`` (dim ≤ 3), else exactly ``dim`` numbers anywhere. Units are not converted.
    """
    _check("benchmark", benchmark, ("generic", "multispa", "rep2d"))
    if dim not in _LIST_RE:
        raise _ArgumentError(f"dim must be in 1..16, got {dim!r}")
    if mode == "official":
        return _vector_official(text, dim, benchmark)
    return _vector_robust(text, dim)


@_never_raises
def parse_vector3(text: str, *, mode: str = "robust",
                  benchmark: str = "generic") -> tuple[float, float, float] | ParseFailure:
    """A 3-vector such as a Rep2D-AT camera position or a MultiSPA displacement.

    official: ``benchmark="multispa"`` the first backtick span must be ``[x, y, z]``;
    ``"rep2d"`` / ``"generic"`` the whole text must be ``[x, y, z]`` or ``(x, y, z)``.
    robust: the last bracketed triple (inside the last backtick span if any), else
    ``x=…, y=…, z=…``, else exactly three numbers anywhere. Units are not converted.
    """
    _check("benchmark", benchmark, ("generic", "multispa", "rep2d"))
    if mode == "official":
        return _vector_official(text, 3, benchmark)
    return _vector_robust(text, 3)


@_never_raises
def parse_point(text: str, *, mode: str = "robust", benchmark: str = "generic") -> tuple[float, float] | ParseFailure:
    """A 2-D point ``[x, y]`` (MultiSPA uses 0–1000 normalised coordinates).

    official: ``benchmark="multispa"`` the first backtick span must be ``[x, y]``;
    ``"generic"`` the whole text must be ``[x, y]`` or ``(x, y)``.
    robust: as :func:`parse_vector3` with two coordinates.
    """
    _check("benchmark", benchmark, ("generic", "multispa"))
    if mode == "official":
        return _vector_official(text, 2, benchmark)
    return _vector_robust(text, 2)


# -------------------------------------------------------------------------------- boxes

_BOX_KEYS = ("x_min", "y_min", "x_max", "y_max")
_BRACES_RE = re.compile(r"\{([^{}]*)\}")
_OFFICIAL_ENTRY_RE = re.compile(r"\s*(['\"])(x_min|y_min|x_max|y_max)\1\s*:\s*(" + _BARE_NUM + r")\s*")
_ROBUST_ENTRY_RE = re.compile(r"(['\"]?)(x_min|y_min|x_max|y_max)\1\s*[:=]\s*(" + _NUM + r")", re.IGNORECASE)
_BOX_TAG_RE = re.compile(r"<box>([^<]*)</box>", re.IGNORECASE)
_ABSENT_RE = re.compile(
    r"^\W*(?:none|null|n/?a|\{\s*\}|\[\s*\])\W*$|"
    r"\b(?:not\s+visible|no\s+(?:bounding\s+)?box|not\s+present|absent|no\s+object|"
    r"not\s+in\s+(?:the\s+)?(?:image|frame)|cannot\s+be\s+seen|not\s+shown)\b",
    re.IGNORECASE,
)


def _box_official(text: str) -> tuple[float, ...] | ParseFailure:
    # Rep2D prompt: "exactly like: {'x_min': x_min, 'y_min': y_min, 'x_max': x_max, 'y_max': y_max}".
    # Rep2D code is unreleased: accept that dict alone (either quote style, any key order).
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return ParseFailure("Rep2D: answer is not a {...} dict")
    values: dict[str, float] = {}
    for entry in stripped[1:-1].split(","):
        match = _OFFICIAL_ENTRY_RE.fullmatch(entry)
        if match is None or match.group(2) in values:
            return ParseFailure("Rep2D: malformed or repeated box entry")
        values[match.group(2)] = float(match.group(3))
    if set(values) != set(_BOX_KEYS):
        return ParseFailure("Rep2D: box needs exactly x_min, y_min, x_max, y_max")
    return _finite(tuple(values[k] for k in _BOX_KEYS), "box")


def _box_robust(text: str) -> tuple[float, ...] | ParseFailure:
    cleaned, _ = _clean(text)
    for braces in reversed(_BRACES_RE.findall(cleaned)):
        entries = {m.group(2).lower(): _to_float(m.group(3)) for m in _ROBUST_ENTRY_RE.finditer(braces)}
        if set(entries) == set(_BOX_KEYS):
            return _finite(tuple(entries[k] for k in _BOX_KEYS), "box")
    for inner in reversed(_BOX_TAG_RE.findall(cleaned)):
        numbers = _NUM_RE.findall(inner)
        if len(numbers) == 4:
            return _finite(tuple(_to_float(v) for v in numbers), "box")
    listed = _last_match(_LIST_RE[4], cleaned)
    if listed is not None:
        return _finite(tuple(_to_float(g) for g in listed.groups()), "box")
    numbers = _NUM_RE.findall(cleaned)
    if len(numbers) == 4:
        return _finite(tuple(_to_float(v) for v in numbers), "box")
    if not numbers and _ABSENT_RE.search(cleaned):
        return EMPTY_BOX  # the model says the object is not in view
    return ParseFailure("no box found")


@_never_raises
def parse_box(text: str, *, mode: str = "robust", scale: str = "norm1000",
              image_size: tuple[float, float] | None = None) -> tuple[float, float, float, float] | ParseFailure:
    """A box ``(x_min, y_min, x_max, y_max)``; in pixels when ``image_size=(W, H)`` is given.

    ``scale`` says what the model was asked for: ``"norm1000"`` (Rep2D: 0–1000, origin
    top-left, converted to pixels with ``image_size``) or ``"pixels"``. Without
    ``image_size`` the numbers are returned as written.
    official (Rep2D): the whole answer must be ``{'x_min': .., 'y_min': .., 'x_max': ..,
    'y_max': ..}`` with single or double quotes, keys in any order.
    robust: the last such dict (quotes optional, ``=`` allowed), else the last
    ``<box>…</box>`` with 4 numbers, else the last ``[a, b, c, d]`` / ``(a, b, c, d)``,
    else exactly four numbers; an answer with no numbers that says the object is absent
    ("none", "not visible", "{}") gives :data:`~spatial_env.metrics.EMPTY_BOX`.
    Inverted boxes are returned as written; :func:`~spatial_env.metrics.box_iou` treats
    them as empty.
    """
    _check("scale", scale, ("norm1000", "pixels"))
    box = _box_official(text) if mode == "official" else _box_robust(text)
    if is_failure(box) or image_size is None or scale == "pixels" or box == EMPTY_BOX:
        return box
    return box_from_norm1000(box, float(image_size[0]), float(image_size[1]))


# ----------------------------------------------------------------------- multiple choice

_LEADING_OPTION_RE = re.compile(r"^[\s(\[]*([A-Za-z])\s*(?:[).:\]]|$)")
_NAMED_OPTION_RE = re.compile(r"\b(?:option|choice)\s*[(\[]?\s*([A-Za-z])\b", re.IGNORECASE)
_STANDALONE_RE = re.compile(r"(?<![A-Za-z0-9'])([A-Z])(?![A-Za-z0-9'])")


def _choice_robust(text: str, options: str) -> str | ParseFailure:
    cleaned, _ = _clean(text)
    spans = [s.strip() for s in _BACKTICK.findall(cleaned) if s.strip()]
    if spans:
        cleaned = spans[-1]
    valid = options.upper()
    leading = _LEADING_OPTION_RE.match(cleaned)
    # A lone lower-case letter is accepted only when it is the whole answer ("b", "(b)").
    if leading and leading.group(1).upper() in valid:
        letter = leading.group(1)
        if letter.isupper() or len(cleaned.strip(" ()[].:")) == 1:
            return letter.upper()
    named = _last_match(_NAMED_OPTION_RE, cleaned)
    if named and named.group(1).upper() in valid:
        return named.group(1).upper()
    found = {m.group(1) for m in _STANDALONE_RE.finditer(cleaned) if m.group(1) in valid}
    if len(found) == 1:
        return found.pop()
    return ParseFailure("no option letter" if not found else f"ambiguous options {sorted(found)}")


@_never_raises
def parse_choice(text: str, *, mode: str = "robust", benchmark: str = "vsi",
                 options: str = "ABCDEFGH") -> str | ParseFailure:
    """A multiple-choice answer; robust mode returns one upper-case letter from ``options``.

    official: ``benchmark="vsi"`` VSI's ``fuzzy_matching``: the first space-separated token
    with trailing '.' stripped (compare it case-insensitively); ``"spar"`` the raw text
    unchanged, even when empty, because SPAR's lenient match (``multiple_choice_accuracy``
    mode ``"spar_official"``) works on the whole answer and scores an empty one as correct;
    ``"multispa"`` the first backtick span, stripped.
    robust: a leading option ("B", "(B)", "B. chair", "b"), else "option B" / "choice B",
    else the only standalone capital letter among ``options``; several → failure.
    """
    _check("benchmark", benchmark, ("vsi", "spar", "multispa"))
    if mode == "robust":
        return _choice_robust(text, options)
    if benchmark == "spar":
        return text
    if benchmark == "multispa":
        span = _BACKTICK.search(text)
        return span.group(1).strip() if span else ParseFailure("MultiSPA: no backtick span")
    token = text.split(" ")[0].rstrip(".").strip()
    return token if token else ParseFailure("VSI: empty first token")


# ---------------------------------------------------------------------- backtick answers


@_never_raises
def parse_backtick(text: str, *, mode: str = "robust") -> str | ParseFailure:
    """The content of a MultiSPA backtick span, e.g. "`closer`" → "closer".

    official: the first `…` span, stripped (MultiSPA's templates contain exactly one).
    robust: after cleaning, the last non-empty span; if there is none, the whole cleaned
    answer (models often drop the backticks).
    """
    if mode == "official":
        span = _BACKTICK.search(text)
        return span.group(1).strip() if span else ParseFailure("no backtick span")
    cleaned, _ = _clean(text)
    spans = [s.strip() for s in _BACKTICK.findall(cleaned) if s.strip()]
    if spans:
        return spans[-1]
    return cleaned if cleaned else ParseFailure("empty answer")


# ------------------------------------------------------------------ SPAR view change

_VIEW_KEYS = ("move_right", "move_left", "move_up", "move_down", "move_forward", "move_backward",
              "rotate_right", "rotate_left", "rotate_up", "rotate_down")
_VERB = r"(?P<verb>move|moving|moved|shift|go|translate|rotate|rotating|rotated|rotation|turn|turning|turned|pan|tilt)"
_DIR = r"(?P<dir>right|left|upward|up|downward|down|forwards|forward|backwards|backward|back|ahead)"
_VIEW_UNIT = r"(?P<unit>millimet(?:er|re)s?|centimet(?:er|re)s?|met(?:er|re)s?|mm|cm|m|degrees?|deg|°|radians?|rad)"
# Key-value form, direction before number: "move_right: 1.2", "rotate up by 10 degrees", "left 0.3 m".
_VIEW_RE = re.compile(
    r"(?<![A-Za-z])(?:" + _VERB + r"[\s_-]*)?" + _DIR
    + r"\s*(?:by\s+|[:=]\s*)?(?P<num>" + _NUM + r")\s*" + _VIEW_UNIT + r"?(?![A-Za-z])",
    re.IGNORECASE,
)
# Sentence form, number before direction: "Move 0.6 meters forward", "Shift sideways by 0.2 m right".
_VIEW_SENTENCE_RE = re.compile(
    r"(?<![A-Za-z])" + _VERB + r"(?:\s+(?:sideways|by))*\s+(?P<num>" + _NUM + r")"
    + r"(?:\s*" + _VIEW_UNIT + r")?\s+(?:to\s+the\s+)?" + _DIR + r"(?![A-Za-z])",
    re.IGNORECASE,
)
_DIR_CANON = {"upward": "up", "downward": "down", "forwards": "forward", "ahead": "forward",
              "backwards": "backward", "back": "backward"}
_ROTATE_VERBS = ("rotat", "turn", "pan", "tilt")


def _view_axes(values: dict[str, float]) -> tuple[float, ...]:
    # Signed axes in SPAR's action_order: right−left, up−down, forward−backward, rot r−l, rot u−d.
    get = lambda key: values.get(key, 0)  # noqa: E731  (mirrors the official dict.get(k, 0))
    return (
        float(get("move_right") - get("move_left")),
        float(get("move_up") - get("move_down")),
        float(get("move_forward") - get("move_backward")),
        float(get("rotate_right") - get("rotate_left")),
        float(get("rotate_up") - get("rotate_down")),
    )


def _view_official(text: str) -> tuple[float, ...] | ParseFailure:
    # SPAR parse_instruction: {k: float(v) for k, v in [item.split(":") for item in s.split(",")]}.
    # Keys are NOT stripped, so only "move_right:1.2,move_up:0.4" style (no space after the
    # comma) matches the expected keys; unmatched keys silently count as 0.
    values: dict[str, float] = {}
    for item in text.split(","):
        pieces = item.split(":")
        if len(pieces) != 2:
            return ParseFailure("SPAR: item is not a single 'key: value' pair")
        try:
            values[pieces[0]] = float(pieces[1])
        except ValueError:
            return ParseFailure("SPAR: value is not a float")
    return _view_axes(values)


def _view_robust(text: str) -> tuple[float, ...] | ParseFailure:
    cleaned, _ = _clean(text)
    values: dict[str, float] = {}
    matches = [*_VIEW_RE.finditer(cleaned), *_VIEW_SENTENCE_RE.finditer(cleaned)]
    for match in sorted(matches, key=lambda m: m.start()):  # later statements win
        verb = (match.group("verb") or "move").lower()
        action = "rotate" if verb.startswith(_ROTATE_VERBS) else "move"
        direction = match.group("dir").lower()
        direction = _DIR_CANON.get(direction, direction)
        value = _to_float(match.group("num"))
        unit = (match.group("unit") or "").lower()
        if unit.startswith("rad"):
            value = math.degrees(value)
        elif unit in _UNIT_WORDS:
            value = _convert_length(value, _UNIT_WORDS[unit], "m")
        values[f"{action}_{direction}"] = value
    if not values:
        return ParseFailure("no 'move/rotate <direction>: <value>' pairs found")
    axes = _view_axes(values)
    return _finite(axes, "view change")


@_never_raises
def parse_view_change(text: str, *, mode: str = "robust") -> tuple[float, float, float, float, float] | ParseFailure:
    """A SPAR view-change answer as 5 signed axes (see ``metrics.SPAR_VIEW_AXES``).

    Axes: right − left, up − down, forward − backward (metres), rotate right − left,
    rotate up − down (degrees); missing keys count as 0, a repeated key keeps its last value.
    official: SPAR's ``parse_instruction`` verbatim: split on ',' then ':'; every item
    must be exactly one ``key:value`` with a float value, or the whole answer fails (the
    official metric then scores 0); keys are matched unstripped against ``move_right`` …
    ``rotate_down``.
    robust: finds "move right: 1.2", "move_left 0.3 m", "rotate up by 10 degrees",
    "turn left 90°", "forward 20 cm", "Move 0.6 meters forward" anywhere; spaces, underscores or hyphens between verb
    and direction; back/backwards/ahead/upward synonyms; cm/mm → m; radians → degrees.
    """
    if mode == "official":
        return _view_official(text)
    return _view_robust(text)
