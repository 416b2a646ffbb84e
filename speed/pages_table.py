"""Benchmark: every page configuration beside its floor and the obvious implementation.

One run prints one table (``python speed/recompute.py --pages`` or this file). For each size
and configuration:

- **page**: what the page computes on a selection change, uncached, on an open connection
  (``core.analyses.survival.analyse``, plus ``hazard_ratios_of`` when grouped; the Cox page's
  ``core.analyses.cox.analyse`` with ``cox.zph``; ``core.analyses.arms.compare_arm``);
- **floor**: the DuckDB aggregate the configuration issues, run bare on a cursor and fetched
  as NumPy (``survival_sql`` / ``split_sql`` / ``cox_sql``) with the page's own settings
  (the perfect-hash GROUP BY on large selections), once (the hazard ratios are fitted on the
  analysis's own counts). A grouped view's floor is its own grouped aggregate; ``floor ×
  ungrouped floor`` says how much of the page's ratio to the ungrouped page the query alone
  already costs;
- **HRs**: of the page, the hazard ratios' Cox fit (``hazard_ratios_of``) alone;
- **obvious**: DuckDB -> pandas (one row per patient) -> lifelines: ``KaplanMeierFitter`` per
  group (``entry=`` for delayed entry), ``multivariate_logrank_test`` and a ``CoxPHFitter``
  on dummy-coded groups when grouped, ``CoxPHFitter`` for the Cox page (timed once at 10^6).

Medians over ``--repeats`` runs after a warm-up; page, floor and hazard ratios of every
configuration of a size are timed round-robin (one run of each in turn), so that the
machine's changing load falls on all of them alike. The machine's other load still shows in
single figures: compare ratios from one run.

    python speed/pages_table.py [--sizes 100000,1000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.analyses import cox as cox_analysis  # noqa: E402
from core.analyses.arms import compare_arm, find_arm  # noqa: E402
from core.analyses.disclosure import Mode  # noqa: E402
from core.analyses.survival import (  # noqa: E402
    GROUPINGS,
    SurvivalSpec,
    _columns,
    analyse,
    hazard_ratios_of,
)
from core.data.build import build_synthetic  # noqa: E402
from core.data.cox_sql import cox_sql  # noqa: E402
from core.data.db import PERFECT_HASH_BITS, cursor, query_df  # noqa: E402
from core.data.filters import Filters  # noqa: E402
from core.data.survival_sql import LARGE, cohort_rows, split_sql, survival_sql  # noqa: E402
from core.vocab.methods import ORIGIN_OFFSET_COLUMN, Origin  # noqa: E402

OUT = ROOT / "speed" / "out"
COX_SPEC = cox_analysis.CoxSpec(("sex", "grade", "prior_ssa"))
ARM = "radiant4-everolimus-os"
LM = 3.0  # months: 91.3125 days, not a whole day


@dataclass(frozen=True)
class Config:
    name: str
    spec: SurvivalSpec | None  # None: not a Survival page view
    kind: str = "survival"  # survival | cox | arm


CONFIGS = (
    Config("Survival, ungrouped", SurvivalSpec()),
    Config("Survival, by grade (4 levels) + HRs", SurvivalSpec(by="grade")),
    Config("Survival, by primary site + HRs", SurvivalSpec(by="primary_site")),
    Config("Survival, from diagnosis", SurvivalSpec(origin=Origin.DIAGNOSIS)),
    Config(
        "Survival, from diagnosis + 3-month landmark",
        SurvivalSpec(origin=Origin.DIAGNOSIS, landmark_months=LM),
    ),
    Config(
        "Survival, from diagnosis, by grade + HRs",
        SurvivalSpec(origin=Origin.DIAGNOSIS, by="grade"),
    ),
    Config("Survival, 3-month landmark (index)", SurvivalSpec(landmark_months=LM)),
    Config("Cox page (sex, grade, prior SSA) + cox.zph", None, "cox"),
    Config("Survival, vs RADIANT-4 everolimus OS arm", None, "arm"),
)


def database(n: int) -> tuple[Path, Filters]:
    path = OUT / f"synth-{n}.duckdb"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        print(f"building {path.name} …", file=sys.stderr)
        build_synthetic(n, path)
    return path, Filters(cohorts=(f"synth-{n}",))


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    out = fn()  # warm-up (connection, caches)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, out


def interleaved(runs: dict, repeats: int) -> dict:
    """Median milliseconds of each run, timed round-robin after one warm-up of each."""
    for fn in runs.values():
        fn()
    times: dict = {key: [] for key in runs}
    for _ in range(repeats):
        for key, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - t0)
    return {key: statistics.median(v) * 1000 for key, v in times.items()}


# ------------------------------------------------------------------ the page
def page(cfg: Config, filters: Filters, db: Path) -> Callable[[], object]:
    if cfg.kind == "cox":
        return lambda: cox_analysis.analyse(filters, COX_SPEC, db, mode=Mode.EXACT)
    if cfg.kind == "arm":
        arm = find_arm(ARM, db)
        return lambda: compare_arm(filters, arm, path=db, mode=Mode.EXACT)
    spec = cfg.spec

    def run():
        a = analyse(filters, spec, db, mode=Mode.EXACT)
        if spec.by and a.logrank is not None:
            ref = next(g.label for g in a.groups if g.in_tests)
            return a, hazard_ratios_of(a, ref)  # as the page: from the analysis's counts
        return a, None

    return run


# ------------------------------------------------------------------ the floor
def floor_sql(cfg: Config, filters: Filters) -> tuple[str, list]:
    if cfg.kind == "cox":
        return cox_sql(filters, cox_analysis._columns(COX_SPEC), True)
    spec = cfg.spec if cfg.kind == "survival" else SurvivalSpec()
    if ORIGIN_OFFSET_COLUMN[spec.origin] is not None:
        return split_sql(filters, _columns(spec), landmark=spec.landmark_days)
    return survival_sql(filters, _columns(spec))


def floor(cfg: Config, filters: Filters, db: Path) -> Callable[[], object]:
    sql, params = floor_sql(cfg, filters)
    # the page's setting for its survival aggregates (core.data.survival_sql)
    big = cfg.kind != "cox" and cohort_rows(filters, db) >= LARGE

    def run():
        cur = cursor(db)
        try:
            if big:
                cur.execute(f"SET perfect_ht_threshold = {PERFECT_HASH_BITS}").fetchall()
            return cur.execute(sql, params).fetchnumpy()
        finally:
            cur.close()

    return run


def hrs(cfg: Config, filters: Filters, db: Path) -> Callable[[], object] | None:
    """The page's hazard ratios alone, from an analysis made once (None: not grouped)."""
    spec = cfg.spec
    if cfg.kind != "survival" or not spec.by:
        return None
    a = analyse(filters, spec, db, mode=Mode.EXACT)
    if a.logrank is None:
        return None
    ref = next(g.label for g in a.groups if g.in_tests)
    return lambda: hazard_ratios_of(a, ref)


