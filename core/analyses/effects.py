"""Effect differences between the groups of a survival view, as this viewer may see them.

Spec -> query -> statistics -> disclosure -> result: :func:`effect_differences` runs the
survival analysis of the view (:func:`core.analyses.survival.analyse`, which opens the selection
for the viewer with :func:`core.analyses.view.open_view` and suppresses small groups), then
:func:`effects_of` compares each group shown in tests with a reference group (the first shown
group, as the hazard-ratio table, or one the caller names):

* survival difference ``S(t) - S_ref(t)`` at the view's chosen times, Greenwood SE, Wald CI,
  two-sided p (:func:`core.stats.effects.survival_difference`);
* RMST difference and ratio at the view's horizon, Wald CI and p for the difference, the
  ratio's CI on the log scale by the delta method (:func:`core.stats.effects.rmst_contrast`;
  R ``summary(survfit(...), rmean = tau)``, survRM2 ``rmst2``).

Rules. A group whose follow-up ends before the horizon gets no RMST contrast, as the survival
view's own RMST and survRM2 (unless its curve has reached 0: nothing is extrapolated then). The
patients with a missing grouping value are in no comparison (as R drops NA).

Disclosure. Statistics are computed on the exact estimates. In protected mode with imported
data in view: no comparison involves a group the survival view suppresses (small groups and the
groups that protect them; a suppressed reference gives no comparison at all); a survival
difference is withheld at a time where either group's survival is withheld (fewer than the
threshold at risk); every value shown is a function of estimates the Survival page already shows
for the same groups (each group's S(t) with its CI, its RMST with its CI), so no count is shown
or derivable that the page does not already protect. A refused selection gives only the refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from core.analyses.disclosure import EXEMPT, Disclosure, Mode
from core.analyses.survival import (
    GroupResult,
    SurvivalAnalysis,
    SurvivalSpec,
    analyse,
    last_followup,
)
from core.data.filters import Filters
from core.stats.effects import RMSTContrast, SurvivalDifference, rmst_contrast, survival_difference
from core.vocab.methods import TIME_UNIT_DAYS, TimeUnit

METHOD_SURVIVAL = (
    "difference of Kaplan-Meier estimates S(t) - S_ref(t), Greenwood standard errors, Wald 95% "
    "CI and two-sided z-test (R: summary(survfit(...), times = t))"
)
METHOD_RMST = (
    "difference and ratio of restricted mean survival times (R: summary(survfit(...), rmean = "
    "tau); survRM2 rmst2), Wald 95% CI and z-test for the difference, the ratio's CI on the "
    "log scale (delta method)"
)
WITHHELD_AT_RISK = "withheld: fewer than the threshold at risk in a group (disclosure control)"
NOT_ESTIMABLE = "not estimable: past a group's last follow-up"


@dataclass(frozen=True, slots=True)
class RMSTRow:
    """One group against the reference at the horizon (days); ``contrast`` None with ``note``
    saying why when not estimated."""

    group: str
    reference: str
    contrast: RMSTContrast | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class SurvivalRow:
    """One group against the reference at one time (days); values None with ``note`` when
    withheld or not estimable."""

    group: str
    reference: str
    difference: SurvivalDifference
    note: str = ""


@dataclass(frozen=True)
class EffectDifferences:
    """Effect differences of a survival view as this viewer may see them (times in days)."""

    spec: SurvivalSpec
    reference: str | None = None
    rmst: tuple[RMSTRow, ...] = ()
    survival: tuple[SurvivalRow, ...] = ()
    disclosure: Disclosure = EXEMPT
    refusal: str = ""
    """Non-empty: the selection may not be shown (nothing else is)."""
    note: str = ""
    """Why there is no comparison (ungrouped view, one group, hidden reference), or ''."""
    notes: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.refusal)

    @property
    def empty(self) -> bool:
        return not self.rmst and not self.survival

    @property
    def horizon_days(self) -> float | None:
        return self.spec.rmst_days


def _usable(analysis: SurvivalAnalysis) -> list[GroupResult]:
    return [g for g in analysis.groups if g.in_tests and not g.suppressed and g.km is not None]


def _beyond(g: GroupResult, tau: float) -> bool:
    """The survival view's RMST rule: the horizon is past the group's last follow-up and its
    curve has not reached 0 (survRM2 refuses such a horizon)."""
    return tau > last_followup(g.counts) and float(g.km.surv[-1]) > 0


def _shown_times(g: GroupResult) -> set[float]:
    """Times at which the view shows the group's survival (protected: enough at risk)."""
    return {a.time for a in g.at if a.surv is not None}


