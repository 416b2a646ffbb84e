"""Reconstructed trial arms: patient rows rebuilt from a published Kaplan-Meier figure.

An arm here is one curve of a published figure turned back into rows ``(time, event)`` by
Guyot's algorithm (:mod:`core.stats.reconstruct`): not the trial's data, an estimate that
reproduces the published curve and its numbers at risk. Every arm carries

* the trial's citation and the reconstruction's (Guyot et al. 2012; for the shipped arms also
  the kmdata database that digitised them),
* the label :data:`LABEL` ("reconstructed from the published figure"), and
* a *profile*: a :class:`~core.literature.registry.Benchmark` describing its population, line of
  therapy, endpoint, design (assessment schedule) and time origin, so that the registry's
  comparability checks (:func:`~core.literature.registry.comparability`) apply to it, plus
  :func:`arm_warnings` ("not randomised", "reconstructed data").

Shipped arms (:func:`shipped_arms`): RADIANT-4 everolimus and placebo, PFS (figure 2A) and OS
(figure 2C), from ``data/reconstructed/`` (see its README). Times are months from
randomisation. User-added arms are stored in the database (see :mod:`core.analyses.arms`);
:func:`validate_user_arm` checks their description and :func:`user_arm` builds them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.literature.registry import (
    Benchmark,
    BenchmarkEndpoint,
    ComparabilityWarning,
    Severity,
    Statistic,
    Unit,
    WarningCode,
    _replace,
    _warn,
    load_benchmarks,
    validate_user_benchmark,
)
from core.vocab.schema import USER_ARM_COLUMNS

__all__ = [
    "ARM_FIELDS",
    "GUYOT_CITATION",
    "KMDATA_CITATION",
    "LABEL",
    "RECONSTRUCTED_DIR",
    "YAO_2016_CITATION",
    "ReconstructedArm",
    "arm_warnings",
    "shipped_arms",
    "user_arm",
    "validate_user_arm",
]

RECONSTRUCTED_DIR = Path(__file__).resolve().parents[2] / "data" / "reconstructed"
LABEL = "reconstructed from the published figure"

GUYOT_CITATION = (
    "Guyot P, Ades AE, Ouwens MJNM, Welton NJ. Enhanced secondary analysis of survival data: "
    "reconstructing the data from published Kaplan-Meier survival curves. BMC Med Res Methodol "
    "2012;12:9. doi:10.1186/1471-2288-12-9"
)
KMDATA_CITATION = (
    "Redd R, Fell G, Rahman R. kmdata database, version 1.0.1 (MIT licence, copyright 2021 "
    "Robert Redd)"
)
YAO_2016_CITATION = (
    "Yao JC, Fazio N, Singh S, et al. Everolimus for the treatment of advanced, non-functional "
    "neuroendocrine tumours of the lung or gastrointestinal tract (RADIANT-4): a randomised, "
    "placebo-controlled, phase 3 study. Lancet 2016;387:968-77. PMID 26703889"
)


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, slots=True, eq=False)
class ReconstructedArm:
    """One reconstructed arm: rows in months, its description and citations."""

    id: str
    trial: str
    arm: str
    endpoint: BenchmarkEndpoint
    time: np.ndarray = field(repr=False)
    """Months from the trial's time origin, one per reconstructed patient."""
    event: np.ndarray = field(repr=False)
    """1 = event, 0 = censored."""
    profile: Benchmark = field(repr=False)
    """Population, line, design, therapy and time origin for the comparability checks."""
    citation: str
    """The trial's publication."""
    reconstruction: tuple[str, ...]
    """How the rows were rebuilt: the algorithm's citation (and the database's, if any)."""
    figure: str = ""
    published_median: float | None = None
    published_median_ci: tuple[float | None, float | None] | None = None
    published_hr: tuple[float, float, float] | None = None
    """Hazard ratio (with 95% CI) of this arm against ``partner`` as published."""
    partner: str | None = None
    user_added: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        t = np.asarray(self.time, dtype=np.float64).reshape(-1)
        e = np.asarray(self.event, dtype=np.int64).reshape(-1)
        if t.size == 0 or t.size != e.size:
            raise ValueError(f"{self.id}: time and event must be non-empty and of equal length")
        if not np.all(np.isfinite(t)) or t.min() < 0 or not np.all((e == 0) | (e == 1)):
            raise ValueError(f"{self.id}: times must be finite and >= 0, events 0/1")
        object.__setattr__(self, "time", _ro(t))
        object.__setattr__(self, "event", _ro(e))

    @property
    def n(self) -> int:
        return int(self.time.size)

    @property
    def events(self) -> int:
        return int(self.event.sum())

    @property
    def label(self) -> str:
        """``'RADIANT-4 (Yao 2016) · Everolimus 10 mg/day · PFS'``."""
        return f"{self.trial} · {self.arm} · {self.endpoint.value.upper()}"

    def citations(self) -> tuple[str, ...]:
        """The trial's citation, then the reconstruction's."""
        return (self.citation, *self.reconstruction)

    def provenance(self) -> str:
        """One sentence for captions, exports and paragraphs: reconstructed, with citations."""
        return (
            f"{self.label}: {self.n} patients {LABEL}"
            + (f" ({self.figure})" if self.figure else "")
            + ", not the trial's own data. Trial: "
            + self.citation
            + ". Reconstruction: "
            + "; ".join(self.reconstruction)
            + "."
        )

    def summary_dict(self) -> dict[str, Any]:
        """JSON-ready description (no rows)."""
        return {
            "id": self.id,
            "trial": self.trial,
            "arm": self.arm,
            "endpoint": self.endpoint.value,
            "time_origin": self.profile.time_origin.value,
            "n": self.n,
            "events": self.events,
            "label": LABEL,
            "figure": self.figure or None,
            "citation": self.citation,
            "reconstruction": list(self.reconstruction),
            "published_median_months": self.published_median,
            "published_hr": None if self.published_hr is None else list(self.published_hr),
            "partner": self.partner,
            "user_added": self.user_added,
        }


