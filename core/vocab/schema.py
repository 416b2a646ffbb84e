"""The data model: every table, field, code and label, defined once.

This module is the single allow-list of identifiers. SQL (all of it in ``core.data``) takes
table and column names only from here (``column()``/``table()`` raise on anything else), and
every value a user supplies travels as a bound parameter. The CREATE statements are built from
these declarations in :mod:`core.data.ddl`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["code", "int", "float", "bool", "text", "days", "event"]

COHORT_ID_RE = re.compile(r"^[a-z0-9-]{1,40}$")
AGE_CAP = 90
"""Ages over 89 are stored as 90, read as '90 or older'."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    kind: Kind
    label: str
    description: str
    codes: tuple[str, ...] = ()
    code_labels: tuple[str, ...] = ()
    unit: str = ""
    baseline: bool = False
    """True for fields known at the index date (safe to group survival by)."""
    required: bool = False

    def label_of(self, code: object) -> str:
        if self.codes and code in self.codes:
            return self.code_labels[self.codes.index(code)]
        return str(code)


def _codes(*pairs: tuple[str, str]) -> dict:
    return {"codes": tuple(p[0] for p in pairs), "code_labels": tuple(p[1] for p in pairs)}


PRIMARY_SITES = _codes(
    ("small_bowel", "Small bowel"),
    ("pancreas", "Pancreas"),
    ("lung", "Lung"),
    ("colon", "Colon"),
    ("cecum", "Cecum"),
    ("rectum", "Rectum"),
    ("appendix", "Appendix"),
    ("stomach", "Stomach"),
    ("mesentery", "Mesentery"),
    ("thymus", "Thymus"),
    ("heart", "Heart"),
    ("ovary", "Ovary"),
    ("retroperitoneum", "Retroperitoneum"),
    ("other", "Other"),
    ("unknown", "Unknown primary"),
)

METASTATIC_SITES: tuple[tuple[str, str], ...] = (
    ("liver", "Liver"),
    ("bone", "Bone"),
    ("lung", "Lung"),
    ("peritoneum", "Peritoneum (carcinomatosis)"),
    ("mediastinum", "Mediastinum"),
    ("mesentery", "Mesentery"),
    ("adnexa", "Adnexa"),
    ("pancreas", "Pancreas"),
    ("adrenal", "Adrenal"),
    ("kidney", "Kidney"),
    ("skin", "Skin"),
    ("bladder", "Bladder"),
    ("stomach", "Stomach"),
    ("gallbladder", "Gallbladder"),
    ("muscle", "Muscle"),
    ("orbit", "Orbit"),
    ("spleen", "Spleen"),
)

PRIOR_THERAPIES: tuple[tuple[str, str], ...] = (
    ("prior_surgery", "Prior surgery"),
    ("prior_radiation", "Prior radiation"),
    ("prior_embolization", "Prior embolization"),
    ("prior_chemo", "Prior chemotherapy"),
    ("prior_ssa", "Prior somatostatin analogue (octreotide)"),
)

POST_THERAPIES: tuple[tuple[str, str], ...] = (
    ("post_chemo", "Chemotherapy after index treatment"),
    ("post_embolization", "Embolization after index treatment"),
    ("post_surgery", "Surgery after index treatment"),
    ("post_radiation", "Radiation after index treatment"),
)

_days = "days from the index date (first radionuclide administration)"

