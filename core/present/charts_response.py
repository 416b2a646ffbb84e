"""Altair charts of the Response page: stacked response bars, rates with CIs, swimmer plot.

Builders take the frames of :mod:`core.analyses.responses` (or its result objects) and return
charts; no data access here. Percent axes run 0-100 and say so; every bar and row states its
n. Captions (selection, data version, method) are added by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from core.analyses.responses import (
    ADMINISTRATION,
    ALIVE,
    DIED,
    NO_PROTECTION,
    PROGRESSION,
    Protection,
    Swimmer,
    bar_categories,
    bar_frame,
    rate_frame,
    response_event,
)
from core.present.charts import FONT, mark_synthetic
from core.stats.responses import NOT_EVALUABLE_OR_MISSING_LABEL, RESPONSE_DOMAINS, ResponseTable
from core.vocab.methods import DAYS_PER_MONTH, ResponseDomain

GOOD, FAIR, STABLE, BAD, GREY = "#1a9850", "#91cf60", "#f2c14e", "#d73027", "#bdbdbd"

CATEGORY_COLORS: dict[ResponseDomain, dict[str, str]] = {
    ResponseDomain.IMAGING: {"CR": GOOD, "PR": FAIR, "SD": STABLE, "PD": BAD},
    ResponseDomain.SYMPTOMATIC: {"improved": GOOD, "stable": STABLE, "worse": BAD},
    ResponseDomain.BIOCHEMICAL: {"response": GOOD, "stable": STABLE, "progression": BAD},
}
"""Colour of each evaluable code (favourable green to unfavourable red); NE/missing grey."""

PERCENT_LABELS = "datum.value + '%'"
CONTENT_SIZE = alt.AutoSizeParams(type="pad", contains="padding")
"""Charts keep their own size: with Streamlit's default "fit" the legend and axes of a short
chart would squeeze the plotting area to nothing."""
SWIMMER_LANE_HEIGHT = 20


def _category_colors(domain: ResponseDomain, labels: list[str]) -> list[str]:
    spec = RESPONSE_DOMAINS[domain]
    by_label = {spec.code_labels[c]: col for c, col in CATEGORY_COLORS[domain].items()}
    by_label[NOT_EVALUABLE_OR_MISSING_LABEL] = GREY
    return [by_label.get(lab, GREY) for lab in labels]


def _title(title: str) -> dict:
    return {"title": title} if title else {}


def _percent_axis(title: str) -> alt.Axis:
    return alt.Axis(title=title, values=list(range(0, 101, 20)), labelExpr=PERCENT_LABELS)


LABEL_LINE = 15
"""Pixels of a row's label line (the row's name above its bar or interval)."""
BAR = 16
ROW_GAP = 5
HEAD_LINE = 17
SUB_LINE = 13
PANEL_GAP = 14
SUB_CHARS = 64
"""Characters per line of a panel's axis description (about 330 px at 10 px)."""


def _pixel_rows(panels: list[tuple[str, str, pd.DataFrame, str]]) -> tuple[dict, float]:
    """Pixel rows (from the top of the view) of every panel's header and rows.

    ``panels``: (title, axis description, frame, row column). Returns, per panel index,
    ``{"head": y, "sub": y, "sub_lines": [...], "rows": {row: (label_y, bar_centre_y)}}`` and
    the total height. Each row's name sits on its own line above its bar or interval, so the
    names need no column beside the plot and the view keeps its width for the data.
    """
    import textwrap

    out: dict[int, dict] = {}
    y = 0.0
    for i, (_title, sub, frame, col) in enumerate(panels):
        lines = textwrap.wrap(sub, SUB_CHARS, break_on_hyphens=False) or [""]
        entry = {"head": y + HEAD_LINE / 2, "sub": y + HEAD_LINE + SUB_LINE / 2, "lines": lines}
        y += HEAD_LINE + SUB_LINE * len(lines) + 4
        rows = {}
        for row in dict.fromkeys(frame[col]):
            rows[row] = (y + LABEL_LINE / 2, y + LABEL_LINE + BAR / 2)
            y += LABEL_LINE + BAR + ROW_GAP
        entry["rows"] = rows
        out[i] = entry
        y += PANEL_GAP
    return out, max(y - PANEL_GAP, 1.0)


