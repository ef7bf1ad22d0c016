"""HTML report of one or more evaluation runs: metric vs number of views, parse failures, best/worst gallery.

``report("runs/qwen")`` writes ``runs/qwen/report.html`` with its plots (``plots/*.svg``, and ``*.png`` too
when matplotlib is installed) and gallery images (``gallery/*.png``). Several run directories give one line
per run in each plot (the columns of Rep2D-BEAT's Tables 6-9).

Plots are SVG written by hand: labelled axes and confidence bars with no plotting dependency, crisp at any
size, and viewable in any browser. The gallery re-creates each shown episode from the env with its seed
(episodes are deterministic), so runs need not store images.
"""

from __future__ import annotations

import html
import math
import os
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .evaluation import EPISODES_FILE, Results, ci_text, redact

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


# ---- SVG plots ---------------------------------------------------------------------------------------

def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if m * step >= raw)
    start = math.floor(lo / step) * step
    return [round(start + i * step, 10) for i in range(int(math.ceil((hi - start) / step)) + 1)]


def line_plot_svg(series: Sequence[dict], xlabel: str, ylabel: str, title: str,
                  y_range: tuple[float, float] | None = None, width: int = 520, height: int = 320) -> str:
    """An SVG line plot over categorical x values with optional error bars.

    ``series``: dicts with ``label``, ``x`` (values shown evenly spaced), ``y`` and optional ``lo``/``hi``.
    """
    xs = sorted({x for s in series for x in s["x"]})
    vals = [v for s in series for key in ("y", "lo", "hi") for v in s.get(key, [])
            if v is not None and math.isfinite(v)]
    lo, hi = y_range if y_range else ((min(vals), max(vals)) if vals else (0.0, 1.0))
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    ticks = _ticks(lo, hi)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    left, right, top, bottom = 64, 170, 34, 48
    pw, ph = width - left - right, height - top - bottom

    def px(x):
        return left + (xs.index(x) + 0.5) * pw / max(len(xs), 1)

    def py(y):
        return top + ph - (y - lo) / (hi - lo) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left + pw / 2}" y="20" text-anchor="middle" font-size="14">{html.escape(title)}</text>']
    for t in ticks:
        y = py(t)
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{t:g}</text>')
    for x in xs:
        out.append(f'<text x="{px(x):.1f}" y="{top + ph + 18}" text-anchor="middle">{x}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>')
    out.append(f'<text x="{left + pw / 2}" y="{height - 8}" text-anchor="middle">{html.escape(xlabel)}</text>')
    out.append(f'<text transform="translate(16,{top + ph / 2}) rotate(-90)" text-anchor="middle">'
               f'{html.escape(ylabel)}</text>')
    for i, s in enumerate(series):
        color = COLORS[i % len(COLORS)]
        pts = [(px(x), py(y)) for x, y in zip(s["x"], s["y"]) if y is not None and math.isfinite(y)]
        if len(pts) > 1:
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
                       + " ".join(f"{a:.1f},{b:.1f}" for a, b in pts) + '"/>')
        for j, (a, b) in enumerate(pts):
            if s.get("lo") and s.get("hi"):
                y0, y1 = py(s["lo"][j]), py(s["hi"][j])
                out.append(f'<line x1="{a:.1f}" x2="{a:.1f}" y1="{y0:.1f}" y2="{y1:.1f}" stroke="{color}"/>')
                for yy in (y0, y1):
                    out.append(f'<line x1="{a - 4:.1f}" x2="{a + 4:.1f}" y1="{yy:.1f}" y2="{yy:.1f}" '
                               f'stroke="{color}"/>')
            out.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3.5" fill="{color}"/>')
        ly = top + 10 + 18 * i
        out.append(f'<line x1="{left + pw + 12}" x2="{left + pw + 30}" y1="{ly}" y2="{ly}" stroke="{color}" '
                   f'stroke-width="2"/><text x="{left + pw + 36}" y="{ly + 4}">{html.escape(s["label"][:20])}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _png_plot(series: Sequence[dict], xlabel: str, ylabel: str, title: str, path: Path,
              y_range: tuple[float, float] | None = None) -> bool:
    """The same plot as a PNG through matplotlib, when it is installed (returns whether it wrote one)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    xs = sorted({x for s in series for x in s["x"]})
    fig, ax = plt.subplots(figsize=(5.2, 3.2), dpi=120)
    for i, s in enumerate(series):
        pos = [xs.index(x) for x in s["x"]]
        err = None
        if s.get("lo") and s.get("hi"):
            err = [np.subtract(s["y"], s["lo"]), np.subtract(s["hi"], s["y"])]
        ax.errorbar(pos, s["y"], yerr=err, marker="o", capsize=3, color=COLORS[i % len(COLORS)], label=s["label"])
    ax.set_xticks(range(len(xs)), [str(x) for x in xs])
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if y_range:
        ax.set_ylim(*y_range)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


# ---- gallery -------------------------------------------------------------------------------------------

def _picture(env, record: dict, previous_answers: list[str]) -> np.ndarray:
    """The recorded question re-created from the env with the episode's seed, drawn by its family
    (its annotations and the truth, and the recorded prediction)."""
    from .draw import contact_sheet

    obs, _ = env.reset(seed=record["seed"])
    for answer in previous_answers:
        obs, *_ = env.step(answer)
    unwrapped = env.unwrapped
    episode, draw = getattr(unwrapped, "episode", None), getattr(unwrapped.task, "draw", None)
    # Envs outside spatial-env's families are shown as they are observed.
    images = draw(episode, record.get("prediction")) if episode is not None and draw else list(obs["images"])
    return contact_sheet(images, columns=min(5, len(images)))


def _gallery(results: Results, out_dir: Path, count: int, env_kwargs: dict | None) -> tuple[list[dict], str | None]:
    """Best and worst questions by reward with their annotated images; (entries, why-not message)."""
    import gymnasium as gym
    import imageio.v3 as iio

    import spatial_env  # noqa: F401  (registers the env ids)

    recs = results.records
    if not recs or count <= 0:
        return [], None
    order = sorted(range(len(recs)), key=lambda i: (recs[i]["reward"], i))
    picks = [("worst", i) for i in order[:count]] + [("best", i) for i in order[::-1][:count]]
    kwargs = {**results.config.get("env_kwargs_full", results.config.get("env_kwargs", {})), **(env_kwargs or {})}
    envs: dict[int, Any] = {}
    entries = []
    (out_dir / "gallery").mkdir(exist_ok=True)
    try:
        for kind, i in picks:
            r = recs[i]
            nv = r["num_views"]
            if nv not in envs:
                # Only runs that swept num_views set it (a family may have no such option).
                swept = any(v is not None for v in results.config.get("num_views", [None]))
                envs[nv] = gym.make(results.config["env_id"], **({**kwargs, "num_views": nv} if swept else kwargs))
            # What the env was stepped with: a failed agent call (answer None) stepped it with "".
            earlier = [x["answer"] if isinstance(x.get("answer"), str) else "" for x in recs
                       if x["num_views"] == nv and x["episode"] == r["episode"] and x["question"] < r["question"]]
            sheet = _picture(envs[nv], r, earlier)
            name = f"gallery/{kind}-v{nv}-e{r['episode']}-q{r['question']}.png"
            iio.imwrite(out_dir / name, sheet)
            entries.append({"kind": kind, "image": name, "record": r})
    except Exception as exc:  # noqa: BLE001 - the report is still useful without pictures
        return entries, f"gallery images unavailable: could not re-create the episodes ({type(exc).__name__}: {exc})"
    finally:
        for env in envs.values():
            env.close()
    return entries, None


def _direction(higher_is_better: bool) -> str:
    return "higher is better" if higher_is_better else "lower is better"


def _metric_of(record: dict, results: Results) -> str:
    return record.get("metric") or results.metric


def _legend(family: str | None) -> str:
    """The first line of the family's drawing docstring, which says what the colours mean."""
    if not family:
        return ""
    from .tasks import get_family

    try:
        task = get_family(family).tasks[0]
    except ValueError:
        return ""
    module = sys.modules.get(getattr(task.draw, "__module__", ""), None)
    doc = (module.__doc__ if module is not None else None) or ""
    return " ".join(doc.strip().split("\n\n")[0].split())