def arm_warnings(arm: ReconstructedArm) -> list[ComparabilityWarning]:
    """The warnings every comparison with a reconstructed arm carries."""
    return [
        _warn(
            WarningCode.NOT_RANDOMISED,
            Severity.SERIOUS,
            "Not randomised: the view and the trial arm are different patients, selected and "
            "treated differently; a difference between them mixes any treatment effect with "
            "those differences (confounding). The test and hazard ratio describe the two "
            "samples, not a causal effect.",
        ),
        _warn(
            WarningCode.RECONSTRUCTED,
            Severity.CAUTION,
            f"Reconstructed data: the arm's rows are {LABEL} and its numbers at risk (Guyot et "
            "al. 2012), not the trial's patients. They follow the published curve closely but "
            "event times are approximate; figures computed from them (median, hazard ratio) "
            "differ somewhat from the published ones.",
        ),
    ]


# --------------------------------------------------------------------------------------------
# Shipped arms
# --------------------------------------------------------------------------------------------

_RADIANT4: tuple[tuple[str, str, str, str, str], ...] = (
    # id, file, arm value in the file, registry row of the arm (population), partner
    ("radiant4-everolimus-pfs", "pfs", "everolimus", "radiant4-eve-pfs-median", "placebo"),
    ("radiant4-placebo-pfs", "pfs", "placebo", "radiant4-pbo-pfs-median", "everolimus"),
    ("radiant4-everolimus-os", "os", "everolimus", "radiant4-eve-pfs-median", "placebo"),
    ("radiant4-placebo-os", "os", "placebo", "radiant4-pbo-pfs-median", "everolimus"),
)
_FIGURE = {"pfs": "RADIANT-4 figure 2A", "os": "RADIANT-4 figure 2C"}


