"""``cox``: a multivariable Cox proportional-hazards model for a selection.

JSON (``--json``): ``{"disclosure": {"mode", "threshold", "real_data"}, "n", "events",
"terms": [{"term", "coef", "se", "hr", "hr_ci": [lo, hi], "p", "n", "events"}], "lr_test":
{"chi2", "df", "p"}, "score_test", "wald_test", "concordance", "ph_test": [{"term", "chi2",
"df", "p"}], "ph_global", ...}``; counts as the disclosure mode shows them (``"<11"``), and in
protected mode ``"withheld_terms"`` with ``"disclosure_notes"`` when a term is not shown.
Exit code 2 with a message on stderr for an unknown covariate, a covariate with one level,
too few (or no) events, a reference level that is not observed, or a model that disclosure
control withholds.
"""

from __future__ import annotations

import argparse

from core.analyses.cox import (
    CATEGORICAL,
    COVARIATES,
    analyse,
    covariate_help,
    model_frame,
    spec_from_text,
    to_json_dict,
    zph_frame,
)
from core.commands._common import (
    InvalidInput,
    add_selection,
    disclosure_mode,
    fail,
    print_json,
    print_mode_lines,
    selection,
)
from core.vocab.formatting import fmt_p
from core.vocab.methods import Endpoint, Origin, Ties

NAME = "cox"
HELP = "multivariable Cox proportional-hazards model (HRs, tests, concordance, PH check)"
ORDER = 25


def configure(parser: argparse.ArgumentParser) -> None:
    add_selection(parser)
    parser.add_argument("--endpoint", choices=Endpoint.codes(), default="os")
    parser.add_argument("--origin", choices=Origin.codes(), default="index")
    parser.add_argument(
        "--covariates",
        required=True,
        metavar="A,B,...",
        help="covariates, comma-separated; NAME=LEVEL sets a reference level, age=10 enters "
        "age per 10 years, A*B adds an interaction. Covariates: "
        + "; ".join(f"{k} ({covariate_help(k)})" for k in COVARIATES),
    )
    parser.add_argument("--ties", choices=Ties.codes(), default=Ties.EFRON.value)
    parser.add_argument("--strata", choices=CATEGORICAL, help="stratify on this field")
    parser.add_argument(
        "--reference",
        action="append",
        default=[],
        metavar="FIELD=LEVEL",
        help="reference level of a categorical covariate, by label or stored code "
        "(default: its most frequent level)",
    )
    parser.add_argument(
        "--landmark", type=float, metavar="MONTHS", help="landmark at MONTHS after first treatment"
    )
    parser.add_argument(
        "--no-left-truncation",
        action="store_true",
        help="from diagnosis, count patients at risk before treatment (biased)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    try:
        filters = selection(args)
        refs = []
        for item in args.reference:
            key, sep, value = item.partition("=")
            if not sep or not value:
                raise InvalidInput(f"--reference {item!r}: expected FIELD=LEVEL")
            refs.append((key.strip(), value.strip()))
        spec = spec_from_text(
            args.covariates,
            references=tuple(refs),
            strata=args.strata,
            ties=Ties.parse(args.ties),
            endpoint=Endpoint.parse(args.endpoint),
            origin=Origin.parse(args.origin),
            left_truncation=not args.no_left_truncation,
            landmark_months=args.landmark,
        )
    except ValueError as exc:
        return fail(str(exc))
    analysis = analyse(filters, spec, args.db, mode=disclosure_mode(args))
    if analysis.error:
        return fail(analysis.error)
    if analysis.reference_fallbacks:
        return fail(" ".join(analysis.reference_fallbacks.values()))
    if args.json:
        print_json(to_json_dict(analysis, args.cohort))
        return 0
    a = analysis
    fit = a.fit
    print_mode_lines(a.disclosure, a.notices)
    print(a.filters.describe(a.cell(a.n)), f"· {a.cell(a.events)} events")
    if a.n_missing_covariates:
        print(f"{a.count('n_missing_covariates')} patients dropped for a missing covariate")
    print(model_frame(a).to_string(index=False))
    for note in a.disclosure_notes:
        print(f"note: {note}")
    lr = fit.lr_test
    print(f"likelihood-ratio chi2 = {lr.chi2:.3f}, df = {lr.df}, {fmt_p(lr.p)}")
    print(f"concordance = {fit.concordance.value:.3f} (se {fit.concordance.se:.3f})")
    if analysis.zph is not None:
        print("proportional-hazards test (cox.zph, KM transform):")
        print(zph_frame(analysis).to_string(index=False))
    for w in analysis.warnings:
        print(f"warning: {w}")
    return 0