def effects_of(analysis: SurvivalAnalysis, reference: str | None = None) -> EffectDifferences:
    """Compare every group of ``analysis`` in its tests with ``reference`` (default: the first
    shown group), under the analysis's own disclosure (see the module notes)."""
    spec, d = analysis.spec, analysis.disclosure
    if analysis.refused:
        return EffectDifferences(spec, disclosure=d, refusal=analysis.refusal)
    if not spec.by:
        return EffectDifferences(spec, disclosure=d, note="No grouping: nothing to compare.")
    usable = _usable(analysis)
    hidden = [g.label for g in analysis.groups if g.suppressed and g.in_tests]
    notes = []
    if hidden:
        notes.append(
            "Not compared under disclosure control (small groups and the groups that protect "
            "them): " + ", ".join(hidden) + "."
        )
    if reference is not None and reference in hidden:
        return EffectDifferences(
            spec,
            reference,
            disclosure=d,
            note="The reference group is not shown under disclosure control: no comparison.",
            notes=tuple(notes),
        )
    by_label = {g.label: g for g in usable}
    if reference is not None and reference not in by_label:
        known = ", ".join(by_label) or "none"
        return EffectDifferences(
            spec,
            reference,
            disclosure=d,
            note=f"No group {reference!r} to compare with (groups: {known}).",
            notes=tuple(notes),
        )
    if len(usable) < 2:
        return EffectDifferences(
            spec,
            reference,
            disclosure=d,
            note="Fewer than two groups can be compared.",
            notes=tuple(notes),
        )
    ref = by_label[reference] if reference is not None else usable[0]
    others = [g for g in usable if g is not ref]
    tau = spec.rmst_days
    rmst_rows = []
    if tau:
        for g in others:
            late = [x.label for x in (g, ref) if _beyond(x, tau)]
            if late:
                note = (
                    "not estimated: the horizon is past the last follow-up of "
                    + " and ".join(late)
                    + " (survRM2 refuses such a horizon)"
                )
                rmst_rows.append(RMSTRow(g.label, ref.label, None, note))
            else:
                rmst_rows.append(RMSTRow(g.label, ref.label, rmst_contrast(g.km, ref.km, tau)))
    surv_rows = []
    times = [float(t) for t in spec.times_days]
    ref_shown = _shown_times(ref)
    for g in others:
        shown = _shown_times(g)
        for diff in survival_difference(g.km, ref.km, times):
            if d.active and not (diff.time in shown and diff.time in ref_shown):
                blank = SurvivalDifference(diff.time, *([None] * 9))
                surv_rows.append(SurvivalRow(g.label, ref.label, blank, WITHHELD_AT_RISK))
            elif diff.estimate is None:
                surv_rows.append(SurvivalRow(g.label, ref.label, diff, NOT_ESTIMABLE))
            else:
                surv_rows.append(SurvivalRow(g.label, ref.label, diff))
    return EffectDifferences(
        spec, ref.label, tuple(rmst_rows), tuple(surv_rows), d, notes=tuple(notes)
    )


def effect_differences(
    filters: Filters,
    spec: SurvivalSpec,
    reference: str | None = None,
    path: Path | str | None = None,
    *,
    mode: Mode = Mode.PROTECTED,
) -> EffectDifferences:
    """The view's effect differences for ``mode``: :func:`core.analyses.survival.analyse` (which
    opens the view for the viewer and applies its disclosure), then :func:`effects_of`."""
    return effects_of(analyse(filters, spec, path, mode=mode), reference)


# ------------------------------------------------------------------ tables, JSON, text
def _s(v: float | None, scale: float) -> float | None:
    return None if v is None else v / scale


def _pct(v: float | None) -> float | None:
    return None if v is None else 100 * v


def horizon_text(eff: EffectDifferences, unit: TimeUnit) -> str:
    tau = eff.horizon_days
    return "" if tau is None else f"{tau / TIME_UNIT_DAYS[unit]:g} {unit.label}"


def effects_frame(eff: EffectDifferences, unit: TimeUnit) -> pd.DataFrame:
    """Display table: one row per comparison and measure, estimate (95% CI) and p."""
    from core.vocab.formatting import fmt_est_ci, fmt_p

    s = TIME_UNIT_DAYS[unit]
    rows = []
    for r in eff.rmst:
        c = None if r.contrast is None else r.contrast.scaled(s)
        base = {"Group": r.group, "Reference": r.reference}
        rows.append(
            base
            | {
                "Measure": f"RMST difference to {horizon_text(eff, unit)}, {unit.label}",
                "Estimate (95% CI)": fmt_est_ci(c.difference, c.lower, c.upper) if c else "–",
                "p": fmt_p(c.p, prefix=False) if c and c.p is not None else "–",
                "Note": r.note,
            }
        )
        rows.append(
            base
            | {
                "Measure": f"RMST ratio to {horizon_text(eff, unit)}",
                "Estimate (95% CI)": fmt_est_ci(c.ratio, c.ratio_lower, c.ratio_upper, 2)
                if c and c.ratio is not None
                else "–",
                "p": fmt_p(c.ratio_p, prefix=False) if c and c.ratio_p is not None else "–",
                "Note": r.note,
            }
        )
    for r in eff.survival:
        x = r.difference
        rows.append(
            {
                "Group": r.group,
                "Reference": r.reference,
                "Measure": f"Survival difference at {x.time / s:g} {unit.label}, percentage points",
                "Estimate (95% CI)": fmt_est_ci(_pct(x.estimate), _pct(x.lower), _pct(x.upper))
                if x.estimate is not None
                else "–",
                "p": fmt_p(x.p, prefix=False) if x.p is not None else "–",
                "Note": r.note,
            }
        )
    return pd.DataFrame(
        rows, columns=["Group", "Reference", "Measure", "Estimate (95% CI)", "p", "Note"]
    )


