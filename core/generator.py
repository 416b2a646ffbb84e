"""Deterministic generators for the synthetic default cohorts (and benchmark-sized cohorts).

Every generator takes ``n`` and ``seed`` and returns ``CohortFrames`` (patients, treatments,
adverse events). Categorical marginals are allocated by largest-remainder rounding of the
published counts and then permuted, so at the published size the counts are exact and at any
other size the proportions are kept. Outcome times are drawn from a log-normal accelerated
failure-time model whose group effects follow the published survival figures (calibrated by
``core.calibration`` where one exists). Everything is vectorised: 10^6 patients take seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.methods import DAYS_PER_MONTH, DAYS_PER_YEAR
from core.schema import AGE_CAP, METASTATIC_SITES, PATIENT_FIELDS

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
COHORTS_FILE = DATA_DIR / "cohorts.json"


@dataclass(frozen=True)
class CohortFrames:
    patients: pd.DataFrame
    treatments: pd.DataFrame
    adverse_events: pd.DataFrame
    case_notes: pd.DataFrame | None = None


def load_spec(path: Path = COHORTS_FILE) -> dict:
    return json.loads(path.read_text())


# --------------------------------------------------------------------------- helpers
def allocate(counts: dict[str, int], n: int) -> dict[str, int]:
    """Largest-remainder allocation of ``counts`` (summing to N) onto ``n`` slots."""
    total = sum(counts.values())
    if total == n:
        return dict(counts)
    raw = {k: v * n / total for k, v in counts.items()}
    out = {k: int(np.floor(x)) for k, x in raw.items()}
    short = n - sum(out.values())
    for k in sorted(raw, key=lambda k: raw[k] - out[k], reverse=True)[:short]:
        out[k] += 1
    return out


def scaled(count: int, n_ref: int, n: int) -> int:
    return count if n == n_ref else int(round(count * n / n_ref))


def categorical(rng: np.random.Generator, counts: dict[str, int], n: int) -> np.ndarray:
    alloc = allocate(counts, n)
    values = np.repeat(np.array(list(alloc), dtype=object), list(alloc.values()))
    return rng.permutation(values)


def flag(rng: np.random.Generator, k: int, n: int, among: np.ndarray | None = None) -> np.ndarray:
    """Boolean array with exactly ``k`` True, optionally chosen only where ``among`` is True."""
    out = np.zeros(n, dtype=bool)
    pool = np.flatnonzero(among) if among is not None else np.arange(n)
    k = min(k, pool.size)
    out[rng.choice(pool, size=k, replace=False)] = True
    return out


def exact_mean_ages(rng: np.random.Generator, n: int, mean: float, sd: float) -> np.ndarray:
    """Integer ages whose mean is ``mean`` (to 0.05) and SD rounds to ``sd``; capped at 90."""
    from scipy.stats import norm

    z = norm.ppf((np.arange(n) + 0.5) / n)
    z = (z - z.mean()) / z.std(ddof=1)
    ages = np.clip(np.rint(mean + sd * z), 18, AGE_CAP).astype(int)
    target = int(round(mean * n))
    diff = target - ages.sum()
    order = np.argsort(np.abs(ages - mean))  # nudge the most central ages
    i = 0
    while diff != 0 and i < 10 * n:
        j = order[i % n]
        step = 1 if diff > 0 else -1
        if 18 <= ages[j] + step <= AGE_CAP:
            ages[j] += step
            diff -= step
        i += 1
    return rng.permutation(ages)


def quantile_values(
    rng: np.random.Generator, n: int, knots: list[tuple[float, float]], exact: bool, step: float
) -> np.ndarray:
    """Values following a piecewise-linear quantile function.

    With ``exact`` the values sit at the plotting positions i/(n-1), and the two order
    statistics either side of each knot take the knot's value, so R-type-7 quantiles at the
    knots equal the knot values exactly.
    """
    ps, qs = zip(*knots, strict=True)
    u = np.arange(n) / max(n - 1, 1) if exact else np.sort(rng.random(n))
    values = np.round(np.interp(u, ps, qs) / step) * step
    if exact:
        for p, q in knots:
            h = (n - 1) * p
            lo, hi = int(np.floor(h)), int(np.ceil(h))
            values[lo] = values[hi] = q
        values = np.maximum.accumulate(values)
    return rng.permutation(values)


def lognormal_days(rng: np.random.Generator, median_days: np.ndarray, sigma: float) -> np.ndarray:
    return median_days * np.exp(sigma * rng.standard_normal(median_days.shape[0]))


def empty_patients(n: int) -> pd.DataFrame:
    """A patients frame with every schema column, all missing."""
    return pd.DataFrame({f.name: pd.Series([None] * n, dtype=object) for f in PATIENT_FIELDS})


def finish_patients(df: pd.DataFrame) -> pd.DataFrame:
    """Cast every column to its schema type (nullable)."""
    out = {}
    for f in PATIENT_FIELDS:
        s = df[f.name] if f.name in df else pd.Series([None] * len(df))
        if f.kind in ("int", "days", "event"):
            out[f.name] = pd.array(pd.to_numeric(s, errors="coerce").round(), dtype="Int64")
        elif f.kind == "float":
            out[f.name] = pd.to_numeric(s, errors="coerce").astype("Float64")
        elif f.kind == "bool":
            out[f.name] = s.astype("boolean")
        else:
            out[f.name] = s.astype(object).where(s.notna(), None)
    return pd.DataFrame(out)


# ---------------------------------------------------------------- pgep-mibg-211
PGEP_OS_MODEL = {
    # log-normal AFT, medians in months; see core/calibration.py for how these were tuned.
    "base_median_months": 26.0,
    "sigma": 0.85,
    "multi": 0.62,
    "imaging": {"CR": 0.55, "PR": 0.55, "SD": 0.55, "PD": -0.55, "none": -0.55, "mibg_only": 0.0},
    "symptom": {"improved": 0.35, "stable": -0.45, "worse": -0.45, "none": -0.2},
    "biochem": {"response": 0.45, "stable": 0.45, "progression": -0.35, "none": -0.25},
}


def generate_pgep(n: int = 211, seed: int = 20190211, targets: dict | None = None) -> CohortFrames:
    """Synthetic cohort matching seed 002's Tables 1 and 2 exactly at n=211."""
    t = targets or load_spec()["pgep_targets"]
    rng = np.random.default_rng(seed)
    N = 211
    df = empty_patients(n)
    df["patient_id"] = [f"p{i + 1:07d}" for i in range(n)]
    df["sex"] = categorical(rng, t["sex"], n)
    df["race"] = categorical(rng, t["race"], n)
    df["age"] = exact_mean_ages(rng, n, t["age_mean"], t["age_sd"])
    df["primary_site"] = categorical(rng, t["primary_site"], n)
    df["route"] = "IV"
    df["agent"] = "i131_mibg"
    df["index_year"] = rng.integers(1991, 2015, size=n)

    # grade: not published; illustrative (small bowel G1-G2 only)
    sb = df["primary_site"].to_numpy() == "small_bowel"
    grade = np.where(rng.random(n) < 0.55, "G1", "G2").astype(object)
    other = ~sb
    u = rng.random(n)
    grade[other & (u < 0.40)] = "G1"
    grade[other & (u >= 0.40) & (u < 0.75)] = "G2"
    grade[other & (u >= 0.75) & (u < 0.87)] = "G3"
    grade[other & (u >= 0.87)] = "GX"
    df["grade"] = grade

    n_tx = categorical(rng, t["n_treatments"], n).astype(int)
    df["n_treatments"] = n_tx
    fa = t["first_activity_mbq"]
    first = quantile_values(
        rng,
        n,
        [
            (0.0, 5550.0),
            (0.25, fa["q1"]),
            (0.35, 14800.0),
            (0.42, fa["median"]),
            (0.5, fa["median"]),
            (0.62, fa["median"]),
            (0.75, fa["q3"]),
            (1.0, 22200.0),
        ],
        exact=(n == N),
        step=1.0,
    )
    df["first_activity_mbq"] = first

    for code, _ in METASTATIC_SITES:
        k = scaled(t["metastatic_sites"].get(code, 0), N, n)
        df[f"met_{code}"] = flag(rng, k, n)

    pr = t["prior"]
    surg = flag(rng, scaled(pr["prior_surgery"], N, n), n)
    extra = scaled(pr["any_surgery_radiation_chemo"] - pr["prior_surgery"], N, n)
    chemo_out = flag(rng, extra, n, among=~surg)
    chemo = chemo_out | flag(rng, scaled(pr["prior_chemo"], N, n) - extra, n, among=surg)
    df["prior_surgery"] = surg
    df["prior_chemo"] = chemo
    df["prior_radiation"] = flag(rng, scaled(pr["prior_radiation"], N, n), n, among=surg)
    df["prior_embolization"] = flag(rng, scaled(pr["prior_embolization"], N, n), n)
    df["prior_ssa"] = flag(rng, scaled(pr["prior_ssa"], N, n), n)
    for name, k in t["post"].items():
        df[name] = flag(rng, scaled(k, N, n), n)
    df["followup_approximated"] = False

    # ---- response status at first follow-up (drives outcomes)
    ir = t["imaging_response"]
    img_counts = {k: ir[k] for k in ("CR", "PR", "SD", "PD", "mibg_only")}
    img_counts["none"] = N - sum(img_counts.values())
    img = categorical(rng, img_counts, n)
    sym_counts = dict(t["symptomatic_response"])
    sym_counts["none"] = N - sum(sym_counts.values())
    sym = categorical(rng, sym_counts, n)
    bio_counts = dict(t["biochem_response"])
    bio_counts["none"] = N - sum(bio_counts.values())
    bio = categorical(rng, bio_counts, n)

    m = PGEP_OS_MODEL
    lin = (
        np.log(m["base_median_months"] * DAYS_PER_MONTH)
        + m["multi"] * (n_tx > 1)
        + np.vectorize(m["imaging"].get)(img)
        + np.vectorize(m["symptom"].get)(sym)
        + np.vectorize(m["biochem"].get)(bio)
    )
    os_true = np.exp(lin + m["sigma"] * rng.standard_normal(n))
    # a patient assessed at first follow-up lived to it (about 3 months)
    first_fu = np.where(rng.random(n) < 0.6, 91, rng.integers(91, 274, size=n))
    assessed = (img != "none") | (sym != "none") | (bio != "none")
    os_true = np.where(assessed, np.maximum(os_true, first_fu + 7), np.maximum(os_true, 1))
    # administrative censoring at the end of the study period (31 Dec 2014)
    index_day_in_year = rng.integers(0, 365, size=n)
    potential = (2014 - df["index_year"].to_numpy() + 1) * DAYS_PER_YEAR - index_day_in_year
    potential = np.maximum(potential, first_fu + 30)
    os_days = np.minimum(os_true, potential)
    os_event = (os_true <= potential).astype(int)
    df["os_days"] = np.ceil(os_days).astype(int)
    df["os_event"] = os_event
    os_d = df["os_days"].to_numpy()

    # imaging
    has_img = img != "none"
    df["imaging_response"] = np.where(np.isin(img, ["CR", "PR", "SD", "PD"]), img, "NE")
    df.loc[~has_img, "imaging_response"] = None
    df["imaging_response_days"] = np.where(has_img, np.minimum(first_fu, os_d), np.nan)
    prog = np.where(
        img == "PD", first_fu, lognormal_days(rng, np.full(n, 1.9 * DAYS_PER_YEAR), 0.8)
    )
    prog = np.maximum(prog, first_fu)
    pfs_time = np.minimum(prog, os_d)
    pfs_event = ((prog <= os_d) | (os_event == 1)).astype(int)
    df["pfs_imaging_days"] = np.where(has_img, np.ceil(pfs_time), np.nan)
    df["pfs_imaging_event"] = np.where(has_img, pfs_event, np.nan)

    # symptoms
    has_sym = sym != "none"
    df["symptomatic_response"] = np.where(has_sym, sym, None)
    sprog = np.where(
        sym == "improved",
        lognormal_days(rng, np.full(n, 1.9 * DAYS_PER_YEAR), 0.8),
        np.where(
            sym == "worse", first_fu, lognormal_days(rng, np.full(n, 0.6 * DAYS_PER_YEAR), 0.8)
        ),
    )
    sprog = np.maximum(sprog, first_fu)
    df["pfs_symptom_days"] = np.where(has_sym, np.ceil(np.minimum(sprog, os_d)), np.nan)
    df["pfs_symptom_event"] = np.where(has_sym, (sprog <= os_d).astype(int), np.nan)

    # biochemistry: time to biochemical progression (deaths censor)
    has_bio = bio != "none"
    df["biochem_response"] = np.where(has_bio, bio, None)
    df["biochem_marker"] = None
    df.loc[has_bio, "biochem_marker"] = categorical(rng, t["biochem_marker"], int(has_bio.sum()))
    bprog = np.where(
        bio == "progression",
        first_fu,
        lognormal_days(rng, np.full(n, 3.0 * DAYS_PER_YEAR), 0.9),
    )
    bprog = np.maximum(bprog, first_fu)
    df["pfs_biochem_days"] = np.where(has_bio, np.ceil(np.minimum(bprog, os_d)), np.nan)
    df["pfs_biochem_event"] = np.where(has_bio, (bprog <= os_d).astype(int), np.nan)

    # diagnosis and metastatic diagnosis before index
    met_to_index = lognormal_days(rng, np.full(n, 1.6 * DAYS_PER_YEAR), 0.9)
    dx_extra = lognormal_days(rng, np.full(n, 1.5 * DAYS_PER_YEAR), 1.0) * (rng.random(n) < 0.7)
    df["met_to_index_days"] = np.ceil(met_to_index)
    df["dx_to_index_days"] = np.ceil(met_to_index + dx_extra)

    treatments = _treatments_for(rng, df, first, later_median=12950.0)
    df["cumulative_activity_mbq"] = (
        treatments.groupby("patient_id", sort=False)["activity_mbq"]
        .sum()
        .reindex(df["patient_id"])
        .to_numpy()
    )
    empty_ae = pd.DataFrame(columns=["patient_id", "term", "ctcae_grade", "note"])
    return CohortFrames(finish_patients(df), treatments, empty_ae)


