"""One export bundle for a survival view: what the Survival page offers and ``report`` writes.

Both the page's download buttons and ``python -m core report`` are made from
:func:`survival_bundle`, so they can never disagree. From the frozen analysis results (the
survival analysis, its hazard ratios, response tables, optionally Table 1) it names the files:

=========================  ==================================================================
``<stem>.svg``/``.png``    the figure with its caption drawn in (selection, data versions and
                           provenance, method, the disclosure stamp, UTC date, link)
``summary.csv``            n, events, median and quartiles with CIs, RMST per group, unit
``survival_at.csv``        survival (proportion, 95% CI) and number at risk at the chosen times
``pairwise.csv``           Holm-adjusted pairwise log-rank tests (more than two groups shown)
``hazard_ratios.csv``      Cox hazard ratios against the reference group
``effects.csv``            survival difference at the times, RMST difference and ratio (grouped)
``responses_<domain>.csv`` response categories and rates (when responses are given)
``table1.csv``             baseline characteristics (when Table 1 is given)
``results.txt``            the results paragraph
``methods.txt``            the methods paragraph
``manifest.json``          selection, cohorts, disclosure, software, every file with its hash
=========================  ==================================================================

The survival CSVs are numeric, one value per cell (``median``, ``median_lower``,
``median_upper``, ``median_beyond``, ...), so that they load as numbers; only counts withheld by
disclosure stay text ('<11', 'suppressed'), and the provenance lines say so. Every CSV opens
with provenance lines (selection, data versions and provenance, method, the disclosure stamp,
export time, link, and what the columns hold) and goes through
:func:`core.present.export.to_csv_bytes` (formula-leading cells neutralised).

Nothing here decides disclosure: counts come through the results' own ``cell``/``show``, rows of
groups the analysis suppressed are left out of every comparison, and the mode is stated from
``result.disclosure`` (``d.stamp()`` on figures and CSVs, ``d.sentence()`` in the paragraphs,
``d.json()`` in the manifest). Files are made lazily (a page renders a figure only on click).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.analyses.disclosure import Disclosure
from core.analyses.effects import EXPORT_NOTE as EFFECTS_COLUMNS_NOTE
from core.analyses.effects import effects_of, effects_table
from core.analyses.survival import SurvivalAnalysis
from core.present import export, rcode
from core.present import table1 as table1_view
from core.present.charts import km_chart
from core.present.paragraphs import (
    disclosure_of,
    fields_in_use,
    method_line,
    methods_paragraph,
    results_paragraph,
    shown_description,
    shown_hazard_ratios,
    shown_n_selected,
    shown_pairwise,
)
from core.vocab.methods import TIME_UNIT_DAYS, Provenance, TimeUnit
from core.vocab.schema import CohortInfo

MANIFEST = "manifest.json"
PLACEHOLDER_WIDTH = 640
PLACEHOLDER_HEIGHT = 200


# ------------------------------------------------------------------ files
@dataclass(frozen=True)
class BundleFile:
    """One file of the bundle, made when asked for (``make()`` returns its bytes)."""

    name: str
    label: str
    mime: str
    make: Callable[[], bytes] = field(repr=False, compare=False)


@dataclass(frozen=True)
class ResponsePart:
    """A response table as it may be shown: ``shown`` is the table without the groups the
    analysis withheld (None when its figures are withheld altogether)."""

    table: Any
    frame: pd.DataFrame
    shown: Any
    notes: tuple[str, ...] = ()
    method: str = ""
    """The response method line (domain, denominator, interval, test) for the CSV."""


@dataclass(frozen=True)
class ExportBundle:
    """The files of one survival view, with the text and provenance they share."""

    files: tuple[BundleFile, ...]
    caption: tuple[str, ...]
    results: str
    methods: str
    disclosure: Disclosure
    notes: tuple[str, ...]
    link: str | None
    when: dt.datetime
    manifest_fields: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.files) + (MANIFEST,)

    def file(self, name: str) -> BundleFile:
        return next(f for f in self.files if f.name == name)

    def figures(self) -> tuple[BundleFile, ...]:
        return tuple(f for f in self.files if f.mime.startswith("image/"))

    def tables(self) -> tuple[BundleFile, ...]:
        return tuple(f for f in self.files if f.mime == "text/csv")

    def render(self) -> dict[str, bytes]:
        """Every file, the manifest last (it lists the others with sizes and hashes)."""
        out = {f.name: f.make() for f in self.files}
        out[MANIFEST] = export.manifest_json(self.manifest(out)).encode("utf-8")
        return out

    def manifest(self, rendered: Mapping[str, bytes]) -> dict[str, Any]:
        """The manifest of ``rendered`` files: provenance, disclosure, software, hashes."""
        out: dict[str, Any] = {
            "app": export.APP_NAME,
            "version": export.app_version(),
            "created_utc": export.iso_utc(self.when),
            **self.manifest_fields,
            "disclosure": self.disclosure.json(),
            "share_link": self.link,
        }
        figure: dict[str, Any] = {"caption": list(self.caption)}
        png = next((data for name, data in rendered.items() if name.endswith(".png")), None)
        if png is not None:
            width, height = export.png_size(png)
            dpi = export.LAYOUT_PPI * export.PNG_SCALE
            figure |= {
                "png_scale": export.PNG_SCALE,
                "png_dpi": dpi,
                "png_pixels": [width, height],
                "png_inches": [round(width / dpi, 2), round(height / dpi, 2)],
            }
        out["figure"] = figure
        out["software"] = export.software_versions()
        out["notes"] = list(self.notes)
        out["files"] = [
            {"name": name, "bytes": len(data), "sha256": export.sha256(data)}
            for name, data in rendered.items()
            if name != MANIFEST
        ]
        return out

    def zip_bytes(self) -> bytes:
        """All files (manifest included) in one ZIP archive."""
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in self.render().items():
                zf.writestr(name, data)
        return buf.getvalue()


@dataclass(frozen=True)
class BundleOutline:
    """What a page shows of a bundle before any file is made: each file's (name, label, mime)
    in the bundle's order, and the two paragraphs. It holds no time and no link, so a page can
    keep it per view and build the bundle itself only when a file is asked for."""

    files: tuple[tuple[str, str, str], ...]
    results: str
    methods: str


def outline(bundle: ExportBundle) -> BundleOutline:
    """The outline of ``bundle`` (nothing is made)."""
    files = tuple((f.name, f.label, f.mime) for f in bundle.files)
    return BundleOutline(files, bundle.results, bundle.methods)


# ------------------------------------------------------------------ tables
def response_part(result: Any) -> ResponsePart | None:
    """A response result (``core.analyses.responses.ResponseResult``) as the bundle writes it:
    its table with the protection the analysis decided; None for a refused selection."""
    table = getattr(result, "table", None)
    if table is None:
        return None
    from core.analyses.responses import method_line as response_method

    return ResponsePart(
        table,
        response_numeric_frame(result),
        result.shown_table(),
        tuple(result.notes()),
        response_method(table),
    )


RESPONSE_COLUMNS_NOTE = (
    "Columns: one row per group and category or rate; estimate, lower, upper (95% CI) are "
    "percentages of the denominator (unit %); counts n, denominator and the group sizes are "
    "numbers; a cell withheld under disclosure control, or not estimable, is empty."
)


RESPONSE_COUNT_COLUMNS = (
    "n_patients",
    "n_evaluable",
    "n_not_evaluable",
    "n_missing",
    "n",
    "denominator",
)


def response_numeric_frame(result: Any) -> pd.DataFrame:
    """The response table long and numeric (the Response page's CSV, ``ResponseResult.export``)
    with the rate columns named as in the survival CSVs: estimate, lower, upper, unit (%).
    Withheld cells are empty, as the analysis's protection decided."""
    from core.analyses.responses import export_frame

    frame = result.export().rename(
        columns={"pct": "estimate", "ci_lower": "lower", "ci_upper": "upper"}
    )
    prot = result.protection
    if getattr(prot, "active", False) and len(frame):
        # a withheld count is written as the analysis shows it ('<11', 'suppressed'), as in the
        # survival CSVs; its percentage and interval stay empty
        full = export_frame(result.table)
        for col in RESPONSE_COUNT_COLUMNS:
            withheld = frame[col].isna() & full[col].notna()
            if withheld.any():
                frame[col] = frame[col].astype(object)
                frame.loc[withheld, col] = [prot.text(int(v)) for v in full.loc[withheld, col]]
    if "upper" in frame.columns:
        frame.insert(frame.columns.get_loc("upper") + 1, "unit", "%")
    return frame


def response_frame(table: Any, protection: Any = None) -> pd.DataFrame:
    """A response table wide: counts (%) per category, rates with CIs, the test.

    Each count goes through the analysis's protection (``'<11'`` or ``'suppressed'`` where it
    is withheld); a count whose denominator is withheld shows without its percentage, a rate
    with a withheld count or denominator is 'suppressed', and a withheld test is left out.
    """
    from core.analyses.responses import NO_PROTECTION
    from core.stats.responses import RESPONSE_DOMAINS
    from core.vocab.formatting import fmt_num, fmt_p
    from core.vocab.methods import Denominator

    prot = protection if protection is not None else NO_PROTECTION
    dom = RESPONSE_DOMAINS[table.domain]
    ci = table.ci_method.label
    den_key = "eval" if table.denominator is Denominator.EVALUABLE else "n"
    rows_src = list(table.groups)
    if table.by is not None:
        rows_src.append(table.overall)
    rows = []
    for g in rows_src:
        lab = g.label
        den_hidden = prot.hides(lab, den_key)
        row: dict[str, object] = {
            "Group": lab,
            "n": prot.count(lab, "n", g.n),
            "Evaluable": prot.count(lab, "eval", g.n_evaluable),
            "Not evaluable/missing": prot.count(lab, "nem", g.n_not_evaluable_or_missing),
        }
        for code in dom.codes:
            p = g.categories[code]
            if prot.hides(lab, code):
                text = prot.text(p.n)
            elif den_hidden:
                text = str(p.n)
            else:
                text = f"{p.n} ({fmt_num(p.pct)})"
            row[f"{dom.code_labels[code]}, n (%)"] = text
        for d in dom.derived:
            p = g.derived[d.name]
            if prot.hides(lab, d.name) or den_hidden:
                text = "suppressed"
            elif p.pct is None:
                text = "–"
            else:
                text = f"{fmt_num(p.pct)} ({fmt_num(p.lower)}–{fmt_num(p.upper)})"
            row[f"{d.label}, % (95% CI, {ci})"] = text
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["Denominator"] = table.denominator.label
    if table.test is not None and not prot.test_withheld:
        frame["Test across groups"] = ""
        frame["p"] = ""
        frame.loc[frame.index[-1], "Test across groups"] = table.test.method.label
        frame.loc[frame.index[-1], "p"] = fmt_p(table.test.p, prefix=False)
    return frame


def _per(x: float | None, scale: float) -> float | None:
    return None if x is None else float(x) / scale


def _quantile_cells(name: str, q: Any, scale: float) -> dict[str, float | None]:
    """``name``, ``name_lower``, ``name_upper``, ``name_beyond`` in the unit (empty: none)."""
    if q is None:
        return {name: None, f"{name}_lower": None, f"{name}_upper": None, f"{name}_beyond": None}
    return {
        name: _per(q.estimate, scale),
        f"{name}_lower": _per(q.lower, scale),
        f"{name}_upper": _per(q.upper, scale),
        f"{name}_beyond": _per(getattr(q, "beyond", None), scale),
    }


SUMMARY_COLUMNS_NOTE = (
    "Columns: median, percentile25, percentile75 with _lower/_upper (95% CI) and rmst with "
    "_lower/_upper are in the unit column; an empty estimate is not reached (or past the shown "
    "curve: see the _beyond column, the time past which it lies); an empty limit is not "
    "defined (R's NA)."
)
AT_COLUMNS_NOTE = (
    "Columns: time in the unit column; survival, lower, upper (95% CI) are proportions "
    "(0-1); empty where not estimable or withheld."
)
PAIRWISE_COLUMNS_NOTE = "Columns: log-rank chi2 and df, p, and p_holm (Holm-adjusted)."
HR_COLUMNS_NOTE = "Columns: hr with lower and upper (Wald 95% CI) and p (Wald), against reference."


def counts_note(d: Disclosure) -> str:
    """What count cells hold under disclosure control (empty when counts are exact)."""
    if not d.active:
        return ""
    return (
        f"Counts withheld under disclosure control are text: '<{d.threshold}' (fewer than "
        f"{d.threshold}) or 'suppressed' (withheld to protect another count)."
    )


def summary_table(analysis: SurvivalAnalysis, unit: TimeUnit) -> pd.DataFrame:
    """One row per group, numeric: n, events, median and quartiles with CIs, RMST, unit.

    Counts come through ``analysis.cell`` (text where disclosure withholds them); quantiles
    are as the analysis shows them (whole months under protection, ``beyond`` for a quantile
    past the shown curve).
    """
    scale = TIME_UNIT_DAYS[unit]
    rmst_on = analysis.spec.rmst_days is not None
    rows = []
    for g in analysis.groups:
        q = {round(x.p, 2): x for x in g.quantiles}
        row: dict[str, Any] = {
            "group": g.label,
            "n": analysis.cell(g.n, g),
            "events": analysis.cell(g.events, g),
            **_quantile_cells("median", q.get(0.5), scale),
            **_quantile_cells("percentile25", q.get(0.25), scale),
            **_quantile_cells("percentile75", q.get(0.75), scale),
        }
        if rmst_on:
            rm = g.rmst
            row |= {
                "rmst": None if rm is None else rm.estimate / scale,
                "rmst_lower": None if rm is None else rm.lower / scale,
                "rmst_upper": None if rm is None else rm.upper / scale,
            }
        row |= {"unit": unit.value, "note": g.message}
        rows.append(row)
    return pd.DataFrame(rows)


def survival_at_table(analysis: SurvivalAnalysis, unit: TimeUnit) -> pd.DataFrame:
    """Survival (proportion, 95% CI), number at risk and cumulative events and censored (the
    KMunicate risk table) at the chosen times, numeric."""
    scale = TIME_UNIT_DAYS[unit]
    rows = [
        {
            "group": g.label,
            "time": a.time / scale,
            "unit": unit.value,
            "survival": a.surv,
            "lower": a.lower,
            "upper": a.upper,
            "at_risk": analysis.cell(a.n_risk),
            "events": analysis.cell(a.events),
            "censored": analysis.cell(a.censored),
        }
        for g in analysis.groups
        for a in g.at
    ]
    return pd.DataFrame(rows)


def pairwise_table(pairs: Sequence[Any]) -> pd.DataFrame:
    """Pairwise log-rank tests, numeric (df = 1 for a pair)."""
    return pd.DataFrame(
        [
            {"group_a": p.a, "group_b": p.b, "chi2": p.chi2, "df": 1, "p": p.p, "p_holm": p.p_adj}
            for p in pairs
        ]
    )


def hr_table(reference: str, rows: Sequence[Any]) -> pd.DataFrame:
    """Hazard ratios against ``reference``, numeric."""
    return pd.DataFrame(
        [
            {
                "group": h.label,
                "reference": reference,
                "hr": h.hr,
                "lower": h.lower,
                "upper": h.upper,
                "p": h.p,
            }
            for h in rows
        ]
    )


def summary_note(analysis: SurvivalAnalysis, unit: TimeUnit) -> str:
    """The summary's column note, with the RMST horizon in ``unit`` when there is one."""
    tau = analysis.spec.rmst_days
    if tau is None:
        return SUMMARY_COLUMNS_NOTE
    return f"{SUMMARY_COLUMNS_NOTE} RMST horizon: {tau / TIME_UNIT_DAYS[unit]:g} {unit.label}."


TABLE_NOTES = {
    "summary.csv": SUMMARY_COLUMNS_NOTE,
    "survival_at.csv": AT_COLUMNS_NOTE,
    "pairwise.csv": PAIRWISE_COLUMNS_NOTE,
    "hazard_ratios.csv": HR_COLUMNS_NOTE,
    "effects.csv": EFFECTS_COLUMNS_NOTE,
}


def survival_tables(
    analysis: SurvivalAnalysis, unit: TimeUnit, hazard_ratios: Any = None
) -> dict[str, pd.DataFrame]:
    """The survival CSVs by file name, numeric; comparisons only between groups shown."""
    tables = {
        "summary.csv": summary_table(analysis, unit),
        "survival_at.csv": survival_at_table(analysis, unit),
    }
    pairs = shown_pairwise(analysis)
    if pairs:
        tables["pairwise.csv"] = pairwise_table(pairs)
    ref, rows, _note = shown_hazard_ratios(analysis, hazard_ratios)
    if ref is not None and rows:
        tables["hazard_ratios.csv"] = hr_table(ref, rows)
    if isinstance(analysis, SurvivalAnalysis) and analysis.spec.by:  # group vs first shown
        tables["effects.csv"] = effects_table(effects_of(analysis), unit)
    return {k: v for k, v in tables.items() if v is not None and len(v)}


# ------------------------------------------------------------------ figure
def has_curve(analysis: SurvivalAnalysis) -> bool:
    """Whether any group has a curve to draw (none when every group is withheld)."""
    for g in analysis.groups:
        curve = getattr(g, "display", None) if hasattr(g, "display") else g.km
        if curve is not None and len(curve.time) > 0:
            return True
    return False


def placeholder_chart(message: str) -> export.Chart:
    """A figure that only says why there is no curve (a chart with no data has no size)."""
    import altair as alt

    return (
        alt.Chart(pd.DataFrame({"text": [message]}))
        .mark_text(align="center", baseline="middle", fontSize=13, color="#333333")
        .encode(text="text:N")
        .properties(width=PLACEHOLDER_WIDTH, height=PLACEHOLDER_HEIGHT)
    )


def no_curve_message(analysis: SurvivalAnalysis) -> str:
    d = disclosure_of(analysis)
    if d.active:
        return (
            f"No curve shown: every group is withheld under disclosure control "
            f"(groups of fewer than {d.threshold} patients, and the groups that would reveal them)."
        )
    return "No curve to show for this selection."


def figure_title(analysis: SurvivalAnalysis) -> str:
    ep = analysis.spec.endpoint.label
    return f"{ep} · n = {analysis.cell(analysis.n_analysed)}"


def survival_figure(
    analysis: SurvivalAnalysis, unit: TimeUnit, cohorts: Sequence[CohortInfo] = ()
) -> export.Chart:
    """The default Kaplan-Meier figure of a bundle (the report's; a page passes its own),
    marked 'Synthetic data' in its title when a cohort in view is synthetic."""
    if not has_curve(analysis):
        return placeholder_chart(no_curve_message(analysis))
    ep = analysis.spec.endpoint.label
    return km_chart(
        analysis,
        unit,
        title=figure_title(analysis),
        y_title=f"{ep} probability",
        synthetic=synthetic_ids(cohorts),
    )


def synthetic_ids(cohorts: Sequence[CohortInfo]) -> tuple[str, ...]:
    """The ids of the synthetic cohorts among ``cohorts`` (for the figure's marker)."""
    return tuple(c.cohort_id for c in cohorts if c.provenance == Provenance.SYNTHETIC.value)


TABLE1_METHOD = (
    "Table 1: counts (%) of each category, medians (IQR) and means (SD) of measurements, "
    "over the selected patients"
)


def clean_figure_files(
    chart: export.Chart | FigureMaker,
    lines: Sequence[str],
    link: str | None,
    when: dt.datetime,
    stem: str,
    d: Disclosure,
) -> list[BundleFile]:
    """The figure without the stamped caption (PNG, its provenance in the PNG's text chunks)
    and the sidecar JSON that keeps the provenance beside it. ``chart`` may be a
    :class:`FigureMaker` (the figure is drawn when the PNG is made)."""
    lines = list(lines)
    figure = _figure_of(chart)

    def png() -> bytes:
        meta = export.png_metadata(lines, link, when)
        return export.png_from_spec(export.spec_json(figure()), export.PNG_SCALE, meta)

    def sidecar() -> bytes:
        data = {
            "figure": f"{stem}_clean.png",
            "caption": lines,
            "share_link": link,
            "created_utc": export.iso_utc(when),
            "app": export.APP_NAME,
            "version": export.app_version(),
            "disclosure": d.json(),
        }
        return export.manifest_json(data).encode("utf-8")

    return [
        BundleFile(f"{stem}_clean.png", "Clean figure, no caption (PNG)", "image/png", png),
        BundleFile(
            f"{stem}_clean.json", "Clean figure's provenance (JSON)", "application/json", sidecar
        ),
    ]


def _figure_of(chart: export.Chart | FigureMaker) -> Callable[[], export.Chart]:
    if isinstance(chart, FigureMaker):
        return chart
    return lambda: chart


@dataclass(frozen=True)
class FigureMaker:
    """A figure drawn only when a file needs it (the report's default figure)."""

    make: Callable[[], export.Chart]

    def __call__(self) -> export.Chart:
        return self.make()


def _figure_makers(
    chart: export.Chart | FigureMaker, lines: Sequence[str], link: str | None, when: dt.datetime
) -> tuple[Callable[[], bytes], Callable[[], bytes]]:
    lines = list(lines)
    figure = _figure_of(chart)

    def spec() -> str:
        return export.spec_json(export.stamp(figure(), lines))

    def svg() -> bytes:
        return export.svg_from_spec(spec()).encode("utf-8")

    def png() -> bytes:
        meta = export.png_metadata(lines, link, when)
        return export.png_from_spec(spec(), export.PNG_SCALE, meta)

    return svg, png


# ------------------------------------------------------------------ the bundle
def csv_provenance(
    description: str,
    cohorts: Sequence[CohortInfo],
    d: Disclosure,
    when: dt.datetime,
    *,
    method: str = "",
    link: str | None = None,
) -> list[str]:
    """The lines that open every CSV of the bundle: selection, data versions and provenance,
    method, the disclosure stamp, export time, link."""
    lines = [
        f"Selection: {description}",
        export.cohort_line(cohorts),
        f"Method: {method}" if method else "",
        mode_line(d),
        f"Exported {export.iso_utc(when)} from {export.APP_NAME} {export.app_version()}",
        f"Link: {link}" if link else "Link: none (not made from a page view)",
    ]
    return [ln for ln in lines if ln]


def mode_line(d: Disclosure) -> str:
    """The disclosure mode in one line, for every CSV (the stamp when there is one)."""
    if d.stamp():
        return d.stamp()
    return (
        f"Disclosure mode: {d.mode.value}; no imported (real) data in view, so figures are "
        "shown exactly"
    )


def field_lines(fields: Mapping[str, str], cohorts: Sequence[CohortInfo]) -> list[str]:
    """Provenance lines for the fields the view uses whose values are not reported (e.g.
    'Field provenance: grade (grouping) is synthetic in pgep-mibg-211; not evidence')."""
    from core.analyses.cohorts import unreported

    out = []
    for name, role in fields.items():
        for kind, ids in unreported(name, list(cohorts)).items():
            tail = "; not evidence" if kind == "synthetic" else ""
            out.append(f"Field provenance: {name} ({role}) is {kind} in {', '.join(ids)}{tail}")
    return out


def field_provenance_json(
    fields: Mapping[str, str], cohorts: Sequence[CohortInfo]
) -> dict[str, Any]:
    """The manifest's ``field_provenance``: each used field's role and provenance per cohort."""
    from core.analyses.cohorts import field_provenance

    per = {c.cohort_id: field_provenance(c) for c in cohorts}
    return {
        name: {
            "role": role,
            "cohorts": {cid: prov.get(name, "reported") for cid, prov in per.items()},
        }
        for name, role in fields.items()
    }


def selection_fields(analysis: SurvivalAnalysis, description: str) -> dict[str, Any]:
    """The manifest's ``selection``: filters, options and the counts as they may be shown."""
    spec = analysis.spec
    out: dict[str, Any] = {
        "description": description,
        "filters": analysis.filters.to_query_params(),
        "endpoint": spec.endpoint.value,
        "origin": spec.origin.value,
        "by": spec.by,
        "left_truncation": spec.left_truncation,
        "landmark_months": spec.landmark_months,
        "conf_type": spec.conf_type.value,
        "times_months": list(spec.times_months),
        "n_analysed": _json_count(analysis.cell(analysis.n_analysed)),
    }
    n_sel = shown_n_selected(analysis)
    if n_sel is not None:
        out["n_selected"] = _json_count(n_sel)
    return out


def _json_count(value: int | str) -> int | str:
    """A shown count for JSON: a number when it is one, else the text ('<11')."""
    return int(value) if isinstance(value, int) or str(value).isdigit() else str(value)


def cohort_fields(cohorts: Sequence[CohortInfo]) -> list[dict[str, Any]]:
    return [
        {
            "cohort_id": c.cohort_id,
            "title": c.title,
            "data_version": c.data_version,
            "provenance": c.provenance,
            "provenance_label": Provenance.parse(c.provenance).label,
            "citation": c.citation,
        }
        for c in cohorts
    ]


def survival_bundle(
    analysis: SurvivalAnalysis,
    *,
    cohorts: Sequence[CohortInfo],
    unit: TimeUnit = TimeUnit.MONTHS,
    hazard_ratios: Any = None,
    responses: Sequence[ResponsePart] = (),
    table1: Any = None,
    chart: export.Chart | None = None,
    link: str | None = None,
    when: dt.datetime | None = None,
    figure_stem: str = "km",
    command: str | None = None,
    software: Sequence[str] | None = None,
    notes: Sequence[str] = (),
    clean: bool = False,
    r_rows: Callable[[], pd.DataFrame] | None = None,
    r_refusal: str = "",
    multiplicity: str = "",
) -> ExportBundle:
    """The export bundle of one survival view (see the module notes for its files).

    ``chart`` is the page's own figure (default: the report's Kaplan-Meier figure); a view
    whose groups are all withheld gets a figure that says so instead of an empty chart.
    ``responses`` are :func:`response_part` values, ``table1`` a ``Table1`` result;
    ``command`` (the CLI line) goes into the manifest. ``clean`` adds the figure without its
    stamped caption (``<stem>_clean.png``, provenance in its PNG text chunks) and the sidecar
    ``<stem>_clean.json`` holding the caption, link, time and disclosure. ``r_rows`` (a callable
    giving :class:`core.analyses.rdata.AnalysisData`'s frame, called only when the file is
    made) adds ``reproduce.R`` and ``analysis_data.csv`` (:mod:`core.present.rcode`); with
    ``r_refusal`` (the analysis layer's reason, :func:`core.analyses.rdata.rows_refusal`) only
    the script, which states the reason. ``multiplicity`` (the session
    ledger's sentence) ends the Results paragraph.
    """
    when = when or export.utc_now()
    d = disclosure_of(analysis)
    description = shown_description(analysis)
    method = method_line(analysis.spec)
    caption = export.caption_lines(description, cohorts, method, link=link, when=when, disclosure=d)
    figure: export.Chart | FigureMaker = chart  # type: ignore[assignment]
    if chart is None or not has_curve(analysis):  # drawn when a figure file is made
        figure = FigureMaker(functools.cache(lambda: survival_figure(analysis, unit, cohorts)))
    svg, png = _figure_makers(figure, caption, link, when)
    files: list[BundleFile] = [
        BundleFile(f"{figure_stem}.svg", "Figure (SVG)", "image/svg+xml", svg),
        BundleFile(f"{figure_stem}.png", "Figure (PNG, 300 dpi)", "image/png", png),
    ]
    if clean:
        files += clean_figure_files(figure, caption, link, when, figure_stem, d)
    fields_used = fields_in_use(analysis, [p.table for p in responses])
    field_notes = field_lines(fields_used, cohorts)

    head = csv_provenance(description, cohorts, d, when, method=method, link=link)

    def csv(frame: pd.DataFrame, *more: str) -> Callable[[], bytes]:
        lines = [*head, *field_notes, *(m for m in more if m)]
        return lambda: export.to_csv_bytes(frame, lines)

    labels = {
        "summary.csv": "Summary",
        "survival_at.csv": "Survival at times",
        "pairwise.csv": "Pairwise log-rank",
        "hazard_ratios.csv": "Hazard ratios",
        "effects.csv": "Effect differences",
    }
    for name, frame in survival_tables(analysis, unit, hazard_ratios).items():
        note = summary_note(analysis, unit) if name == "summary.csv" else TABLE_NOTES[name]
        maker = csv(frame, note, counts_note(d))
        files.append(BundleFile(name, f"{labels[name]} (CSV)", "text/csv", maker))
    for part in responses:
        name = f"responses_{part.table.domain.value}.csv"
        label = f"{part.table.domain.label} (CSV)"
        maker = csv(
            part.frame, f"Response method: {part.method}", RESPONSE_COLUMNS_NOTE, counts_note(d)
        )
        files.append(BundleFile(name, label, "text/csv", maker))
    if table1 is not None and not getattr(table1, "refused", False):
        t1 = csv(
            table1_view.frame(table1), TABLE1_METHOD, *table1_view.footnotes(table1), counts_note(d)
        )
        files.append(BundleFile("table1.csv", "Table 1 (CSV)", "text/csv", t1))

    shown_responses = [p.shown for p in responses]
    results = results_paragraph(
        analysis,
        unit=unit,
        hazard_ratios=hazard_ratios,
        responses=shown_responses,
        disclosure=d,
        cohorts=cohorts,
    )
    versions = export.software_versions()
    methods = methods_paragraph(
        analysis,
        cohorts=cohorts,
        description=description,
        hazard_ratios=hazard_ratios,
        responses=[p.table for p in responses],
        versions=versions,
        disclosure=d,
        **({"software": tuple(software)} if software is not None else {}),
    )
    if multiplicity:  # before the mode sentence, which stays last
        last = d.sentence()
        if last and results.endswith(last):
            results = f"{results[: -len(last)].rstrip()} {multiplicity} {last}"
        else:
            results = f"{results} {multiplicity}"
    files.append(_text("results.txt", "Results paragraph (text)", results))
    if r_rows is not None:
        files += r_files(analysis, r_rows, r_refusal, head)
    files.append(_text("methods.txt", "Methods paragraph (text)", methods))

    all_notes = [*getattr(analysis, "notices", ()), *analysis.warnings, *notes]
    _ref, _rows, hr_note = shown_hazard_ratios(analysis, hazard_ratios)
    if hr_note:
        all_notes.append(hr_note)
    for part in responses:
        all_notes.extend(part.notes)
    fields: dict[str, Any] = {}
    if command:
        fields["command"] = command
    fields["selection"] = selection_fields(analysis, description)
    fields["cohorts"] = cohort_fields(cohorts)
    fields["field_provenance"] = field_provenance_json(fields_used, cohorts)
    return ExportBundle(
        files=tuple(files),
        caption=tuple(caption),
        results=results,
        methods=methods,
        disclosure=d,
        notes=tuple(dict.fromkeys(n for n in all_notes if n)),
        link=link,
        when=when,
        manifest_fields=fields,
    )


def r_files(
    analysis: SurvivalAnalysis,
    rows: Callable[[], pd.DataFrame],
    refusal: str,
    head: Sequence[str],
) -> list[BundleFile]:
    """``reproduce.R`` and (unless refused) ``analysis_data.csv`` for a survival view."""
    spec = analysis.spec
    shown = [g.label for g in analysis.groups if g.in_tests and not g.suppressed]
    groups = shown if spec.by else []
    delayed = spec.origin.value != "index" and spec.left_truncation
    script = rcode.survival_script(
        title=f"{spec.endpoint.label}, from {spec.origin.label.lower()}",
        groups=groups,
        reference=groups[0] if groups else None,
        times_days=list(spec.times_days),
        rmst_days=spec.rmst_days,
        conf_type=spec.conf_type,
        delayed_entry=delayed,
        provenance=[*head, refusal] if refusal else list(head),
    )
    out = [_text(rcode.SCRIPT_FILE, "R script reproducing this view", script)]
    if not refusal:
        out.append(
            BundleFile(
                rcode.DATA_FILE,
                "Analysis data for R (CSV)",
                "text/csv",
                lambda: rcode.analysis_csv(rows(), head).encode("utf-8"),
            )
        )
    return out


def _text(name: str, label: str, text: str) -> BundleFile:
    data = (text + "\n").encode("utf-8")
    return BundleFile(name, label, "text/plain", lambda: data)


__all__ = [
    "BundleFile",
    "BundleOutline",
    "ExportBundle",
    "ResponsePart",
    "outline",
    "response_frame",
    "response_part",
    "survival_bundle",
]
