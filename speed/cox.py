"""Benchmark: the app's Cox fast path (core.analyses.cox) vs lifelines, on synthetic databases.

For each size n a synthetic database is used (or built) with ``python -m core synth --n N
--db speed/out/synth-N.duckdb`` (cohort ``synth-N``). Model: overall survival from the
first treatment on three categorical covariates (default ``sex, grade, prior_ssa``; reference
levels the most frequent), Efron ties. Timed:

(a) fast path: ``core.analyses.cox.analyse(filters, spec, db, zph=False)``, exactly what the page
    calls (minus the cache): one DuckDB ``GROUP BY`` over the stored covariate values and the
    day, relabelling of the few distinct values, treatment coding of the aggregate and
    ``fit_cox_aggregated`` (Newton-Raphson, SEs, LR/score/Wald tests and the concordance).
    The read-only connection is opened by a warm-up call outside the timing, as the app keeps
    it open. The ``cox.zph`` test, which the page also computes, is timed separately;
(b) lifelines ``CoxPHFitter`` (Efron) on the patient-level, dummy-coded frame of the same
    patients (loaded from the database outside the timing, which favours lifelines).

Lifelines runs with full Newton steps and a tight tolerance (``step_size=1.0``,
``precision=1e-10``); its defaults stop about 1e-5 away from the maximum, which would make the
coefficient comparison meaningless.

Usage: ``python speed/cox.py --sizes 10000 100000 1000000 --repeats 5``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.analyses.cox import COVARIATES, CoxSpec, analyse  # noqa: E402
from core.data.filters import Filters  # noqa: E402
from core.data.queries import patients_frame  # noqa: E402
from core.stats.cox import build_design, cox_zph  # noqa: E402

OUT = ROOT / "speed" / "out"
DEFAULT_COVARIATES = ("sex", "grade", "prior_ssa")
LIFELINES_SLOW_S = 60.0


def database(n: int, seed: int) -> Path:
    """The synthetic database of n patients, built with the CLI when it is missing."""
    path = OUT / f"synth-{n}.duckdb"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "core", "synth", "--n", str(n), "--db", str(path)]
        subprocess.run([*cmd, "--seed", str(seed)], check=True, cwd=ROOT)
    return path


def lifelines_frame(filters: Filters, spec: CoxSpec, refs: dict, path: Path) -> pd.DataFrame:
    """Patient rows of the selection, labelled and dummy-coded with the fast path's references."""
    cols = [COVARIATES[k].column for k in spec.covariates]
    df = patients_frame(filters, [*cols, "os_days", "os_event"], path)
    labelled = pd.DataFrame(
        {k: df[COVARIATES[k].column].map(COVARIATES[k].level_of) for k in spec.covariates}
    )
    keep = labelled.notna().all(axis=1) & df["os_days"].notna() & df["os_event"].notna()
    design = build_design(labelled[keep], spec.covariates, reference_levels=refs)
    frame = design.X.copy()
    frame["t"] = df.loc[keep, "os_days"].to_numpy(float)
    frame["event"] = df.loc[keep, "os_event"].to_numpy(int)
    return frame


def lifelines_fit(frame: pd.DataFrame) -> pd.Series:
    from lifelines import CoxPHFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph = CoxPHFitter().fit(
            frame,
            "t",
            "event",
            fit_options={"step_size": 1.0, "precision": 1e-10, "r_precision": 1e-12},
        )
    return cph.params_


def timed(fn, *args, **kw) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args, **kw)
    return (time.perf_counter() - start) * 1000.0, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7, help="seed for databases built here")
    parser.add_argument("--covariates", default=",".join(DEFAULT_COVARIATES))
    args = parser.parse_args(argv)
    spec = CoxSpec(tuple(args.covariates.split(",")))

    rows, notes = [], []
    for n in args.sizes:
        path = database(n, args.seed)
        filters = Filters(cohorts=(f"synth-{n}",))
        analyse(filters, spec, path, zph=False)  # warm-up: opens the connection
        fast_ms = []
        for _ in range(args.repeats):
            ms, a = timed(analyse, filters, spec, path, zph=False)
            fast_ms.append(ms)
        if a.error:
            raise SystemExit(f"n={n}: {a.error}")
        zph_ms = statistics.median(timed(cox_zph, a.fit)[0] for _ in range(args.repeats))
        frame = lifelines_frame(filters, spec, dict(a.references), path)
        assert len(frame) == a.n, "lifelines must see the same patients"
        ms, params = timed(lifelines_fit, frame)
        ll_ms = [ms]
        ll_repeats = args.repeats if ms / 1000.0 <= LIFELINES_SLOW_S else 1
        if ll_repeats == 1 and args.repeats > 1:
            notes.append(f"n={n}: lifelines took {ms / 1000:.0f} s, timed once only")
        for _ in range(ll_repeats - 1):
            ms, params = timed(lifelines_fit, frame)
            ll_ms.append(ms)
        coef = pd.Series({t.term: t.coef for t in a.fit.terms})
        diff = float(np.max(np.abs(coef[params.index].to_numpy() - params.to_numpy())))
        fm, lm = statistics.median(fast_ms), statistics.median(ll_ms)
        rows.append((n, fm, lm, lm / fm, diff, a.rows_fitted, zph_ms, a.events / a.n))

    print(f"model: {', '.join(spec.covariates)} (OS from first treatment, Efron ties)")
    print(
        f"{'n':>9} {'fast ms':>9} {'lifelines ms':>13} {'ratio':>7} {'max|coef diff|':>15} "
        f"{'agg rows':>9} {'zph ms':>7} events"
    )
    for n, fm, lm, ratio, diff, agg_rows, zms, evf in rows:
        print(
            f"{n:>9} {fm:>9.1f} {lm:>13.1f} {ratio:>6.1f}x {diff:>15.2e} {agg_rows:>9} "
            f"{zms:>7.1f} {evf:.0%}"
        )
    print(
        f"(median of {args.repeats} runs; fast path = core.analyses.cox.analyse without cox.zph: "
        "DuckDB GROUP BY + relabelling + design + fit incl. tests and concordance, on an open "
        "connection; zph ms = cox.zph on the same fit)"
    )
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