def _bar_layers(
    frame: pd.DataFrame, categories: list[str], domain: ResponseDomain, rows: dict, axis, scale
) -> list[alt.Chart]:
    """Horizontal 100% stacked bars (one per group) at their pixel rows, with the percentage
    on segments of at least 8% and n at the end of each bar."""
    frame = frame.sort_values(["bar", "order"], kind="stable").copy()
    frame["x1"] = frame.groupby("bar", sort=False)["pct"].cumsum()
    frame["x0"] = frame["x1"] - frame["pct"]
    centre = frame["bar"].map({k: v[1] for k, v in rows.items()}).astype(float)
    frame["top"], frame["bottom"], frame["py"] = centre - BAR / 2, centre + BAR / 2, centre
    py = alt.Y("py:Q", scale=None, axis=None)
    color = alt.Color(
        "category:N",
        scale=alt.Scale(domain=categories, range=_category_colors(domain, categories)),
        legend=alt.Legend(title=None, orient="bottom", direction="horizontal", columns=2),
        sort=categories,
    )
    base = alt.Chart(frame)
    bars = base.mark_bar(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("x0:Q", scale=scale, axis=axis),
        x2="x1:Q",
        y=alt.Y("top:Q", scale=None, axis=None),
        y2="bottom:Q",
        color=color,
        tooltip=[
            alt.Tooltip("bar:N", title="Group"),
            alt.Tooltip("category:N", title="Category"),
            alt.Tooltip("n:Q", title="Patients"),
            alt.Tooltip("n_bar:Q", title="Denominator"),
            alt.Tooltip("pct:Q", title="Percent", format=".1f"),
        ],
    )
    labels = (
        base.transform_calculate(mid="(datum.x0 + datum.x1) / 2", text="round(datum.pct) + '%'")
        .transform_filter("datum.pct >= 8")
        .mark_text(fontSize=11, color="#1a1a1a", baseline="middle")
        .encode(y=py, x=alt.X("mid:Q", scale=scale, axis=axis), text="text:N")
    )
    totals = (
        alt.Chart(frame.drop_duplicates("bar"))
        .transform_calculate(x="100", text="'n = ' + datum.n_bar")
        .mark_text(align="left", dx=6, fontSize=11, color="#333", baseline="middle")
        .encode(y=py, x=alt.X("x:Q", scale=scale, axis=axis), text="text:N")
    )
    return [bars, labels, totals]


def _rate_layers(frame: pd.DataFrame, rows: dict, axis, scale) -> list[alt.Chart]:
    """Dot-and-interval rows of one derived rate (percent) at their pixel rows (the rate and
    its CI are written on each row's name line)."""
    frame = frame.copy()
    frame["py"] = frame["row"].map({k: v[1] for k, v in rows.items()}).astype(float)
    py = alt.Y("py:Q", scale=None, axis=None)
    tooltip = [
        alt.Tooltip("row:N", title="Group"),
        alt.Tooltip("text:N", title="Rate (95% CI)"),
    ]
    base = alt.Chart(frame)
    rule = base.mark_rule(strokeWidth=2, color="#1f5fa8").encode(
        y=py, x=alt.X("lower:Q", scale=scale, axis=axis), x2="upper:Q", tooltip=tooltip
    )
    dot = base.mark_point(filled=True, size=80, color="#1f5fa8").encode(
        y=py, x=alt.X("pct:Q", scale=scale, axis=axis), tooltip=tooltip
    )
    return [rule, dot]


