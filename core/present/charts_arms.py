"""Charts of reconstructed trial arms: the view against an arm, and a reconstruction's preview.

Presentation only: the view's curve and numbers at risk arrive already disclosed in an
:class:`~core.analyses.arms.ArmComparison` (whole months in protected mode, no censoring marks);
nothing here decides what may be shown. Tooltips carry no counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from core.analyses.arms import ArmComparison
from core.literature.arms import LABEL
from core.present.charts import SCREEN_TABLE_GAP, label_limit, mark_synthetic, table_layers
from core.stats.reconstruct import Reconstruction

VIEW_LABEL = "This view"
ARM_HEIGHT = 320


def arm_label(c: ArmComparison) -> str:
    return f"{c.arm.trial} · {c.arm.arm} ({LABEL})"


def arm_frame(c: ArmComparison) -> pd.DataFrame:
    """Both step curves: columns label, source (view / reconstructed arm), time (months), surv."""
    parts = []
    if c.view_curve is not None and len(c.view_curve):
        parts.append(c.view_curve.assign(label=VIEW_LABEL, source="this view"))
    if c.arm_curve is not None:
        parts.append(c.arm_curve.assign(label=arm_label(c), source="reconstructed arm"))
    if not parts:
        return pd.DataFrame(columns=["label", "source", "time", "surv"])
    return pd.concat(parts, ignore_index=True)[["label", "source", "time", "surv"]]


def risk_table_frame(c: ArmComparison) -> pd.DataFrame:
    """Long frame for the table under the chart: label, time, text."""
    rows = []
    for label, values in ((VIEW_LABEL, c.view_risk), (arm_label(c), c.arm_risk)):
        for t, v in zip(c.risk_times, values, strict=False):
            rows.append({"label": label, "time": t, "text": str(v)})
    return pd.DataFrame(rows, columns=["label", "time", "text"])


def arm_chart(c: ArmComparison, width: int = 520, synthetic: Sequence[str] = ()) -> alt.LayerChart:
    """The view's curve and the arm's, each a step curve, with their numbers at risk below;
    ``synthetic`` (the synthetic cohorts in view) marks the title. One layered view (the table
    drawn under the time axis), so that on a page it can follow its container's width
    (autosize "fit-x"; ``width`` is the plotting area in exports); it carries an accessible
    description."""
    df = arm_frame(c)
    top = max(float(df["time"].max()) if len(df) else 12.0, max(c.risk_times, default=0.0))
    x_scale = alt.Scale(domain=[0, top])
    x = alt.X("time:Q", title="Months", scale=x_scale)
    color = alt.Color(
        "label:N",
        title=None,
        legend=alt.Legend(
            orient="top", labelLimit=label_limit(500, 0.45), symbolType="stroke", columns=1
        ),
    )
    curves = (
        alt.Chart(df)
        .mark_line(interpolate="step-after")
        .encode(
            x=x,
            y=alt.Y("surv:Q", title="Survival", scale=alt.Scale(domain=[0, 1])),
            color=color,
            strokeDash=alt.StrokeDash("source:N", legend=None),
            tooltip=[alt.Tooltip("label:N", title="Curve")],
        )
    )
    rt = risk_table_frame(c)
    table, _bottom = table_layers(
        rt,
        row="label",
        order=list(dict.fromkeys(rt["label"])),
        x_scale=x_scale,
        top=ARM_HEIGHT + SCREEN_TABLE_GAP,
        header="Numbers at risk",
        color=alt.Color("label:N", legend=None),
    )
    text = (
        f"Kaplan-Meier curves of this view and of the reconstructed trial arm {arm_label(c)}, "
        "with their numbers at risk."
    )
    chart = alt.layer(curves, *table).properties(width=width, height=ARM_HEIGHT)
    return mark_synthetic(chart, synthetic, text)


def preview_frame(rec: Reconstruction) -> pd.DataFrame:
    """The cleaned digitised points and the reconstructed Kaplan-Meier curve, in the input's
    time unit: columns kind ('digitised point' / 'reconstructed'), time, surv."""
    t = np.asarray(rec.time, dtype=float)
    e = np.asarray(rec.event, dtype=int)
    ut = np.unique(t)
    d = np.array([e[t == u].sum() for u in ut], dtype=float)
    risk = np.array([(t >= u).sum() for u in ut], dtype=float)
    surv = np.cumprod(1.0 - d / np.maximum(risk, 1.0))
    km = pd.DataFrame({"kind": "reconstructed", "time": np.r_[0.0, ut], "surv": np.r_[1.0, surv]})
    pts = pd.DataFrame(
        {"kind": "digitised point", "time": rec.curve.time, "surv": rec.curve.survival}
    )
    return pd.concat([pts, km], ignore_index=True)


def preview_chart(rec: Reconstruction, width: int = 560) -> alt.LayerChart:
    """The digitised points over the reconstructed curve (how well the rows follow them)."""
    df = preview_frame(rec)
    base = alt.Chart(df).encode(
        x=alt.X("time:Q", title="Time (unit of the figure)"),
        y=alt.Y("surv:Q", title="Survival", scale=alt.Scale(domain=[0, 1])),
    )
    line = base.transform_filter(alt.datum.kind == "reconstructed").mark_line(
        interpolate="step-after"
    )
    points = base.transform_filter(alt.datum.kind == "digitised point").mark_point(
        color="firebrick", size=20
    )
    return alt.layer(line, points).properties(width=width, height=260)
