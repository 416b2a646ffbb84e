"""Issue 16: from a diagnosis origin, exits and delayed entries are counted in separate
aggregates (:func:`core.data.survival_sql.split_sql`) and a landmark shifts the whole-day entry
counts afterwards; the group hazard ratios are fitted on those counts
(:func:`core.stats.survival.cox_group_hr_counts`). The counts equal the per-patient path's
exactly (entries and exits on the same day, landmarks that are not whole days, missing and
invalid values), and the estimates equal R.

R values, tolerance 1e-9 relative (closed forms and a Newton fit to R's convergence), from the
80 patients of :func:`split_data` written to ``split.csv`` (``days, off, event, route``)::

    library(survival)
    d <- read.csv("split.csv"); d$route <- relevel(factor(d$route), ref="IA")
    run <- function(L) {
      s <- if (is.null(L)) d else subset(d, days > L)
      en <- if (is.null(L)) s$off else s$off + L; ex <- s$off + s$days
      f <- survfit(Surv(en, ex, event) ~ 1, data=s, conf.type="log-log")
      sm <- summary(f, times=c(300, 700, 1000)); print(sm$surv); print(sm$lower)
      print(quantile(f, 0.5)$quantile)
      c <- coxph(Surv(en, ex, event) ~ route, data=s, ties="efron")
      print(c(exp(coef(c)), summary(c)$conf.int[, 3:4], summary(c)$coefficients[, 5]))
    }
    run(NULL); run(3 * 30.4375); run(16 * 30.4375)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.analyses.disclosure import Mode
from core.analyses.survival import (
    SurvivalSpec,
    _columns,
    analyse,
    counts_from_raw,
    counts_from_split,
    hazard_ratios,
)
from core.data.filters import Filters
from core.data.survival_sql import split_rows, survival_rows
from core.stats.survival import SurvivalCounts, cox_group_hr, cox_group_hr_counts
from core.vocab.methods import Endpoint, Origin

RTOL = 1e-9
COHORT = "split-real"
SPLIT = Filters(cohorts=(COHORT,))
MIXED = "mixed-real"
IV, IA = "Intravenous", "Intra-arterial (hepatic)"


def split_data(n: int = 80, seed: int = 16) -> pd.DataFrame:
    """80 patients; three enter on the day others leave, two enter (at 16 months, a whole
    487 days) on the day others leave, two have their endpoint on day 487, one no offset."""
    rng = np.random.default_rng(seed)
    days = rng.integers(1, 1200, n)
    off = rng.integers(0, 400, n)
    ev = (rng.random(n) < 0.7).astype(int)
    route = np.where(rng.random(n) < 0.4, "IA", "IV")
    exit_ = days + off
    for k, j in ((0, 10), (1, 11), (2, 12)):
        off[k] = min(exit_[j] - 1, 399)
    exit_ = days + off
    for k, j in ((3, 13), (4, 14)):
        if exit_[j] - 487 >= 0 and days[k] > 487:
            off[k] = exit_[j] - 487
    days[5] = days[6] = 487
    off[7] = 0
    return pd.DataFrame({"days": days, "off": off, "event": ev, "route": route})


def _frames(df: pd.DataFrame, seed: int):
    from core.cohorts.generator import generate_pgep

    frames = generate_pgep(n=len(df), seed=seed)
    p = frames.patients
    p["os_days"] = pd.array(df["days"], dtype="Int64")
    p["os_event"] = pd.array(df["event"], dtype="Int64")
    p["dx_to_index_days"] = pd.array(df["off"], dtype="Int64")
    p["route"] = df["route"].to_numpy(dtype=object)
    return frames


def mixed_data(n: int = 600, seed: int = 3) -> pd.DataFrame:
    """Ties everywhere, same-day entries and exits, and every kind of invalid row."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "days": rng.integers(0, 900, n).astype(float),
            "off": rng.integers(0, 120, n).astype(float),
            "event": (rng.random(n) < 0.6).astype(float),
            "route": np.where(rng.random(n) < 0.5, "IA", "IV"),
        }
    )
    df.loc[5:9, "off"] = np.nan
    df.loc[10:13, "off"] = -2
    df.loc[14:19, "event"] = np.nan  # event status unknown (imaging PFS only: OS has it)
    df.loc[20:29, "days"] = 0  # on the day of the first treatment: invalid under delayed entry
    df.loc[30:39, "days"] = 91  # on the day before a 3-month landmark (91.3125 days)
    df.loc[40:49, "days"] = 487  # on a 16-month landmark (487 days): left out
    return df