def response_chart(
    table: ResponseTable,
    prot: Protection = NO_PROTECTION,
    *,
    width: int = 320,
    synthetic: Sequence[str] = (),
) -> alt.LayerChart:
    """The page's figure: stacked bars, then one dot-and-interval panel per derived rate.

    One layered view on a shared 0-100% axis (so that on a page it can follow its container's
    width: autosize "fit-x"; ``width`` is the plotting area in exports): each panel has a
    bold title and its axis description, each row its name on a line above its bar or
    interval (a rate's line also gives the rate and its CI). Rows withheld by small-cell
    protection (``prot``) are not drawn. ``synthetic`` (ids of the synthetic cohorts in view)
    puts the 'SYNTHETIC DATA' marker in the title; the figure has an accessible description
    (its aria-label).
    """
    spec = RESPONSE_DOMAINS[table.domain]
    over = table.denominator.label
    panels: list[tuple[str, str, pd.DataFrame, str]] = []
    bars = bar_frame(table, prot)
    if len(bars):
        panels.append((table.domain.label, f"Patients (% of {over})", bars, "bar"))
    rates = rate_frame(table, prot)
    ci = f"{round(100 * table.conf_level)}% CI {table.ci_method.label}"
    for d in spec.derived:
        part = rates[rates["rate"] == d.name]
        if len(part):
            panels.append((d.label, f"{d.label} (% of {over}, {ci})", part, "row"))
    if not panels:
        why = "no patients in the denominator"
        if prot.active:
            why += ", or every row withheld (small-cell protection)"
        empty = pd.DataFrame({"text": [f"No rates to draw: {why}"]})
        chart: alt.TopLevelMixin = alt.Chart(empty).mark_text(fontSize=13).encode(text="text:N")
    else:
        where, height = _pixel_rows(panels)
        scale = alt.Scale(domain=[0, 100], nice=False)
        axis = _percent_axis(f"% of {over}")
        layers: list[alt.Chart] = []
        names: list[dict] = []
        heads: list[tuple[str, float, int, str, str]] = []
        for i, (title, _sub, frame, col) in enumerate(panels):
            rows = where[i]["rows"]
            if col == "bar":
                layers += _bar_layers(frame, bar_categories(table), table.domain, rows, axis, scale)
            else:
                layers += _rate_layers(frame, rows, axis, scale)
            said = dict(zip(frame[col], frame["text"], strict=True)) if col == "row" else {}
            names += [
                {"text": f"{k}: {said[k]}" if k in said else k, "py": v[0]} for k, v in rows.items()
            ]
            heads.append((title, where[i]["head"], 14, "bold", "#000"))
            heads += [
                (line, where[i]["sub"] + j * SUB_LINE, 10, "normal", "#555")
                for j, line in enumerate(where[i]["lines"])
            ]
        text = {"align": "left", "baseline": "middle", "x": 0}
        layers += [
            alt.Chart(pd.DataFrame(names))
            .mark_text(fontSize=11, color="#222", **text)
            .encode(y=alt.Y("py:Q", scale=None, axis=None), text="text:N"),
        ]
        layers += [  # panel titles and axis descriptions: in the spec, not in a table
            alt.Chart(pd.DataFrame({"py": [y]}))
            .mark_text(fontSize=size, fontWeight=weight, color=colour, **text)
            .encode(y=alt.Y("py:Q", scale=None, axis=None), text=alt.value(line))
            for line, y, size, weight, colour in heads
        ]
        chart = alt.layer(*layers).properties(width=width, height=height)
    chart = (
        chart.properties(autosize=CONTENT_SIZE)
        .configure(font=FONT)
        .configure_axis(labelFontSize=12, titleFontSize=12)
        .configure_legend(labelFontSize=12)
        .configure_title(fontSize=14, anchor="start")
    )
    groups = "overall" if table.by is None else f"by {len(table.groups)} groups"
    text = (
        f"{table.domain.label}: response categories as stacked bars and "
        f"{', '.join(d.label[:1].lower() + d.label[1:] for d in spec.derived)} with {ci} ({groups}, "
        f"% of {over})."
    )
    return mark_synthetic(chart, synthetic, text)


