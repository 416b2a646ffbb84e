"""The cumulative-incidence figure: one line per cause (colour) and group (line style), with its
risk table below, and the CSV frames of the view.

Presentation only: curves, numbers and suppressions arrive decided in a
:class:`~core.analyses.competing.CompetingAnalysis` (whole-month curves and rounded counts in
protected mode); nothing here decides what may be shown. Tooltips carry no counts.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from core.analyses.competing import CompetingAnalysis, cause_label, risk_rows
from core.present.charts import KM_DASHES, OKABE_ITO, SCREEN_TABLE_GAP, table_layers
from core.vocab.methods import TIME_UNIT_DAYS, TimeUnit

CAUSE_COLOURS = {"net_related": OKABE_ITO[1], "other": OKABE_ITO[0], "unknown": OKABE_ITO[6]}
"""Okabe-Ito colours per cause (vermillion, blue, black)."""
CIF_HEIGHT = 300


def curve_frame(a: CompetingAnalysis, unit: TimeUnit) -> pd.DataFrame:
    """Every drawn point: group, cause, time (in ``unit``), cif, lower, upper (numeric)."""
    s = TIME_UNIT_DAYS[unit]
    parts = []
    for g in a.groups:
        for c in g.causes:
            if c.display is None or not c.display.time.size:
                continue
            parts.append(
                pd.DataFrame(
                    {
                        "group": g.label,
                        "cause": c.label,
                        "time": c.display.time / s,
                        "cif": c.display.cif,
                        "lower": c.display.lower,
                        "upper": c.display.upper,
                    }
                )
            )
    cols = ["group", "cause", "time", "cif", "lower", "upper"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def at_frame(a: CompetingAnalysis, unit: TimeUnit) -> pd.DataFrame:
    """The estimates at the chosen times, numeric (CSV): group, cause, time, cif, lower, upper."""
    s = TIME_UNIT_DAYS[unit]
    rows = [
        {
            "group": g.label,
            "cause": c.label,
            f"time_{unit.value}": v.time / s,
            "cif": v.cif,
            "lower_95": v.lower,
            "upper_95": v.upper,
        }
        for g in a.groups
        for c in g.causes
        for v in c.at
    ]
    return pd.DataFrame(rows)


def risk_frame(a: CompetingAnalysis, unit: TimeUnit) -> pd.DataFrame:
    """The risk table as shown (counts, '<11' or 'suppressed' under protection)."""
    return pd.DataFrame(risk_rows(a, unit))


def _risk_text(a: CompetingAnalysis, unit: TimeUnit) -> pd.DataFrame:
    """One text row per group and quantity (at risk, deaths per cause, censored), KMunicate-style."""
    s = TIME_UNIT_DAYS[unit]
    rows = []
    for g in a.groups:
        if g.suppressed:
            continue
        for r in g.risk:
            items = [("at risk", r.at_risk)]
            items += [(f"{cause_label(c)} deaths", n) for c, n in r.events]
            items.append(("censored", r.censored))
            for name, n in items:
                rows.append(
                    {"row": f"{g.label}: {name}", "time": r.time / s, "text": str(a.cell(n))}
                )
    return pd.DataFrame(rows, columns=["row", "time", "text"])


def cif_chart(a: CompetingAnalysis, unit: TimeUnit, width: int = 560) -> alt.LayerChart:
    """Cumulative incidence per cause (colour) and group (line style), 0 to 1, with the risk
    table below (at risk / deaths per cause / censored at each chosen time). The title gives n.
    One layered view (the table drawn under the time axis), so that on a page the figure can
    follow its container's width (autosize "fit-x"); ``width`` is the plotting area in
    exports."""
    df = curve_frame(a, unit)
    s = TIME_UNIT_DAYS[unit]
    table_times = [r.time / s for g in a.groups for r in g.risk]
    top = max([float(df["time"].max()) if len(df) else 12.0, *table_times, 1.0])
    x_scale = alt.Scale(domain=[0, top])
    causes = [cause_label(c) for c in a.causes]
    groups = [g.label for g in a.groups if not g.suppressed]
    color = alt.Color(
        "cause:N",
        title="Cause of death",
        scale=alt.Scale(domain=causes, range=[CAUSE_COLOURS[c] for c in a.causes]),
        legend=alt.Legend(orient="top", symbolType="stroke"),
    )
    dash = alt.StrokeDash(
        "group:N",
        title="Group",
        scale=alt.Scale(
            domain=groups, range=[KM_DASHES[i % len(KM_DASHES)] for i in range(len(groups))]
        ),
        legend=alt.Legend(orient="top", symbolType="stroke") if len(groups) > 1 else None,
    )
    curves = (
        alt.Chart(df)
        .mark_line(interpolate="step-after", strokeWidth=2)
        .encode(
            x=alt.X("time:Q", title=f"Time since first treatment ({unit.label})", scale=x_scale),
            y=alt.Y(
                "cif:Q",
                title="Cumulative incidence (probability)",
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=color,
            strokeDash=dash,
            tooltip=[
                alt.Tooltip("group:N", title="Group"),
                alt.Tooltip("cause:N", title="Cause"),
                alt.Tooltip("time:Q", title=unit.label.capitalize(), format=".1f"),
                alt.Tooltip("cif:Q", title="Cumulative incidence", format=".3f"),
            ],
        )
    )
    risk_text = _risk_text(a, unit)
    table, _bottom = table_layers(
        risk_text,
        row="row",
        order=list(dict.fromkeys(risk_text["row"])),
        x_scale=x_scale,
        top=CIF_HEIGHT + SCREEN_TABLE_GAP,
        header=f"Numbers at risk, deaths (cumulative) and censored, {unit.label}",
        font_size=10,
    )
    return alt.layer(curves, *table).properties(
        width=width,
        height=CIF_HEIGHT,
        title=f"Cumulative incidence of death by cause · n = {a.n_shown}",
        description="Cumulative incidence of death by cause over time, with a risk table.",
    )


def has_curves(a: CompetingAnalysis) -> bool:
    return any(
        c.display is not None and np.size(c.display.time) for g in a.groups for c in g.causes
    )