# ---- the report ------------------------------------------------------------------------------------------

def _series(summaries: list[tuple[str, list[dict]]], key: str) -> list[dict]:
    series = []
    for label, summary in summaries:
        rows = [r for r in summary if r["group"] == "views"]
        s = {"label": label, "x": [r["num_views"] for r in rows], "y": [r[key] for r in rows]}
        if key == "mean":
            s.update(lo=[r["ci_low"] for r in rows], hi=[r["ci_high"] for r in rows])
        series.append(s)
    return series


def _text(value: Any) -> str:
    """Any recorded value as HTML-safe text: None and non-strings shown as such, lone surrogates (which
    UTF-8 cannot hold) as their escape."""
    if value is None:
        return "<i>None</i>"
    text = value if isinstance(value, str) else repr(value)
    return html.escape(text.encode("utf-8", "backslashreplace").decode("utf-8"))


def _table(rows: list[dict], scene: bool) -> str:
    head = ("<tr><th>views</th>" + ("<th>group</th>" if scene else "") +
            "<th>n</th><th>mean</th><th>95% CI</th><th>parse failures</th><th>agent errors</th>"
            "<th>s / answer</th></tr>")
    body = "".join(
        f"<tr><td>{r['num_views']}</td>" + (f"<td>{_text(str(r['key']))}</td>" if scene else "") +
        f"<td>{r['n']}</td><td>{r['mean']:.4f}</td><td>{ci_text(r)}</td>"
        f"<td>{r['parse_failure_rate']:.1%}</td><td>{r['error_rate']:.1%}</td><td>{r['agent_s']:.3f}</td></tr>"
        for r in rows)
    return f"<table>{head}{body}</table>"


