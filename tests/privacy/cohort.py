"""Imported (real) cohorts built by code, designed to hold small cells.

``real-60`` (60 patients, fixed seed) is built so that every kind of small count the policy must
protect exists, with its exact value known here (the attacks look for these numbers):

========================  =================================================================
sex                        52 female / **8 male** (5 of the men died)
primary_site               36 small bowel / 20 pancreas / **4 lung** (3 of them died)
age                        **one** patient aged exactly 67 (died); nobody aged 65 or 66
grade                      30 G1 / 25 G2 / **3 G3** / **2 missing**
n_treatments               54 single / **6 multiple**
imaging_response           **2 CR** / 15 PR / 28 SD / 13 PD / **2 NE**
symptomatic_response       20 improved / 25 stable / 12 worse / **3 missing**
dx_to_index_days           **2 missing** (origin = diagnosis drops 2 of 60)
landmark at 3 months       **4** patients with an OS time under 3 months (**1** died)
========================  =================================================================

``tiny-8`` is a whole imported cohort of 8 patients.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.cohorts.importer import TEMPLATE_PATH

REAL = "real-60"
TINY = "tiny-8"
N = 60
SMALL = {
    "male": 8,
    "male_deaths": 5,
    "lung": 4,
    "lung_deaths": 3,
    "age67": 1,
    "g3": 3,
    "grade_missing": 2,
    "multiple": 6,
    "cr": 2,
    "ne": 2,
    "symptom_missing": 3,
    "dx_missing": 2,
    "early": 4,
    "early_deaths": 1,
}
"""Every small count planted in ``real-60`` (all below 11)."""

COLUMNS = TEMPLATE_PATH.read_text().splitlines()[0].split(",")


def _shuffled(rng: np.random.Generator, counts: list[tuple[object, int]]) -> np.ndarray:
    values = np.concatenate([np.full(n, v, dtype=object) for v, n in counts])
    return rng.permutation(values)


def real_cohort(seed: int = 20260) -> pd.DataFrame:
    """The 60-patient imported cohort as a frame of the import template's columns."""
    rng = np.random.default_rng(seed)
    n = N
    df = pd.DataFrame({c: [None] * n for c in COLUMNS}, dtype=object)
    df["patient_id"] = [f"r{i:03d}" for i in range(n)]
    # Fixed assignments by position, then the rows are shuffled at the end.
    # Row 0: the only patient aged 67 (female, small bowel), who died at 400 days.
    # Rows 1-8: the 8 men (5 died). Rows 9-12: the 4 lung primaries (3 died).
    # Rows 13-16: the 4 early patients (OS < 3 months; row 13 died).
    sex = ["female"] * n
    for i in range(1, 9):
        sex[i] = "male"
    df["sex"] = sex
    young = list(rng.integers(40, 65, size=34))
    old = list(rng.integers(68, 86, size=25))
    ages = [67, *rng.permutation(np.array(young + old, dtype=int)).tolist()]
    df["age"] = ages
    df["race"] = "white"
    df["index_year"] = rng.integers(2010, 2021, size=n)
    site = ["small_bowel"] * n
    for i in range(9, 13):
        site[i] = "lung"
    for i in range(13, 33):
        site[i] = "pancreas"
    df["primary_site"] = site
    grade = _shuffled(rng, [("G1", 30), ("G2", 25), ("G3", 3), (None, 2)])
    df["grade"] = grade
    df["route"] = "IV"
    df["agent"] = "lu177_dotatate"
    ntr = np.ones(n, dtype=int)
    multi = rng.choice(np.arange(17, n), size=6, replace=False)
    ntr[multi] = rng.integers(2, 5, size=6)
    df["n_treatments"] = ntr
    df["first_activity_mbq"] = 7400
    df["cumulative_activity_mbq"] = 7400 * ntr
    dx = rng.integers(200, 3000, size=n).astype(object)
    dx[rng.choice(np.arange(17, n), size=2, replace=False)] = None
    df["dx_to_index_days"] = dx
    df["met_to_index_days"] = None
    # overall survival
    os_days = rng.integers(120, 2500, size=n)
    os_event = (rng.random(n) < 0.55).astype(int)
    os_days[0], os_event[0] = 400, 1
    os_event[1:9] = [1, 1, 1, 1, 1, 0, 0, 0]
    os_event[9:13] = [1, 1, 1, 0]
    os_days[13:17] = [30, 45, 60, 75]
    os_event[13:17] = [1, 0, 0, 0]
    # nobody else ends before 3 months
    df["os_days"] = os_days
    df["os_event"] = os_event
    pfs = np.minimum(os_days, (os_days * rng.uniform(0.3, 1.0, size=n)).astype(int) + 1)
    df["pfs_imaging_days"] = pfs
    df["pfs_imaging_event"] = np.where(pfs < os_days, 1, os_event)
    df["imaging_response"] = _shuffled(
        rng, [("CR", 2), ("PR", 15), ("SD", 28), ("PD", 13), ("NE", 2)]
    )
    df["imaging_response_days"] = np.minimum(90, os_days)
    df["symptomatic_response"] = _shuffled(
        rng, [("improved", 20), ("stable", 25), ("worse", 12), (None, 3)]
    )
    df["biochem_response"] = _shuffled(rng, [("response", 15), ("stable", 30), ("progression", 15)])
    df["biochem_marker"] = "cga"
    for col in COLUMNS:
        if col.startswith(("prior_", "post_", "met_")) and col != "met_to_index_days":
            df[col] = "no"
    df["prior_ssa"] = _shuffled(rng, [("yes", 45), ("no", 15)])
    df["prior_surgery"] = _shuffled(rng, [("yes", 30), ("no", 30)])
    df["met_liver"] = _shuffled(rng, [("yes", 48), ("no", 12)])
    df["followup_approximated"] = "no"
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def tiny_cohort(seed: int = 8) -> pd.DataFrame:
    """A whole imported cohort of 8 patients."""
    df = real_cohort(seed).head(8).copy()
    df["patient_id"] = [f"t{i:02d}" for i in range(8)]
    return df


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    out = frame.copy()
    for col in out.columns:
        out[col] = out[col].map(
            lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else v
        )
    out.to_csv(path, index=False)
    return path


def facts(frame: pd.DataFrame) -> dict[str, int]:
    """The planted small counts recomputed from the frame (so the fixture cannot drift)."""
    early = frame["os_days"].astype(int) < 91.3125
    return {
        "male": int((frame["sex"] == "male").sum()),
        "male_deaths": int(((frame["sex"] == "male") & (frame["os_event"] == 1)).sum()),
        "lung": int((frame["primary_site"] == "lung").sum()),
        "lung_deaths": int(((frame["primary_site"] == "lung") & (frame["os_event"] == 1)).sum()),
        "age67": int((frame["age"] == 67).sum()),
        "g3": int((frame["grade"] == "G3").sum()),
        "grade_missing": int(frame["grade"].isna().sum()),
        "multiple": int((frame["n_treatments"].astype(int) > 1).sum()),
        "cr": int((frame["imaging_response"] == "CR").sum()),
        "ne": int((frame["imaging_response"] == "NE").sum()),
        "symptom_missing": int(frame["symptomatic_response"].isna().sum()),
        "dx_missing": int(frame["dx_to_index_days"].isna().sum()),
        "early": int(early.sum()),
        "early_deaths": int((early & (frame["os_event"] == 1)).sum()),
    }
