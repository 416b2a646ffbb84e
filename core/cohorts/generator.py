"""Deterministic generators for the synthetic default cohorts (and benchmark-sized cohorts).

Every generator takes ``n`` and ``seed`` and returns ``CohortFrames`` (patients, treatments,
adverse events). Categorical marginals are allocated by largest-remainder rounding of the
published counts and then permuted, so at the published size the counts are exact and at any
other size the proportions are kept. Outcome times are drawn from a log-normal accelerated
failure-time model whose group effects follow the published survival figures (calibrated by
``core.cohorts.calibration`` where one exists). Everything is vectorised: 10^6 patients take seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.vocab.methods import DAYS_PER_MONTH, DAYS_PER_YEAR
from core.vocab.schema import AGE_CAP, METASTATIC_SITES, PATIENT_FIELDS

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
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


DEATH_CAUSE_MODEL = {
    # Cause of death of the synthetic patients who died (no seed paper reports it): mostly
    # the NET itself, other causes more often at older ages, a tenth unrecorded. Illustrative
    # (field provenance "synthetic"), for the competing-risks view.
    "unknown_share": 0.10,
    "other_share_at_60": 0.15,
    "other_share_per_year": 0.006,
    "other_share_bounds": (0.05, 0.40),
}
DEATH_CAUSE_STREAM = 0xDC
"""The cause of death is drawn from its own random stream (seed, DEATH_CAUSE_STREAM), after
everything else, so every other generated column is unchanged by it."""


def death_causes(df: pd.DataFrame, seed: int, model: dict | None = None) -> np.ndarray:
    """``death_cause`` of every patient who died (None for the living), from a separate stream."""
    m = model or DEATH_CAUSE_MODEL
    rng = np.random.default_rng((int(seed), DEATH_CAUSE_STREAM))
    n = len(df)
    dead = pd.to_numeric(df["os_event"], errors="coerce").to_numpy(dtype=float) == 1
    age = pd.to_numeric(df["age"], errors="coerce").to_numpy(dtype=float)
    age = np.where(np.isnan(age), 60.0, age)
    lo, hi = m["other_share_bounds"]
    other = np.clip(m["other_share_at_60"] + m["other_share_per_year"] * (age - 60), lo, hi)
    u = rng.random(n)
    cause = np.where(
        u < m["unknown_share"],
        "unknown",
        np.where(u < m["unknown_share"] + other, "other", "net_related"),
    ).astype(object)
    return np.where(dead, cause, None)


def empty_patients(n: int) -> pd.DataFrame:
    """A patients frame with every schema column, all missing."""
    return pd.DataFrame({f.name: np.full(n, None, dtype=object) for f in PATIENT_FIELDS})


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
    # Overall survival from the first treatment is log-normal (median, sigma), drawn at
    # stratified quantiles. The status at the first follow-up in each domain is then given to
    # patients by rank: each status group gets "ideal" log-survival values centred on its
    # centre (months) with the common spread; the pooled ideal values are sorted and matched
    # to the patients' sorted survival times, so a group's survival is centred near its
    # centre while who gets which status stays random (the ideal values are seeded draws).
    # Patients who die before the first follow-up visit cannot be assessed: they are "none"
    # (not assessed) in every domain and had one treatment. Centres are tuned by
    # core/cohorts/calibration.py (fixed-point iteration on the app's own medians).
    "median_months": 28.61,
    "sigma": 1.143,
    # spread of the ideal log-times of each assessed group and of the not-assessed group (a
    # mixture of early deaths and of patients followed elsewhere who did well), per domain;
    # the centres are in months
    "spread": {
        "treatments": 1.142,
        "imaging": {"response_or_stable": 0.9, "progression": 0.9},
        "symptom": {"improved": 0.9782, "not_improved": 0.96},
        "biochem": {"response_or_stable": 3.451, "progression": 0.215},
    },
    "spread_none": {"imaging": 1.658, "symptom": 0.505, "biochem": 1.164},
    "treatments": {"single": 20.4, "multiple": 41.07},
    "imaging": {"response_or_stable": 40.21, "progression": 16.44, "none": 9.769},
    "symptom": {"improved": 60.17, "not_improved": 19.45, "none": 28.5},
    "biochem": {"response_or_stable": 129.4, "progression": 43.93, "none": 20.0},
}

PGEP_FOLLOWUP_MODEL = {
    # Progression times and the time from diagnosis; tuned by core/cohorts/calibration.py.
    "mibg_only_progression": 5,  # of the 18 with mIBG-only follow-up imaging, progressed on it
    "pfs_imaging_median_months": 24.49,  # after the first visit, without progression at it
    "pfs_imaging_sigma": 0.8,
    "pfs_symptom_improved_median_months": 16.6,
    "pfs_symptom_stable_median_months": 7.0,
    "pfs_symptom_sigma": 0.8,
    "biochem_progression_median_months": 28.44,  # response or stable at the first visit
    "biochem_progression_sigma": 0.9,
    "biochem_never_share": 0.16,  # of response/stable: markers never rise
    "met_to_index_median_months": 19.89,
    "met_to_index_sigma": 0.9,
    "dx_before_met_share": 0.7,  # the rest were metastatic at diagnosis (dx = metastatic dx)
    "dx_before_met_median_months": 9.939,
    "dx_before_met_sigma": 1.0,
}


def stratified_uniform(
    rng: np.random.Generator, n: int, groups: np.ndarray | None = None
) -> np.ndarray:
    """Quantile-based uniforms: within each group of size m, the values (i + 0.5) / m.

    The values are assigned to the group's members in a seeded random order, so every group's
    empirical distribution is the exact quantile grid (medians land where the model puts them)
    while who gets which value is random. Vectorised (a sort), fine for 10**6 patients.
    """
    key = rng.permutation(n)
    if groups is None:
        return (key + 0.5) / max(n, 1)
    codes, _ = pd.factorize(np.asarray(groups, dtype=object))
    order = np.lexsort((key, codes))
    sizes = np.bincount(codes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - np.repeat(starts, sizes)
    return (rank + 0.5) / sizes[codes]


def lognormal_from_uniform(
    median_days: np.ndarray | float,
    sigma: float,
    u: np.ndarray,
    min_days: np.ndarray | float | None = None,
) -> np.ndarray:
    """Log-normal times at the uniform ``u`` (inverse CDF); with ``min_days``, truncated below.

    Truncation draws from the conditional distribution given T > min_days (``u`` is mapped
    into [F(min_days), 1)), so nobody piles up at the bound.
    """
    from scipy.stats import norm

    log_med = np.log(median_days)
    if min_days is not None:
        lo = norm.cdf((np.log(min_days) - log_med) / sigma)
        u = lo + u * (1.0 - lo)
    u = np.clip(u, 1e-12, 1 - 1e-12)
    return np.exp(log_med + sigma * norm.ppf(u))


def assign_by_rank(
    rng: np.random.Generator,
    time: np.ndarray,
    eligible: np.ndarray,
    counts: dict[str, int],
    centres_days: dict[str, float],
    spread: float | dict[str, float],
    fallback: str,
) -> np.ndarray:
    """Give each eligible patient a status so that each group's times centre on its centre.

    Group ``g`` gets ``counts[g]`` ideal log-times drawn from N(log centre_g, spread_g^2) (seeded;
    ``spread`` is one value or one per group);
    all ideal values are sorted and matched, rank for rank, to the eligible patients sorted by
    ``time``. Ineligible patients get ``fallback``, which is taken out of its group's count.
    Counts are exact. Vectorised (two sorts).
    """
    n = time.size
    out = np.full(n, fallback, dtype=object)
    k_in = int(eligible.sum())
    counts = dict(counts)
    counts[fallback] -= n - k_in
    if counts[fallback] < 0:
        raise ValueError(f"more ineligible patients than {fallback!r} slots")
    labels = np.repeat(np.array(list(counts), dtype=object), list(counts.values()))
    ideal = np.concatenate(
        [
            np.log(centres_days[g])
            + (spread[g] if isinstance(spread, dict) else spread) * rng.standard_normal(k)
            for g, k in counts.items()
        ]
    )
    idx = np.flatnonzero(eligible)
    out[idx[np.argsort(time[idx], kind="stable")]] = labels[np.argsort(ideal, kind="stable")]
    return out


def by_key(key: np.ndarray, among: np.ndarray, counts: dict[str, int]) -> np.ndarray:
    """Codes of ``counts`` given in blocks to the ``among`` patients sorted by ``key``.

    With a seeded uniform ``key`` per patient this is an exact-count random assignment; unlike
    a permutation, adding or removing one member moves at most one code at each block edge,
    so model constants change who gets what smoothly (the calibration relies on it). Patients
    outside ``among`` get None; ``counts`` must sum to the number of ``among`` patients.
    """
    out = np.full(key.size, None, dtype=object)
    idx = np.flatnonzero(among)
    if sum(counts.values()) != idx.size:
        raise ValueError("counts must add up to the number of patients assigned")
    labels = np.repeat(np.array(list(counts), dtype=object), list(counts.values()))
    out[idx[np.argsort(key[idx], kind="stable")]] = labels
    return out


def generate_pgep(
    n: int = 211,
    seed: int = 20190211,
    targets: dict | None = None,
    *,
    model: dict | None = None,
    followup: dict | None = None,
) -> CohortFrames:
    """Synthetic cohort matching seed 002's Tables 1 and 2 exactly at n=211.

    ``model`` and ``followup`` default to :data:`PGEP_OS_MODEL` and
    :data:`PGEP_FOLLOWUP_MODEL` (the calibration passes trial values).
    """
    t = targets or load_spec()["pgep_targets"]
    m = model or PGEP_OS_MODEL
    fu = followup or PGEP_FOLLOWUP_MODEL
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

    # ---- outcomes. Every random quantity below is drawn here, in fixed amounts, so that the
    # model constants change who gets what smoothly (see by_key); the calibration needs it.
    u_os, u_pfs, u_sym, u_bio, u_met, u_dx = (stratified_uniform(rng, n) for _ in range(6))
    key = rng.random((8, n))
    first_fu = np.where(rng.random(n) < 0.6, 91, rng.integers(91, 274, size=n))
    index_day_in_year = rng.integers(0, 365, size=n)

    # overall survival from the first treatment (log-normal at stratified quantiles)
    os_true = lognormal_from_uniform(m["median_months"] * DAYS_PER_MONTH, m["sigma"], u_os)
    # status at the first follow-up in each domain, given by survival rank; only a patient
    # alive a week after the first follow-up visit can be assessed (or retreated)
    alive_at_fu = os_true > first_fu + 7

    def centres(name: str) -> dict[str, float]:
        return {k: v * DAYS_PER_MONTH for k, v in m[name].items()}

    def status(name: str, counts: dict[str, int]) -> np.ndarray:
        alloc = allocate({**counts, "none": N - sum(counts.values())}, n)
        s = m["spread"][name]
        spread = {k: s[k] if isinstance(s, dict) else s for k in counts}
        spread["none"] = m["spread_none"][name]
        return assign_by_rank(rng, os_true, alive_at_fu, alloc, centres(name), spread, "none")

    def split(status: np.ndarray, group: str, counts: dict[str, int], k: np.ndarray) -> None:
        members = status == group
        status[members] = by_key(k, members, allocate(counts, int(members.sum())))[members]

    ir = t["imaging_response"]
    img = status(
        "imaging",
        {"response_or_stable": ir["CR"] + ir["PR"] + ir["SD"], "progression": ir["PD"]},
    )
    split(img, "response_or_stable", {c: ir[c] for c in ("CR", "PR", "SD")}, key[0])
    img[img == "progression"] = "PD"
    # mIBG-only follow-up imaging (no CT, so no RECIST response), from the not-imaged group
    k_mibg = scaled(ir["mibg_only"], N, n)
    pool = (img == "none") & alive_at_fu
    img[
        by_key(key[1], pool, {"mibg_only": k_mibg, "none": int(pool.sum()) - k_mibg}) == "mibg_only"
    ] = "mibg_only"
    sr = t["symptomatic_response"]
    sym = status(
        "symptom", {"improved": sr["improved"], "not_improved": sr["stable"] + sr["worse"]}
    )
    split(sym, "not_improved", {"stable": sr["stable"], "worse": sr["worse"]}, key[2])
    br = t["biochem_response"]
    bio = status(
        "biochem",
        {"response_or_stable": br["response"] + br["stable"], "progression": br["progression"]},
    )
    split(bio, "response_or_stable", {"response": br["response"], "stable": br["stable"]}, key[3])
    # retreatment: the multiple-treatment patients are given by survival rank as well
    later = np.sort(n_tx[n_tx > 1])
    tx_status = assign_by_rank(
        rng,
        os_true,
        alive_at_fu,
        {"single": n - later.size, "multiple": later.size},
        centres("treatments"),
        m["spread"]["treatments"],
        "single",
    )
    multi = tx_status == "multiple"
    n_tx = np.ones(n, dtype=int)
    n_tx[multi] = by_key(
        key[4], multi, {str(v): int((later == v).sum()) for v in np.unique(later)}
    )[multi].astype(int)
    df["n_treatments"] = n_tx

    # administrative censoring at the end of the study period (31 Dec 2014)
    potential = (2014 - df["index_year"].to_numpy() + 1) * DAYS_PER_YEAR - index_day_in_year
    potential = np.maximum(potential, first_fu + 30)
    os_days = np.minimum(os_true, potential)
    os_event = (os_true <= potential).astype(int)
    df["os_days"] = np.ceil(os_days).astype(int)
    df["os_event"] = os_event
    os_d = df["os_days"].to_numpy()

    # imaging: progression at the first visit (PD, or progression on mIBG-only imaging), or
    # a log-normal time after it; deaths count as events (progression-free survival)
    has_img = img != "none"
    df["imaging_response"] = np.where(np.isin(img, ["CR", "PR", "SD", "PD"]), img, "NE")
    df.loc[~has_img, "imaging_response"] = None
    df["imaging_response_days"] = np.where(has_img, np.minimum(first_fu, os_d), np.nan)
    is_mibg = img == "mibg_only"
    k_pd = min(scaled(fu["mibg_only_progression"], N, n), int(is_mibg.sum()))
    mibg_pd = by_key(key[5], is_mibg, {"pd": k_pd, "no": int(is_mibg.sum()) - k_pd}) == "pd"
    prog = first_fu + lognormal_from_uniform(
        fu["pfs_imaging_median_months"] * DAYS_PER_MONTH, fu["pfs_imaging_sigma"], u_pfs
    )
    prog = np.where((img == "PD") | mibg_pd, first_fu, prog)
    pfs_time = np.minimum(prog, os_d)
    pfs_event = ((prog <= os_d) | (os_event == 1)).astype(int)
    df["pfs_imaging_days"] = np.where(has_img, np.ceil(pfs_time), np.nan)
    df["pfs_imaging_event"] = np.where(has_img, pfs_event, np.nan)

    # symptoms: worse at the first visit = progression then; deaths censor
    has_sym = sym != "none"
    df["symptomatic_response"] = np.where(has_sym, sym, None)
    sym_med = np.where(
        sym == "improved",
        fu["pfs_symptom_improved_median_months"],
        fu["pfs_symptom_stable_median_months"],
    )
    sprog = first_fu + lognormal_from_uniform(
        sym_med * DAYS_PER_MONTH, fu["pfs_symptom_sigma"], u_sym
    )
    sprog = np.where(sym == "worse", first_fu, sprog)
    df["pfs_symptom_days"] = np.where(has_sym, np.ceil(np.minimum(sprog, os_d)), np.nan)
    df["pfs_symptom_event"] = np.where(has_sym, (sprog <= os_d).astype(int), np.nan)

    # biochemistry: time to biochemical progression (deaths censor). Progression at the first
    # visit, or a log-normal time after it; a share of the responding/stable patients has
    # markers that never rise (no progression during life).
    has_bio = bio != "none"
    df["biochem_response"] = np.where(has_bio, bio, None)
    marker = by_key(key[6], has_bio, allocate(t["biochem_marker"], int(has_bio.sum())))
    df["biochem_marker"] = marker
    rs = (bio == "response") | (bio == "stable")
    k_never = int(round(fu["biochem_never_share"] * rs.sum()))
    never = by_key(key[7], rs, {"never": k_never, "later": int(rs.sum()) - k_never}) == "never"
    bprog = first_fu + lognormal_from_uniform(
        fu["biochem_progression_median_months"] * DAYS_PER_MONTH,
        fu["biochem_progression_sigma"],
        u_bio,
    )
    bprog = np.where(bio == "progression", first_fu, np.where(never, np.inf, bprog))
    df["pfs_biochem_days"] = np.where(has_bio, np.ceil(np.minimum(bprog, os_d)), np.nan)
    df["pfs_biochem_event"] = np.where(has_bio, (bprog <= os_d).astype(int), np.nan)

    # diagnosis and metastatic diagnosis before the index date
    met_to_index = lognormal_from_uniform(
        fu["met_to_index_median_months"] * DAYS_PER_MONTH, fu["met_to_index_sigma"], u_met
    )
    dx_first = flag(rng, int(round(fu["dx_before_met_share"] * n)), n)
    dx_extra = lognormal_from_uniform(
        fu["dx_before_met_median_months"] * DAYS_PER_MONTH, fu["dx_before_met_sigma"], u_dx
    )
    dx_extra = np.where(dx_first, dx_extra, 0.0)
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
    df["death_cause"] = death_causes(df, seed)
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
STAGE4_MODEL = {
    # Log-normal survival from the first MIBG treatment and log-normal time from histological
    # diagnosis to that treatment, each drawn at stratified quantiles within three groups:
    # G1 small-bowel, other small-bowel (G2, G3) and other primaries; G3 tumours live
    # shorter by ``g3_factor``. Everyone lived to the first follow-up (all have a symptom
    # assessment). Follow-up ends mid-2020, six years after the last treatment ("after 6.0
    # years of follow-up from MIBG treatment"). Tuned by core/cohorts/calibration.py.
    "os_median_months": {"g1_sb": 221.4, "sb": 80.99, "other": 40.0},
    "os_sigma": 0.8,
    "g3_factor": 0.5,
    "dx_to_index_median_months": {"g1_sb": 32.93, "sb": 19.52, "other": 40.5},
    "dx_sigma": 0.6,
    "followup_end_year": 2020.5,
}


def generate_stage4(
    n: int = 50, seed: int = 20140601, *, model: dict | None = None
) -> CohortFrames:
    """Synthetic cohort matching seed 001's abstract (50 unselected stage IV NETs)."""
    m = model or STAGE4_MODEL
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
    # June 2008 to June 2014
    start = 2008.5 + 6.0 * stratified_uniform(rng, n)
    df["index_year"] = np.floor(start).astype(int)
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

    # survival: groups of the published comparison
    group = np.where(sb & (grade == "G1"), "g1_sb", np.where(sb, "sb", "other")).astype(object)
    os_med = np.vectorize(m["os_median_months"].get, otypes=[float])(group) * DAYS_PER_MONTH
    os_med = np.where(grade == "G3", os_med * m["g3_factor"], os_med)
    first_fu = 91.0
    os_true = lognormal_from_uniform(
        os_med, m["os_sigma"], stratified_uniform(rng, n, group), first_fu + 7
    )
    dx_med = np.vectorize(m["dx_to_index_median_months"].get, otypes=[float])(group)
    dx_to_index = lognormal_from_uniform(
        dx_med * DAYS_PER_MONTH, m["dx_sigma"], stratified_uniform(rng, n, group)
    )
    follow = (m["followup_end_year"] - start) * DAYS_PER_YEAR
    df["os_days"] = np.ceil(np.minimum(os_true, follow)).astype(int)
    df["os_event"] = (os_true <= follow).astype(int)
    df["dx_to_index_days"] = np.ceil(dx_to_index)
    df["met_to_index_days"] = np.ceil(dx_to_index * rng.uniform(0.3, 0.9, size=n))

    df["symptomatic_response"] = categorical(rng, {"improved": 23, "stable": 17, "worse": 10}, n)
    df["imaging_response"] = categorical(rng, {"PR": 5, "SD": 30, "PD": 15}, n)
    df["imaging_response_days"] = int(first_fu)
    os_d = df["os_days"].to_numpy()
    prog = np.where(
        df["imaging_response"].to_numpy() == "PD",
        first_fu,
        first_fu + lognormal_from_uniform(1.2 * DAYS_PER_YEAR, 0.8, stratified_uniform(rng, n)),
    )
    df["pfs_imaging_days"] = np.ceil(np.minimum(prog, os_d))
    df["pfs_imaging_event"] = ((prog <= os_d) | (df["os_event"].to_numpy() == 1)).astype(int)
    treatments = _treatments_for(rng, df, first, later_median=11100.0)
    df["cumulative_activity_mbq"] = (
        treatments.groupby("patient_id", sort=False)["activity_mbq"]
        .sum()
        .reindex(df["patient_id"])
        .to_numpy()
    )
    empty_ae = pd.DataFrame(columns=["patient_id", "term", "ctcae_grade", "note"])
    df["death_cause"] = death_causes(df, seed)
    return CohortFrames(finish_patients(df), treatments, empty_ae)