def _treatments_for(
    rng: np.random.Generator, df: pd.DataFrame, first: np.ndarray, later_median: float
) -> pd.DataFrame:
    """One row per administration: cycle 1 on day 0, later cycles spaced before death."""
    n_tx = df["n_treatments"].to_numpy().astype(int)
    os_d = df["os_days"].to_numpy().astype(float)
    ids = df["patient_id"].to_numpy()
    rows_pid = np.repeat(ids, n_tx)
    cycle = (
        np.concatenate([np.arange(1, k + 1) for k in n_tx])
        if len(n_tx) < 5000
        else (np.arange(n_tx.sum()) - np.repeat(np.cumsum(n_tx) - n_tx, n_tx) + 1)
    )
    os_rep = np.repeat(os_d, n_tx)
    k_rep = np.repeat(n_tx, n_tx)
    # later cycles evenly placed in the first 60% of follow-up, with jitter
    frac = (cycle - 1) / np.maximum(k_rep, 1) * 0.6 * (0.8 + 0.4 * rng.random(cycle.size))
    day = np.where(cycle == 1, 0, np.maximum(np.round(os_rep * frac), 60 * (cycle - 1)))
    day = np.minimum(day, np.maximum(os_rep - 1, 0))
    act = np.where(
        cycle == 1,
        np.repeat(first, n_tx),
        np.round(later_median * np.exp(0.25 * rng.standard_normal(cycle.size))),
    )
    route = np.repeat(df["route"].to_numpy(), n_tx)
    agent = np.repeat(df["agent"].to_numpy(), n_tx)
    return pd.DataFrame(
        {
            "patient_id": rows_pid,
            "cycle": cycle.astype(int),
            "day": day.astype(int),
            "route": route,
            "agent": agent,
            "activity_mbq": act.astype(float),
            "approximated": False,
        }
    )