# ---- comparison across runs ------------------------------------------------------------------------------

def expand_runs(run_dirs: str | os.PathLike | Sequence[str | os.PathLike]) -> list[Path]:
    """Run directories: each given one, or, for a directory without ``episodes.jsonl`` (``spatial-env
    eval --env A,B --out DIR``), the run directories inside it."""
    dirs = [Path(run_dirs)] if isinstance(run_dirs, (str, os.PathLike)) else [Path(d) for d in run_dirs]
    out = []
    for d in dirs:
        if (d / EPISODES_FILE).is_file():
            out.append(d)
            continue
        inner = sorted(p for p in d.iterdir() if (p / EPISODES_FILE).is_file()) if d.is_dir() else []
        if not inner:
            raise FileNotFoundError(f"{d} has no {EPISODES_FILE} (and holds no run directory): not a run directory")
        out.extend(inner)
    return out


def _labels(dirs: Sequence[Path]) -> list[str]:
    """Short labels of run directories: their names less the start they all share (runs named
    ``<env>-<agent>`` are told apart by what follows); ``parent/name`` where names repeat (the same env
    under two multi-env directories)."""
    names = [d.resolve().name for d in dirs]
    if len(set(names)) < len(names):
        names = [f"{d.resolve().parent.name}/{d.resolve().name}" for d in dirs]
    prefix = os.path.commonprefix(names) if len(names) > 1 else ""
    if any(len(n) == len(prefix) for n in names):
        prefix = ""
    labels = [n[len(prefix):].lstrip("-_ ") or n for n in names]
    return [f"{label} ({i + 1})" if labels.count(label) > 1 else label for i, label in enumerate(labels)]


COMPARE_COLUMNS = ("run", "env_id", "agent", "metric", "direction", "num_views", "scene", "n", "mean", "ci_low",
                   "ci_high", "parse_failure_rate", "error_rate")


def comparison(run_dirs: str | os.PathLike | Sequence[str | os.PathLike], scenes: bool = False) -> list[dict]:
    """One row per run x env x number of views (x scene with ``scenes``): mean with its 95% CI (none for
    a single question), parse-failure and error rates, the metric and its direction."""
    rows = []
    dirs = expand_runs(run_dirs)
    for label, d in zip(_labels(dirs), dirs):
        res = Results.load(d)
        if not res.records:
            continue
        for r in res.summary():
            if r["group"] not in (("views", "scene") if scenes else ("views",)):
                continue
            single = r["n"] < 2
            rows.append({"run": label, "env_id": res.config.get("env_id"),
                         "agent": redact(str(res.config.get("agent")), ()), "metric": r["metric"],
                         "direction": "higher" if res.higher_is_better else "lower", "num_views": r["num_views"],
                         "scene": r["key"] if r["group"] == "scene" else "all", "n": r["n"], "mean": r["mean"],
                         "ci_low": None if single else r["ci_low"], "ci_high": None if single else r["ci_high"],
                         "parse_failure_rate": r["parse_failure_rate"], "error_rate": r["error_rate"]})
    return rows


