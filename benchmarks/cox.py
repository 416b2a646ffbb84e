"""Benchmark: aggregated Cox fast path (DuckDB GROUP BY + exact aggregated fit) vs lifelines.

For each size n, synthetic patients with three categorical covariates (grade: 3 levels,
stage: 4 levels, sex: 2 levels), integer-day times with many ties and ~60% events are
generated with a fixed seed. Timed:

(a) fast path: DuckDB ``GROUP BY grade, stage, sex, t`` on the pandas frame (counts d, c),
    treatment coding of the aggregate, and ``fit_cox_aggregated`` (Efron), including the
    concordance. The DuckDB connection is opened (and the frame registered) once per size,
    outside the timing, as the app keeps its connection open (start-up costs ~25 ms);
(b) lifelines ``CoxPHFitter`` (Efron) on the patient-level dummy-coded frame.

Lifelines is run with full Newton steps and a tight tolerance (``step_size=1.0``,
``precision=1e-10``): its defaults (damped step 0.95, precision 1e-7) stop about 1e-5 away
from the maximum, which would make the coefficient comparison meaningless.

Usage: ``python benchmarks/cox.py --sizes 10000 100000 1000000 --repeats 5``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.cox import build_design, fit_cox_aggregated  # noqa: E402
from core.methods import Ties  # noqa: E402

COVARIATES = ["grade", "stage", "sex"]
REFERENCE = {"grade": "G1", "stage": "I", "sex": "F"}
LIFELINES_SLOW_S = 60.0


def synthetic(n: int, seed: int = 20240611) -> pd.DataFrame:
    """Patients with 3 categorical covariates, integer-day times, ~60% events."""
    rng = np.random.default_rng(seed)
    grade = rng.choice(np.array(["G1", "G2", "G3"]), n, p=[0.4, 0.4, 0.2])
    stage = rng.choice(np.array(["I", "II", "III", "IV"]), n, p=[0.2, 0.3, 0.3, 0.2])
    sex = rng.choice(np.array(["F", "M"]), n)
    lp = (
        0.3 * (grade == "G2")
        + 0.8 * (grade == "G3")
        + 0.2 * (stage == "II")
        + 0.5 * (stage == "III")
        + 1.0 * (stage == "IV")
        + 0.15 * (sex == "M")
    )
    event_time = rng.exponential(1800.0 * np.exp(-lp))
    censor_time = rng.uniform(0, 2000.0, n)
    t = np.ceil(np.minimum(event_time, censor_time)).astype(np.int64)
    event = (event_time <= censor_time).astype(np.int64)
    frame = pd.DataFrame({"grade": grade, "stage": stage, "sex": sex, "t": t, "event": event})
    # categorical columns, as a DuckDB ENUM would come back
    return frame.astype({c: "category" for c in COVARIATES})


def fast_path(con: duckdb.DuckDBPyConnection):
    """DuckDB aggregation of the registered ``patients`` + exact aggregated fit."""
    agg = con.sql(
        "SELECT grade, stage, sex, t, SUM(event)::BIGINT AS d, COUNT(*)::BIGINT AS c "
        "FROM patients GROUP BY grade, stage, sex, t"
    ).df()
    design = build_design(agg, COVARIATES, reference_levels=REFERENCE, count="c")
    return fit_cox_aggregated(agg, Ties.EFRON, X=design.X, groups=design.groups)


def lifelines_fit(df: pd.DataFrame) -> pd.Series:
    from lifelines import CoxPHFitter

    design = build_design(df, COVARIATES, reference_levels=REFERENCE)
    frame = design.X.copy()
    frame["t"] = df["t"].to_numpy()
    frame["event"] = df["event"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cph = CoxPHFitter().fit(
            frame,
            "t",
            "event",
            fit_options={"step_size": 1.0, "precision": 1e-10, "r_precision": 1e-12},
        )
    return cph.params_


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn(*args)
    return (time.perf_counter() - start) * 1000.0, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20240611)
    args = parser.parse_args(argv)

    rows = []
    notes = []
    for n in args.sizes:
        df = synthetic(n, args.seed)
        con = duckdb.connect()
        con.register("patients", df)
        fast_path(con)  # warm-up
        fast_ms = []
        for _ in range(args.repeats):
            ms, fit = timed(fast_path, con)
            fast_ms.append(ms)
        con.close()
        ll_ms = []
        ms, params = timed(lifelines_fit, df)
        ll_ms.append(ms)
        ll_repeats = args.repeats if ms / 1000.0 <= LIFELINES_SLOW_S else 1
        if ll_repeats == 1 and args.repeats > 1:
            notes.append(f"n={n}: lifelines took {ms / 1000:.0f} s, timed once only")
        for _ in range(ll_repeats - 1):
            ms, params = timed(lifelines_fit, df)
            ll_ms.append(ms)
        coef = pd.Series({t.term: t.coef for t in fit.terms})
        diff = float(np.max(np.abs(coef[params.index].to_numpy() - params.to_numpy())))
        fm, lm = statistics.median(fast_ms), statistics.median(ll_ms)
        rows.append((n, fm, lm, lm / fm, diff, fit.events / n))

    print(
        f"{'n':>9} {'fast ms':>9} {'lifelines ms':>13} {'ratio':>7} {'max|coef diff|':>15} events"
    )
    for n, fm, lm, ratio, diff, evf in rows:
        print(f"{n:>9} {fm:>9.1f} {lm:>13.1f} {ratio:>6.1f}x {diff:>15.2e} {evf:.0%}")
    print(
        f"(median of {args.repeats} runs; fast path = DuckDB GROUP BY + design + fit incl. "
        "concordance, on an open connection)"
    )
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