# ------------------------------------------------------------ stage4-unselected-50
def generate_stage4(n: int = 50, seed: int = 20140601) -> CohortFrames:
    """Synthetic cohort matching seed 001's abstract (50 unselected stage IV NETs)."""
    rng = np.random.default_rng(seed)
    N = 50
    df = empty_patients(n)
    df["patient_id"] = [f"s{i + 1:05d}" for i in range(n)]
    df["sex"] = categorical(rng, {"female": 26, "male": 24}, n)
    df["race"] = categorical(rng, {"white": 42, "black": 6, "other": 2}, n)
    df["age"] = np.clip(np.rint(60 + 11 * rng.standard_normal(n)), 25, AGE_CAP).astype(int)
    site = categorical(
        rng,
        {
            "small_bowel": 24,
            "pancreas": 8,
            "lung": 6,
            "unknown": 5,
            "rectum": 3,
            "colon": 2,
            "stomach": 2,
        },
        n,
    )
    df["primary_site"] = site
    sb = site == "small_bowel"
    grade = np.empty(n, dtype=object)
    grade[sb] = categorical(rng, {"G1": 12, "G2": 8, "G3": 4}, int(sb.sum()))
    grade[~sb] = categorical(rng, {"G1": 7, "G2": 9, "G3": 8, "GX": 2}, int((~sb).sum()))
    df["grade"] = grade
    df["route"] = "IV"
    df["agent"] = "i131_mibg"
    df["index_year"] = rng.integers(2008, 2015, size=n)
    n_tx = categorical(rng, {"1": 30, "2": 14, "3": 6}, n).astype(int)
    df["n_treatments"] = n_tx
    first = np.round(rng.uniform(7400, 18500, size=n) / 10) * 10
    df["first_activity_mbq"] = first
    df["met_liver"] = flag(rng, scaled(44, N, n), n)
    df["met_bone"] = flag(rng, scaled(14, N, n), n)
    df["met_lung"] = flag(rng, scaled(8, N, n), n)
    df["met_peritoneum"] = flag(rng, scaled(9, N, n), n)
    df["prior_surgery"] = True
    df["prior_ssa"] = flag(rng, scaled(42, N, n), n)
    df["followup_approximated"] = False

    # survival from diagnosis is the published comparison: draw it, then place the index
    g = np.where(sb & (grade == "G1"), 1.0, np.where(sb, 0.55, 0.0))
    g = g + np.where(grade == "G3", -0.7, 0.0)
    dx_to_os = lognormal_days(rng, DAYS_PER_YEAR * 9.0 * np.exp(g), 0.55)
    dx_to_index = dx_to_os * rng.uniform(0.25, 0.55, size=n)
    os_true = np.maximum(dx_to_os - dx_to_index, 60)
    follow = (2016.5 - df["index_year"].to_numpy()) * DAYS_PER_YEAR - rng.integers(0, 365, size=n)
    df["os_days"] = np.ceil(np.minimum(os_true, follow)).astype(int)
    df["os_event"] = (os_true <= follow).astype(int)
    df["dx_to_index_days"] = np.ceil(dx_to_index)
    df["met_to_index_days"] = np.ceil(dx_to_index * rng.uniform(0.3, 0.9, size=n))

    df["symptomatic_response"] = categorical(rng, {"improved": 23, "stable": 17, "worse": 10}, n)
    df["imaging_response"] = categorical(rng, {"PR": 5, "SD": 28, "PD": 12, "NE": 5}, n)
    df["imaging_response_days"] = 91
    os_d = df["os_days"].to_numpy()
    prog = np.where(
        df["imaging_response"].to_numpy() == "PD",
        91,
        lognormal_days(rng, np.full(n, 1.5 * DAYS_PER_YEAR), 0.8),
    )
    df["pfs_imaging_days"] = np.ceil(np.minimum(np.maximum(prog, 91), os_d))
    df["pfs_imaging_event"] = ((prog <= os_d) | (df["os_event"].to_numpy() == 1)).astype(int)
    treatments = _treatments_for(rng, df, first, later_median=11100.0)
    df["cumulative_activity_mbq"] = (
        treatments.groupby("patient_id", sort=False)["activity_mbq"]
        .sum()
        .reindex(df["patient_id"])
        .to_numpy()
    )
    empty_ae = pd.DataFrame(columns=["patient_id", "term", "ctcae_grade", "note"])
    return CohortFrames(finish_patients(df), treatments, empty_ae)


