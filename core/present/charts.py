"""Altair chart builders. Each takes result objects and returns a chart; no data access here.

Every chart states its units on the axes and its n in the legend or title; captions (the
selection, data version and method) are added by the caller.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa

from core.analyses.survival import SurvivalAnalysis
from core.stats.survival import at_risk_table, survival_at
from core.vocab.formatting import fmt_num
from core.vocab.methods import TIME_UNIT_DAYS, TimeUnit

PALETTE = [
    "#1f5fa8",
    "#d1495b",
    "#2e8b57",
    "#edae49",
    "#6a4c93",
    "#00798c",
    "#8d6a9f",
    "#c05621",
    "#4a5568",
    "#b83280",
    "#2c7a7b",
    "#744210",
    "#553c9a",
    "#9b2c2c",
]
OKABE_ITO = [
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#000000",  # black
    "#F0E442",  # yellow (last: faint on white)
]
"""Okabe and Ito's colour-blind-safe palette, for the Kaplan-Meier chart's groups."""
KM_DASHES = [[1, 0], [8, 4], [2, 3], [12, 3, 3, 3], [5, 5], [12, 3, 3, 3, 3, 3], [3, 6]]
"""A line style per Kaplan-Meier group (solid first): with the colour, groups stay apart
under colour-vision deficiency (3+ groups) and in grey print. 7 styles and 8 colours cycle
at different lengths, so up to 56 groups get distinct pairs."""


def km_group_styles(n: int) -> tuple[list[str], list[list[int]]]:
    """Colours (Okabe-Ito) and line dashes for ``n`` Kaplan-Meier groups, in order."""
    n = max(n, 1)
    return (
        [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n)],
        [KM_DASHES[i % len(KM_DASHES)] for i in range(n)],
    )


FONT = "Helvetica, Arial, sans-serif"
CURVE_HEIGHT = 340
KEEP_SIZE = alt.AutoSizeParams(type="pad", contains="padding")
"""Autosize for fixed-size charts with long axis labels: Streamlit's default "fit" would fit
the labels into the width and squeeze the plotting area."""


def _fmt(x: float | None, digits: int = 1) -> str:
    return "NR" if x is None else f"{x:.{digits}f}"


def group_legend_label(g, unit: TimeUnit, analysis: SurvivalAnalysis | None = None) -> str:
    scale = TIME_UNIT_DAYS[unit]
    m = g.median
    beyond = getattr(m, "beyond", None)  # protected: past the shown curve, not "not reached"
    if m is not None and m.estimate is None and beyond is not None:
        med = f"beyond {fmt_num(beyond / scale)} {unit.label}"
    elif m is None or m.estimate is None:
        med = "not reached"
    else:
        med = f"{m.estimate / scale:.1f} {unit.label}"
    n, ev = (
        (g.n, g.events) if analysis is None else (analysis.cell(g.n, g), analysis.cell(g.events, g))
    )
    return f"{g.label} (n={n}, {ev} events, median {med})"


MAX_POINTS = 1000
"""Points drawn per curve: beyond this many steps a chart cannot show more (it is ~640 px
wide), so long curves are drawn from the step values at 1000 evenly spaced times. Display
only: tables, medians and exports of numbers use every step."""


def _display_rows(t: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of the rows to draw: all of them, or for a long curve the last row at or before
    each of ``max_points`` evenly spaced times (the step function's value there)."""
    if t.size <= max_points:
        return np.arange(t.size)
    grid = np.linspace(t[0], t[-1], max_points)
    idx = np.searchsorted(t, grid, side="right") - 1
    return np.unique(np.concatenate(([0], idx, [t.size - 1])))


