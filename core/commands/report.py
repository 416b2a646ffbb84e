"""``report``: a folder with the survival figure, tables, paragraphs and a manifest.

Writes ``km.svg``, ``km.png`` (300 dpi), ``summary.csv``, ``survival_at.csv``,
``pairwise.csv`` (more than two groups), ``hazard_ratios.csv`` (grouped),
``responses_<domain>.csv`` for the three response domains, ``results.txt``, ``methods.txt``
and ``manifest.json`` (selection, cohorts with data versions and provenance, command line,
UTC time, software versions, every file with its size and SHA-256).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

import pandas as pd

from core.analyses.survival import (
    GROUPINGS,
    SurvivalSpec,
    analyse,
    hazard_ratios,
    hr_frame,
    pairwise_frame,
    summary_frame,
    survival_at_frame,
)
from core.commands._common import InvalidInput, add_selection, fail, selection
from core.data.db import list_cohorts
from core.data.filters import Filters
from core.data.queries import patients_frame
from core.present import export
from core.present.charts import km_chart
from core.present.paragraphs import method_line, methods_paragraph, results_paragraph
from core.vocab.methods import ConfType, Endpoint, Origin, Provenance, ResponseDomain, TimeUnit

NAME = "report"
HELP = "write a survival report folder: figure (SVG, PNG), CSV tables, paragraphs, manifest"
ORDER = 25

URL_ENV = "NET_EXPLORER_URL"
DEFAULT_URL = "http://localhost:8501"
PAGE_PATH = "survival"


def configure(parser: argparse.ArgumentParser) -> None:
    add_selection(parser)
    parser.add_argument("--endpoint", choices=Endpoint.codes(), default="os")
    parser.add_argument("--origin", choices=Origin.codes(), default="index")
    parser.add_argument("--by", choices=sorted(GROUPINGS), help="group by this field")
    parser.add_argument(
        "--landmark", type=float, metavar="MONTHS", help="landmark at MONTHS after treatment"
    )
    parser.add_argument(
        "--times", default="12,24,36,60", metavar="T1,T2,...", help="survival at, in months"
    )
    parser.add_argument("--conf-type", choices=ConfType.codes(), default="log-log")
    parser.add_argument(
        "--no-left-truncation",
        action="store_true",
        help="from diagnosis, count patients at risk before treatment (biased)",
    )
    parser.add_argument(
        "--base-url",
        default=None,
        help=f"app address for the share link (default ${URL_ENV} or {DEFAULT_URL})",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder (created)")


# ------------------------------------------------------------------ helpers
def share_params(filters: Filters, spec: SurvivalSpec) -> dict[str, str]:
    """The Survival page's query string for this view (defaults left out, as the page does)."""
    q = dict(filters.to_query_params())
    d = SurvivalSpec()
    if spec.endpoint is not d.endpoint:
        q["endpoint"] = spec.endpoint.value
    if spec.origin is not d.origin:
        q["origin"] = spec.origin.value
    if spec.by:
        q["by"] = spec.by
    if spec.conf_type is not d.conf_type:
        q["ci"] = spec.conf_type.value
    if not spec.left_truncation:
        q["lt"] = "0"
    if spec.landmark_months is not None:
        q["lm"] = "1"
        if spec.landmark_months != 3.0:
            q["lm_months"] = f"{spec.landmark_months:g}"
    if spec.times_months != d.times_months:
        q["times"] = ",".join(f"{t:g}" for t in spec.times_months)
    if spec.rmst_months != d.rmst_months and spec.rmst_months is not None:
        q["rmst"] = f"{spec.rmst_months:g}"
    if not spec.include_not_assessed:
        q["na"] = "0"
    return q


def share_link(base: str, filters: Filters, spec: SurvivalSpec) -> str:
    return export.link_with_query(f"{base.rstrip('/')}/{PAGE_PATH}", share_params(filters, spec))