@functools.lru_cache(maxsize=2)
def shipped_arms(directory: Path = RECONSTRUCTED_DIR) -> tuple[ReconstructedArm, ...]:
    """The reconstructed arms shipped in ``data/reconstructed/`` (RADIANT-4 PFS and OS).

    Population, line, design and time origin come from the registry's RADIANT-4 rows; the
    published PFS medians (11.0 and 3.9 months) and hazard ratio (0.48, 95% CI 0.35-0.67)
    come from the same rows. The OS arms carry no published median or hazard ratio here.
    """
    registry = {b.id: b for b in load_benchmarks()}
    hr = registry["radiant4-pfs-hr"]
    out = []
    for ident, endpoint, value, row, partner in _RADIANT4:
        frame = pd.read_csv(directory / f"radiant4_{endpoint}.csv")
        rows = frame[frame["arm"] == value]
        base = registry[row]
        ep = BenchmarkEndpoint.parse(endpoint)
        profile = _replace(base, id=ident, endpoint=ep)
        pfs = ep is BenchmarkEndpoint.PFS
        published_hr = None
        if pfs:
            est = (hr.value, hr.ci_lower, hr.ci_upper)
            inverse = (1.0 / est[0], 1.0 / est[2], 1.0 / est[1])
            published_hr = est if value == "everolimus" else inverse
        out.append(
            ReconstructedArm(
                id=ident,
                trial=base.study,
                arm=base.arm,
                endpoint=ep,
                time=rows["time_months"].to_numpy(),
                event=rows["event"].to_numpy(),
                profile=profile,
                citation=YAO_2016_CITATION,
                reconstruction=(KMDATA_CITATION, GUYOT_CITATION),
                figure=_FIGURE[endpoint],
                published_median=base.value if pfs else None,
                published_median_ci=(base.ci_lower, base.ci_upper) if pfs else None,
                published_hr=published_hr,
                partner=ident.replace(value, partner),
                note=base.note,
            )
        )
    return tuple(out)


# --------------------------------------------------------------------------------------------
# User-added arms
# --------------------------------------------------------------------------------------------

ARM_FIELDS: tuple[str, ...] = tuple(c for c in USER_ARM_COLUMNS if c != "reconstruction_note")
"""The description of a user-added arm (stored as text in ``user_arms``: the schema's
``USER_ARM_COLUMNS`` less the reconstruction note, which is written by the app)."""

_TIME_TO_EVENT_CODES = ("os", "pfs", "ttp", "pfs_symptomatic", "pfs_biochemical")


def validate_user_arm(fields: Mapping[str, Any]) -> tuple[Benchmark | None, list[str]]:
    """Check a user's description of an arm; return its profile or the problems.

    The registry's rules for a user-added figure apply (codes, citation by PMID or DOI,
    required study and arm), with a time-to-event endpoint; the profile has
    ``user_added=True``.
    """
    errors: list[str] = []
    endpoint = str(fields.get("endpoint") or "").strip()
    if endpoint not in _TIME_TO_EVENT_CODES:
        errors.append(f"endpoint must be one of {', '.join(_TIME_TO_EVENT_CODES)}")
    median = _median_value(fields.get("published_median"), errors)
    record = {k: fields.get(k) for k in ARM_FIELDS if k not in ("figure", "published_median")}
    record.update(statistic=Statistic.MEDIAN.value, unit=Unit.MONTHS.value)
    record["value_not_reached"] = "true" if median is None else "false"
    record["value"] = "" if median is None else median
    if errors:
        record["endpoint"] = "os"  # report the other problems too
    bench, more = validate_user_benchmark(record)
    errors += more
    if errors or bench is None:
        return None, errors
    return _replace(bench, value_not_reached=False), []


def _median_value(raw: Any, errors: list[str]) -> float | None:
    text = "" if raw is None else str(raw).strip()
    if text in ("", "nan", "None"):
        return None
    try:
        value = float(text)
    except ValueError:
        errors.append(f"published median {text!r} is not a number")
        return None
    if not math.isfinite(value) or value <= 0:
        errors.append("published median must be a positive number of months")
        return None
    return value


def user_arm(
    record: Mapping[str, Any], time_months: Any, event: Any, reconstruction_note: str = ""
) -> ReconstructedArm:
    """A stored user arm from its description and rows (raises ``ValueError`` if invalid)."""
    profile, errors = validate_user_arm(record)
    if errors or profile is None:
        raise ValueError("; ".join(errors))
    ident = str(record["id"])
    median = _median_value(record.get("published_median"), [])
    how = "rebuilt in this app by Guyot's algorithm"
    if reconstruction_note:
        how += f": {reconstruction_note}"
    return ReconstructedArm(
        id=ident,
        trial=profile.study,
        arm=profile.arm,
        endpoint=profile.endpoint,
        time=time_months,
        event=event,
        profile=_replace(profile, id=ident, value=median),
        citation=profile.citation,
        reconstruction=(how, GUYOT_CITATION),
        figure=str(record.get("figure") or ""),
        published_median=median,
        user_added=True,
        note=str(record.get("note") or ""),
    )