# ------------------------------------------------------------------ the obvious path
def _lifelines_cox(frame: pd.DataFrame, entry: str | None = None):
    from lifelines import CoxPHFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CoxPHFitter().fit(frame, "t", "e", entry_col=entry)


def obvious(cfg: Config, filters: Filters, db: Path) -> Callable[[], object]:
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    cohort = filters.cohorts[0]
    if cfg.kind == "cox":

        def cox():
            df = query_df(
                "SELECT sex, grade, prior_ssa, os_days AS t, os_event AS e FROM patients "
                "WHERE cohort_id = ?",
                [cohort],
                db,
            )
            X = pd.get_dummies(df[["sex", "grade", "prior_ssa"]].astype(str), drop_first=True)
            return _lifelines_cox(pd.concat([X.astype(float), df[["t", "e"]]], axis=1))

        return cox
    spec = cfg.spec if cfg.kind == "survival" else SurvivalSpec()
    group = GROUPINGS[spec.by].column if spec.by else None
    off = ORIGIN_OFFSET_COLUMN[spec.origin]

    def km():
        cols = ["os_days AS days", "os_event AS e"]
        cols += [f"{off} AS off"] if off else []
        cols += [f"{group} AS g"] if group else []
        df = query_df(f"SELECT {', '.join(cols)} FROM patients WHERE cohort_id = ?", [cohort], db)
        lm = spec.landmark_days or 0.0
        if off:
            df = df[df["days"] > max(lm, 0)]
            df["t"], df["en"] = df["days"] + df["off"], df["off"] + lm
        else:
            df = df[df["days"] > lm] if spec.landmark_days else df
            df["t"], df["en"] = df["days"] - lm, 0.0
        df["g"] = df["g"].astype(str) if group else "All"
        fits = {
            g: KaplanMeierFitter().fit(s["t"], s["e"], entry=s["en"] if off else None)
            for g, s in df.groupby("g")
        }
        if cfg.kind == "arm":
            arm = find_arm(ARM, db)
            rows = pd.DataFrame(
                {
                    "t": np.concatenate((df["t"] / 30.4375, arm.time)),
                    "e": np.concatenate((df["e"], arm.event)),
                    "g": np.r_[np.zeros(len(df)), np.ones(arm.n)],
                }
            )
            lr = multivariate_logrank_test(rows["t"], rows["g"], rows["e"])
            return fits, lr, _lifelines_cox(rows)
        if not group:
            return fits
        lr = multivariate_logrank_test(df["t"], df["g"], df["e"])
        X = pd.get_dummies(df["g"], drop_first=True).astype(float)
        frame = pd.concat([X, df[["t", "e"]]], axis=1)
        if off:
            frame["en"] = df["en"]
        return fits, lr, _lifelines_cox(frame, "en" if off else None)

    return km