def km_frames(analysis: SurvivalAnalysis, unit: TimeUnit) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Step data (with CI) and censor marks for every group, time in ``unit``.

    Draws each group's ``display`` curve as the analysis decided it (exact steps with numbers
    at risk and censor marks, or whole-month steps without either); a group without one (a
    suppressed group) is not drawn. The ``n_risk`` column is there only when every curve
    carries per-step numbers at risk. The ``group`` column is categorical (one legend label
    per group, in the groups' order).
    """
    scale = TIME_UNIT_DAYS[unit]
    shown = [g for g in analysis.groups if g.display is not None and not g.suppressed]
    labels = [group_legend_label(g, unit, analysis) for g in shown]
    with_risk = bool(shown) and all(g.display.n_risk is not None for g in shown)
    # all curves share one dataset: keep it under 5000 rows
    budget = max(150, min(MAX_POINTS, 4000 // max(len(shown), 1)))
    keys = ("group", "time", "surv", "lower", "upper") + (("n_risk",) if with_risk else ())
    step_cols: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    cens_cols: dict[str, list[np.ndarray]] = {k: [] for k in ("group", "time", "surv", "n_censor")}
    for code, g in enumerate(shown):
        c = g.display
        t = c.time / scale
        # display only: where R's CI is undefined (S = 1 before the first event under log-log,
        # S = 0 after the last) the band is closed onto the curve instead of leaving a gap
        lo = np.where(np.isnan(c.lower), c.surv, c.lower)
        hi = np.where(np.isnan(c.upper), c.surv, c.upper)
        keep = _display_rows(t, budget)
        values = (None, t, c.surv, lo, hi) + ((c.n_risk,) if with_risk else ())
        for key, v in zip(keys, values, strict=True):
            col = np.full(keep.size, code, dtype=np.int32) if v is None else v[keep]
            step_cols[key].append(col)
        if c.censor_time is not None and c.censor_time.size:
            ct = c.censor_time / scale
            ck = _display_rows(ct, budget)
            cens_cols["group"].append(np.full(ck.size, code, dtype=np.int32))
            cens_cols["time"].append(ct[ck])
            cens_cols["surv"].append(c.censor_surv[ck])
            cens_cols["n_censor"].append(c.n_censor[ck])
    return _frame(step_cols, labels), _frame(cens_cols, labels)


def _frame(cols: dict[str, list[np.ndarray]], labels: list[str]) -> pd.DataFrame:
    """One DataFrame from per-group column pieces; ``group`` holds codes into ``labels``."""
    data: dict[str, Any] = {}
    for key, parts in cols.items():
        if key == "group":
            codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
            data[key] = pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype=object))
        else:
            data[key] = np.concatenate(parts) if parts else np.zeros(0)
    return pd.DataFrame(data)


STEP_CHOICES = {
    TimeUnit.MONTHS: [3, 6, 12, 24, 36, 60],
    TimeUnit.YEARS: [0.5, 1, 2, 5],
    TimeUnit.DAYS: [30, 90, 180, 365, 730],
}


def _step(max_time: float, unit: TimeUnit) -> float:
    choices = STEP_CHOICES[unit]
    return next((s for s in choices if max_time / s <= 10), choices[-1])


def nice_ticks(max_time: float, unit: TimeUnit) -> np.ndarray:
    """Round tick values from 0 up to at most :func:`axis_end` (the last one at or before it)."""
    step = _step(max_time, unit)
    return np.arange(0, axis_end(max_time, unit) + 1e-9, step)


def axis_end(max_time: float, unit: TimeUnit) -> float:
    """Where the time axis ends: the last follow-up rounded up to a quarter of the tick step
    (e.g. 130 months -> 132 with ticks every 24), never a round number far beyond it."""
    step = _step(max_time, unit)
    quarter = step / 4
    return max(quarter, float(np.ceil(max_time / quarter - 1e-9) * quarter))


@dataclass(frozen=True, eq=False)
class VegaLiteChart:
    """A Vega-Lite specification written as a plain dict, its longer tables kept as DataFrames.

    Why not Altair for the Kaplan-Meier figure: the Survival page redraws it on every filter
    change, and building it from Altair objects (which copy every sub-chart when layering) and
    validating it against the JSON schema on every run cost about 130 ms of server time per
    rerun, most of a rerun; writing the dict costs about 2 ms. The dict is checked against the
    same Vega-Lite schema in the tests instead of at every page run. It offers what callers
    use of an Altair chart: ``to_dict()`` (data inlined) and ``to_json()``.
    """

    spec: Mapping[str, Any]
    """Everything but the longer tables, which layers refer to by their ``datasets`` name
    (tables of at most ``INLINE_ROWS`` rows are written into the layer). This is the figure
    at its fixed publication width: what exports draw."""
    datasets: Mapping[str, pd.DataFrame]
    screen: Mapping[str, Any] | None = None
    """The same figure laid out for the page (one layered view that follows the width of
    its container, see :func:`km_chart`), over the same ``datasets``; None: ``spec``."""

    def to_dict(self) -> dict[str, Any]:
        """The full spec with every table inlined as records (as Altair's ``to_dict``)."""
        out = copy.deepcopy(dict(self.spec))
        out["datasets"] = {name: _records(df) for name, df in self.datasets.items()}
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def streamlit_spec(self) -> dict[str, Any]:
        """For ``st.vega_lite_chart(spec=..., width="stretch")``: the on-screen layout
        (``screen``, which follows the container's width) with the named tables as compact
        Arrow tables (see :func:`_for_display`), which Streamlit sends as they are."""
        # a copy (JSON types only: a JSON round trip is several times faster than deepcopy)
        out = json.loads(json.dumps(self.spec if self.screen is None else self.screen))
        out["datasets"] = dict(self._display_tables)
        return out

    @functools.cached_property
    def _display_tables(self) -> dict[str, pa.Table]:
        """The named tables as Arrow, made once per figure (Arrow tables are immutable, so a
        figure kept per view and shared between sessions gives the same tables each rerun)."""
        return {name: _for_display(df) for name, df in self.datasets.items()}

    def with_spec(self, spec: Mapping[str, Any]) -> VegaLiteChart:
        """The export ``spec`` replaced (the on-screen layout is kept)."""
        return VegaLiteChart(spec, self.datasets, self.screen)

    def with_screen(self, screen: Mapping[str, Any] | None) -> VegaLiteChart:
        return VegaLiteChart(self.spec, self.datasets, screen)


INLINE_ROWS = 60
"""Tables of at most this many rows (at-risk numbers, median markers) are written into the
spec; longer ones (curves, censor marks) are named datasets, which Streamlit sends as Arrow."""


def _for_display(df: pd.DataFrame) -> pa.Table:
    """The table as the browser needs it, as Arrow: text as dictionaries (a group's long legend
    label is sent once, not on every row) and numbers in 32 bits (7 significant digits, beyond
    what a chart or its 3-decimal tooltips show): about a third of the bytes of a 10^5-patient
    curve. Built column by column (no pandas-to-Arrow inference: a few ms per rerun). Exports
    (``to_dict``) keep full precision."""
    arrays, names = [], []
    for name in df.columns:
        col = df[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            arr = pa.DictionaryArray.from_arrays(
                pa.array(col.cat.codes.to_numpy(np.int32)),
                pa.array(col.cat.categories.astype(str).tolist(), pa.string()),
            )
        elif col.dtype == object:
            arr = pa.array(col.astype(str).tolist(), pa.string()).dictionary_encode()
        elif col.dtype.kind == "f":
            arr = pa.array(col.to_numpy(np.float32))
        elif col.dtype.kind in "iu" and (col.empty or int(col.abs().max()) < 2**31):
            arr = pa.array(col.to_numpy(np.int32))
        else:
            arr = pa.array(col.to_numpy())
        arrays.append(arr)
        names.append(str(name))
    return pa.Table.from_arrays(arrays, names=names)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: Python numbers and strings, NaN as null."""
    columns = []
    for name in df.columns:
        col = df[name]
        values = (
            col.astype(object).tolist()
            if isinstance(col.dtype, pd.CategoricalDtype)
            else (col.to_numpy().tolist())
        )
        columns.append([None if isinstance(v, float) and v != v else v for v in values])
    names = [str(c) for c in df.columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _named(prefix: str, df: pd.DataFrame) -> str:
    """A dataset name that changes with the content (as Altair's), so the browser redraws."""
    digest = hashlib.md5(prefix.encode())
    for name in df.columns:
        col = df[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            digest.update("\x1f".join(map(str, col.cat.categories)).encode())
            digest.update(col.cat.codes.to_numpy().tobytes())
        elif col.dtype == object:
            digest.update("\x1f".join(map(str, col)).encode())
        else:
            digest.update(np.ascontiguousarray(col.to_numpy()).tobytes())
    return f"{prefix}-{digest.hexdigest()[:16]}"


def _field(name: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"field": name, "type": kind, **extra}


SYNTHETIC_COLOR = "#B35900"
"""The synthetic-data marker's colour (dark orange: readable on white, not a group colour)."""
BENCH_DASHES = [[6, 3], [2, 2], [10, 3, 2, 3], [4, 4, 1, 4], [14, 4]]
"""Line styles of benchmark overlays (grey), one per benchmark, cycling."""
LEGEND_FONT = 11
LEGEND_LINE = 15
"""Pixels per line of the figure's own legend."""
FIT_WIDTH = 704
"""Widest exported (fixed-width) figure, in CSS pixels. On a page every figure follows the
width of its column instead (see :func:`km_chart`'s page layout and ``autosize`` "fit-x")."""


def on_screen(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The on-screen Vega-Lite spec of an Altair figure: autosize fit-x (the page shows it
    with ``width="stretch"``), validated once. Pages keep it with the figure they build once
    per view, so a rerun neither copies nor validates the chart again."""
    return chart.properties(autosize="fit-x").to_dict()


def label_limit(most: int, share: float = 0.4, least: int = 100) -> dict[str, str]:
    """An axis ``labelLimit`` as a Vega expression: ``most`` pixels where the figure has no
    container (exports), on a page at most ``share`` of the container's width (at least
    ``least``), so that long row labels leave the plot room in a narrow window (a cut label
    ends in an ellipsis; tooltips and tables give it whole)."""
    size = "containerSize()[0]"
    return {
        "expr": f"isFinite({size}) && {size} > 0 "
        f"? min({most}, max({least}, {share} * {size})) : {most}"
    }


def synthetic_note(synthetic: Sequence[str]) -> str:
    """The marker every chart of synthetic data carries in its title ('' when none)."""
    if not synthetic:
        return ""
    return f"SYNTHETIC DATA ({', '.join(synthetic)}): not real patients"


def chart_title(text: str, synthetic: Sequence[str] = ()) -> dict[str, Any]:
    """A Vega-Lite title: ``text`` with the synthetic-data marker as a bold subtitle."""
    out: dict[str, Any] = {"text": text or ""}
    note = synthetic_note(synthetic)
    if note and not text:  # Vega draws no subtitle under an empty title
        out = {"text": note, "color": SYNTHETIC_COLOR, "fontWeight": "bold"}
    elif note:
        out |= {"subtitle": note, "subtitleColor": SYNTHETIC_COLOR, "subtitleFontWeight": "bold"}
    return out


def mark_synthetic(chart: Any, synthetic: Sequence[str], description: str = "") -> Any:
    """An Altair chart with the synthetic-data marker in its title (kept: its own title text)
    and an accessible ``description`` (the SVG's aria-label); unchanged when there is nothing
    to add. Works for single, layered and concatenated charts."""
    if not synthetic and not description:
        return chart
    out = chart.copy(deep=True)
    if synthetic:
        old = getattr(out, "title", alt.Undefined)
        text = old if isinstance(old, str) else getattr(old, "text", "") or ""
        if text is alt.Undefined:
            text = ""
        out.title = alt.TitleParams(**chart_title(str(text), synthetic))
    if description:
        out.description = description
    return out


def _wrap(text: str, chars: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=max(chars, 20), break_on_hyphens=False) or [""]


def _legend_layers(
    rows: list[tuple[str, str, list[int], bool]], top: float, width: int
) -> tuple[list[dict[str, Any]], float]:
    """The figure's own legend under the plot, as layers of the curve view: for each row
    (label, colour, dash, header) a line swatch in the row's colour and style and its label,
    wrapped to the width (never cut off). Returns the layers and the legend's height."""
    layers: list[dict[str, Any]] = []
    y = top
    chars = int((width - 40) / (0.55 * LEGEND_FONT))
    one = {"values": [{}]}
    for label, colour, dash, header in rows:
        lines = _wrap(label, chars if not header else chars + 6)
        mid = y + LEGEND_LINE / 2
        if not header:
            layers.append(
                {
                    "name": f"legend_swatch_{len(layers)}",
                    "data": one,
                    "mark": {
                        "type": "rule",
                        "color": colour,
                        "strokeDash": dash,
                        "strokeWidth": 2,
                    },
                    "encoding": {
                        "x": {"value": 0},
                        "x2": {"value": 30},
                        "y": {"value": mid},
                        "y2": {"value": mid},
                    },
                }
            )
        layers.append(
            {
                "name": f"legend_label_{len(layers)}",
                "data": one,
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "middle",
                    "fontSize": LEGEND_FONT,
                    "fontWeight": "bold" if header else "normal",
                    "lineHeight": LEGEND_LINE,
                    "color": "#222222",
                },
                "encoding": {
                    "x": {"value": 0 if header else 38},
                    "y": {"value": mid},
                    "text": {"value": lines if len(lines) > 1 else lines[0]},
                },
            }
        )
        y += LEGEND_LINE * len(lines) + 3
    return layers, y - top


def km_chart(
    analysis: SurvivalAnalysis,
    unit: TimeUnit = TimeUnit.MONTHS,
    *,
    show_ci: bool = True,
    show_median: bool = False,
    title: str = "",
    y_title: str = "Survival probability",
    overlays: pd.DataFrame | None = None,
    width: int = 520,
    synthetic: Sequence[str] = (),
    overlay_note: str = "",
) -> VegaLiteChart:
    """Kaplan-Meier step curves, CI bands, censor ticks, median lines and an at-risk table.

    ``overlays`` (optional): approximate benchmark curves with columns label, time (in
    ``unit``), surv; drawn in grey, one line style each. ``synthetic``: ids of the synthetic
    cohorts in view, named in a bold subtitle ('SYNTHETIC DATA ...'). ``overlay_note``: a
    sentence drawn under the benchmarks' legend (e.g. a difference of basis). The legend is
    drawn by the figure itself: a line swatch per group in its colour and line style, then
    the benchmarks, wrapped to the figure's width. The time axis ends at the last follow-up
    rounded up to a quarter tick step (:func:`axis_end`). Returns a :class:`VegaLiteChart`
    (see there for why it is not built with Altair).
    """
    steps, censors = km_frames(analysis, unit)
    labels = [str(c) for c in steps["group"].cat.categories] if len(steps) else []
    max_t = float(steps["time"].max()) if len(steps) else 1.0
    end = axis_end(max_t, unit)
    ticks = nice_ticks(max_t, unit)
    datasets: dict[str, pd.DataFrame] = {}

    def data(prefix: str, df: pd.DataFrame) -> dict[str, Any]:
        if len(df) <= INLINE_ROWS:  # small tables ride in the spec (no Arrow conversion)
            return {"values": _records(df)}
        name = _named(prefix, df)
        datasets[name] = df.reset_index(drop=True)
        return {"name": name}

    x_scale = {"domain": [0, end], "nice": False}
    colours, dashes = km_group_styles(len(labels))
    color_scale = {"domain": labels, "range": colours[: len(labels)] or colours[:1]}
    color = _field("group", "nominal", scale=color_scale, legend=None)
    dash = _field(
        "group",
        "nominal",
        scale={"domain": labels, "range": dashes[: len(labels)] or dashes[:1]},
        legend=None,
    )
    x = _field(
        "time",
        "quantitative",
        title=f"Time from {analysis.spec.origin.label.lower()} ({unit.label})",
        scale=x_scale,
        axis={"values": [float(v) for v in ticks]},
    )
    x_plain = _field("time", "quantitative", scale=x_scale)
    y = _field(
        "surv", "quantitative", title=y_title, scale={"domain": [0, 1]}, axis={"format": "%"}
    )
    steps_data = data("steps", steps)
    layers: list[dict[str, Any]] = []
    if show_ci:
        layers.append(
            {
                "data": steps_data,
                "mark": {"type": "area", "interpolate": "step-after", "opacity": 0.15},
                "encoding": {
                    "x": x,
                    "y": _field("lower", "quantitative"),
                    "y2": {"field": "upper"},
                    "color": color,
                },
            }
        )
    tip = [
        _field("group", "nominal", title="Group"),
        _field("time", "quantitative", title=f"Time ({unit.label})", format=".1f"),
        _field("surv", "quantitative", title="Survival", format=".3f"),
        _field("lower", "quantitative", title="95% CI lower", format=".3f"),
        _field("upper", "quantitative", title="95% CI upper", format=".3f"),
    ]
    if "n_risk" in steps.columns:  # exact curves only: per-step numbers at risk
        tip.append(_field("n_risk", "quantitative", title="At risk"))
    layers.append(
        {
            "data": steps_data,
            "mark": {"type": "line", "interpolate": "step-after", "strokeWidth": 2},
            "encoding": {"x": x, "y": y, "color": color, "strokeDash": dash, "tooltip": tip},
        }
    )
    if len(censors):
        layers.append(
            {
                "data": data("censors", censors),
                "mark": {
                    "type": "point",
                    "shape": "stroke",
                    "size": 60,
                    "strokeWidth": 1.5,
                    "angle": 90,
                },
                "encoding": {
                    "x": x_plain,
                    "y": _field("surv", "quantitative"),
                    "color": color,
                    "tooltip": [
                        _field("group", "nominal"),
                        _field("time", "quantitative", format=".1f"),
                        _field("n_censor", "quantitative", title="Censored"),
                    ],
                },
            }
        )
    if show_median:
        scale = TIME_UNIT_DAYS[unit]
        meds = [
            {"group": group_legend_label(g, unit, analysis), "time": g.median.estimate / scale}
            for g in analysis.groups
            if g.median and g.median.estimate is not None and not g.suppressed
        ]
        if meds:
            layers.append(
                {
                    "data": data("medians", pd.DataFrame(meds)),
                    "mark": {"type": "rule", "strokeDash": [2, 2]},
                    "encoding": {
                        "x": x_plain,
                        "y": {"datum": 0},
                        "y2": {"datum": 0.5},
                        "color": color,
                    },
                }
            )
            layers.append(
                {
                    "data": data("half", pd.DataFrame({"y": [0.5]})),
                    "mark": {"type": "rule", "strokeDash": [2, 2], "color": "#888"},
                    "encoding": {"y": _field("y", "quantitative")},
                }
            )
    legend_rows: list[tuple[str, str, list[int], bool]] = [
        (lab, colours[i], dashes[i], False) for i, lab in enumerate(labels)
    ]
    if overlays is not None and len(overlays):
        ov = overlays[overlays["time"] <= end]
        bench = list(dict.fromkeys(str(v) for v in overlays["label"]))
        legend_rows.append(("Benchmarks (approximation from published summary)", "", [], True))
        for i, lab in enumerate(bench):
            bdash = BENCH_DASHES[i % len(BENCH_DASHES)]
            layers.append(
                {
                    "data": data("overlays", ov[ov["label"] == lab]),
                    "mark": {"type": "line", "color": "#555", "clip": True, "strokeDash": bdash},
                    "encoding": {
                        "x": x_plain,
                        "y": _field("surv", "quantitative"),
                        "tooltip": [_field("label", "nominal", title="Benchmark (approximation)")],
                    },
                }
            )
            legend_rows.append((lab, "#555", bdash, False))
        if overlay_note:
            legend_rows.append((overlay_note, "", [], True))
    plot_layers = list(layers)  # the on-screen layout draws its own legend and tables
    legend_layers, _legend_height = _legend_layers(legend_rows, CURVE_HEIGHT + 48, width)
    layers.extend(legend_layers)
    curve = {
        "layer": layers,
        "width": width,
        "height": CURVE_HEIGHT,
        "title": chart_title(title, synthetic),
    }

    # number at risk, aligned on the same x scale: as the analysis gives it (protected: at
    # the chosen times, as shown), else the exact numbers at the axis ticks
    risk_rows = []
    scale_days = TIME_UNIT_DAYS[unit]
    shown_groups = [g for g in analysis.groups if g.display is not None and not g.suppressed]
    for g in shown_groups:
        label = group_legend_label(g, unit, analysis)
        at_rows = g.display.risk_table
        if at_rows is None:
            n_at = at_risk_table(g.counts, ticks * scale_days)
            at_rows = tuple(
                (float(tk) * scale_days, str(int(n))) for tk, n in zip(ticks, n_at, strict=True)
            )
        for t_days, text in at_rows:
            if t_days / scale_days <= end + 1e-9:
                risk_rows.append(
                    {"group": label, "short": g.label, "time": t_days / scale_days, "n": text}
                )
    risk = (
        pd.DataFrame(risk_rows)
        if risk_rows
        else pd.DataFrame(columns=["group", "short", "time", "n"])
    )
    # KMunicate: cumulative events and censorings at the same times (protected: as shown)
    count_rows = []
    for g in shown_groups:
        label = group_legend_label(g, unit, analysis)
        rows = g.display.risk_counts
        if rows is None:
            if g.km is None:
                continue
            rows = tuple(
                (a.time, str(a.events), str(a.censored))
                for a in survival_at(g.km, ticks * scale_days)
            )
        for t_days, events, censored in rows:
            if t_days / scale_days <= end + 1e-9:
                count_rows.append(
                    {
                        "group": label,
                        "short": g.label,
                        "time": t_days / scale_days,
                        "n": f"{events} / {censored}",
                    }
                )
    counts = (
        pd.DataFrame(count_rows)
        if count_rows
        else pd.DataFrame(columns=["group", "short", "time", "n"])
    )
    text_layers = _aligned_text(risk, end, width)
    table = {
        "data": data("risk", risk),
        "layer": text_layers,
        "encoding": {
            "x": _field(
                "time",
                "quantitative",
                scale=x_scale,
                title=None,
                axis={"labels": False, "ticks": False, "domain": False, "grid": False},
            ),
            "y": _field(
                "short",
                "nominal",
                title="Number at risk",
                sort=[g.label for g in shown_groups],
                axis={
                    "domain": False,
                    "ticks": False,
                    "grid": False,
                    "labelPadding": 22,
                    "labelLimit": 130,
                },
            ),
            "text": _field("n", "nominal"),
            "color": _field("group", "nominal", scale=color_scale, legend=None),
        },
        "width": width,
        "height": max(22 * len(shown_groups), 22),
    }
    counts_table = {
        "data": data("counts", counts),
        "layer": text_layers,
        "encoding": {
            **table["encoding"],
            "y": _field(
                "short",
                "nominal",
                title="Events / censored (cumulative)",
                sort=[g.label for g in shown_groups],
                axis={
                    "domain": False,
                    "ticks": False,
                    "grid": False,
                    "labelPadding": 22,
                    "labelLimit": 130,
                },
            ),
        },
        "width": width,
        "height": max(22 * len(shown_groups), 22),
    }
    config = {
        "font": FONT,
        "axis": {"labelFontSize": 12, "titleFontSize": 13},
        "legend": {"labelFontSize": 12},
    }
    description = km_description(analysis, labels, title, synthetic)
    spec = {
        "$schema": alt.SCHEMA_URL,
        "config": config,
        "vconcat": [curve, table, counts_table],
        "spacing": 4,
        "description": description,
    }
    # on screen: one layered view whose width follows the page (Vega-Lite sizes only single
    # and layered views to their container), the tables and the legend drawn under the axis
    order = [g.label for g in shown_groups]
    screen_layers = list(plot_layers)
    top = CURVE_HEIGHT + SCREEN_TABLE_GAP
    for part, frame, header in (
        (risk_rows, risk, "Number at risk"),
        (count_rows, counts, "Events / censored (cumulative)"),
    ):
        more, top = _screen_table(
            part, header, top, order, x_scale, color_scale, _aligned_text(frame, end), data
        )
        screen_layers += more
    screen_layers += _screen_legend_layers(legend_rows, top + 6)
    screen = {
        "$schema": alt.SCHEMA_URL,
        "config": config,
        "width": "container",
        "height": CURVE_HEIGHT,
        "autosize": FIT_CONTAINER,
        "title": chart_title(title, synthetic),
        "layer": screen_layers,
        "description": description,
    }
    return VegaLiteChart(spec, datasets, screen)


FIT_CONTAINER = {"type": "fit-x", "contains": "padding"}
"""On screen: the whole figure (axes, labels, the tables' group names) as wide as its
container; the plotting area takes what is left."""
SCREEN_MIN_WIDTH = 300
"""Narrowest plotting area the on-screen layout plans for (an 800 px window with the sidebar
open leaves about 470 px for the whole figure)."""
SCREEN_WRAP_WIDTHS = (240, 300, 360, 420, 480, 560, 640)
"""Plotting-area widths at which the on-screen legend is re-wrapped (each width's wrapping is
used up to the next)."""
SCREEN_TABLE_GAP = 80
"""Pixels from the bottom of the plotting area to the first table's header (below the time
axis and its title)."""
SCREEN_ROW = 17
"""Pixels per line of the on-screen tables."""


def table_layers(
    frame: pd.DataFrame,
    *,
    row: str,
    order: Sequence[str],
    x_scale: alt.Scale,
    top: float,
    header: str,
    color: Any = alt.Undefined,
    font_size: int = 11,
) -> tuple[list[alt.Chart], float]:
    """A table of numbers under the time axis of a layered Altair chart (so that the figure
    stays one view, whose width can follow its container): a bold ``header`` at pixel row
    ``top`` (from the top of the plotting area), then one line per value of ``row`` in
    ``order``, its name left of the plotting area and its ``text`` at ``time`` on the chart's
    time scale. Returns the layers and the pixel row under the table."""
    rows = {name: top + SCREEN_ROW * (i + 1) for i, name in enumerate(order)}
    py = alt.Y("py:Q", scale=None)  # pixels from the top of the plotting area
    names = pd.DataFrame({"name": list(rows), "py": list(rows.values())})
    layers = [
        alt.Chart(pd.DataFrame({"py": [top]}))  # the header in the spec, not in a table
        .mark_text(align="left", baseline="middle", fontSize=11, fontWeight="bold")
        .encode(x=alt.value(0), y=py, text=alt.value(header), color=alt.value("#222222")),
        alt.Chart(names)
        .mark_text(
            align="right", baseline="middle", fontSize=font_size, limit=label_limit(200, 0.25)
        )
        .encode(x=alt.value(-10), y=py, text="name:N", color=alt.value("#222222")),
    ]
    if len(frame):
        times = np.unique(frame["time"].to_numpy(float))
        placed = frame.assign(
            py=frame[row].map(rows).astype(float),
            k=np.searchsorted(times, frame["time"].to_numpy(float)),
        )
        end = x_scale.domain[1] if isinstance(x_scale.domain, list) else times[-1]
        # a narrow view shows every 2nd (3rd, ...) column, so that no two numbers overlap
        gap = float(np.diff(times).min()) if times.size > 1 else float(end)
        px = 6.5 * max(len(str(v)) for v in frame["text"]) + 8
        every = f"max(1, ceil({px:g} * {float(end)!r} / ({gap!r} * max(width, 1))))"
        for part in _aligned_text(placed, float(end)):  # first column from the frame's edge
            layers.append(
                alt.Chart(placed)
                .transform_filter(f"datum.k % {every} == 0")
                .transform_filter(part["transform"][0]["filter"])
                .mark_text(baseline="middle", fontSize=font_size, align=part["mark"]["align"])
                .encode(x=alt.X("time:Q", scale=x_scale), y=py, text="text:N", color=color)
            )
    return layers, top + SCREEN_ROW * (len(rows) + 1) + 4


def _aligned_text(frame: pd.DataFrame, end: float, width: int = SCREEN_MIN_WIDTH) -> list[dict]:
    """Text layers of a risk table: the first numbers start at the frame's left edge and the
    last end at its right edge when they are within a number's width of it (centred, they
    would stick out of the frame); ``width`` is the plotting area's (narrowest) width."""
    edge = 16 * end / width  # about a number's width, in time units
    last_t = float(frame["time"].max()) if len(frame) else 0.0
    right = last_t > end - edge
    aligned = [
        ("left", "datum.time < 1e-9"),
        (
            "center",
            f"datum.time >= 1e-9 && {'datum.time < ' + repr(last_t - 1e-9) if right else 'true'}",
        ),
    ]
    if right:
        aligned.append(("right", f"datum.time >= {last_t - 1e-9!r}"))
    return [
        {"transform": [{"filter": test}], "mark": {"type": "text", "fontSize": 11, "align": a}}
        for a, test in aligned
    ]


def _screen_table(
    records: list[dict[str, Any]],
    header: str,
    top: float,
    order: list[str],
    x_scale: dict[str, Any],
    color_scale: dict[str, Any],
    text_layers: list[dict],
    data: Any,
) -> tuple[list[dict[str, Any]], float]:
    """A risk table as layers of the on-screen view, under the time axis: a bold header at
    pixel row ``top``, then one line per group (its name left of the plotting area, its
    numbers on the time scale). Returns the layers and the pixel row under the table."""
    rows = {short: top + SCREEN_ROW * (i + 1) for i, short in enumerate(order)}
    py = {"field": "py", "type": "quantitative", "scale": None}  # pixels from the top
    layers: list[dict[str, Any]] = [
        {
            "name": f"table_header_{int(top)}",
            "data": {"values": [{}]},
            "mark": {
                "type": "text",
                "align": "left",
                "baseline": "middle",
                "fontSize": 11,
                "fontWeight": "bold",
                "color": "#222222",
                "x": 0,
                "y": top,
                "text": header,
            },
            "encoding": {},
        },
        {
            "data": {"values": [{"short": k, "py": v} for k, v in rows.items()]},
            "mark": {
                "type": "text",
                "align": "right",
                "baseline": "middle",
                "fontSize": 11,
                "limit": 130,
                "color": "#222222",
                "x": -10,
            },
            "encoding": {"y": py, "text": _field("short", "nominal")},
        },
    ]
    if records:
        times = sorted({r["time"] for r in records})
        column = {t: k for k, t in enumerate(times)}
        placed = [{**r, "py": rows[r["short"]], "k": column[r["time"]]} for r in records]
        # a narrow view shows every 2nd (3rd, ...) column, so that no two numbers overlap
        px = 6.5 * max(len(str(r["n"])) for r in records) + 10
        every = f"max(1, ceil({px:g} * {len(times)} / max(width, 1)))"
        table = (  # short tables ride in the spec (no DataFrame round trip)
            {"values": placed}
            if len(placed) <= INLINE_ROWS
            else data("screen-" + header[:6].strip().lower(), pd.DataFrame(placed))
        )
        layers.append(
            {
                "data": table,
                "transform": [{"filter": f"datum.k % {every} == 0"}],
                "layer": [{**t, "mark": {**t["mark"], "baseline": "middle"}} for t in text_layers],
                "encoding": {
                    "x": _field("time", "quantitative", scale=x_scale),
                    "y": py,
                    "text": _field("n", "nominal"),
                    "color": _field("group", "nominal", scale=color_scale, legend=None),
                },
            }
        )
    return layers, top + SCREEN_ROW * (len(order) + 1) + 4


def _by_width(values: Sequence[Any]) -> dict[str, str]:
    """A Vega expression choosing ``values[i]`` when the plotting area is at least
    ``SCREEN_WRAP_WIDTHS[i]`` wide (the first below the narrowest)."""
    expr = json.dumps(values[0], ensure_ascii=False)
    for w, v in zip(SCREEN_WRAP_WIDTHS[1:], values[1:], strict=True):
        expr = f"width >= {w} ? {json.dumps(v, ensure_ascii=False)} : ({expr})"
    return {"expr": expr}


def _screen_legend_layers(
    rows: list[tuple[str, str, list[int], bool]], top: float
) -> list[dict[str, Any]]:
    """The figure's own legend (as :func:`_legend_layers`) for the on-screen view, whose width
    is known only in the browser: each label is wrapped for every width of
    ``SCREEN_WRAP_WIDTHS`` and the view picks the wrapping (and the rows' positions) that fits
    its plotting area, so no label is cut off or runs past the figure."""
    per_width = [_legend_layers(rows, top, w)[0] for w in SCREEN_WRAP_WIDTHS]
    out = []
    for parts in zip(*per_width, strict=True):
        first = copy.deepcopy(parts[0])
        enc = first["encoding"]
        ys = [p["encoding"]["y"]["value"] for p in parts]
        y = ys[0] if len(set(ys)) == 1 else _by_width(ys)
        enc["y"] = {"value": y}
        if "y2" in enc:
            enc["y2"] = {"value": y}
        if "text" in enc:
            texts = [p["encoding"]["text"]["value"] for p in parts]
            same = all(t == texts[0] for t in texts)
            enc["text"] = {"value": texts[0] if same else _by_width(texts)}
        out.append(first)
    return out


def km_description(
    analysis: SurvivalAnalysis, labels: Sequence[str], title: str, synthetic: Sequence[str]
) -> str:
    """The figure's accessible name (the SVG's aria-label): what it shows, in one sentence."""
    spec = analysis.spec
    groups = f"{len(labels)} groups: {'; '.join(labels)}" if len(labels) > 1 else "one curve"
    text = (
        f"Kaplan-Meier curves of {spec.endpoint.label.lower()} from "
        f"{spec.origin.label.lower()} ({groups}), with 95% confidence bands and tables of the "
        "number at risk and cumulative events and censored."
    )
    note = synthetic_note(synthetic)
    return " ".join(x for x in (title, text, note) if x)


FOREST_COLOURS = {"this view": "#D55E00", "benchmark": "#0072B2", "other population": "#999999"}
"""Forest-plot points: the view, benchmarks, and benchmarks of another population (grey)."""


def forest_chart(
    rows: pd.DataFrame,
    *,
    x_title: str,
    ref_line: float | None,
    log_scale: bool,
    highlight: str | None = None,
    hollow_kind: str | None = None,
    width: int = 340,
    synthetic: Sequence[str] = (),
    description: str = "",
) -> alt.LayerChart:
    """Dot-and-interval plot: rows with columns label, value, lower, upper[, kind, population].

    ``hollow_kind``: rows whose ``kind`` equals it (e.g. the reference level of a hazard-ratio
    plot) are drawn as open grey points without an interval. ``highlight`` (the view's row)
    is drawn in vermillion; rows with a non-empty ``population`` (another population than the
    view's) in grey, with a legend saying so. ``synthetic`` marks the title, ``description``
    is the accessible name. Labels are cut at 300 px and the plot is ``width`` wide, so the
    figure fits an 800 px window.
    """
    scale = alt.Scale(type="log") if log_scale else alt.Scale(zero=False)
    order = list(rows["label"])
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=label_limit(300)))
    flagged = "population" in rows.columns and bool((rows["population"].fillna("") != "").any())
    if flagged:
        rows = rows.assign(
            shown_as=np.where(
                rows["label"] == highlight,
                "this view",
                np.where(rows["population"].fillna("") != "", "other population", "benchmark"),
            )
        )
        colour = alt.Color(
            "shown_as:N",
            scale=alt.Scale(domain=list(FOREST_COLOURS), range=list(FOREST_COLOURS.values())),
            legend=alt.Legend(title=None, orient="bottom", direction="horizontal", columns=2),
        )
    elif highlight:
        colour = alt.condition(
            alt.datum.label == highlight, alt.value("#D55E00"), alt.value("#0072B2")
        )
    else:
        colour = alt.value("#0072B2")
    hollow = hollow_kind is not None and "kind" in rows.columns
    solid = rows[rows["kind"] != hollow_kind] if hollow else rows
    tooltip = [c for c in rows.columns if c not in ("kind", "shown_as", "id")]
    bars = (
        alt.Chart(solid)
        .mark_rule(strokeWidth=2)
        .encode(y=y, x=alt.X("lower:Q", title=x_title, scale=scale), x2="upper:Q", color=colour)
    )
    dots = (
        alt.Chart(solid)
        .mark_point(filled=True, size=70)
        .encode(y=y, x=alt.X("value:Q", scale=scale), color=colour, tooltip=tooltip)
    )
    layers = [bars, dots]
    if hollow:
        layers.append(
            alt.Chart(rows[rows["kind"] == hollow_kind])
            .mark_point(filled=False, size=70, color="#888", shape="diamond")
            .encode(y=y, x=alt.X("value:Q", scale=scale), tooltip=tooltip)
        )
    if ref_line is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"x": [ref_line]}))
            .mark_rule(strokeDash=[4, 4], color="#888")
            .encode(x="x:Q")
        )
    chart = alt.layer(*layers).properties(
        width=width, height=max(26 * len(order), 60), autosize=KEEP_SIZE
    )
    text = description or f"Forest plot: {x_title} with 95% CI for {len(order)} rows."
    return mark_synthetic(chart, synthetic, text)