SWIMMER_STYLE: dict[str, tuple[str, str, bool]] = {
    ADMINISTRATION: ("#1f5fa8", "diamond", True),
    response_event("CR"): (GOOD, "circle", True),
    response_event("PR"): (FAIR, "circle", True),
    response_event("SD"): (STABLE, "circle", True),
    response_event("PD"): (BAD, "circle", True),
    response_event("NE"): (GREY, "circle", True),
    PROGRESSION: (BAD, "triangle-down", True),
    DIED: ("#1a1a1a", "square", True),
    ALIVE: ("#1a1a1a", "triangle-right", False),
}
"""Colour, shape and fill of each swimmer marker."""


def swimmer_chart(
    sw: Swimmer, *, title: str = "", width: int = 560, synthetic: Sequence[str] = ()
) -> alt.LayerChart:
    """One lane per patient from first treatment to death or last follow-up (months).

    Lanes follow ``sw.lanes.order`` (longest follow-up first); markers are administrations,
    imaging responses, imaging progression, and the end of follow-up (death or alive).
    """
    lanes = sw.lanes
    order = list(lanes.sort_values("order")["lane"])
    y = alt.Y(
        "lane:N",
        sort=order,
        title="Patient (ordered by follow-up)",
        axis=alt.Axis(labelLimit=240, labelOverlap=False),
    )
    x_title = f"Months from first treatment (days / {DAYS_PER_MONTH:g})"
    x = alt.X("start:Q", title=x_title, scale=alt.Scale(zero=True, nice=True))
    lane_tooltip = [
        alt.Tooltip("lane:N", title="Patient"),
        alt.Tooltip("months:Q", title="Follow-up, months", format=".1f"),
        alt.Tooltip("status:N", title="Status"),
        alt.Tooltip("agent:N", title="Agent"),
        alt.Tooltip("route:N", title="Route"),
        alt.Tooltip("n_treatments:Q", title="Administrations"),
        alt.Tooltip("unknown_day_cycles:N", title="Cycles with unknown day (not drawn)"),
        alt.Tooltip("imaging_response:N", title="Imaging response"),
    ]
    if lanes["note"].astype(str).str.len().gt(0).any():
        lane_tooltip.append(alt.Tooltip("note:N", title="Published case note"))
    bars = (
        alt.Chart(lanes)
        .mark_bar(height=6, color="#c9d6e8")
        .encode(y=y, x=x, x2="months:Q", tooltip=lane_tooltip)
    )
    events = sw.events
    names = sw.event_names
    styles = [SWIMMER_STYLE[n] for n in names]
    marker_tooltip = [
        alt.Tooltip("lane:N", title="Patient"),
        alt.Tooltip("event:N", title="Event"),
        alt.Tooltip("months:Q", title="Months", format=".1f"),
        alt.Tooltip("day:Q", title="Day"),
        alt.Tooltip("detail:N", title="Detail"),
    ]
    legend = alt.Legend(title=None, orient="bottom", direction="horizontal", columns=2)
    marks = (
        alt.Chart(events)
        .mark_point(size=70, strokeWidth=1.5, opacity=1)
        .encode(
            y=y,
            x=alt.X("months:Q"),
            color=alt.Color(
                "event:N",
                scale=alt.Scale(domain=names, range=[s[0] for s in styles]),
                legend=legend,
            ),
            shape=alt.Shape(
                "event:N",
                scale=alt.Scale(domain=names, range=[s[1] for s in styles]),
                legend=legend,
            ),
            fill=alt.Fill(
                "event:N",
                scale=alt.Scale(domain=names, range=[s[0] if s[2] else "white" for s in styles]),
                legend=legend,
            ),
            tooltip=marker_tooltip,
        )
    )
    chart = (
        alt.layer(bars, marks)
        .properties(
            width=width,
            height=SWIMMER_LANE_HEIGHT * max(len(order), 1),
            autosize=CONTENT_SIZE,
            **_title(title),
        )
        .configure(font=FONT)
        .configure_axis(labelFontSize=11, titleFontSize=12)
        .configure_legend(labelFontSize=12, symbolSize=90)
        .configure_title(fontSize=14, anchor="start")
    )
    text = (
        f"Swimmer plot: one lane per patient ({len(order)} lanes) from first treatment to "
        "death or last follow-up, with administrations, responses and progression marked."
    )
    return mark_synthetic(chart, synthetic, text)