@pytest.fixture(scope="module")
def split_db(tmp_path_factory):
    from core.data.build import _write, insert_cohort
    from core.data.db import close_all

    mixed = mixed_data()
    frames_m = _frames(mixed.fillna({"off": -1, "event": 0}), 5)
    p = frames_m.patients
    pfs_days = mixed["days"].mask(mixed.index.isin(range(60, 65)))  # no time: missing
    cols = (("dx_to_index_days", mixed["off"]), ("pfs_imaging_event", mixed["event"]),
            ("pfs_imaging_days", pfs_days))  # fmt: skip
    for col, src in cols:
        p[col] = pd.array([None if pd.isna(v) else int(v) for v in src], dtype="Int64")
    p.loc[50:120, "imaging_response"] = "PR"
    p.loc[50:90, "imaging_response_days"] = 200  # assessed after the landmark: not yet known

    def fill(con):
        for cid, frames in ((COHORT, _frames(split_data(), 16)), (MIXED, frames_m)):
            meta = {"cohort_id": cid, "title": cid, "provenance": "imported"}
            insert_cohort(con, meta, frames)

    yield _write(tmp_path_factory.mktemp("split") / "split.duckdb", fill)
    close_all()


SPECS = [
    SurvivalSpec(origin=Origin.DIAGNOSIS),
    SurvivalSpec(origin=Origin.DIAGNOSIS, left_truncation=False),
    SurvivalSpec(origin=Origin.DIAGNOSIS, landmark_months=3.0),
    SurvivalSpec(origin=Origin.DIAGNOSIS, landmark_months=16.0),
    SurvivalSpec(origin=Origin.DIAGNOSIS, landmark_months=3.0, left_truncation=False),
    SurvivalSpec(origin=Origin.DIAGNOSIS, by="route"),
    SurvivalSpec(origin=Origin.DIAGNOSIS, by="route", landmark_months=3.0),
    SurvivalSpec(origin=Origin.DIAGNOSIS, by="imaging_response", landmark_months=3.0),
    SurvivalSpec(origin=Origin.METASTATIC, by="sex"),
    SurvivalSpec(endpoint=Endpoint.PFS_IMAGING, origin=Origin.DIAGNOSIS, by="route"),
    SurvivalSpec(endpoint=Endpoint.PFS_IMAGING, origin=Origin.DIAGNOSIS, landmark_months=3.0),
]


def _same(a: dict[str, SurvivalCounts], b: dict[str, SurvivalCounts]) -> None:
    assert sorted(a) == sorted(b)
    for g in a:
        for f in ("time", "n_event", "n_censor", "n_enter"):
            np.testing.assert_array_equal(getattr(a[g], f), getattr(b[g], f), err_msg=f"{g} {f}")


@pytest.mark.parametrize("cohort", [COHORT, MIXED])
@pytest.mark.parametrize("spec", SPECS, ids=range(len(SPECS)))
def test_split_counts_equal_the_per_patient_path(split_db, cohort, spec):
    """Exactly the counts and tallies of the per-(group, days, offset) aggregate."""
    filters = Filters(cohorts=(cohort,))
    lm = spec.landmark_days
    new, tallies = counts_from_split(
        split_rows(filters, _columns(spec), split_db, left_truncation=spec.left_truncation,
                   landmark=lm),
        spec,
    )  # fmt: skip
    old, old_tallies = counts_from_raw(survival_rows(filters, _columns(spec), split_db), spec)
    _same(new, old)
    per, _ = counts_from_raw(
        survival_rows(filters, _columns(spec), split_db, per_patient=True), spec
    )
    _same(new, per)
    assert tallies == old_tallies
    assert sum(c.n for c in new.values()) > 0