def _cells(row: dict) -> list[str]:
    ci = "" if row["ci_low"] is None else f"[{row['ci_low']:.4f}, {row['ci_high']:.4f}]"
    return [str(row["run"]), str(row["env_id"]), str(row["agent"]), f"{row['metric']} ({row['direction']} is better)",
            str(row["num_views"]), str(row["scene"]), str(row["n"]), f"{row['mean']:.4f}", ci,
            f"{row['parse_failure_rate']:.1%}", f"{row['error_rate']:.1%}"]


_COMPARE_HEAD = ["run", "env", "agent", "metric", "views", "scene", "n", "mean", "95% CI", "parse failures",
                 "agent errors"]


def comparison_markdown(rows: list[dict]) -> str:
    """The comparison as a Markdown table."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|").encode("utf-8", "backslashreplace").decode("utf-8")

    lines = ["| " + " | ".join(_COMPARE_HEAD) + " |", "|" + "---|" * len(_COMPARE_HEAD)]
    lines += ["| " + " | ".join(cell(c) for c in _cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def comparison_html(rows: list[dict]) -> str:
    """The comparison as an HTML table."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in _COMPARE_HEAD)
    body = "".join("<tr>" + "".join(f"<td>{_text(c)}</td>" for c in _cells(r)) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def write_comparison(rows: list[dict], out: str | os.PathLike) -> list[Path]:
    """Write ``compare.html``, ``compare.md`` and ``compare.csv`` (all columns, numbers unrounded) into
    ``out``; returns their paths."""
    import csv
    import io

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COMPARE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: "" if r[k] is None else r[k] for k in COMPARE_COLUMNS})
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>spatial-env comparison</title>"
            f"<style>{_CSS}</style></head><body><h1>Comparison</h1>{comparison_html(rows)}</body></html>")
    paths = []
    for name, text in (("compare.html", page), ("compare.md", comparison_markdown(rows) + "\n"),
                       ("compare.csv", buf.getvalue())):
        paths.append(out / name)
        _write_text(paths[-1], text)
    return paths


def _write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically (temporary file + rename); unencodable characters are escaped."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8", errors="backslashreplace")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_CSS = """body{font-family:sans-serif;margin:24px;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}.plots{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ddd;padding:8px;
margin:8px 0}.card img{max-width:100%;min-width:360px;image-rendering:pixelated}
pre{white-space:pre-wrap;background:#f7f7f7;padding:6px;font-size:12px;max-height:160px;overflow:auto}
.bad{color:#b00}.good{color:#070}"""