def _chosen(only: str) -> list[int]:
    """Indices of the configurations named by ``--only`` (numbers or name words), in order."""
    out: list[int] = []
    for item in (x.strip() for x in only.split(",") if x.strip()):
        if item.isdigit():
            found = [int(item) - 1]
        else:
            found = [i for i, c in enumerate(CONFIGS) if item.lower() in c.name.lower()]
        if not found or not 0 <= found[0] < len(CONFIGS):
            raise SystemExit(f"--only: no configuration {item!r}")
        out += [i for i in found if i not in out]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument(
        "--only",
        default="",
        help="comma-separated configuration numbers (1-based) or words of their names "
        "(case-insensitive), e.g. --only 1,arm",
    )
    ap.add_argument("--no-obvious", action="store_true", help="skip the lifelines path")
    args = ap.parse_args(argv)
    chosen = _chosen(args.only) or range(len(CONFIGS))
    print(
        "| patients | configuration | page, ms | floor (its DuckDB GROUP BY), ms | × floor "
        "| × ungrouped page | floor × ungrouped floor | of the page: HRs, ms "
        "| obvious (DuckDB → pandas → lifelines), ms | obvious / page |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in [int(s) for s in args.sizes.split(",")]:
        db, filters = database(n)
        # page, floor and hazard ratios of every configuration timed round-robin, so that
        # the machine's changing load falls on all of them alike (ratios from one run)
        runs: dict[tuple[int, str], Callable[[], object]] = {}
        for i in chosen:
            cfg = CONFIGS[i]
            runs[i, "page"] = page(cfg, filters, db)
            runs[i, "floor"] = floor(cfg, filters, db)
            fit = hrs(cfg, filters, db)
            if fit is not None:
                runs[i, "hrs"] = fit
        medians = interleaved(runs, args.repeats)
        base, base_floor = medians.get((0, "page")), medians.get((0, "floor"))
        for i in chosen:
            cfg = CONFIGS[i]
            t_page, t_floor = medians[i, "page"], medians[i, "floor"]
            t_hrs = medians.get((i, "hrs"))
            slow = (
                n >= 1_000_000
                and cfg.spec is not None
                and cfg.spec.by
                and cfg.spec.origin is not Origin.INDEX
            )
            slow = slow or n > 1_000_000  # lifelines on 10^7 rows: minutes and gigabytes
            if args.no_obvious or slow:  # lifelines' Cox with entry: minutes at 10^6
                t_obv = float("nan")
            else:
                reps = 1 if n >= 1_000_000 else max(1, args.repeats // 2)
                t_obv, _ = timed(obvious(cfg, filters, db), reps)
            rel = f"{t_page / base:.1f}x" if base else "-"
            rel_floor = f"{t_floor / base_floor:.1f}x" if base_floor else "-"
            hr_text = f"{t_hrs:,.1f}" if t_hrs is not None else "-"
            obv = "not run" if np.isnan(t_obv) else f"{t_obv:,.0f}"
            obv_rel = "-" if np.isnan(t_obv) else f"{t_obv / t_page:.0f}x"
            print(
                f"| {n:,} | {cfg.name} | {t_page:,.1f} | {t_floor:,.1f} | {t_page / t_floor:.1f}x "
                f"| {rel} | {rel_floor} | {hr_text} | {obv} | {obv_rel} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