PATIENT_FIELDS: tuple[Field, ...] = (
    Field(
        "patient_id",
        "text",
        "Patient",
        "Opaque identifier, unique within a cohort; never a real identifier.",
        required=True,
    ),
    Field(
        "sex",
        "code",
        "Sex",
        "Sex recorded in the source.",
        baseline=True,
        **_codes(("female", "Female"), ("male", "Male"), ("unknown", "Unknown")),
    ),
    Field(
        "age",
        "int",
        "Age",
        "Age at index in whole years; 90 means 90 or older.",
        unit="years",
        baseline=True,
    ),
    Field(
        "race",
        "code",
        "Race",
        "Race recorded in the source.",
        baseline=True,
        **_codes(
            ("white", "White"),
            ("black", "Black"),
            ("asian", "Asian"),
            ("other", "Other"),
            ("unknown", "Unknown"),
        ),
    ),
    Field(
        "index_year",
        "int",
        "Index year",
        "Calendar year of the first radionuclide administration; the only calendar field.",
        unit="year",
        baseline=True,
    ),
    Field(
        "primary_site",
        "code",
        "Primary site",
        "Site of the primary tumour.",
        baseline=True,
        **PRIMARY_SITES,
    ),
    Field(
        "grade",
        "code",
        "Grade",
        "WHO grade (G1 Ki-67 <3%, G2 3-20%, G3 >20%; GX not assessed).",
        baseline=True,
        **_codes(("G1", "G1"), ("G2", "G2"), ("G3", "G3"), ("GX", "GX (not assessed)")),
    ),
    Field(
        "route",
        "code",
        "Route",
        "Route of the first administration.",
        baseline=True,
        **_codes(("IV", "Intravenous"), ("IA", "Intra-arterial (hepatic)")),
    ),
    Field(
        "agent",
        "code",
        "Agent",
        "Radiopharmaceutical given ('none' for untreated comparison patients).",
        baseline=True,
        **_codes(
            ("i131_mibg", "I-131 MIBG"),
            ("lu177_dotatate", "177Lu-DOTATATE"),
            ("in111_pentetreotide", "111In-pentetreotide"),
            ("none", "None (untreated)"),
        ),
    ),
    Field(
        "n_treatments",
        "int",
        "Treatments",
        "Number of radionuclide administrations received (post-baseline: known only in hindsight).",
        unit="administrations",
    ),
    Field(
        "first_activity_mbq",
        "float",
        "First activity",
        "Activity of the first administration.",
        unit="MBq",
        baseline=True,
    ),
    Field(
        "cumulative_activity_mbq",
        "float",
        "Cumulative activity",
        "Sum of all administered activities.",
        unit="MBq",
    ),
    Field(
        "dx_to_index_days",
        "days",
        "Diagnosis to index",
        "Days from histological diagnosis to the index date.",
        unit="days",
        baseline=True,
    ),
    Field(
        "met_to_index_days",
        "days",
        "Metastatic diagnosis to index",
        "Days from diagnosis of metastatic disease to the index date.",
        unit="days",
        baseline=True,
    ),
    Field(
        "os_days",
        "days",
        "Overall survival time",
        f"Death or last contact, {_days}.",
        unit="days",
        required=True,
    ),
    Field(
        "os_event",
        "event",
        "Death",
        "1 = died, 0 = alive at last contact (censored).",
        required=True,
    ),
    Field(
        "death_cause",
        "code",
        "Cause of death",
        "Cause of a death (os_event = 1): NET-related, another cause, or unknown; null while "
        "alive. A death without a recorded cause counts as unknown.",
        **_codes(("net_related", "NET-related"), ("other", "Other cause"), ("unknown", "Unknown")),
    ),
    Field(
        "pfs_imaging_days",
        "days",
        "Imaging PFS time",
        f"Imaging progression, death or censoring, {_days}; null if never imaged.",
        unit="days",
    ),
    Field(
        "pfs_imaging_event",
        "event",
        "Imaging progression",
        "1 = progression or death, 0 = censored; null where not assessed.",
    ),
    Field(
        "pfs_symptom_days",
        "days",
        "Symptomatic PFS time",
        f"Symptomatic progression or censoring, {_days}; null if not documented.",
        unit="days",
    ),
    Field(
        "pfs_symptom_event",
        "event",
        "Symptomatic progression",
        "1 = symptomatic progression, 0 = censored; null where not assessed.",
    ),
    Field(
        "pfs_biochem_days",
        "days",
        "Biochemical PFS time",
        f"Biochemical progression or censoring, {_days}; null if no markers.",
        unit="days",
    ),
    Field(
        "pfs_biochem_event",
        "event",
        "Biochemical progression",
        "1 = marker rise >20% on two consecutive values, 0 = censored; null where not assessed.",
    ),
    Field(
        "imaging_response",
        "code",
        "Imaging response",
        "Best imaging response at first follow-up (RECIST 1.1).",
        **_codes(
            ("CR", "Complete response"),
            ("PR", "Partial response"),
            ("SD", "Stable disease"),
            ("PD", "Progressive disease"),
            ("NE", "Not evaluable"),
        ),
    ),
    Field(
        "imaging_response_days",
        "days",
        "Imaging assessment day",
        f"Day of the first follow-up imaging, {_days}.",
        unit="days",
    ),
    Field(
        "symptomatic_response",
        "code",
        "Symptomatic response",
        "Symptoms at first follow-up compared with before treatment.",
        **_codes(
            ("improved", "Improved"),
            ("stable", "Stable"),
            ("worse", "Worse"),
            ("NE", "Not evaluable"),
        ),
    ),
    Field(
        "biochem_response",
        "code",
        "Biochemical response",
        "Chromogranin A or urine 5-HIAA at first follow-up.",
        **_codes(
            ("response", "Response"),
            ("stable", "Stable"),
            ("progression", "Progression"),
            ("NE", "Not evaluable"),
        ),
    ),
    Field(
        "biochem_marker",
        "code",
        "Biochemical marker",
        "Marker followed.",
        **_codes(
            ("cga", "Chromogranin A"), ("5hiaa", "Urine 5-HIAA"), ("both", "Both"), ("none", "None")
        ),
    ),
    *(
        Field(name, "bool", label, f"{label} before the index treatment.", baseline=True)
        for name, label in PRIOR_THERAPIES
    ),
    *(Field(name, "bool", label, f"{label}.") for name, label in POST_THERAPIES),
    *(
        Field(
            f"met_{code}",
            "bool",
            f"Metastasis: {label}",
            f"Metastatic disease in {label.lower()} at index.",
            baseline=True,
        )
        for code, label in METASTATIC_SITES
    ),
    Field(
        "followup_approximated",
        "bool",
        "Follow-up approximated",
        "True where a time was approximated from a publication's wording.",
    ),
)

