"""Hazard-ratio forests for the Cox page: the model's terms and the subgroup forest.

Both draw the estimate and its 95% CI on a log axis whose domain is fitted to the CI limits
(with a margin, always including the reference line at HR = 1), and print "HR (95% CI)"
(or why there is none) in a column beside each row, so the figure reads without a tooltip.
Rows are given by the analysis layer (:func:`core.analyses.cox.forest_frame`,
:func:`core.analyses.subgroups.forest_frame`): columns ``label``, ``value``, ``lower``,
``upper``, ``text`` and ``kind`` (``estimate``, ``overall``, ``reference`` (open diamond at
1, no interval), ``none`` (text only) and ``header`` (a bold field name)).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd

from core.present.charts import FONT, KEEP_SIZE, chart_title, label_limit

COLOUR = "#0072B2"  # Okabe-Ito blue
OVERALL = "#000000"
GREY = "#888888"
ROW_HEIGHT = 24
MARGIN = 0.08
TEXT_GAP = 8
"""Pixels between the plotting area and the 'HR (95% CI)' column."""
"""Fraction of the log-range added on each side of the CI limits."""


def log_domain(rows: pd.DataFrame, ref: float = 1.0, margin: float = MARGIN) -> list[float]:
    """[low, high] of a log axis that holds every finite CI limit and ``ref``, with a margin.

    With no finite limit (nothing drawn): 0.5 .. 2 around ``ref``, with the margin.
    """
    vals = [ref]
    for col in ("lower", "upper", "value"):
        if col in rows.columns:
            vals += [float(v) for v in rows[col] if _finite_positive(v)]
    lo, hi = min(vals), max(vals)
    if lo == hi:
        lo, hi = lo / 2, hi * 2
    span = math.log(hi / lo)
    return [lo * math.exp(-margin * span), hi * math.exp(margin * span)]


def _unique(labels: list[str]) -> list[str]:
    """Labels made unique (a nominal axis merges equal ones) by trailing zero-width spaces."""
    seen: dict[str, int] = {}
    out = []
    for lb in labels:
        k = seen.get(lb, 0)
        seen[lb] = k + 1
        out.append(lb + "\u200b" * k)
    return out


def _finite_positive(v: object) -> bool:
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return math.isfinite(x) and x > 0


def hr_forest(
    rows: pd.DataFrame,
    *,
    x_title: str = "Hazard ratio (95% CI), log scale",
    ref_line: float = 1.0,
    width: int = 380,
    text_width: int = 190,
    title: str = "",
    description: str = "",
    synthetic: Sequence[str] = (),
) -> alt.LayerChart:
    """Dot-and-interval plot on a fitted log axis, with the 'HR (95% CI)' text beside it.

    ``rows``: label, value, lower, upper, text, kind (see the module docstring). The row
    order is kept. ``description`` is the chart's accessible name. One layered view (the text
    column drawn just right of the plotting area, ``text_width`` wide at most), so that on a
    page the figure can follow its container's width (autosize "fit-x"); ``width`` is the
    plotting area's width in exports.
    """
    rows = rows.reset_index(drop=True).copy()
    if "text" not in rows.columns:
        rows["text"] = rows.get("HR (95% CI)", "")
    if "kind" not in rows.columns:
        rows["kind"] = "estimate"
    rows["label"] = _unique(list(rows["label"]))
    order = list(rows["label"])
    domain = log_domain(rows[rows["kind"].isin(["estimate", "overall"])], ref_line)
    ys = alt.Scale(domain=order)  # every row, drawn or not, keeps its line
    y = alt.Y(
        "label:N", scale=ys, title=None, axis=alt.Axis(labelLimit=label_limit(360), labelFont=FONT)
    )
    scale = alt.Scale(type="log", domain=domain, nice=False)
    drawn = rows[rows["kind"].isin(["estimate", "overall"])].copy()
    # an interval past the axis is clipped at its edge (the text gives the real limits)
    drawn["lo_c"] = drawn["lower"].clip(lower=domain[0])
    drawn["hi_c"] = drawn["upper"].clip(upper=domain[1])
    colour = alt.Color(
        "kind:N",
        scale=alt.Scale(domain=["estimate", "overall"], range=[COLOUR, OVERALL]),
        legend=None,
    )
    tooltip = [
        alt.Tooltip("label:N", title="Row"),
        alt.Tooltip("text:N", title="HR (95% CI)"),
    ]
    x = alt.X("value:Q", title=x_title, scale=scale, axis=alt.Axis(grid=False))
    layers = [
        alt.Chart(pd.DataFrame({"x": [ref_line]}))
        .mark_rule(strokeDash=[4, 4], color=GREY)
        .encode(x=alt.X("x:Q", scale=scale)),
        alt.Chart(drawn)
        .mark_rule(strokeWidth=2)
        .encode(y=y, x=alt.X("lo_c:Q", scale=scale, title=x_title), x2="hi_c:Q", color=colour),
        alt.Chart(drawn)
        .mark_point(filled=True, shape="square", size=70)
        .encode(y=y, x=x, color=colour, tooltip=tooltip),
    ]
    ref_rows = rows[rows["kind"] == "reference"]
    if len(ref_rows):
        layers.append(
            alt.Chart(ref_rows)
            .mark_point(filled=False, size=70, color=GREY, shape="diamond")
            .encode(y=y, x=alt.X("value:Q", scale=scale), tooltip=tooltip)
        )
    beside = {"expr": f"width + {TEXT_GAP}"}  # just right of the plotting area, any width
    layers += [
        alt.Chart(rows)
        .mark_text(
            align="left", baseline="middle", font=FONT, fontSize=11, limit=text_width, x=beside
        )
        .encode(
            y=y,  # (an axis=None here would drop the shared axis's labels)
            text="text:N",
            color=alt.condition(
                "datum.kind == 'none' || datum.kind == 'reference'",
                alt.value(GREY),
                alt.value("#000000"),
            ),
        ),
        alt.Chart(pd.DataFrame({"text": ["HR (95% CI)"]}))
        .mark_text(
            align="left",
            baseline="bottom",
            font=FONT,
            fontSize=11,
            fontWeight="bold",
            x=beside,
            y=-6,
        )  # fmt: skip
        .encode(text="text:N"),
    ]
    height = max(ROW_HEIGHT * len(order), 60)
    chart = alt.layer(*layers).properties(width=width, height=height, autosize=KEEP_SIZE)
    if title or synthetic:  # a synthetic cohort is named in the title (issue 19 #9)
        chart = chart.properties(title=alt.TitleParams(**chart_title(title, synthetic)))
    if description:
        chart = chart.properties(description=description)
    return chart.configure_view(stroke=None)