# -------------------------------------------------------------------- nguyen-2004
def generate_nguyen(n: int = 32, seed: int = 20041001) -> CohortFrames:
    """Synthetic cohort matching seed 004: 20 treated (5 MIBG, 15 In-111) and 12 untreated."""
    if n != 32:
        raise ValueError("nguyen-2004 is generated at its published size only (n=32)")
    rng = np.random.default_rng(seed)
    df = empty_patients(n)
    df["patient_id"] = [f"n{i + 1:03d}" for i in range(n)]
    agent = np.array(["i131_mibg"] * 5 + ["in111_pentetreotide"] * 15 + ["none"] * 12, dtype=object)
    df["agent"] = agent
    treated = agent != "none"
    df["route"] = np.where(treated, "IV", None)
    df["n_treatments"] = np.where(treated, 3, 0)
    df["sex"] = categorical(rng, {"female": 15, "male": 17}, n)
    df["race"] = "unknown"
    df["age"] = np.clip(np.rint(58 + 10 * rng.standard_normal(n)), 30, AGE_CAP).astype(int)
    df["primary_site"] = categorical(
        rng, {"small_bowel": 14, "pancreas": 10, "unknown": 4, "lung": 2, "rectum": 2}, n
    )
    df["grade"] = "GX"
    df["index_year"] = rng.integers(1996, 2003, size=n)
    first = np.where(
        agent == "i131_mibg",
        np.round(rng.uniform(3700, 7400, size=n) / 100) * 100,
        np.where(agent == "in111_pentetreotide", 7000.0, np.nan),
    )
    df["first_activity_mbq"] = first
    df["met_liver"] = flag(rng, 26, n)
    df["followup_approximated"] = False

    # benefit in 14 of 19 evaluable treated (73%); one treated patient not evaluable
    sym = np.array([None] * n, dtype=object)
    idx_t = rng.permutation(np.flatnonzero(treated))
    sym[idx_t[:14]] = "improved"
    sym[idx_t[14:17]] = "stable"
    sym[idx_t[17:19]] = "worse"
    sym[idx_t[19]] = "NE"
    df["symptomatic_response"] = sym
    # relapse among the 14 with benefit: mean 16.1 +/- 7.8 months
    z = rng.standard_normal(14)
    z = (z - z.mean()) / z.std(ddof=1)
    relapse_m = 16.1 + 7.8 * z
    relapse = np.full(n, np.nan)
    relapse[idx_t[:14]] = np.maximum(relapse_m, 2.0) * DAYS_PER_MONTH

    scale = np.where(treated, 40.0, 14.0) * DAYS_PER_MONTH
    os_true = lognormal_days(rng, scale, 0.9)
    ben = ~np.isnan(relapse)
    os_true[ben] = np.maximum(os_true[ben], relapse[ben] + 90)
    follow = np.full(n, 60 * DAYS_PER_MONTH) - rng.integers(0, 700, size=n)
    df["os_days"] = np.ceil(np.minimum(os_true, follow)).astype(int)
    df["os_event"] = (os_true <= follow).astype(int)
    os_d = df["os_days"].to_numpy()
    prog = np.where(ben, relapse, lognormal_days(rng, np.full(n, 5 * DAYS_PER_MONTH), 0.6))
    df["pfs_imaging_days"] = np.ceil(np.minimum(prog, os_d))
    df["pfs_imaging_event"] = ((prog <= os_d) | (df["os_event"].to_numpy() == 1)).astype(int)
    df["pfs_symptom_days"] = np.where(treated & (sym != "NE"), df["pfs_imaging_days"], np.nan)
    df["pfs_symptom_event"] = np.where(treated & (sym != "NE"), (prog <= os_d).astype(int), np.nan)
    df["dx_to_index_days"] = np.ceil(lognormal_days(rng, np.full(n, 3 * DAYS_PER_YEAR), 0.7))
    df["met_to_index_days"] = np.ceil(df["dx_to_index_days"].to_numpy() * 0.6)

    treated_df = df[treated].reset_index(drop=True)
    tx = _treatments_for(rng, treated_df, first[treated], later_median=7000.0)
    # three monthly administrations
    tx["day"] = ((tx["cycle"] - 1) * 30).astype(int)
    mibg = tx["agent"] == "i131_mibg"
    tx.loc[mibg, "activity_mbq"] = np.repeat(first[agent == "i131_mibg"], 3)
    tx.loc[~mibg, "activity_mbq"] = 7000.0
    df["cumulative_activity_mbq"] = (
        tx.groupby("patient_id", sort=False)["activity_mbq"]
        .sum()
        .reindex(df["patient_id"])
        .to_numpy()
    )
    empty_ae = pd.DataFrame(columns=["patient_id", "term", "ctcae_grade", "note"])
    return CohortFrames(finish_patients(df), tx, empty_ae)


# ------------------------------------------------------------------- published cases
def load_cases(directory: Path) -> CohortFrames:
    pts = pd.read_csv(directory / "patients.csv", dtype=str, keep_default_na=False)
    pts = pts.replace("", None)
    notes = pts[["patient_id", "source_note"]].rename(columns={"source_note": "note"})
    pts = pts.drop(columns=["source_note"])
    for col in pts.columns:
        if col.startswith("met_") or col.startswith("prior_") or col == "followup_approximated":
            pts[col] = pts[col].map({"true": True, "false": False, None: None})
    tx = pd.read_csv(directory / "treatments.csv")
    tx["day"] = tx["day"].astype("Int64")
    tx["approximated"] = tx["approximated"].astype(bool)
    ae = pd.read_csv(directory / "adverse_events.csv").rename(columns={"attribution": "note"})
    return CohortFrames(finish_patients(pts), tx, ae, notes)


GENERATORS = {"pgep": generate_pgep, "stage4": generate_stage4, "nguyen": generate_nguyen}


def frames_for(spec: dict) -> CohortFrames:
    if spec["generator"] == "cases":
        return load_cases(DATA_DIR / spec["cases_dir"])
    return GENERATORS[spec["generator"]](n=spec["n"], seed=spec["seed"])