def report(run_dirs: str | os.PathLike | Sequence[str | os.PathLike], out: str | os.PathLike | None = None,
           gallery: int = 4, env_kwargs: dict | None = None) -> Path:
    """Write ``report.html`` (+ plots and gallery images) for one or more run directories; returns its path.

    Args:
        run_dirs: a run directory written by :func:`~spatial_env.evaluation.evaluate`, or several to compare.
        out: where to write (default: the first run directory).
        gallery: how many best and how many worst questions to show (of the first run); 0 for none.
        env_kwargs: ``gym.make`` overrides for re-creating gallery episodes (e.g. ``scenes`` given as
            objects in Python, which run.json can only name).
    """
    given = [Path(run_dirs)] if isinstance(run_dirs, (str, os.PathLike)) else [Path(d) for d in run_dirs]
    dirs = expand_runs(given)
    out_dir = Path(out) if out is not None else given[0]
    (out_dir / "plots").mkdir(parents=True, exist_ok=True)
    runs = [(label, Results.load(d)) for label, d in zip(_labels(dirs), dirs)]
    first = runs[0][1]
    # One bootstrap summary per run serves both plots and the tables.
    summaries = [(label, res.summary()) for label, res in runs]
    # Runs are compared on one axis only when they share the metric and its direction.
    by_metric: dict[tuple[str, bool], list[tuple[str, list[dict]]]] = {}
    for (label, res), pair in zip(runs, summaries):
        by_metric.setdefault((res.metric, res.higher_is_better), []).append(pair)
    plots = []
    specs = [(f"metric-{m}" if len(by_metric) > 1 else "metric", _series(group, "mean"),
              f"mean {m} ({_direction(hib)})", f"{m} vs number of views", None)
             for (m, hib), group in by_metric.items()]
    specs.append(("failures", _series(summaries, "parse_failure_rate"), "parse-failure rate",
                  "answers that did not parse", (0.0, 1.0)))
    if any(r.get("error") for _, res in runs for r in res.records):
        specs.append(("errors", _series(summaries, "error_rate"), "agent-error rate",
                      "questions the agent gave no answer to", (0.0, 1.0)))
    for name, series, ylabel, title, yr in specs:
        svg = line_plot_svg(series, "number of views", ylabel, title, y_range=yr)
        _write_text(out_dir / "plots" / f"{name}.svg", svg)
        _png_plot(series, "number of views", ylabel, title, out_dir / "plots" / f"{name}.png", yr)
        plots.append(svg)

    env_ids = sorted({str(res.config.get("env_id", "?")) for _, res in runs})
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>spatial-env report</title>"
             f"<style>{_CSS}</style></head><body>",
             f"<h1>{html.escape(', '.join(env_ids))}: {html.escape(', '.join(m for m, _ in by_metric))}</h1>"]
    if len(runs) > 1:
        parts.append("<h2>Comparison</h2>" + comparison_html(comparison(dirs)))
    for (label, res), (_, rows) in zip(runs, summaries):
        cfg = res.config
        # run.json holds no secrets; an old one may, so the agent's name is redacted here as well.
        parts.append(f"<h2>{_text(label)}</h2><p>agent <code>{_text(redact(str(cfg.get('agent')), ()))}</code>, "
                     f"seed {cfg.get('seed')}, {len(res.records)} questions, env {_text(str(cfg.get('env_id')))}, "
                     f"{_text(res.metric)} ({_direction(res.higher_is_better)})</p>")
        if res.skipped:
            parts.append(f"<p class='bad'>{len(res.skipped)} line(s) of {EPISODES_FILE} not used: "
                         + "; ".join(_text(x) for x in res.skipped[:5]) + (" ..." if len(res.skipped) > 5 else "")
                         + "</p>")
        parts.append(_table([r for r in rows if r["group"] == "views"], scene=False))
        for group, title in (("question_type", "per question type"), ("family_group", "per group of question types"),
                             ("scene", "per scene")):
            chosen = [r for r in rows if r["group"] == group]
            if chosen:
                parts.append(f"<details><summary>{title}</summary>" + _table(chosen, scene=True) + "</details>")
    parts.append("<h2>Plots</h2><div class='plots'>" + "".join(plots) + "</div>")
    if gallery:
        entries, why = _gallery(first, out_dir, gallery, env_kwargs)
        parts.append(f"<h2>Gallery ({html.escape(runs[0][0])})</h2>")
        legend = _legend(first.config.get("family"))
        if legend:
            parts.append(f"<p>{html.escape(legend)}</p>")
        if why:
            parts.append(f"<p class='bad'>{html.escape(why)}</p>")
        for e in entries:
            parts.append(_card(e, first))
    parts.append("</body></html>")
    path = out_dir / "report.html"
    _write_text(path, "\n".join(parts))
    return path


def _card(entry: dict, results: Results) -> str:
    """One gallery entry; a record with odd fields (no answer, undecodable text) is shown as it is."""
    r = entry["record"]
    if r.get("error"):
        status = f"agent error: {r['error']}"
    elif r.get("parse_ok"):
        status = "parsed"
    else:
        status = f"parse failure: {r.get('parse_error')}"
    name = _metric_of(r, results)
    value = r.get("metrics", {}).get(name)
    shown = f"{value:.4f}" if isinstance(value, (int, float)) else _text(value)
    image = f"<img src='{entry['image']}' alt='episode images'><br>" if entry.get("image") else ""
    return (f"<div class='card'><b class='{'good' if entry['kind'] == 'best' else 'bad'}'>{entry['kind']}</b> "
            f"views {r['num_views']}, episode {r['episode']}, scene {_text(r.get('scene_id'))}, "
            f"{_text(name)} = {shown} ({_text(status)})<br>{image}"
            f"answer: <code>{_text(r.get('answer'))}</code><br>reference: <code>{_text(r.get('reference'))}</code>"
            f"<details><summary>prompt</summary><pre>{_text(r.get('prompt'))}</pre></details></div>")
