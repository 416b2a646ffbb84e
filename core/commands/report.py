"""``report``: a folder with the survival figure, tables, paragraphs and a manifest.

The files are the Survival page's export bundle (:func:`core.present.bundle.survival_bundle`):
``km.svg``, ``km.png`` (300 dpi), ``summary.csv``, ``survival_at.csv``, ``pairwise.csv`` (more
than two groups shown), ``hazard_ratios.csv`` (grouped), ``responses_<domain>.csv`` for the
three response domains, ``table1.csv`` (baseline characteristics), ``results.txt``,
``methods.txt`` and ``manifest.json`` (selection, cohorts with data versions and provenance,
disclosure mode, command line, UTC time, software versions, every file with its size and
SHA-256).

``--disclosure`` chooses the mode (default protected): every analysis is called with it, and
what is written is what the analyses allow; a selection the analysis refuses writes nothing.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from core.analyses import survival_url
from core.analyses.disclosure import Mode
from core.analyses.rdata import analysis_data, rows_refusal
from core.analyses.survival import (
    GROUPINGS,
    SurvivalSpec,
    analyse,
    hazard_ratios,
    reference_group,
)
from core.commands._common import (
    InvalidInput,
    add_selection,
    disclosure_mode,
    fail,
    selection,
)
from core.data.db import list_cohorts
from core.data.filters import Filters
from core.present import export
from core.present.bundle import ResponsePart, response_part, survival_bundle
from core.vocab.methods import ConfType, Endpoint, Origin, ResponseDomain, TimeUnit

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
    """The Survival page's query string for this view (the URL contract, defaults left out)."""
    return {**filters.to_query_params(), **survival_url.to_query_params(spec)}


def share_link(base: str, filters: Filters, spec: SurvivalSpec) -> str:
    return export.link_with_query(f"{base.rstrip('/')}/{PAGE_PATH}", share_params(filters, spec))


def _responses(
    filters: Filters, spec: SurvivalSpec, db, mode: Mode
) -> tuple[list[ResponsePart], list[str]]:
    """One response result per domain, grouped like the survival view when the grouping is a
    baseline field, each protected by the analysis for ``mode``."""
    from core.analyses import responses as ra

    by = spec.by if spec.by in ra.RESPONSE_GROUPINGS else None
    notes: list[str] = []
    if spec.by and by is None:
        notes.append(
            f"responses are not grouped by the post-baseline grouping {spec.by!r}; "
            "overall rates only"
        )
    parts = []
    for domain in ResponseDomain:
        try:
            result = ra.analyse(filters, ra.ResponseSpec(domain, by=by), db, mode=mode)
        except ValueError as exc:
            notes.append(f"{domain.value} responses not computed: {exc}")
            continue
        part = response_part(result)
        if part is not None:
            parts.append(part)
    return parts, notes


def _baseline(filters: Filters, spec: SurvivalSpec, db, mode: Mode) -> Any:
    """Table 1 of the selection, split like the survival view when Table 1 can be."""
    from core.analyses import table1 as t1

    split = spec.by if spec.by in t1.SPLITTABLE else None
    table = t1.baseline_table(filters, split, mode=mode, path=db)
    return None if table.refused else table


def _canonical_command(args: argparse.Namespace) -> str:
    parts = ["python", "-m", "core", NAME]
    if args.db is not None:
        parts += ["--db", str(args.db)]
    parts += ["--cohort", args.cohort]
    parts += ["--disclosure", disclosure_mode(args).value]  # the mode used, not the default
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
    mode = disclosure_mode(args)
    analysis = analyse(filters, spec, args.db, mode=mode)
    if analysis.refused:
        return fail(analysis.refusal)
    if not analysis.groups:
        return fail(
            f"no patient in this selection ({filters.describe(analysis.cell(0))}) has "
            f"{spec.endpoint.label.lower()} data from {spec.origin.label.lower()}"
        )
    d = analysis.disclosure
    hrs = None
    ref = reference_group(analysis)
    if analysis.logrank is not None and ref is not None:
        hrs = hazard_ratios(filters, spec, ref, args.db, mode=mode)
    wanted = set(filters.cohorts)
    infos = [c for c in list_cohorts(args.db) if not wanted or c.cohort_id in wanted]
    base = args.base_url or os.environ.get(URL_ENV, DEFAULT_URL)
    parts, notes = _responses(filters, spec, args.db, mode)
    baseline = _baseline(filters, spec, args.db, mode)
    bundle = survival_bundle(
        analysis,
        cohorts=infos,
        unit=TimeUnit.MONTHS,
        hazard_ratios=hrs,
        responses=parts,
        table1=baseline,
        link=share_link(base, filters, spec),
        command=_canonical_command(args),
        software=("duckdb", "pandas", "numpy", "scipy", "lifelines"),
        notes=notes,
        r_rows=lambda: analysis_data(filters, spec, args.db, mode=mode).frame,
        r_refusal=rows_refusal(analysis),
    )
    try:
        files = bundle.render()
    except ValueError as exc:  # the renderer refused the figure: say so, write nothing
        return fail(f"the figure could not be drawn ({exc}); nothing written")
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
    print(f"wrote {len(files)} files to {args.out}")
    if d.stamp():
        print(d.stamp())
    for n in bundle.notes:
        print(f"note: {n}", file=sys.stderr)
    return 0