EXPORT_NOTE = (
    "Columns: measure (rmst_difference, rmst_ratio, survival_difference), group against "
    "reference, time (horizon or time point) and unit; estimate, se (on the log scale for the "
    "ratio), lower, upper, p; a withheld or non-estimable value is empty with its note."
)


def _values(*v: float | None) -> dict[str, float | None]:
    return dict(zip(("estimate", "se", "lower", "upper", "p"), v, strict=True))


def effects_table(eff: EffectDifferences, unit: TimeUnit) -> pd.DataFrame:
    """Numeric table for CSV, one row per comparison and measure."""
    s = TIME_UNIT_DAYS[unit]
    rows: list[dict[str, Any]] = []
    for r in eff.rmst:
        c = None if r.contrast is None else r.contrast.scaled(s)
        tau = eff.horizon_days / s
        common = {"group": r.group, "reference": r.reference, "time": tau, "unit": unit.value}
        rows.append(
            {"measure": "rmst_difference", **common}
            | (_values(c.difference, c.se, c.lower, c.upper, c.p) if c else {})
            | {"note": r.note}
        )
        rows.append(
            {"measure": "rmst_ratio", **common}
            | (
                _values(c.ratio, c.log_ratio_se, c.ratio_lower, c.ratio_upper, c.ratio_p)
                if c
                else {}
            )
            | {"note": r.note}
        )
    for r in eff.survival:
        x = r.difference
        rows.append(
            {
                "measure": "survival_difference",
                "group": r.group,
                "reference": r.reference,
                "time": x.time / s,
                "unit": unit.value,
                "estimate": x.estimate,
                "se": x.diff_se,
                "lower": x.lower,
                "upper": x.upper,
                "p": x.p,
                "note": r.note,
            }
        )
    cols = ["measure", "group", "reference", "time", "unit", "estimate", "se", "lower", "upper"]
    return pd.DataFrame(rows, columns=[*cols, "p", "note"])


def effects_json(eff: EffectDifferences, unit: TimeUnit) -> dict[str, Any]:
    """``rmst_difference`` and ``survival_difference`` lists for the CLI's JSON (times in
    ``unit``); empty lists when there is nothing to compare."""
    s = TIME_UNIT_DAYS[unit]
    rmst_out = []
    for r in eff.rmst:
        c = None if r.contrast is None else r.contrast.scaled(s)
        rmst_out.append(
            {
                "group": r.group,
                "reference": r.reference,
                "horizon": eff.horizon_days / s,
                "unit": unit.value,
                "estimate": c.difference if c else None,
                "se": c.se if c else None,
                "ci": [c.lower, c.upper] if c else [None, None],
                "p": c.p if c else None,
                "rmst": [c.rmst, c.rmst_se] if c else None,
                "rmst_reference": [c.rmst_ref, c.rmst_ref_se] if c else None,
                "ratio": {
                    "estimate": c.ratio,
                    "ci": [c.ratio_lower, c.ratio_upper],
                    "se_log": c.log_ratio_se,
                    "p": c.ratio_p,
                }
                if c and c.ratio is not None
                else None,
                "method": METHOD_RMST,
                "note": r.note or None,
            }
        )
    surv_out = [
        {
            "group": r.group,
            "reference": r.reference,
            "time": r.difference.time / s,
            "unit": unit.value,
            "survival": r.difference.surv,
            "survival_reference": r.difference.surv_ref,
            "estimate": r.difference.estimate,
            "se": r.difference.diff_se,
            "ci": [r.difference.lower, r.difference.upper],
            "p": r.difference.p,
            "method": METHOD_SURVIVAL,
            "note": r.note or None,
        }
        for r in eff.survival
    ]
    return {"rmst_difference": rmst_out, "survival_difference": surv_out}


def effects_text(eff: EffectDifferences, unit: TimeUnit) -> list[str]:
    """Lines for the CLI's text output (empty when there is nothing to compare)."""
    if eff.refused or eff.empty:
        return [f"effect differences: {eff.note}"] if eff.note and eff.spec.by else []
    frame = effects_frame(eff, unit)
    out = [f"Effect differences against {eff.reference}:", frame.to_string(index=False)]
    out += [f"note: {n}" for n in eff.notes]
    return out