PATIENTS: dict[str, Field] = {f.name: f for f in PATIENT_FIELDS}

COHORT_COLUMNS = (
    "cohort_id",
    "title",
    "description",
    "provenance",
    "citation",
    "n_patients",
    "data_version",
    "created_at",
)
TREATMENT_COLUMNS = (
    "cohort_id",
    "patient_id",
    "cycle",
    "day",
    "route",
    "agent",
    "activity_mbq",
    "approximated",
)
AE_COLUMNS = ("cohort_id", "patient_id", "term", "ctcae_grade", "note")
BENCHMARK_COLUMNS = (
    "id",
    "study",
    "arm",
    "therapy_class",
    "agent",
    "n",
    "design",
    "population_sites",
    "population_grades",
    "line_of_therapy",
    "progression_required",
    "endpoint",
    "landmark_months",
    "time_origin",
    "statistic",
    "value",
    "value_not_reached",
    "ci_lower",
    "ci_upper",
    "unit",
    "citation",
    "citation_confidence",
    "source",
    "note",
)
"""Columns of the literature registry (data/benchmarks.csv), in file order; the figures users
add are stored with the same columns (text, as in the file) in ``user_benchmarks``."""

USER_ARM_COLUMNS = (
    "id",
    "study",
    "arm",
    "therapy_class",
    "agent",
    "design",
    "population_sites",
    "population_grades",
    "line_of_therapy",
    "progression_required",
    "endpoint",
    "time_origin",
    "citation",
    "figure",
    "published_median",
    "note",
    "reconstruction_note",
)
"""Description of a reconstructed arm a user adds (text), in ``user_arms``; its rows (months,
event) are in ``user_arm_rows``."""

TABLES: dict[str, tuple[str, ...]] = {
    "cohorts": COHORT_COLUMNS,
    "patients": ("cohort_id", *PATIENTS),
    "treatments": TREATMENT_COLUMNS,
    "adverse_events": AE_COLUMNS,
    "case_notes": ("cohort_id", "patient_id", "note"),
    "import_log": ("log_id", "cohort_id", "action", "n_rows", "content_hash", "logged_at"),
    "meta": ("key", "value"),
    "user_benchmarks": (*BENCHMARK_COLUMNS, "added_at"),
    "user_arms": (*USER_ARM_COLUMNS, "added_at"),
    "user_arm_rows": ("arm_id", "time_months", "event"),
}


def column(name: str, table: str = "patients") -> str:
    """Return ``name`` quoted for SQL if it is a column of ``table``; raise otherwise."""
    if table not in TABLES or name not in TABLES[table]:
        raise KeyError(f"{name!r} is not a column of {table!r}")
    return f'"{name}"'


def table(name: str) -> str:
    if name not in TABLES:
        raise KeyError(f"{name!r} is not a table")
    return f'"{name}"'


SCHEMA_VERSION = "2"

FIELD_PROVENANCE: dict[str, str] = {
    "reported": "reported: the publication or the imported file gives these values",
    "derived": "derived: generated to match published figures (counts from percentages, "
    "calibrated outcomes, a published mean or median)",
    "synthetic": "synthetic: not reported anywhere; invented for illustration, not evidence",
}
"""Where one field of one cohort comes from (data/cohorts.json ``field_provenance``)."""


@dataclass(frozen=True, slots=True)
class CohortInfo:
    cohort_id: str
    title: str
    description: str
    provenance: str
    citation: str
    n_patients: int
    data_version: str
    created_at: str = ""
    extra: dict = field(default_factory=dict)
