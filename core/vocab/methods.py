"""Every method name, option code and display label, enumerated once.

Pages, the CLI and exports take their labels from here; nothing else types a method name.
Each enum's ``value`` is the code used on the command line and in URLs; ``label`` is what a
reader sees; ``r_equivalent`` names the R call that produces the same numbers.
"""

from __future__ import annotations

from enum import Enum

DAYS_PER_MONTH = 30.4375
"""Months are days / 30.4375 (365.25 / 12) everywhere: axes, medians, CLI output."""

DAYS_PER_YEAR = 365.25


class _Labelled(str, Enum):
    """A str enum whose members carry a label and an R equivalent."""

    def __new__(cls, value: str, label: str, r_equivalent: str = ""):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        obj.r_equivalent = r_equivalent
        return obj

    @classmethod
    def parse(cls, value: str | _Labelled) -> _Labelled:
        """Return the member for a code; raise ValueError naming the allowed codes."""
        if isinstance(value, cls):
            return value
        for m in cls:
            if m.value == value:
                return m
        allowed = ", ".join(m.value for m in cls)
        raise ValueError(f"unknown {cls.__name__} {value!r}; allowed: {allowed}")

    @classmethod
    def codes(cls) -> list[str]:
        return [m.value for m in cls]

    def __str__(self) -> str:  # codes print as themselves
        return self.value


class ConfType(_Labelled):
    """Pointwise confidence interval transform for a Kaplan-Meier curve."""

    LOG_LOG = ("log-log", "log-log (complementary log-log) transform", 'conf.type="log-log"')
    LOG = ("log", "log transform", 'conf.type="log"')
    PLAIN = ("plain", "plain (linear, truncated to [0, 1])", 'conf.type="plain"')


class BinomialCI(_Labelled):
    """Confidence interval for a single proportion."""

    CLOPPER_PEARSON = (
        "clopper-pearson",
        "Clopper-Pearson exact",
        'binom::binom.confint(x, n, methods="exact")',
    )
    WILSON = ("wilson", "Wilson score", 'binom::binom.confint(x, n, methods="wilson")')
    JEFFREYS = (
        "jeffreys",
        "Jeffreys (Beta(x+1/2, n-x+1/2))",
        "qbeta(c(.025, .975), x + .5, n - x + .5), with 0 at x = 0 and 1 at x = n",
    )


class Ties(_Labelled):
    """Handling of tied event times in the Cox partial likelihood."""

    EFRON = ("efron", "Efron", 'coxph(..., ties="efron")')
    BRESLOW = ("breslow", "Breslow", 'coxph(..., ties="breslow")')


class Endpoint(_Labelled):
    """Time-to-event endpoints: value is the code, columns are in ENDPOINT_COLUMNS."""

    OS = ("os", "Overall survival", "")
    PFS_IMAGING = ("pfs_imaging", "Imaging progression-free survival", "")
    PFS_SYMPTOM = ("pfs_symptom", "Symptomatic progression-free survival", "")
    PFS_BIOCHEM = ("pfs_biochem", "Biochemical progression-free survival", "")


ENDPOINT_COLUMNS: dict[Endpoint, tuple[str, str]] = {
    Endpoint.OS: ("os_days", "os_event"),
    Endpoint.PFS_IMAGING: ("pfs_imaging_days", "pfs_imaging_event"),
    Endpoint.PFS_SYMPTOM: ("pfs_symptom_days", "pfs_symptom_event"),
    Endpoint.PFS_BIOCHEM: ("pfs_biochem_days", "pfs_biochem_event"),
}


class Origin(_Labelled):
    """Time origin of a survival analysis."""

    INDEX = ("index", "First radionuclide treatment", "")
    DIAGNOSIS = ("diagnosis", "Histological diagnosis", "")
    METASTATIC = ("metastatic", "Diagnosis of metastatic disease", "")


ORIGIN_OFFSET_COLUMN: dict[Origin, str | None] = {
    Origin.INDEX: None,
    Origin.DIAGNOSIS: "dx_to_index_days",
    Origin.METASTATIC: "met_to_index_days",
}
"""Days from the origin to the index date; time from origin = offset + days from index."""


class TimeUnit(_Labelled):
    MONTHS = ("months", "months", "")
    DAYS = ("days", "days", "")
    YEARS = ("years", "years", "")


TIME_UNIT_DAYS: dict[TimeUnit, float] = {
    TimeUnit.DAYS: 1.0,
    TimeUnit.MONTHS: DAYS_PER_MONTH,
    TimeUnit.YEARS: DAYS_PER_YEAR,
}


class Provenance(_Labelled):
    """Where a cohort's rows come from; shown as a badge wherever the cohort appears."""

    SYNTHETIC = (
        "synthetic",
        "Synthetic: generated to match published aggregates, not real patients",
        "",
    )
    PUBLISHED_CASES = (
        "published-cases",
        "Published cases: patient-level facts taken from a publication",
        "",
    )
    IMPORTED = ("imported", "Imported: real de-identified data loaded by a user", "")


class Denominator(_Labelled):
    EVALUABLE = ("evaluable", "evaluable patients", "")
    ALL = ("all", "all treated patients", "")


class ResponseDomain(_Labelled):
    IMAGING = ("imaging", "Imaging response (RECIST 1.1, first follow-up)", "")
    SYMPTOMATIC = ("symptomatic", "Symptomatic response (first follow-up)", "")
    BIOCHEMICAL = ("biochemical", "Biochemical response (CgA or 5-HIAA)", "")


CONVENTIONS = (
    "Months are days / 30.4375. Kaplan-Meier variance by Greenwood's formula; default pointwise "
    '95% CI on the log-log scale (R survival\'s conf.type="log-log"). Number at risk at time t '
    "counts patients still under observation just before t (entry < t <= exit; without delayed "
    "entry this is R's summary(fit, times=t), under delayed entry R also counts patients "
    "entering before the next event time). Medians "
    "and quartiles, with their CIs, follow R's quantile.survfit; a median the curve does not "
    "reach is reported as 'not reached'. From a diagnosis origin, patients enter the risk set at "
    "their first treatment (delayed entry, R's Surv(entry, exit, event))."
)