def response_frame(table) -> pd.DataFrame:
    """A ResponseTable as a wide table: counts (%) per category, rates with CIs, the test."""
    from core.stats.responses import RESPONSE_DOMAINS
    from core.vocab.formatting import fmt_num, fmt_p

    dom = RESPONSE_DOMAINS[table.domain]
    ci = table.ci_method.label
    rows_src = list(table.groups)
    if table.by is not None:
        rows_src.append(table.overall)
    rows = []
    for g in rows_src:
        row = {
            "Group": g.label,
            "n": g.n,
            "Evaluable": g.n_evaluable,
            "Not evaluable/missing": g.n_not_evaluable_or_missing,
        }
        for code in dom.codes:
            p = g.categories[code]
            row[f"{dom.code_labels[code]}, n (%)"] = f"{p.n} ({fmt_num(p.pct)})"
        for d in dom.derived:
            p = g.derived[d.name]
            row[f"{d.label}, % (95% CI, {ci})"] = (
                "–"
                if p.pct is None
                else f"{fmt_num(p.pct)} ({fmt_num(p.lower)}–{fmt_num(p.upper)})"
            )
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["Denominator"] = table.denominator.label
    if table.test is not None:
        frame["Test across groups"] = ""
        frame["p"] = ""
        frame.loc[frame.index[-1], "Test across groups"] = table.test.method.label
        frame.loc[frame.index[-1], "p"] = fmt_p(table.test.p, prefix=False)
    return frame


def _responses(filters: Filters, spec: SurvivalSpec, db) -> tuple[list, list[str]]:
    """One ResponseTable per domain (grouped like the survival view when the grouping is
    a baseline field); notes for what could not be computed."""
    try:
        from core.stats.responses import RESPONSE_DOMAINS, response_table
    except ImportError as exc:  # pragma: no cover - responses module absent
        return [], [f"responses not written: {exc}"]
    grouping = GROUPINGS[spec.by] if spec.by else None
    by_col = None
    notes: list[str] = []
    if grouping is not None and grouping.post_baseline:
        notes.append(
            f"responses are not grouped by the post-baseline grouping {grouping.key!r}; "
            "overall rates only"
        )
        grouping = None
    cols = [RESPONSE_DOMAINS[d].column for d in ResponseDomain]
    if grouping is not None:
        cols.append(grouping.column)
    df = patients_frame(filters, columns=list(dict.fromkeys(cols)), path=db)
    if grouping is not None:
        by_col = "_group"
        labels = [grouping.labels(None if pd.isna(v) else v) for v in df[grouping.column]]
        order = [x for x in grouping.order if x in labels] + sorted(
            {x for x in labels if x not in grouping.order}
        )
        df[by_col] = pd.Categorical(labels, categories=order)
    tables = []
    for domain in ResponseDomain:
        try:
            tables.append(response_table(df, domain, by=by_col))
        except ValueError as exc:
            notes.append(f"{domain.value} responses not computed: {exc}")
    return tables, notes


def _canonical_command(args: argparse.Namespace) -> str:
    parts = ["python", "-m", "core", NAME]
    if args.db is not None:
        parts += ["--db", str(args.db)]
    parts += ["--cohort", args.cohort]
    for f in args.filter:
        parts += ["--filter", f]
    parts += ["--endpoint", args.endpoint, "--origin", args.origin]
    if args.by:
        parts += ["--by", args.by]
    if args.landmark is not None:
        parts += ["--landmark", f"{args.landmark:g}"]
    parts += ["--times", args.times, "--conf-type", args.conf_type]
    if args.no_left_truncation:
        parts.append("--no-left-truncation")
    if args.base_url:
        parts += ["--base-url", args.base_url]
    parts += ["--out", str(args.out)]
    return shlex.join(parts)


def _parse(args: argparse.Namespace) -> tuple[Filters, SurvivalSpec]:
    filters = selection(args)
    try:
        times = tuple(sorted({float(t) for t in args.times.split(",") if t.strip()}))
    except ValueError:
        raise InvalidInput(f"--times {args.times!r}: expected numbers like 12,24,36") from None
    if not times or any(not 0 <= t <= 240 for t in times):
        raise InvalidInput("--times must be between 0 and 240 months")
    if args.landmark is not None and not 0 < args.landmark <= 240:
        raise InvalidInput("--landmark must be between 0 and 240 months")
    if args.out.exists() and not args.out.is_dir():
        raise InvalidInput(f"--out {args.out}: exists and is not a folder")
    spec = SurvivalSpec(
        endpoint=Endpoint.parse(args.endpoint),
        origin=Origin.parse(args.origin),
        by=args.by,
        left_truncation=not args.no_left_truncation,
        landmark_months=args.landmark,
        conf_type=ConfType.parse(args.conf_type),
        times_months=times,
    )
    return filters, spec


