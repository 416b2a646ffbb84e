"""Benchmark: a full survival recompute, fast path vs the obvious path.

A recompute is what the Survival page does when a filter changes: filter the patients, then
Kaplan-Meier with 95% CI and median for 3 groups, and the log-rank test.

- fast path: ``core.analyses.survival.analyse`` (one DuckDB GROUP BY over stored values, NumPy
  product-limit / Greenwood / log-rank on the aggregate);
- obvious path: DuckDB -> pandas (one row per patient) -> lifelines ``KaplanMeierFitter`` per
  group + ``multivariate_logrank_test``.

Both run in the same process on the same database; the table reports medians over repeats,
their ratio, and the largest absolute difference between the two results (survival at every
event time, medians, log-rank chi-square).

    python speed/recompute.py [--sizes 1000,10000,100000,1000000] [--repeats 7]

With ``--pages``, every page configuration instead (ungrouped, grouped with hazard ratios,
from diagnosis, diagnosis + landmark, the Cox page, the comparison with a reconstructed arm)
beside the DuckDB query it issues and the obvious path (speed/pages_table.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.statistics import multivariate_logrank_test  # noqa: E402

from core.analyses.survival import GROUPINGS, SurvivalSpec, analyse  # noqa: E402
from core.data.build import build_default, build_synthetic  # noqa: E402
from core.data.db import query_df  # noqa: E402
from core.data.filters import Filters  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
SPEC = SurvivalSpec(by="imaging_response", times_months=(), rmst_months=None)
SITES = ("small_bowel", "unknown", "lung")


def obvious(db: Path, cohort: str):
    df = query_df(
        "SELECT imaging_response, os_days, os_event FROM patients "
        "WHERE cohort_id = ? AND primary_site IN (?, ?, ?)",
        [cohort, *SITES],
        db,
    )
    df["g"] = [
        GROUPINGS["imaging_response"].labels(v)
        for v in df["imaging_response"].where(df["imaging_response"].notna(), None)
    ]
    fits = {}
    for g, sub in df.groupby("g"):
        kmf = KaplanMeierFitter().fit(sub["os_days"], sub["os_event"])
        fits[g] = kmf
    lr = multivariate_logrank_test(df["os_days"], df["g"], df["os_event"])
    return fits, lr


def fast(db: Path, cohort: str):
    return analyse(Filters(cohorts=(cohort,), primary_site=SITES), SPEC, db)


def max_difference(fits, lr, analysis) -> float:
    """Largest difference over survival at every time (absolute), log-rank chi-square
    (relative) and medians (absolute, days).

    Medians are compared only where the curve does not sit exactly at 0.5 over a flat
    segment: there R (and this project) average the two candidate times while lifelines
    takes the first, a convention difference rather than an error.
    """
    # chi-square values reach the thousands at 10^6 patients: compare them relatively
    diff = abs(lr.test_statistic - analysis.logrank.chi2) / max(1.0, abs(lr.test_statistic))
    for g in analysis.groups:
        kmf = fits[g.label]
        sf = kmf.survival_function_.iloc[:, 0]
        ref = sf.reindex(g.km.time).to_numpy()
        diff = max(diff, float(np.nanmax(np.abs(ref - g.km.surv))))
        if np.any(np.abs(g.km.surv - 0.5) < 1e-12):
            continue
        med = kmf.median_survival_time_
        ours = g.median.estimate if g.median and g.median.estimate is not None else np.inf
        if np.isfinite(med) or np.isfinite(ours):
            diff = max(diff, abs(float(med) - ours))
    return diff


def timed(fn, repeats: int) -> tuple[float, object]:
    fn()  # warm-up (connection, caches)
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, out


def database_for(n: int) -> tuple[Path, str]:
    OUT.mkdir(exist_ok=True)
    if n == 211:
        path = OUT / "default.duckdb"
        if not path.exists():
            build_default(path)
        return path, "pgep-mibg-211"
    path = OUT / f"synth-{n}.duckdb"
    if not path.exists():
        print(f"building {path.name} …", file=sys.stderr)
        build_synthetic(n, path)
    return path, f"synth-{n}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="211,1000,10000,100000,1000000")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument(
        "--pages",
        action="store_true",
        help="instead: every page configuration beside its floor and the obvious path "
        "(speed/pages.py; sizes default 100000,1000000)",
    )
    args = ap.parse_args()
    if args.pages:
        from pages_table import main as pages_main  # speed/pages_table.py

        sizes = args.sizes if args.sizes != ap.get_default("sizes") else "100000,1000000"
        pages_main(["--sizes", sizes, "--repeats", str(args.repeats)])
        return
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        db, cohort = database_for(n)
        t_fast, analysis = timed(lambda db=db, c=cohort: fast(db, c), args.repeats)
        reps = args.repeats if n < 1_000_000 else max(3, args.repeats // 2)
        t_obv, (fits, lr) = timed(lambda db=db, c=cohort: obvious(db, c), reps)
        n_sel = analysis.n_analysed
        rows.append((n, n_sel, t_fast, t_obv, t_obv / t_fast, max_difference(fits, lr, analysis)))
    header = (
        "| patients | selected | fast path, ms (median) | obvious path, ms (median) "
        "| ratio | max difference |"
    )
    print(header)
    print("|" + "---|" * 6)
    for n, sel, tf, to, r, d in rows:
        print(f"| {n:,} | {sel:,} | {tf:.1f} | {to:.1f} | {r:.1f}x | {d:.1e} |")


if __name__ == "__main__":
    main()