def residual_chart(
    frame: pd.DataFrame,
    *,
    x_title: str,
    y_title: str,
    ref_value: float,
    title: str = "",
    width: int = 560,
) -> alt.LayerChart:
    """Scaled Schoenfeld residuals against time with a loess smooth and the constant-effect
    line: a smooth that stays flat around the line supports proportional hazards.

    ``frame``: columns time, residual (one row per event, as R ``plot(cox.zph(fit))``).
    """
    base = alt.Chart(frame)
    x = alt.X("time:Q", title=x_title, scale=alt.Scale(zero=True))
    points = base.mark_circle(size=18, opacity=0.35, color="#4a5568").encode(
        x=x,
        y=alt.Y("residual:Q", title=y_title),
        tooltip=[
            alt.Tooltip("time:Q", title=x_title, format=".1f"),
            alt.Tooltip("residual:Q", title="Scaled residual", format=".3f"),
        ],
    )
    smooth = (
        base.transform_loess("time", "residual", bandwidth=0.5)
        .mark_line(color="#d1495b", strokeWidth=2.5)
        .encode(x="time:Q", y="residual:Q")
    )
    level = (
        alt.Chart(pd.DataFrame({"y": [ref_value]}))
        .mark_rule(strokeDash=[4, 4], color="#1f5fa8")
        .encode(y="y:Q")
    )
    text = (
        f"Scaled Schoenfeld residuals ({y_title}) against {x_title}, with a loess smooth and "
        "the line of a constant effect."
    )
    return (
        alt.layer(points, level, smooth)
        .properties(
            width=width, height=300, title=title or "", autosize=KEEP_SIZE, description=text
        )
        .configure(font=FONT)
    )