# ------------------------------------------------------------------ run
def run(args: argparse.Namespace) -> int:
    try:
        filters, spec = _parse(args)
    except InvalidInput as exc:
        return fail(str(exc))
    analysis = analyse(filters, spec, args.db)
    if not analysis.groups:
        return fail(
            f"no patient in this selection ({filters.describe(0)}) has "
            f"{spec.endpoint.label.lower()} data from {spec.origin.label.lower()}"
        )
    when = export.utc_now()
    unit = TimeUnit.MONTHS
    notes: list[str] = list(analysis.warnings)
    hrs = None
    if analysis.logrank is not None:
        hrs = hazard_ratios(filters, spec, analysis.groups[0].label, args.db)
        if getattr(hrs, "note", ""):
            notes.append(hrs.note)
    wanted = set(filters.cohorts)
    infos = [c for c in list_cohorts(args.db) if not wanted or c.cohort_id in wanted]
    description = filters.describe(analysis.n_analysed)
    base = args.base_url or os.environ.get(URL_ENV, DEFAULT_URL)
    link = share_link(base, filters, spec)
    lines = export.caption_lines(description, infos, method_line(spec), link=link, when=when)
    ep = spec.endpoint.label
    chart = km_chart(
        analysis,
        unit,
        title=f"{ep} · n = {analysis.n_analysed}",
        y_title=f"{ep} probability",
    )
    spec_json = export.spec_json(export.stamp(chart, lines))
    tables, resp_notes = _responses(filters, spec, args.db)
    notes += resp_notes

    files: dict[str, bytes] = {
        "km.svg": export.svg_from_spec(spec_json).encode("utf-8"),
        "km.png": export.png_from_spec(
            spec_json, export.PNG_SCALE, export.png_metadata(lines, link, when)
        ),
        "summary.csv": export.to_csv_bytes(summary_frame(analysis, unit)),
        "survival_at.csv": export.to_csv_bytes(survival_at_frame(analysis)),
    }
    if analysis.pairwise:
        files["pairwise.csv"] = export.to_csv_bytes(pairwise_frame(analysis))
    if hrs is not None and hrs.rows:
        files["hazard_ratios.csv"] = export.to_csv_bytes(hr_frame(hrs))
    for t in tables:
        files[f"responses_{t.domain.value}.csv"] = export.to_csv_bytes(response_frame(t))
    results = results_paragraph(analysis, unit=unit, hazard_ratios=hrs, responses=tables)
    versions = export.software_versions()
    methods = methods_paragraph(
        analysis,
        cohorts=infos,
        description=description,
        hazard_ratios=hrs,
        responses=tables,
        versions=versions,
        software=("duckdb", "pandas", "numpy", "scipy", "lifelines"),
    )
    files["results.txt"] = (results + "\n").encode("utf-8")
    files["methods.txt"] = (methods + "\n").encode("utf-8")

    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
    width, height = export.png_size(files["km.png"])
    manifest = {
        "app": export.APP_NAME,
        "version": export.app_version(),
        "created_utc": export.iso_utc(when),
        "command": _canonical_command(args),
        "selection": {
            "description": description,
            "filters": filters.to_query_params(),
            "endpoint": spec.endpoint.value,
            "origin": spec.origin.value,
            "by": spec.by,
            "left_truncation": spec.left_truncation,
            "landmark_months": spec.landmark_months,
            "conf_type": spec.conf_type.value,
            "times_months": list(spec.times_months),
            "n_selected": analysis.n_selected,
            "n_analysed": analysis.n_analysed,
        },
        "share_link": link,
        "cohorts": [
            {
                "cohort_id": c.cohort_id,
                "title": c.title,
                "data_version": c.data_version,
                "provenance": c.provenance,
                "provenance_label": Provenance.parse(c.provenance).label,
                "citation": c.citation,
            }
            for c in infos
        ],
        "figure": {
            "caption": lines,
            "png_scale": export.PNG_SCALE,
            "png_dpi": export.LAYOUT_PPI * export.PNG_SCALE,
            "png_pixels": [width, height],
            "png_inches": [
                round(width / (export.LAYOUT_PPI * export.PNG_SCALE), 2),
                round(height / (export.LAYOUT_PPI * export.PNG_SCALE), 2),
            ],
        },
        "software": versions,
        "notes": notes,
        "files": [
            {"name": name, "bytes": len(data), "sha256": export.sha256(data)}
            for name, data in files.items()
        ],
    }
    (args.out / "manifest.json").write_text(export.manifest_json(manifest), encoding="utf-8")
    print(f"wrote {len(files) + 1} files to {args.out}")
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    return 0