def test_the_mixed_cohort_exercises_every_rule(split_db):
    spec = SurvivalSpec(origin=Origin.DIAGNOSIS, landmark_months=16.0)
    counts, tallies = counts_from_split(
        split_rows(Filters(cohorts=(MIXED,)), _columns(spec), split_db, landmark=487.0), spec
    )
    (c,) = counts.values()
    assert tallies["n_missing"] == 5 + 4 + 10  # no offset, a negative one, days 0
    spec = SurvivalSpec(endpoint=Endpoint.PFS_IMAGING, origin=Origin.DIAGNOSIS)
    _, pfs = counts_from_split(
        split_rows(Filters(cohorts=(MIXED,)), _columns(spec), split_db, landmark=None), spec
    )
    assert pfs["n_missing"] == 5 + 4 + 6 + 10 + 5  # and unknown event status, no time
    assert tallies["n_lm"] >= 10  # day 487 is on the landmark: left out
    # a whole-day landmark: entries (offset + 487) fall on exit days too
    both = (c.n_enter > 0) & (c.n_event + c.n_censor > 0)
    assert both.any()
    spec = SurvivalSpec(origin=Origin.DIAGNOSIS, by="imaging_response", landmark_months=3.0)
    _, tallies = counts_from_split(
        split_rows(Filters(cohorts=(MIXED,)), _columns(spec), split_db, landmark=91.3125), spec
    )
    assert tallies["n_late"] > 0


R_KM = {
    None: ([0.769376899696049, 0.538554020060093, 0.360388383575453],
           [0.407978854544141, 0.332258818675074, 0.216955321143497], 766.0,
           [0.904746878322494, 0.531132268922326, 1.54117337945815, 0.712621986741436]),
    3.0: ([0.9384765625, 0.639581997753492, 0.426565827612448],
          [0.775765347030634, 0.504396305852136, 0.305468717144938], 912.0,
          [0.86606617279614, 0.498109160342041, 1.50583581949526, 0.610395334503347]),
    16.0: ([1.0, 0.916666666666667, 0.575725100802261],
           [1.0, 0.538977180570741, 0.387640730046341], 1093.0,
           [0.740259723138029, 0.36095959377265, 1.51813240915142, 0.41180778933849]),
}  # fmt: skip


@pytest.mark.parametrize("landmark", [None, 3.0, 16.0])
def test_delayed_entry_and_landmark_equal_r(split_db, landmark):
    """survfit and coxph on Surv(offset [+ landmark], offset + days, event): survival and its
    log-log lower limit at 300, 700 and 1000 days, the median, and the hazard ratio of
    intravenous against intra-arterial with its CI and p value."""
    surv, lower, median, hr = R_KM[landmark]
    base = dict(origin=Origin.DIAGNOSIS, landmark_months=landmark, rmst_months=None)
    spec = SurvivalSpec(**base, times_in_days=(300, 700, 1000), times_months=(0, 0, 0))
    a = analyse(SPLIT, spec, split_db, mode=Mode.EXACT)
    (g,) = a.groups
    np.testing.assert_allclose([s.surv for s in g.at], surv, rtol=RTOL)
    got_lower = [1.0 if s.lower is None else s.lower for s in g.at]  # R: 1 where S = 1
    np.testing.assert_allclose(got_lower, lower, rtol=RTOL)
    assert g.median.estimate == median
    hrs = hazard_ratios(SPLIT, SurvivalSpec(**base, by="route"), IA, split_db, mode=Mode.EXACT)
    (row,) = hrs.rows
    assert row.label == IV
    np.testing.assert_allclose([row.hr, row.lower, row.upper, row.p], hr, rtol=RTOL)


@pytest.mark.parametrize("landmark", [None, 3.0, 16.0])
def test_group_hr_from_counts_equals_the_patient_level_fit(split_db, landmark):
    """cox_group_hr_counts on the analysis's counts = cox_group_hr on the patient rows."""
    spec = SurvivalSpec(origin=Origin.DIAGNOSIS, by="route", landmark_months=landmark)
    from core.analyses.survival import patient_arrays

    df = patient_arrays(Filters(cohorts=(MIXED,)), spec, split_db)
    counts, _ = counts_from_split(
        split_rows(Filters(cohorts=(MIXED,)), _columns(spec), split_db,
                   landmark=spec.landmark_days),
        spec,
    )  # fmt: skip
    ref = cox_group_hr(df["t"], df["ev"], df["g"], IA, entry=df["en"])
    got = cox_group_hr_counts(counts, IA)
    assert [r.label for r in got] == [r.label for r in ref] == [IV]
    np.testing.assert_allclose(
        [[r.hr, r.lower, r.upper, r.p] for r in got],
        [[r.hr, r.lower, r.upper, r.p] for r in ref],
        rtol=1e-10,
    )