# -------------------------------------------------------------------- nguyen-2004
NGUYEN_MODEL = {
    # Overall survival (log-normal at stratified quantiles): untreated patients (group B),
    # and treated patients without benefit; patients with benefit live at least three months
    # past their relapse. Tuned by core/cohorts/calibration.py (log-rank over the first 15 months).
    "untreated_median_months": 14.82,
    "untreated_sigma": 1.0,
    "treated_median_months": 20.0,
    "treated_sigma": 0.9,
}


def generate_nguyen(
    n: int = 32, seed: int = 20041001, *, model: dict | None = None
) -> CohortFrames:
    """Synthetic cohort matching seed 004: 20 treated (5 MIBG, 15 In-111) and 12 untreated."""
    if n != 32:
        raise ValueError("nguyen-2004 is generated at its published size only (n=32)")
    m = model or NGUYEN_MODEL
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

    group = np.where(treated, "treated", "untreated").astype(object)
    med = np.where(treated, m["treated_median_months"], m["untreated_median_months"])
    sig = np.where(treated, m["treated_sigma"], m["untreated_sigma"])
    # treated patients received three monthly administrations: alive past day 60
    os_true = lognormal_from_uniform(
        med * DAYS_PER_MONTH, sig, stratified_uniform(rng, n, group), np.where(treated, 75.0, 1.0)
    )
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
    df["death_cause"] = death_causes(df, seed)
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
