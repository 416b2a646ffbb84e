"""Literature benchmarks: the registry of published figures and how a cohort is set against them.

The registry (``data/benchmarks.csv``) holds one published figure per row: a median, mean,
landmark rate, response rate or hazard ratio, with the study arm, population, endpoint, time
origin and the publication it comes from. This module

* enumerates every code the registry uses (therapy class, endpoint, time origin, statistic ...),
* loads and validates the registry and user-added figures,
* explains, in sentences, why a figure may not be comparable with the cohort view on screen
  (:func:`comparability`),
* turns a published median or landmark rate into a parametric survival curve, and
* tests a cohort against a benchmark: a one-sample log-rank test against the benchmark curve
  (:func:`one_sample_logrank`) and an exact binomial test against a published rate
  (:func:`binomial_test`).

Times in the registry are months (days / 30.4375, :data:`core.vocab.methods.DAYS_PER_MONTH`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from core.vocab.methods import (
    DAYS_PER_MONTH,
    TIME_UNIT_DAYS,
    BinomialCI,
    Endpoint,
    Origin,
    TimeUnit,
    _Labelled,
)
from core.vocab.schema import BENCHMARK_COLUMNS

REGISTRY_PATH = Path(__file__).resolve().parents[2] / "data" / "benchmarks.csv"
"""The project's registry of published figures."""

COLUMNS: tuple[str, ...] = BENCHMARK_COLUMNS
"""Columns of ``data/benchmarks.csv``, in file order (declared in :mod:`core.vocab.schema`, which
also stores user-added figures with them)."""

LIST_SEPARATOR = ";"
"""Separator inside the list-valued columns (sites, grades, citation identifiers)."""


# --------------------------------------------------------------------------------------------
# Enumerations
# --------------------------------------------------------------------------------------------


class TherapyClass(_Labelled):
    """Class of the treatment a benchmark arm received."""

    PRRT = ("prrt", "Peptide receptor radionuclide therapy")
    MIBG = ("mibg", "I-131 MIBG therapy")
    SSA = ("ssa", "Somatostatin analogue")
    MTOR = ("mtor", "mTOR inhibitor")
    TKI = ("tki", "Tyrosine kinase inhibitor")
    CHEMO = ("chemo", "Chemotherapy")
    EMBOLIZATION = ("embolization", "Hepatic (chemo)embolization")
    PLACEBO = ("placebo", "Placebo")
    OTHER = ("other", "Other or multimodality therapy")


class BenchmarkEndpoint(_Labelled):
    """What a published figure measures.

    Landmark survival and hazard ratios are not separate endpoints: an OS rate at 5 years is
    ``endpoint=os, statistic=rate, landmark_months=60`` and a PFS hazard ratio is
    ``endpoint=pfs, statistic=hr``, so the endpoint behind every number stays explicit.
    """

    OS = ("os", "Overall survival")
    PFS = ("pfs", "Progression-free survival (imaging; deaths are events)")
    TTP = ("ttp", "Time to progression (imaging; deaths censored)")
    PFS_SYMPTOMATIC = ("pfs_symptomatic", "Symptomatic progression-free survival")
    PFS_BIOCHEMICAL = ("pfs_biochemical", "Biochemical progression-free survival")
    ORR = ("orr", "Objective response rate (complete + partial response)")
    DCR = ("dcr", "Disease control rate (complete + partial response + stable disease)")
    CR = ("cr", "Complete response")
    PR = ("pr", "Partial response")
    MINOR_RESPONSE = ("minor_response", "Minor response (25-50% shrinkage)")
    SD = ("sd", "Stable disease")
    PD = ("pd", "Progressive disease")
    TUMOUR_SHRINKAGE = ("tumour_shrinkage", "Any radiological tumour shrinkage (not RECIST)")
    SYMPTOMATIC_RESPONSE = ("symptomatic_response", "Symptomatic response (improvement)")
    SYMPTOMATIC_CONTROL = ("symptomatic_control", "Symptomatic improvement or stability")
    BIOCHEMICAL_RESPONSE = ("biochemical_response", "Biochemical (tumour marker) response")
    BIOCHEMICAL_STABLE = ("biochemical_stable", "Biochemical (tumour marker) stability")
    BIOCHEMICAL_PROGRESSION = ("biochemical_progression", "Biochemical (tumour marker) progression")
    BIOCHEMICAL_CONTROL = ("biochemical_control", "Biochemical response or stability")
    OTHER = ("other", "Other endpoint (defined in the note)")


_E = BenchmarkEndpoint
ENDPOINT_FAMILY: dict[BenchmarkEndpoint, str] = {
    _E.OS: "survival",
    _E.PFS: "imaging_progression",
    _E.TTP: "imaging_progression",
    _E.PFS_SYMPTOMATIC: "symptomatic_progression",
    _E.PFS_BIOCHEMICAL: "biochemical_progression",
    _E.ORR: "imaging_response",
    _E.DCR: "imaging_response",
    _E.CR: "imaging_response",
    _E.PR: "imaging_response",
    _E.MINOR_RESPONSE: "imaging_response",
    _E.SD: "imaging_response",
    _E.PD: "imaging_response",
    _E.TUMOUR_SHRINKAGE: "imaging_response",
    _E.SYMPTOMATIC_RESPONSE: "symptomatic_response",
    _E.SYMPTOMATIC_CONTROL: "symptomatic_response",
    _E.BIOCHEMICAL_RESPONSE: "biochemical_response",
    _E.BIOCHEMICAL_STABLE: "biochemical_response",
    _E.BIOCHEMICAL_PROGRESSION: "biochemical_response",
    _E.BIOCHEMICAL_CONTROL: "biochemical_response",
    _E.OTHER: "other",
}
"""Endpoints in one family measure the same kind of event or assessment."""

TIME_TO_EVENT: frozenset[BenchmarkEndpoint] = frozenset(
    {_E.OS, _E.PFS, _E.TTP, _E.PFS_SYMPTOMATIC, _E.PFS_BIOCHEMICAL}
)

APP_ENDPOINT: dict[Endpoint, BenchmarkEndpoint] = {
    Endpoint.OS: _E.OS,
    Endpoint.PFS_IMAGING: _E.PFS,
    Endpoint.PFS_SYMPTOM: _E.PFS_SYMPTOMATIC,
    Endpoint.PFS_BIOCHEM: _E.PFS_BIOCHEMICAL,
}
"""The dashboard's time-to-event endpoints expressed as registry endpoints."""


class TimeOrigin(_Labelled):
    """Where the clock of a time-to-event figure starts."""

    RANDOMISATION = ("randomisation", "Randomisation")
    TREATMENT_START = ("treatment_start", "Start of (first) treatment")
    LAST_TREATMENT = ("last_treatment", "Last treatment")
    DIAGNOSIS = ("diagnosis", "Diagnosis")
    METASTATIC_DIAGNOSIS = ("metastatic_diagnosis", "Diagnosis of metastatic disease")
    NOT_STATED = ("not_stated", "Not stated in the source")
    OTHER = ("other", "Other (see note)")


APP_ORIGIN: dict[Origin, TimeOrigin] = {
    Origin.INDEX: TimeOrigin.TREATMENT_START,
    Origin.DIAGNOSIS: TimeOrigin.DIAGNOSIS,
    Origin.METASTATIC: TimeOrigin.METASTATIC_DIAGNOSIS,
}
"""The dashboard's time origins expressed as registry origins."""


class Statistic(_Labelled):
    MEDIAN = ("median", "Median")
    MEAN = ("mean", "Mean")
    RATE = ("rate", "Rate (proportion)")
    HR = ("hr", "Hazard ratio")


class Unit(_Labelled):
    MONTHS = ("months", "months")
    PERCENT = ("%", "%")
    RATIO = ("ratio", "ratio")


STATISTIC_UNIT: dict[Statistic, Unit] = {
    Statistic.MEDIAN: Unit.MONTHS,
    Statistic.MEAN: Unit.MONTHS,
    Statistic.RATE: Unit.PERCENT,
    Statistic.HR: Unit.RATIO,
}

VALUE_RANGE: dict[Unit, tuple[float, float, bool]] = {
    Unit.MONTHS: (0.0, 600.0, False),
    Unit.PERCENT: (0.0, 100.0, True),
    Unit.RATIO: (0.0, 100.0, False),
}
"""(lowest, highest, lowest allowed?) for each unit; months and ratios must be positive."""


class Design(_Labelled):
    RCT = ("rct", "Randomised controlled trial")
    SINGLE_ARM_TRIAL = ("single_arm_trial", "Single-arm prospective trial")
    COHORT = ("cohort", "Non-randomised cohort (prospective or not stated)")
    RETROSPECTIVE = ("retrospective", "Retrospective series")


TRIAL_DESIGNS: frozenset[Design] = frozenset({Design.RCT, Design.SINGLE_ARM_TRIAL})


class Site(_Labelled):
    """Primary-site groups used to describe a benchmark's population."""

    MIDGUT = ("midgut", "Midgut (small bowel, appendix, caecum, proximal colon)")
    HINDGUT = ("hindgut", "Hindgut (distal colon, rectum)")
    FOREGUT_GI = ("foregut_gi", "Stomach or duodenum")
    PANCREAS = ("pancreas", "Pancreas")
    LUNG = ("lung", "Lung or thymus")
    UNKNOWN_PRIMARY = ("unknown_primary", "Unknown primary")
    NET_UNSPECIFIED = ("net_unspecified", "NET ('carcinoid'), primary sites not reported")
    PPGL = ("ppgl", "Phaeochromocytoma or paraganglioma")
    MTC = ("mtc", "Medullary thyroid carcinoma")
    OTHER = ("other", "Other primary site")


NET_SITES: frozenset[Site] = frozenset(
    {
        Site.MIDGUT,
        Site.HINDGUT,
        Site.FOREGUT_GI,
        Site.PANCREAS,
        Site.LUNG,
        Site.UNKNOWN_PRIMARY,
        Site.OTHER,
    }
)
NON_NET_SITES: frozenset[Site] = frozenset({Site.PPGL, Site.MTC})

PRIMARY_SITE_GROUPS: dict[str, frozenset[Site]] = {
    "small_bowel": frozenset({Site.MIDGUT}),
    "appendix": frozenset({Site.MIDGUT}),
    "cecum": frozenset({Site.MIDGUT}),
    # a mesenteric mass without another primary is usually of small-bowel origin
    "mesentery": frozenset({Site.MIDGUT}),
    # right colon is midgut, left colon hindgut; the patient table does not say which
    "colon": frozenset({Site.MIDGUT, Site.HINDGUT}),
    "rectum": frozenset({Site.HINDGUT}),
    "stomach": frozenset({Site.FOREGUT_GI}),
    "duodenum": frozenset({Site.FOREGUT_GI}),
    "pancreas": frozenset({Site.PANCREAS}),
    "lung": frozenset({Site.LUNG}),
    "thymus": frozenset({Site.LUNG}),
    "unknown": frozenset({Site.UNKNOWN_PRIMARY}),
    "heart": frozenset({Site.OTHER}),
    "ovary": frozenset({Site.OTHER}),
    "retroperitoneum": frozenset({Site.OTHER}),
    "other": frozenset({Site.OTHER}),
}
"""Patient-level primary-site codes (the cohort tables) mapped to :class:`Site` groups."""


class Grade(_Labelled):
    G1 = ("G1", "G1 (Ki-67 <3%)")
    G2 = ("G2", "G2 (Ki-67 3-20%)")
    G3 = ("G3", "G3 (Ki-67 >20%)")


UNGRADED_CODE = "GX"
"""Patient-level code for a grade that was not assessed."""


class LineOfTherapy(_Labelled):
    FIRST_LINE = ("first_line", "First line (no prior systemic therapy)")
    SECOND_LINE = ("second_line", "Second line (after one prior therapy)")
    LATER_LINE = ("later_line", "Later line / refractory to prior therapy")
    MIXED = ("mixed", "Mixed lines of therapy")
    NOT_REPORTED = ("not_reported", "Not reported")


class CitationConfidence(_Labelled):
    VERIFIED = ("verified", "Seen in a public source")
    RECALLED = ("recalled", "Recalled, not seen in a source: check before linking")
    UNCHECKED = ("unchecked", "Entered by a user; not checked")


CITATION_ITEMS: tuple[str, ...] = ("PMID", "DOI", "author")
"""Parts of a citation whose confidence ``citation_confidence`` may state separately."""


class Severity(_Labelled):
    INFO = ("info", "Note")
    CAUTION = ("caution", "Interpret with caution")
    SERIOUS = ("serious", "Not comparable as it stands")


class WarningCategory(_Labelled):
    ENDPOINT = ("endpoint", "Endpoint")
    ORIGIN = ("origin", "Time origin")
    POPULATION = ("population", "Population")
    STATISTIC = ("statistic", "Statistic")
    BIAS = ("bias", "Bias")
    SOURCE = ("source", "Source")


class WarningCode(_Labelled):
    """Every comparability warning, with the category it belongs to."""

    ENDPOINT_MISMATCH = ("endpoint-mismatch", "Different endpoint")
    PFS_VS_TTP = ("pfs-vs-ttp", "PFS set against TTP")
    RESPONSE_DEFINITION = ("response-definition", "Response defined differently")
    ASCERTAINMENT = ("ascertainment", "Different assessment schedule")
    ORIGIN_MISMATCH = ("origin-mismatch", "Different time origin")
    ORIGIN_NOT_STATED = ("origin-not-stated", "Time origin not stated")
    SITES = ("population-sites", "Primary sites differ")
    SITES_NOT_REPORTED = ("population-sites-not-reported", "Primary sites not reported")
    NON_NET = ("population-non-net", "Includes tumours other than NETs")
    GRADES = ("population-grades", "Grades differ")
    GRADES_NOT_REPORTED = ("population-grades-not-reported", "Grades not reported")
    LINE = ("population-line", "Line of therapy differs")
    PROGRESSION_REQUIRED = ("population-progression", "Entry progression requirement differs")
    THERAPY = ("therapy", "Different treatment")
    ROUTE = ("route", "Different route of administration")
    MEAN_NOT_MEDIAN = ("mean-not-median", "Mean, not median")
    NOT_REACHED = ("not-reached", "Median not reached")
    HAZARD_RATIO = ("hazard-ratio", "Between-arm contrast")
    GUARANTEE_TIME = ("guarantee-time", "Guarantee-time bias")
    OVERLAP = ("overlapping-patients", "Shares patients with the cohort's source")
    SAME_SOURCE = ("same-source", "Figure from the cohort's own publication")
    CITATION_RECALLED = ("citation-recalled", "Citation details recalled")
    USER_ADDED = ("user-added", "User-added figure")
    NOT_RANDOMISED = ("not-randomised", "Not randomised")
    RECONSTRUCTED = ("reconstructed-data", "Reconstructed data")


_W = WarningCode
WARNING_CATEGORY: dict[WarningCode, WarningCategory] = {
    _W.ENDPOINT_MISMATCH: WarningCategory.ENDPOINT,
    _W.PFS_VS_TTP: WarningCategory.ENDPOINT,
    _W.RESPONSE_DEFINITION: WarningCategory.ENDPOINT,
    _W.ASCERTAINMENT: WarningCategory.ENDPOINT,
    _W.ORIGIN_MISMATCH: WarningCategory.ORIGIN,
    _W.ORIGIN_NOT_STATED: WarningCategory.ORIGIN,
    _W.SITES: WarningCategory.POPULATION,
    _W.SITES_NOT_REPORTED: WarningCategory.POPULATION,
    _W.NON_NET: WarningCategory.POPULATION,
    _W.GRADES: WarningCategory.POPULATION,
    _W.GRADES_NOT_REPORTED: WarningCategory.POPULATION,
    _W.LINE: WarningCategory.POPULATION,
    _W.PROGRESSION_REQUIRED: WarningCategory.POPULATION,
    _W.THERAPY: WarningCategory.POPULATION,
    _W.ROUTE: WarningCategory.POPULATION,
    _W.MEAN_NOT_MEDIAN: WarningCategory.STATISTIC,
    _W.NOT_REACHED: WarningCategory.STATISTIC,
    _W.HAZARD_RATIO: WarningCategory.STATISTIC,
    _W.GUARANTEE_TIME: WarningCategory.BIAS,
    _W.OVERLAP: WarningCategory.BIAS,
    _W.SAME_SOURCE: WarningCategory.SOURCE,
    _W.CITATION_RECALLED: WarningCategory.SOURCE,
    _W.USER_ADDED: WarningCategory.SOURCE,
    _W.NOT_RANDOMISED: WarningCategory.BIAS,
    _W.RECONSTRUCTED: WarningCategory.SOURCE,
}


class TestMethod(_Labelled):
    """Tests of one cohort against one benchmark."""

    __test__ = False  # not a pytest test class

    ONE_SAMPLE_LOGRANK = (
        "one-sample-logrank",
        "One-sample log-rank test: O = observed events, E = sum of the benchmark's cumulative "
        "hazard over each patient's follow-up; (O-E)^2/E referred to chi-square(1); O/E with "
        "an exact Poisson confidence interval",
        "poisson.test(O, E) for O/E and its CI; pchisq((O - E)^2 / E, 1, lower.tail = FALSE)",
    )
    EXACT_BINOMIAL = (
        "exact-binomial",
        "Exact binomial test against the benchmark rate, Clopper-Pearson confidence interval",
        "binom.test(x, n, p0)",
    )


class CurveKind(_Labelled):
    EXPONENTIAL = (
        "exponential",
        "Exponential (constant hazard)",
        "pexp(t, rate, lower.tail = FALSE)",
    )
    WEIBULL = (
        "weibull",
        "Weibull",
        "pweibull(t, shape, scale, lower.tail = FALSE)",
    )


AGENT_CLASS: dict[str, TherapyClass] = {
    "i131_mibg": TherapyClass.MIBG,
    "lu177_dotatate": TherapyClass.PRRT,
    "in111_pentetreotide": TherapyClass.PRRT,
}
"""Patient-level agent codes (the cohort tables) mapped to therapy classes."""

AGENT_LABEL: dict[str, str] = {
    "i131_mibg": "I-131 MIBG",
    "lu177_dotatate": "177Lu-DOTATATE",
    "in111_pentetreotide": "111In-pentetreotide",
}

OVERLAPPING_PUBLICATIONS: tuple[frozenset[str], ...] = (
    # Duke University: Safford 2004 (98 carcinoid patients over 15 years) and Kane 2018
    # (211 patients treated 1991-2014) come from the same MIBG programme.
    frozenset({"DOI 10.1002/cncr.20592", "DOI 10.2967/jnumed.117.202150"}),
)
"""Groups of publications whose patients overlap: their figures must never be pooled."""

POST_BASELINE_SUBGROUP_RE = re.compile(
    r"^\s*subgroup by (response|treatments received)\b", re.IGNORECASE
)
"""Arms named 'Subgroup by response: ...' or 'Subgroup by treatments received: ...' split
patients by something observed after treatment started (guarantee-time bias)."""


# --------------------------------------------------------------------------------------------
# Citations
# --------------------------------------------------------------------------------------------

_PMID_TOKEN = re.compile(r"^PMID (\d{1,9})$")
_DOI_TOKEN = re.compile(r"^DOI (10\.\d{4,9}/\S+)$")
_DOI_BARE = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_URL_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi.org/")
_PUBMED_URL = re.compile(r"^(?:https?://)?pubmed\.ncbi\.nlm\.nih\.gov/(\d{1,9})/?$", re.I)
_ID_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def parse_citation(text: str) -> list[tuple[str, str]]:
    """Split a registry citation (``"PMID 123; DOI 10.1000/x"``) into ``(kind, identifier)``.

    Raises ``ValueError`` naming the first part that is neither ``PMID <digits>`` nor
    ``DOI 10.<registrant>/<suffix>``, or when the citation is empty.
    """
    parts = [p.strip() for p in str(text).split(LIST_SEPARATOR) if p.strip()]
    if not parts:
        raise ValueError("citation is empty: cite the publication by PMID and/or DOI")
    out: list[tuple[str, str]] = []
    for part in parts:
        if m := _PMID_TOKEN.match(part):
            out.append(("PMID", m.group(1)))
        elif m := _DOI_TOKEN.match(part):
            out.append(("DOI", m.group(1)))
        else:
            raise ValueError(f"citation part {part!r} is not 'PMID <digits>' or 'DOI 10.xxxx/...'")
    kinds = [k for k, _ in out]
    if len(set(kinds)) != len(kinds):
        raise ValueError("citation names more than one PMID or more than one DOI")
    return out


def normalise_citation(text: str) -> str:
    """Turn a typed citation into the registry form ``"PMID 123; DOI 10.1000/x"``.

    Accepts bare PMIDs (digits), bare DOIs, ``PMID:``/``doi:`` prefixes and doi.org or PubMed
    links, separated by semicolons, commas or spaces. Raises ``ValueError`` on anything else.
    """
    tokens = [t for t in re.split(r"[;,\s]+", str(text).strip()) if t]
    pmids: list[str] = []
    dois: list[str] = []
    for raw in tokens:
        tok = raw.strip()
        low = tok.lower()
        if low in ("pmid", "pmid:", "doi", "doi:"):
            continue
        for prefix in _DOI_URL_PREFIXES:
            if low.startswith(prefix):
                tok = tok[len(prefix) :]
                low = tok.lower()
        if low.startswith("doi:"):
            tok = tok[4:]
        elif low.startswith("pmid:"):
            tok = tok[5:]
        if m := _PUBMED_URL.match(tok):
            tok = m.group(1)
        tok = tok.rstrip(".")
        if re.fullmatch(r"\d{1,9}", tok):
            pmids.append(tok)
        elif _DOI_BARE.match(tok):
            dois.append(tok)
        else:
            raise ValueError(f"{raw!r} is not a PMID (digits) or a DOI (10.xxxx/...)")
    if not pmids and not dois:
        raise ValueError("a citation is required: give the PMID (digits) or DOI (10.xxxx/...)")
    if len(set(pmids)) > 1 or len(set(dois)) > 1:
        raise ValueError("give one publication: at most one PMID and one DOI")
    parts = [f"PMID {pmids[0]}"] if pmids else []
    parts += [f"DOI {dois[0]}"] if dois else []
    return f"{LIST_SEPARATOR} ".join(parts)


def parse_confidence(text: str, kinds: Iterable[str]) -> dict[str, CitationConfidence]:
    """Read ``citation_confidence``: one code for the whole citation, or per part.

    ``"verified"`` applies to every part; ``"DOI verified; PMID recalled; author recalled"``
    states each part separately (parts: PMID, DOI, author). Every identifier kind in
    ``kinds`` must receive a status. Raises ``ValueError`` otherwise.
    """
    text = str(text).strip()
    kinds = list(kinds)
    if text in CitationConfidence.codes():
        level = CitationConfidence.parse(text)
        return {k: level for k in (*kinds, "author")}
    out: dict[str, CitationConfidence] = {}
    items = {i.lower(): i for i in CITATION_ITEMS}
    for part in (p.strip() for p in text.split(LIST_SEPARATOR) if p.strip()):
        words = part.split()
        if len(words) != 2 or words[0].lower() not in items:
            raise ValueError(
                f"citation_confidence part {part!r} should read '<PMID|DOI|author> <status>'"
            )
        out[items[words[0].lower()]] = CitationConfidence.parse(words[1])
    missing = [k for k in kinds if k not in out]
    if missing:
        raise ValueError(f"citation_confidence gives no status for {', '.join(missing)}")
    return out


# --------------------------------------------------------------------------------------------
# One registry row
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Benchmark:
    """One published figure (one registry row)."""

    id: str
    study: str
    arm: str
    therapy_class: TherapyClass
    agent: str
    n: int | None
    design: Design
    population_sites: tuple[Site, ...]
    population_grades: tuple[Grade, ...]
    line_of_therapy: LineOfTherapy
    progression_required: bool | None
    endpoint: BenchmarkEndpoint
    landmark_months: float | None
    time_origin: TimeOrigin
    statistic: Statistic
    value: float | None
    value_not_reached: bool
    ci_lower: float | None
    ci_upper: float | None
    unit: Unit
    citation: str
    citation_confidence: str
    source: str
    note: str = ""
    user_added: bool = False

    @property
    def is_time_to_event(self) -> bool:
        return self.endpoint in TIME_TO_EVENT

    @property
    def is_post_baseline_subgroup(self) -> bool:
        """True when the arm splits patients by response or by treatments received later."""
        return bool(POST_BASELINE_SUBGROUP_RE.match(self.arm))

    def identifiers(self) -> list[tuple[str, str]]:
        """``[("PMID", "123"), ("DOI", "10.1000/x")]`` from the citation."""
        return parse_citation(self.citation)

    def confidence(self) -> dict[str, CitationConfidence]:
        """Confidence of each citation part (PMID, DOI, author)."""
        return parse_confidence(self.citation_confidence, (k for k, _ in self.identifiers()))

    def links(self, verified_only: bool = True) -> list[str]:
        """URLs of the publication; by default only identifiers seen in a public source."""
        conf = self.confidence()
        out = []
        for kind, ident in self.identifiers():
            if verified_only and conf.get(kind) is not CitationConfidence.VERIFIED:
                continue
            if kind == "PMID":
                out.append(f"https://pubmed.ncbi.nlm.nih.gov/{ident}/")
            else:
                out.append(f"https://doi.org/{ident}")
        return out

    def value_text(self) -> str:
        """The figure as a reader should see it, e.g. ``'8.4 months (95% CI 7.7-13.8)'``."""
        unit = "" if self.unit is Unit.RATIO else ("%" if self.unit is Unit.PERCENT else " months")
        if self.value_not_reached:
            return "not reached"
        text = f"{_fmt(self.value)}{unit}"
        if self.ci_lower is not None or self.ci_upper is not None:
            lo = _fmt(self.ci_lower) if self.ci_lower is not None else "NE"
            hi = _fmt(self.ci_upper) if self.ci_upper is not None else "NE"
            text += f" (95% CI {lo}-{hi})"
        return text

    def to_record(self) -> dict[str, Any]:
        """The row as plain values (codes as strings, lists joined with ';')."""
        return {
            "id": self.id,
            "study": self.study,
            "arm": self.arm,
            "therapy_class": self.therapy_class.value,
            "agent": self.agent,
            "n": self.n,
            "design": self.design.value,
            "population_sites": LIST_SEPARATOR.join(s.value for s in self.population_sites),
            "population_grades": LIST_SEPARATOR.join(g.value for g in self.population_grades),
            "line_of_therapy": self.line_of_therapy.value,
            "progression_required": self.progression_required,
            "endpoint": self.endpoint.value,
            "landmark_months": self.landmark_months,
            "time_origin": self.time_origin.value,
            "statistic": self.statistic.value,
            "value": self.value,
            "value_not_reached": self.value_not_reached,
            "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper,
            "unit": self.unit.value,
            "citation": self.citation,
            "citation_confidence": self.citation_confidence,
            "source": self.source,
            "note": self.note,
            "user_added": self.user_added,
        }

    def summary_dict(self) -> dict[str, Any]:
        """A compact description for exports: identity, what was measured, citation."""
        return {
            "id": self.id,
            "study": self.study,
            "arm": self.arm,
            "endpoint": self.endpoint.value,
            "time_origin": self.time_origin.value,
            "statistic": self.statistic.value,
            "landmark_months": self.landmark_months,
            "value": self.value,
            "value_not_reached": self.value_not_reached,
            "ci": [self.ci_lower, self.ci_upper],
            "unit": self.unit.value,
            "n": self.n,
            "citation": self.citation,
            "user_added": self.user_added,
        }


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:g}"


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return ""
    if v is pd.NA:
        return ""
    return str(v).strip()


def _number(raw: Any, name: str, errors: list[str]) -> float | None:
    text = _text(raw)
    if text == "":
        return None
    try:
        x = float(text)
    except ValueError:
        errors.append(f"{name} {text!r} is not a number")
        return None
    if not math.isfinite(x):
        errors.append(f"{name} must be a finite number")
        return None
    return x


def _flag(raw: Any, name: str, errors: list[str], allow_unknown: bool) -> bool | None:
    if isinstance(raw, bool | np.bool_):
        return bool(raw)
    text = _text(raw).lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    if allow_unknown and text in ("", "unknown"):
        return None
    allowed = "true, false or unknown" if allow_unknown else "true or false"
    errors.append(f"{name} {text!r} must be {allowed}")
    return None


def _code(enum: type[_Labelled], raw: Any, name: str, errors: list[str]) -> Any:
    text = _text(raw)
    try:
        return enum.parse(text)
    except ValueError:
        errors.append(f"unknown {name} code {text!r}; allowed: {', '.join(enum.codes())}")
        return None


def _codes_list(enum: type[_Labelled], raw: Any, name: str, errors: list[str]) -> tuple:
    out = []
    for part in (p.strip() for p in _text(raw).split(LIST_SEPARATOR) if p.strip()):
        member = _code(enum, part, name, errors)
        if member is not None:
            out.append(member)
    return tuple(out)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")


def _parse_fields(fields: Mapping[str, Any], *, user: bool) -> tuple[Benchmark | None, list[str]]:
    """Build a :class:`Benchmark` from raw column values; return it with the problems found."""
    errors: list[str] = []
    unknown = sorted(set(fields) - set(COLUMNS) - {"user_added"})
    if unknown:
        errors.append(f"unknown field(s): {', '.join(unknown)}")

    study = _text(fields.get("study"))
    arm = _text(fields.get("arm"))
    if not study:
        errors.append("study is required")
    if not arm:
        errors.append("arm is required")

    therapy = _code(TherapyClass, fields.get("therapy_class"), "therapy_class", errors)
    design = _code(Design, fields.get("design"), "design", errors)
    line = _code(LineOfTherapy, fields.get("line_of_therapy") or "not_reported", "line", errors)
    endpoint = _code(BenchmarkEndpoint, fields.get("endpoint"), "endpoint", errors)
    origin = _code(TimeOrigin, fields.get("time_origin") or "not_stated", "time_origin", errors)
    statistic = _code(Statistic, fields.get("statistic"), "statistic", errors)
    unit = _code(Unit, fields.get("unit"), "unit", errors)
    sites = _codes_list(Site, fields.get("population_sites"), "population_sites", errors)
    grades = _codes_list(Grade, fields.get("population_grades"), "population_grades", errors)
    progression = _flag(
        fields.get("progression_required"), "progression_required", errors, allow_unknown=True
    )
    not_reached = _flag(
        fields.get("value_not_reached") or "false", "value_not_reached", errors, False
    )

    n_raw = _number(fields.get("n"), "n", errors)
    n: int | None = None
    if n_raw is not None:
        if n_raw < 1 or n_raw != int(n_raw):
            errors.append(f"n must be a positive whole number, not {_fmt(n_raw)}")
        else:
            n = int(n_raw)

    landmark = _number(fields.get("landmark_months"), "landmark_months", errors)
    value = _number(fields.get("value"), "value", errors)
    lo = _number(fields.get("ci_lower"), "ci_lower", errors)
    hi = _number(fields.get("ci_upper"), "ci_upper", errors)

    # statistic, endpoint, unit and landmark must agree
    if statistic is not None and unit is not None and STATISTIC_UNIT[statistic] is not unit:
        errors.append(
            f"unit {unit.value!r} does not fit statistic {statistic.value!r} "
            f"(expected {STATISTIC_UNIT[statistic].value!r})"
        )
    if endpoint is not None and statistic is not None:
        if endpoint not in TIME_TO_EVENT and statistic is not Statistic.RATE:
            errors.append(
                f"endpoint {endpoint.value!r} is a proportion of patients: statistic must be "
                f"'rate' (unit '%'), not {statistic.value!r}"
            )
        if endpoint in TIME_TO_EVENT and statistic is Statistic.RATE and landmark is None:
            errors.append(
                f"a {endpoint.value} rate needs landmark_months (e.g. 60 for a 5-year rate)"
            )
    if landmark is not None:
        if landmark <= 0:
            errors.append("landmark_months must be positive")
        if statistic is not None and statistic is not Statistic.RATE:
            errors.append("landmark_months applies only to rates")

    # value, not-reached flag and confidence interval
    if not_reached:
        if value is not None:
            errors.append(
                "a median marked not reached must have no value: it is a censored lower bound"
            )
        if statistic is not None and statistic is not Statistic.MEDIAN:
            errors.append("only a median can be 'not reached'")
        if hi is not None:
            errors.append("a not-reached median cannot have an upper confidence limit")
    elif value is None:
        errors.append("value is missing (leave it empty only when value_not_reached is true)")
    if unit is not None:
        low, high, low_ok = VALUE_RANGE[unit]
        for name, x in (("value", value), ("ci_lower", lo), ("ci_upper", hi)):
            if x is None:
                continue
            if x > high or x < low or (x == low and not low_ok):
                bound = f"[{_fmt(low)}, {_fmt(high)}]" if low_ok else f"({_fmt(low)}, {_fmt(high)}]"
                errors.append(f"{name} {_fmt(x)} is outside {bound} for unit {unit.value!r}")
    if lo is not None and hi is not None and lo >= hi:
        errors.append(f"ci_lower {_fmt(lo)} is not below ci_upper {_fmt(hi)}")
    if value is not None:
        if lo is not None and lo > value:
            errors.append(f"CI lower limit {_fmt(lo)} is above the value {_fmt(value)}")
        if hi is not None and hi < value:
            errors.append(f"CI upper limit {_fmt(hi)} is below the value {_fmt(value)}")

    # citation
    citation = _text(fields.get("citation"))
    confidence = _text(fields.get("citation_confidence"))
    if user:
        try:
            citation = normalise_citation(citation)
        except ValueError as exc:
            errors.append(str(exc))
        confidence = CitationConfidence.UNCHECKED.value
    if not citation:
        errors.append("citation is missing: every figure must cite its publication")
    else:
        try:
            kinds = [k for k, _ in parse_citation(citation)]
            parse_confidence(confidence, kinds)
        except ValueError as exc:
            errors.append(str(exc))

    source = _text(fields.get("source"))
    if not source:
        if user:
            source = "entered by a user"
        else:
            errors.append("source is missing: say where the figure was read")

    ident = _text(fields.get("id"))
    if user and not ident:
        ident = "user-" + _slug(
            " ".join(_text(fields.get(k)) for k in ("study", "arm", "endpoint", "statistic"))
        )
    if not _ID_SLUG.match(ident):
        errors.append(f"id {ident!r} must be a lower-case slug (letters, digits, hyphens)")

    if errors:
        return None, errors
    return (
        Benchmark(
            id=ident,
            study=study,
            arm=arm,
            therapy_class=therapy,
            agent=_text(fields.get("agent")),
            n=n,
            design=design,
            population_sites=sites,
            population_grades=grades,
            line_of_therapy=line,
            progression_required=progression,
            endpoint=endpoint,
            landmark_months=landmark,
            time_origin=origin,
            statistic=statistic,
            value=value,
            value_not_reached=bool(not_reached),
            ci_lower=lo,
            ci_upper=hi,
            unit=unit,
            citation=citation,
            citation_confidence=confidence,
            source=source,
            note=_text(fields.get("note")),
            user_added=user,
        ),
        [],
    )


def validate_registry(df: pd.DataFrame) -> list[str]:
    """Return every problem in a registry frame (empty list: the registry is valid).

    Checks the column set, that ids are unique slugs, that every code is one of the
    enumerations in this module, that each row cites its publication by PMID and/or DOI with
    a stated confidence, that units fit the statistic, that values lie in range, that the
    confidence interval brackets the value, and that not-reached medians carry no value.
    """
    problems: list[str] = []
    missing = [c for c in COLUMNS if c not in df.columns]
    extra = [c for c in df.columns if c not in COLUMNS and c != "user_added"]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected column(s): {', '.join(extra)}")
    if missing:
        return problems
    seen: dict[str, int] = {}
    for i, row in enumerate(df.to_dict(orient="records")):
        ident = _text(row.get("id")) or f"row {i + 1}"
        if ident in seen:
            problems.append(f"{ident}: duplicate id (also row {seen[ident] + 1})")
        seen.setdefault(ident, i)
        record = {k: v for k, v in row.items() if k in COLUMNS}
        _, errors = _parse_fields(record, user=False)
        problems.extend(f"{ident}: {e}" for e in errors)
    return problems


def _read_raw(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def benchmarks_from_frame(df: pd.DataFrame) -> list[Benchmark]:
    """Build :class:`Benchmark` objects from a registry frame; raise ``ValueError`` if invalid."""
    problems = validate_registry(df)
    if problems:
        raise ValueError("invalid benchmark registry:\n" + "\n".join(problems))
    out = []
    for row in df.to_dict(orient="records"):
        user = bool(_flag(row.get("user_added", False), "user_added", [], False))
        record = {k: v for k, v in row.items() if k in COLUMNS}
        bench, _ = _parse_fields(record, user=False)
        assert bench is not None
        if user:
            bench = _replace(bench, user_added=True)
        out.append(bench)
    return out


def _replace(b: Benchmark, **changes: Any) -> Benchmark:
    values = {f: getattr(b, f) for f in b.__dataclass_fields__}
    values.update(changes)
    return Benchmark(**values)


def frame_from_benchmarks(benchmarks: Sequence[Benchmark]) -> pd.DataFrame:
    """A typed frame (one row per benchmark, columns :data:`COLUMNS` + ``user_added``)."""
    df = pd.DataFrame([b.to_record() for b in benchmarks], columns=[*COLUMNS, "user_added"])
    df["n"] = df["n"].astype("Int64")
    for col in ("landmark_months", "value", "ci_lower", "ci_upper"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    df["progression_required"] = df["progression_required"].astype("boolean")
    df["value_not_reached"] = df["value_not_reached"].astype(bool)
    df["user_added"] = df["user_added"].astype(bool)
    return df


def load_registry(path: Path | str = REGISTRY_PATH) -> pd.DataFrame:
    """Read and validate the benchmark registry; return a typed frame.

    Raises ``ValueError`` listing every problem when the file does not validate (see
    :func:`validate_registry`). Numbers are floats (NaN where empty), ``n`` is nullable
    integer, ``progression_required`` nullable boolean; list columns stay ';'-joined codes.
    """
    return frame_from_benchmarks(load_benchmarks(path))


def load_benchmarks(path: Path | str = REGISTRY_PATH) -> list[Benchmark]:
    """Read and validate the registry; return one :class:`Benchmark` per row."""
    return benchmarks_from_frame(_read_raw(Path(path)))


def validate_user_benchmark(fields: Mapping[str, Any]) -> tuple[Benchmark | None, list[str]]:
    """Check a figure typed in by a user; return ``(benchmark, [])`` or ``(None, errors)``.

    The same rules as the registry apply, plus: the citation is required and must be a PMID
    (digits) or DOI (10.xxxx/...), in any common spelling (``doi:``, doi.org link, PubMed
    link), and is stored normalised; the confidence is 'unchecked'; an id is made from the
    study, arm and endpoint when none is given. The result has ``user_added=True``.
    """
    return _parse_fields(fields, user=True)


def find_landmark_partner(benchmark: Benchmark, registry: Iterable[Benchmark]) -> Benchmark | None:
    """The landmark-rate row of the same arm, endpoint and origin as a median row, if any.

    Used to draw a Weibull benchmark curve through both the median and the landmark rate.
    When several landmarks exist the latest is returned (it constrains the tail).
    """
    if benchmark.statistic is not Statistic.MEDIAN or benchmark.value is None:
        return None
    partners = [
        b
        for b in registry
        if b.statistic is Statistic.RATE
        and b.landmark_months is not None
        and b.value is not None
        and b.study == benchmark.study
        and b.arm == benchmark.arm
        and b.endpoint is benchmark.endpoint
        and b.time_origin is benchmark.time_origin
        and b.citation == benchmark.citation
    ]
    if not partners:
        return None
    return max(partners, key=lambda b: b.landmark_months or 0.0)


def overlapping(a: Benchmark, b: Benchmark) -> bool:
    """True when two figures come from publications known to share patients."""
    ids_a = {f"{k} {v}" for k, v in a.identifiers()}
    ids_b = {f"{k} {v}" for k, v in b.identifiers()}
    return any(ids_a & group and ids_b & group for group in OVERLAPPING_PUBLICATIONS) and not (
        ids_a & ids_b
    )


# --------------------------------------------------------------------------------------------
# Comparability
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ComparabilityWarning:
    """Why a benchmark may not be comparable with a cohort view.

    ``code`` is one of :class:`WarningCode`; ``category`` follows from it; ``message`` is a
    complete sentence for the reader.
    """

    code: WarningCode
    category: WarningCategory
    severity: Severity
    message: str

    def to_dict(self) -> dict[str, str]:
        return {
            "code": self.code.value,
            "category": self.category.value,
            "severity": self.severity.value,
            "message": self.message,
        }


def _warn(code: WarningCode, severity: Severity, message: str) -> ComparabilityWarning:
    return ComparabilityWarning(code, WARNING_CATEGORY[code], severity, message)


@dataclass(frozen=True, slots=True)
class CohortView:
    """What the dashboard is currently showing, as far as comparability is concerned.

    ``endpoint`` and ``time_origin`` accept registry codes or the dashboard's
    :class:`core.vocab.methods.Endpoint` / :class:`core.vocab.methods.Origin`. ``primary_sites`` are the
    patient-level primary-site codes present in the view (or :class:`Site` codes);
    ``grades`` the patient-level grades (G1, G2, G3, GX). ``agent`` is the patient-level
    agent code (e.g. ``"i131_mibg"``) and ``route`` ``"IV"`` or ``"IA"``. ``responder_split``
    is true when the view itself splits survival by a response observed after treatment;
    ``scheduled_assessment`` when progression/response were assessed on a fixed protocol
    schedule (a trial), not in routine care. ``citation`` is the cohort's own source (PMID
    and/or DOI) if it was built from a publication.
    """

    endpoint: BenchmarkEndpoint
    time_origin: TimeOrigin = TimeOrigin.TREATMENT_START
    primary_sites: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    line_of_therapy: LineOfTherapy = LineOfTherapy.NOT_REPORTED
    progression_required: bool | None = None
    agent: str | None = None
    route: str | None = None
    responder_split: bool = False
    scheduled_assessment: bool = False
    citation: str = ""

    def __post_init__(self) -> None:
        endpoint = self.endpoint
        if isinstance(endpoint, Endpoint):
            endpoint = APP_ENDPOINT[endpoint]
        origin = self.time_origin
        if isinstance(origin, Origin):
            origin = APP_ORIGIN[origin]
        object.__setattr__(self, "endpoint", BenchmarkEndpoint.parse(endpoint))
        object.__setattr__(self, "time_origin", TimeOrigin.parse(origin))
        object.__setattr__(self, "line_of_therapy", LineOfTherapy.parse(self.line_of_therapy))
        sites = tuple(str(s) for s in self.primary_sites)
        for s in sites:
            if s not in PRIMARY_SITE_GROUPS and s not in Site.codes():
                raise ValueError(f"unknown primary site {s!r}")
        object.__setattr__(self, "primary_sites", sites)
        grades = tuple(str(g) for g in self.grades)
        for g in grades:
            if g not in Grade.codes() and g != UNGRADED_CODE:
                raise ValueError(f"unknown grade {g!r}; allowed: G1, G2, G3, {UNGRADED_CODE}")
        object.__setattr__(self, "grades", grades)
        if self.citation:
            object.__setattr__(self, "citation", normalise_citation(self.citation))


def _site_groups(code: str) -> frozenset[Site]:
    if code in PRIMARY_SITE_GROUPS:
        return PRIMARY_SITE_GROUPS[code]
    return frozenset({Site.parse(code)})


def _labels(members: Iterable[_Labelled]) -> str:
    return ", ".join(m.label for m in members)


_ORIGIN_START = frozenset({TimeOrigin.RANDOMISATION, TimeOrigin.TREATMENT_START})
_ORIGIN_DIAGNOSIS = frozenset({TimeOrigin.DIAGNOSIS, TimeOrigin.METASTATIC_DIAGNOSIS})


def _endpoint_warnings(b: Benchmark, view: CohortView) -> list[ComparabilityWarning]:
    out: list[ComparabilityWarning] = []
    be, ve = b.endpoint, view.endpoint
    bf, vf = ENDPOINT_FAMILY[be], ENDPOINT_FAMILY[ve]
    if be is _E.OTHER or ve is _E.OTHER:
        out.append(
            _warn(
                _W.ENDPOINT_MISMATCH,
                Severity.SERIOUS if be is not ve else Severity.CAUTION,
                "The benchmark's endpoint is not one of the standard definitions (see its "
                "note); check that the view measures the same thing before comparing.",
            )
        )
    elif {be, ve} == {_E.PFS, _E.TTP}:
        out.append(
            _warn(
                _W.PFS_VS_TTP,
                Severity.CAUTION,
                f"The benchmark reports {be.label.split(' (')[0]} and the view shows "
                f"{ve.label.split(' (')[0]}. TTP censors deaths without progression while PFS "
                "counts them as events, so in the same patients a TTP median is at least as "
                "long as the PFS median; the gap grows with the number of deaths before "
                "progression.",
            )
        )
    elif bf != vf:
        out.append(
            _warn(
                _W.ENDPOINT_MISMATCH,
                Severity.SERIOUS,
                f"The benchmark measures {be.label.lower()} but the view shows "
                f"{ve.label.lower()}: different endpoints whose values cannot be set against "
                "each other.",
            )
        )
    elif be is not ve:
        if {be, ve} == {_E.ORR, _E.DCR}:
            detail = (
                "ORR counts complete and partial responses only; disease control also counts "
                "stable disease, so the two rates differ by the stable-disease fraction."
            )
        elif _E.TUMOUR_SHRINKAGE in (be, ve):
            detail = (
                "Any measurable shrinkage is not a RECIST response (which needs at least 30% "
                "shrinkage of the target lesions), so it gives a higher rate."
            )
        else:
            detail = "They count different response categories."
        out.append(
            _warn(
                _W.ENDPOINT_MISMATCH,
                Severity.SERIOUS,
                f"The benchmark reports {be.label.lower()}, the view {ve.label.lower()}. " + detail,
            )
        )
    if bf == vf and bf in (
        "symptomatic_response",
        "biochemical_response",
        "symptomatic_progression",
        "biochemical_progression",
    ):
        kind = "Symptomatic" if bf.startswith("symptomatic") else "Biochemical"
        how = (
            "who judged it, which symptoms counted and which patients form the denominator"
            if kind == "Symptomatic"
            else "which marker (chromogranin A, 5-HIAA), which threshold and which patients "
            "had measurements"
        )
        out.append(
            _warn(
                _W.RESPONSE_DEFINITION,
                Severity.CAUTION,
                f"{kind} response and progression are defined differently in every series "
                f"({how}); read the benchmark's note before reading the difference.",
            )
        )
    if (
        bf in ("imaging_progression", "imaging_response")
        and vf == bf
        and b.design in TRIAL_DESIGNS
        and not view.scheduled_assessment
    ):
        if bf == "imaging_progression":
            message = (
                "The benchmark's progression was assessed on a trial schedule (imaging at fixed "
                "intervals, RECIST, usually with central review); the view's comes from "
                "routine follow-up imaging at irregular intervals, which finds progression "
                "later (lengthening PFS) or not at all once imaging stops."
            )
        else:
            message = (
                "The benchmark's responses were assessed on a trial protocol (scheduled "
                "imaging, usually best overall response with central review); the view's "
                "come from routine follow-up imaging."
            )
        out.append(_warn(_W.ASCERTAINMENT, Severity.CAUTION, message))
    return out


def _origin_warnings(b: Benchmark, view: CohortView) -> list[ComparabilityWarning]:
    if not b.is_time_to_event:
        return []
    bo, vo = b.time_origin, view.time_origin
    if bo is TimeOrigin.NOT_STATED:
        return []  # reported by _benchmark_warnings, view or no view
    if bo is vo:
        return []
    what = f"Benchmark times start at {bo.label.lower()}, the view's at {vo.label.lower()}."
    if {bo, vo} == _ORIGIN_START:
        return [
            _warn(
                _W.ORIGIN_MISMATCH,
                Severity.INFO,
                what + " The gap is usually days to weeks, but events between randomisation "
                "and the first dose count in the trial and not in a treated cohort.",
            )
        ]
    if (bo in _ORIGIN_START and vo in _ORIGIN_DIAGNOSIS) or (
        bo in _ORIGIN_DIAGNOSIS and vo in _ORIGIN_START
    ):
        return [
            _warn(
                _W.ORIGIN_MISMATCH,
                Severity.SERIOUS,
                what + " Time measured from diagnosis includes the years lived before "
                "treatment: from-diagnosis medians are typically 2-4 times longer than "
                "from-treatment medians and must never be set against them.",
            )
        ]
    if {bo, vo} == _ORIGIN_DIAGNOSIS:
        return [
            _warn(
                _W.ORIGIN_MISMATCH,
                Severity.CAUTION,
                what + " Metastatic disease is often found after the first diagnosis, so "
                "times from diagnosis are longer.",
            )
        ]
    if TimeOrigin.LAST_TREATMENT in (bo, vo):
        return [
            _warn(
                _W.ORIGIN_MISMATCH,
                Severity.SERIOUS,
                what + " A clock started at the last administration starts months later for "
                "patients given several treatments (who are also the longer survivors); it is "
                "not comparable with a clock started at the first.",
            )
        ]
    return [
        _warn(
            _W.ORIGIN_MISMATCH,
            Severity.CAUTION,
            what + " See the benchmark's note for how its clock was defined.",
        )
    ]


def _population_warnings(b: Benchmark, view: CohortView) -> list[ComparabilityWarning]:
    out: list[ComparabilityWarning] = []
    bsites = set(b.population_sites)
    # sites
    if not bsites:
        out.append(
            _warn(
                _W.SITES_NOT_REPORTED,
                Severity.INFO,
                "The source does not report the primary sites of its patients.",
            )
        )
    else:
        if bsites <= NON_NET_SITES:
            out.append(
                _warn(
                    _W.NON_NET,
                    Severity.SERIOUS,
                    f"The benchmark population is {_labels(b.population_sites).lower()}, not "
                    "gastroenteropancreatic or lung NETs: a different disease.",
                )
            )
        elif bsites & NON_NET_SITES:
            out.append(
                _warn(
                    _W.NON_NET,
                    Severity.CAUTION,
                    "The benchmark series also includes "
                    f"{_labels(sorted(bsites & NON_NET_SITES, key=Site.codes().index)).lower()}, "
                    "tumours that behave differently from NETs.",
                )
            )
        covered = set(bsites)
        if Site.NET_UNSPECIFIED in bsites:
            covered |= NET_SITES
        if view.primary_sites:
            outside = [s for s in view.primary_sites if not (_site_groups(s) & covered)]
            if outside:
                out.append(
                    _warn(
                        _W.SITES,
                        Severity.CAUTION,
                        "The view includes primary sites the benchmark population did not: "
                        f"{', '.join(outside)} (benchmark: "
                        f"{_labels(b.population_sites).lower()}). Prognosis differs by "
                        "primary site.",
                    )
                )
            view_groups = set().union(*(_site_groups(s) for s in view.primary_sites))
            extra = [
                s
                for s in b.population_sites
                if s not in view_groups and s not in (Site.NET_UNSPECIFIED, Site.OTHER)
            ]
            if extra and not outside:
                out.append(
                    _warn(
                        _W.SITES,
                        Severity.INFO,
                        f"The benchmark population also included {_labels(extra).lower()}, "
                        "which the view does not.",
                    )
                )
        if Site.NET_UNSPECIFIED in bsites:
            out.append(
                _warn(
                    _W.SITES_NOT_REPORTED,
                    Severity.INFO,
                    "The source describes its NETs without reporting their primary sites.",
                )
            )
    # grades
    bgrades = set(b.population_grades)
    vgrades = [g for g in view.grades if g != UNGRADED_CODE]
    if not bgrades:
        out.append(
            _warn(
                _W.GRADES_NOT_REPORTED,
                Severity.INFO,
                "The source does not report WHO grades (many series predate the 2010 grading).",
            )
        )
    elif vgrades:
        outside = sorted({g for g in vgrades if Grade.parse(g) not in bgrades})
        if outside:
            out.append(
                _warn(
                    _W.GRADES,
                    Severity.CAUTION,
                    f"The view includes {', '.join(outside)} tumours; the benchmark enrolled "
                    f"{'-'.join(g.value for g in sorted(bgrades, key=Grade.codes().index))} only. "
                    "Higher grades progress sooner.",
                )
            )
    if bgrades and view.grades and UNGRADED_CODE in view.grades:
        out.append(
            _warn(
                _W.GRADES,
                Severity.INFO,
                "Some patients in the view have no recorded grade (GX), so the grade mix "
                "cannot be fully matched.",
            )
        )
    # line of therapy
    bl, vl = b.line_of_therapy, view.line_of_therapy
    if LineOfTherapy.NOT_REPORTED in (bl, vl):
        if bl is LineOfTherapy.NOT_REPORTED:
            out.append(
                _warn(_W.LINE, Severity.INFO, "The source does not report the line of therapy.")
            )
    elif bl is not vl:
        if LineOfTherapy.FIRST_LINE in (bl, vl):
            if bl is LineOfTherapy.FIRST_LINE:
                first, other, other_line = "benchmark", "view", vl
            else:
                first, other, other_line = "view", "benchmark", bl
            out.append(
                _warn(
                    _W.LINE,
                    Severity.CAUTION,
                    f"The {first} patients were treated first line; the {other} patients "
                    f"were treated at: {other_line.label.lower()}. First-line populations "
                    "have less advanced, less treatment-resistant disease and longer PFS "
                    "and OS.",
                )
            )
        else:
            out.append(
                _warn(
                    _W.LINE,
                    Severity.INFO,
                    f"Line of therapy: benchmark {bl.label.lower()}, view {vl.label.lower()}.",
                )
            )
    # progression at entry
    bp, vp = b.progression_required, view.progression_required
    if bp is not None and vp is not None and bp != vp:
        if bp:
            message = (
                "The benchmark required documented progression before entry; the view's "
                "patients did not need it, so it includes stable, slow-growing disease whose "
                "PFS is longer."
            )
        else:
            message = (
                "The benchmark enrolled patients without requiring progression (many with "
                "stable disease); the view's patients were progressing, so expect shorter PFS."
            )
        out.append(_warn(_W.PROGRESSION_REQUIRED, Severity.CAUTION, message))
    elif bp is not None and vp is None and b.endpoint in TIME_TO_EVENT:
        out.append(
            _warn(
                _W.PROGRESSION_REQUIRED,
                Severity.INFO,
                f"The benchmark {'required' if bp else 'did not require'} progression before "
                "entry; the view does not record whether its patients were progressing.",
            )
        )
    # treatment
    view_class = AGENT_CLASS.get(view.agent or "")
    if view_class is not None and view_class is not b.therapy_class:
        out.append(
            _warn(
                _W.THERAPY,
                Severity.INFO,
                f"The benchmark arm received {b.agent or b.therapy_class.label}, the view's "
                f"patients {AGENT_LABEL.get(view.agent or '', view.agent)}: a difference mixes "
                "the effect of treatment with differences in who was selected for each "
                "treatment.",
            )
        )
    if view.route == "IA" and b.therapy_class in (TherapyClass.MIBG, TherapyClass.PRRT):
        out.append(
            _warn(
                _W.ROUTE,
                Severity.INFO,
                "The view's patients received intra-arterial (hepatic) administration; the "
                "published figure is for intravenous therapy.",
            )
        )
    return out


def _benchmark_warnings(b: Benchmark) -> list[ComparabilityWarning]:
    """Warnings that follow from the benchmark alone, whatever the view."""
    out: list[ComparabilityWarning] = []
    if b.is_time_to_event and b.time_origin is TimeOrigin.NOT_STATED:
        out.append(
            _warn(
                _W.ORIGIN_NOT_STATED,
                Severity.CAUTION,
                "The source does not state where its clock starts (diagnosis, first or last "
                "treatment); the figure may not be on the same time scale as the view.",
            )
        )
    if b.statistic is Statistic.MEAN:
        out.append(
            _warn(
                _W.MEAN_NOT_MEDIAN,
                Severity.SERIOUS,
                "The source reports a mean survival, not a median. A mean of censored times "
                "depends on the length of follow-up and is pulled up by long survivors; it "
                "cannot be compared with a Kaplan-Meier median or turned into a curve.",
            )
        )
    if b.value_not_reached:
        out.append(
            _warn(
                _W.NOT_REACHED,
                Severity.CAUTION,
                "The benchmark median was not reached: more than half the arm was still "
                "event-free at the end of follow-up. It is a censored lower bound, not a "
                "number, so no benchmark curve or test can be built from it.",
            )
        )
    if b.statistic is Statistic.HR:
        out.append(
            _warn(
                _W.HAZARD_RATIO,
                Severity.SERIOUS,
                "A hazard ratio compares two arms of the same study; a single cohort has "
                "nothing to set against it.",
            )
        )
    if b.is_post_baseline_subgroup:
        out.append(
            _warn(
                _W.GUARANTEE_TIME,
                Severity.SERIOUS,
                "This figure splits patients by something observed after treatment began "
                "(response, or further treatments received). Patients must live long enough "
                "to be classed that way (guarantee-time bias), which inflates the survival "
                "of responders; only a landmark or time-dependent analysis is comparable.",
            )
        )
    conf = b.confidence()
    recalled = [k for k, v in conf.items() if v is CitationConfidence.RECALLED]
    if recalled:
        out.append(
            _warn(
                _W.CITATION_RECALLED,
                Severity.INFO,
                f"Citation details recalled rather than seen ({', '.join(recalled)}): check "
                "them before relying on the link.",
            )
        )
    if b.user_added:
        out.append(
            _warn(
                _W.USER_ADDED,
                Severity.INFO,
                "This figure was entered by a user and has not been reviewed.",
            )
        )
    return out


def _view_bias_warnings(b: Benchmark, view: CohortView) -> list[ComparabilityWarning]:
    out: list[ComparabilityWarning] = []
    if view.responder_split:
        out.append(
            _warn(
                _W.GUARANTEE_TIME,
                Severity.SERIOUS,
                "The view splits survival by a response seen after treatment began. Patients "
                "must survive to the assessment to count as responders (guarantee-time bias); "
                "use a landmark analysis from the assessment date.",
            )
        )
    if view.citation:
        view_ids = set(p.strip() for p in view.citation.split(LIST_SEPARATOR))
        bench_ids = {f"{k} {v}" for k, v in b.identifiers()}
        if view_ids & bench_ids:
            out.append(
                _warn(
                    _W.SAME_SOURCE,
                    Severity.INFO,
                    "The benchmark comes from the publication the cohort was built from: this "
                    "is a consistency check, not an external comparison.",
                )
            )
        elif any(view_ids & g and bench_ids & g for g in OVERLAPPING_PUBLICATIONS):
            out.append(
                _warn(
                    _W.OVERLAP,
                    Severity.CAUTION,
                    "The benchmark's series shares patients with the cohort's source "
                    "(same institution and period): the two are not independent and must "
                    "not be pooled.",
                )
            )
    return out


_CATEGORY_ORDER = {c: i for i, c in enumerate(WarningCategory)}


def benchmark_warnings(benchmark: Benchmark) -> list[ComparabilityWarning]:
    """Warnings that hold for a benchmark whatever it is compared with."""
    return sorted(_benchmark_warnings(benchmark), key=lambda w: _CATEGORY_ORDER[w.category])


def comparability(benchmark: Benchmark, view: CohortView) -> list[ComparabilityWarning]:
    """Explain why ``benchmark`` may not be comparable with the cohort ``view``.

    Checks, in order: endpoint (different endpoint; PFS vs TTP; ORR vs disease control;
    differing symptomatic/biochemical definitions; trial-schedule vs routine assessment),
    time origin (randomisation / treatment start vs diagnosis; last vs first treatment;
    origin not stated), population (primary sites, grades, line of therapy, progression
    required at entry, treatment and route), statistic (mean not median, median not reached,
    hazard ratio), bias (guarantee-time bias in responder splits, shared patients) and source
    (figure from the cohort's own publication, recalled citation details, user-added figure).

    Returns warnings grouped by category; an empty list means no known reason for caution.
    """
    warnings = (
        _endpoint_warnings(benchmark, view)
        + _origin_warnings(benchmark, view)
        + _population_warnings(benchmark, view)
        + _benchmark_warnings(benchmark)
        + _view_bias_warnings(benchmark, view)
    )
    return sorted(warnings, key=lambda w: _CATEGORY_ORDER[w.category])


# --------------------------------------------------------------------------------------------
# Benchmark curves
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParametricCurve:
    """A benchmark survival curve S(t) = exp(-H(t)); t in the unit of the figures it came from.

    ``params`` are ``(("rate", λ),)`` for the exponential, H(t) = λt, and
    ``(("shape", k), ("scale", b))`` for the Weibull, H(t) = (t/b)^k (R's ``pweibull``
    parametrisation). ``construction`` says in words how the curve was built.
    """

    kind: CurveKind
    params: tuple[tuple[str, float], ...]
    construction: str

    def param(self, name: str) -> float:
        for key, value in self.params:
            if key == name:
                return value
        raise KeyError(name)

    def cumhaz(self, t: Any) -> Any:
        """Cumulative hazard H(t); zero for t <= 0. Scalars in, float out."""
        arr = np.clip(np.asarray(t, dtype=float), 0.0, None)
        if self.kind is CurveKind.EXPONENTIAL:
            out = self.param("rate") * arr
        else:
            out = (arr / self.param("scale")) ** self.param("shape")
        return float(out) if np.ndim(out) == 0 else out

    def survival(self, t: Any) -> Any:
        """Survival S(t) = exp(-H(t)). Scalars in, float out."""
        h = self.cumhaz(t)
        return math.exp(-h) if isinstance(h, float) else np.exp(-h)

    def median(self) -> float:
        """Time at which S(t) = 0.5."""
        if self.kind is CurveKind.EXPONENTIAL:
            return math.log(2.0) / self.param("rate")
        return self.param("scale") * math.log(2.0) ** (1.0 / self.param("shape"))


def _check_point(t: float, s: float) -> None:
    if not (math.isfinite(t) and t > 0):
        raise ValueError(f"time {t!r} must be positive")
    if not (0.0 < s < 1.0):
        raise ValueError(f"survival {s!r} must lie strictly between 0 and 1")


def exponential_from_point(t: float, s: float, unit: str = "months") -> ParametricCurve:
    """Exponential benchmark curve through one published survival proportion.

    Parameters
    ----------
    t : float
        Landmark time (> 0), in ``unit``.
    s : float
        Survival at ``t``, strictly between 0 and 1 (a proportion, not %).
    unit : str
        Time unit, used only in the ``construction`` text.

    Returns
    -------
    ParametricCurve
        Exponential curve with hazard λ = -ln(s) / t.

    Notes
    -----
    Method: constant hazard matched to one point. R equivalent:
    ``rate <- -log(s) / t; pexp(x, rate, lower.tail = FALSE)``.
    """
    _check_point(t, s)
    rate = -math.log(s) / t
    return ParametricCurve(
        CurveKind.EXPONENTIAL,
        (("rate", rate),),
        f"Exponential (constant hazard) through S({t:g} {unit}) = {s:g}: "
        f"hazard = -ln({s:g}) / {t:g} = {rate:.4g} per {unit[:-1] if unit.endswith('s') else unit}.",
    )


def exponential_from_median(median: float, unit: str = "months") -> ParametricCurve:
    """Exponential benchmark curve with a published median.

    Parameters
    ----------
    median : float
        Published median (> 0), in ``unit``; never a not-reached median.
    unit : str
        Time unit, used only in the ``construction`` text.

    Returns
    -------
    ParametricCurve
        Exponential curve with hazard λ = ln 2 / median.

    Notes
    -----
    Method: constant hazard matched to the median. R equivalent:
    ``rate <- log(2) / median; pexp(x, rate, lower.tail = FALSE)``.
    """
    if not (math.isfinite(median) and median > 0):
        raise ValueError(f"median {median!r} must be positive")
    rate = math.log(2.0) / median
    return ParametricCurve(
        CurveKind.EXPONENTIAL,
        (("rate", rate),),
        f"Exponential (constant hazard) with median {median:g} {unit}: hazard = ln 2 / "
        f"{median:g} = {rate:.4g} per {unit[:-1] if unit.endswith('s') else unit}.",
    )


WEIBULL_SHAPE_RANGE = (0.05, 20.0)
"""Shapes a two-point Weibull may take; outside it the points are implausible (or typos)."""


def weibull_from_two_points(
    p1: tuple[float, float], p2: tuple[float, float], unit: str = "months"
) -> ParametricCurve:
    """Weibull benchmark curve through two points, e.g. a median and a landmark rate.

    Parameters
    ----------
    p1, p2 : tuple of float
        ``(time, survival)`` pairs; times > 0 and different, survivals strictly between 0
        and 1, the later time with the lower survival.
    unit : str
        Time unit, used only in the ``construction`` text.

    Returns
    -------
    ParametricCurve
        Weibull curve S(t) = exp(-(t/b)^k) passing exactly through both points.

    Raises
    ------
    ValueError
        For impossible points, or when the implied shape lies outside
        :data:`WEIBULL_SHAPE_RANGE` (implausible, usually a typing error).

    Notes
    -----
    Method: ln(-ln S(t)) = k ln t - k ln b is linear in ln t, so
    k = [ln(-ln s2) - ln(-ln s1)] / (ln t2 - ln t1) and b = t1 / (-ln s1)^(1/k).
    R equivalent: ``pweibull(x, shape = k, scale = b, lower.tail = FALSE)``.
    """
    (t1, s1), (t2, s2) = p1, p2
    _check_point(t1, s1)
    _check_point(t2, s2)
    if t1 == t2:
        raise ValueError("the two points must be at different times")
    if (t2 - t1) * (s1 - s2) <= 0:
        raise ValueError("survival must fall over time: the later point needs lower survival")
    shape = (math.log(-math.log(s2)) - math.log(-math.log(s1))) / (math.log(t2) - math.log(t1))
    if not WEIBULL_SHAPE_RANGE[0] <= shape <= WEIBULL_SHAPE_RANGE[1]:
        raise ValueError(
            f"the two points imply a Weibull shape of {shape:.3g}, outside "
            f"{WEIBULL_SHAPE_RANGE}: not a plausible survival curve"
        )
    scale = t1 / (-math.log(s1)) ** (1.0 / shape)
    return ParametricCurve(
        CurveKind.WEIBULL,
        (("shape", shape), ("scale", scale)),
        f"Weibull through S({t1:g} {unit}) = {s1:g} and S({t2:g} {unit}) = {s2:g}: "
        f"shape = {shape:.4g}, scale = {scale:.4g} {unit}.",
    )


def curve_for_benchmark(benchmark: Benchmark, landmark: Benchmark | None = None) -> ParametricCurve:
    """The benchmark's survival curve, in months.

    A median with a landmark rate of the same arm gives a Weibull through both; a median alone
    an exponential; a landmark rate alone an exponential through that point. Raises
    ``ValueError`` (with the reason) for a not-reached median, a mean, a hazard ratio or a
    response rate, from which no curve can honestly be drawn.
    """
    b = benchmark
    if not b.is_time_to_event:
        raise ValueError(f"{b.id}: {b.endpoint.label} is not a time-to-event endpoint")
    if b.statistic is Statistic.HR:
        raise ValueError(f"{b.id}: a hazard ratio is a contrast between arms, not a curve")
    if b.statistic is Statistic.MEAN:
        raise ValueError(f"{b.id}: a mean survival time does not define a curve")
    if b.value_not_reached or b.value is None:
        raise ValueError(f"{b.id}: the median was not reached (a lower bound, not a number)")
    if b.statistic is Statistic.MEDIAN:
        if landmark is not None:
            if landmark.value is None or landmark.landmark_months is None:
                raise ValueError(f"{landmark.id}: not a landmark rate")
            return weibull_from_two_points(
                (b.value, 0.5), (landmark.landmark_months, landmark.value / 100.0)
            )
        return exponential_from_median(b.value)
    assert b.landmark_months is not None
    return exponential_from_point(b.landmark_months, b.value / 100.0)


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OneSampleTest:
    """One-sample log-rank test of a cohort against a benchmark curve."""

    method: TestMethod
    observed: int
    expected: float
    ratio: float
    ratio_lower: float
    ratio_upper: float
    statistic: float
    p: float
    """Two-sided p of (O-E)^2/E against chi-square with 1 degree of freedom."""
    p_exact: float
    """Two-sided exact Poisson p for O given mean E (R: ``poisson.test(O, E)$p.value``)."""
    conf_level: float = 0.95


@dataclass(frozen=True, slots=True)
class RateTest:
    """Exact binomial test of a cohort proportion against a benchmark proportion."""

    method: TestMethod
    x: int
    n: int
    p0: float
    rate: float
    ci: tuple[float, float]
    p: float
    ci_method: BinomialCI = BinomialCI.CLOPPER_PEARSON
    conf_level: float = 0.95


def _poisson_two_sided_p(x: int, m: float) -> float:
    """R's ``poisson.test(x, T=m)$p.value``: sum of P(k) <= P(x) * (1 + 1e-7)."""
    if m == 0:
        return 1.0 if x == 0 else 0.0
    rel_err = 1.0 + 1e-7
    d = stats.poisson.pmf(x, m)
    if x == m:
        return 1.0
    if x < m:
        n_hi = math.ceil(2 * m - x)
        while stats.poisson.pmf(n_hi, m) > d:
            n_hi *= 2
        i = np.arange(math.ceil(m), n_hi + 1)
        y = int(np.sum(stats.poisson.pmf(i, m) <= d * rel_err))
        p = stats.poisson.cdf(x, m) + stats.poisson.sf(n_hi - y, m)
    else:
        i = np.arange(0, math.floor(m) + 1)
        y = int(np.sum(stats.poisson.pmf(i, m) <= d * rel_err))
        p = stats.poisson.cdf(y - 1, m) + stats.poisson.sf(x - 1, m)
    return float(min(1.0, p))


def poisson_ratio_ci(
    observed: int, expected: float, conf_level: float = 0.95
) -> tuple[float, float]:
    """Exact Poisson confidence interval for the ratio O/E.

    Parameters
    ----------
    observed : int
        Observed number of events O (>= 0).
    expected : float
        Expected number of events E (> 0).
    conf_level : float
        Confidence level.

    Returns
    -------
    tuple of float
        ``(lower, upper)``.

    Notes
    -----
    Method: Garwood's exact interval from chi-square quantiles,
    lower = qchisq(α/2, 2O) / (2E) (0 when O = 0), upper = qchisq(1 - α/2, 2(O + 1)) / (2E).
    R equivalent: ``poisson.test(O, E)$conf.int``.
    """
    alpha = 1.0 - conf_level
    lower = 0.0 if observed == 0 else stats.chi2.ppf(alpha / 2, 2 * observed) / (2 * expected)
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * (observed + 1)) / (2 * expected)
    return float(lower), float(upper)


def one_sample_logrank(
    time: Any,
    event: Any,
    curve: ParametricCurve,
    entry: Any = None,
    conf_level: float = 0.95,
) -> OneSampleTest:
    """One-sample log-rank test of a cohort against a benchmark survival curve.

    Parameters
    ----------
    time : array_like
        Follow-up time of each patient (event or censoring), in the curve's time unit
        (months for registry curves).
    event : array_like
        1 (or True) for an event, 0 for censoring.
    curve : ParametricCurve
        The benchmark curve; its cumulative hazard H gives the expected events.
    entry : array_like, optional
        Delayed-entry (left-truncation) times, same unit; each at most the exit time.
    conf_level : float
        Confidence level of the O/E interval.

    Returns
    -------
    OneSampleTest
        O, E, O/E with its exact Poisson CI, the statistic (O - E)^2 / E, its chi-square(1)
        p-value ``p`` and the exact two-sided Poisson p-value ``p_exact``.

    Notes
    -----
    Method: O is the number of events; E = Σ_i [H(t_i) - H(entry_i)] is the number expected
    if the cohort followed the benchmark over each patient's own follow-up. The statistic
    (O - E)^2 / E is referred to chi-square with 1 degree of freedom. O/E has the exact
    Poisson interval of :func:`poisson_ratio_ci`. R equivalent: ``E <- sum(H(time) -
    H(entry))``; ``poisson.test(O, E)`` (ratio, CI and ``p_exact``) and
    ``pchisq((O - E)^2 / E, 1, lower.tail = FALSE)`` (``p``).
    """
    t = np.asarray(time, dtype=float)
    ev = np.asarray(event)
    if t.ndim != 1 or t.shape != ev.shape:
        raise ValueError("time and event must be 1-d arrays of the same length")
    if t.size == 0:
        raise ValueError("the cohort is empty")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("times must be finite and non-negative")
    if not np.all(np.isin(ev, (0, 1, True, False))):
        raise ValueError("event must be 0/1 or boolean")
    h = np.asarray(curve.cumhaz(t), dtype=float)
    if entry is not None:
        en = np.asarray(entry, dtype=float)
        if en.shape != t.shape:
            raise ValueError("entry must have the same length as time")
        if not np.all(np.isfinite(en)) or np.any(en < 0) or np.any(en > t):
            raise ValueError("entry times must be finite, non-negative and not after exit")
        h = h - np.asarray(curve.cumhaz(en), dtype=float)
    observed = int(np.sum(ev.astype(bool)))
    expected = float(np.sum(h))
    if expected <= 0:
        raise ValueError("no follow-up time under the benchmark hazard (E = 0)")
    lower, upper = poisson_ratio_ci(observed, expected, conf_level)
    statistic = (observed - expected) ** 2 / expected
    return OneSampleTest(
        method=TestMethod.ONE_SAMPLE_LOGRANK,
        observed=observed,
        expected=expected,
        ratio=observed / expected,
        ratio_lower=lower,
        ratio_upper=upper,
        statistic=float(statistic),
        p=float(stats.chi2.sf(statistic, 1)),
        p_exact=_poisson_two_sided_p(observed, expected),
        conf_level=conf_level,
    )


def binomial_test(x: int, n: int, p0: float, conf_level: float = 0.95) -> RateTest:
    """Exact two-sided binomial test of a cohort proportion against a benchmark proportion.

    Parameters
    ----------
    x : int
        Number of patients with the outcome (0 <= x <= n).
    n : int
        Number of evaluable patients (>= 1).
    p0 : float
        Benchmark proportion in [0, 1] (a proportion, not %).
    conf_level : float
        Confidence level of the Clopper-Pearson interval.

    Returns
    -------
    RateTest
        x, n, p0, the observed rate x/n, its Clopper-Pearson CI and the two-sided p-value.

    Notes
    -----
    Method: the p-value is the total probability, under Binomial(n, p0), of the outcomes no
    more likely than the one observed: the sum of dbinom(k, n, p0) over k with
    dbinom(k) <= dbinom(x) * (1 + 1e-7), R's rule. The CI is Clopper-Pearson:
    qbeta(α/2, x, n - x + 1) to qbeta(1 - α/2, x + 1, n - x). R equivalent:
    ``binom.test(x, n, p0)``.
    """
    if int(n) != n or n < 1:
        raise ValueError("n must be a positive whole number")
    if int(x) != x or not 0 <= x <= n:
        raise ValueError("x must be a whole number between 0 and n")
    if not 0.0 <= p0 <= 1.0:
        raise ValueError("p0 must lie in [0, 1]")
    x, n = int(x), int(n)
    if p0 == 0.0:
        p = 1.0 if x == 0 else 0.0
    elif p0 == 1.0:
        p = 1.0 if x == n else 0.0
    else:
        rel_err = 1.0 + 1e-7
        d = stats.binom.pmf(x, n, p0)
        m = n * p0
        if x == m:
            p = 1.0
        elif x < m:
            i = np.arange(math.ceil(m), n + 1)
            y = int(np.sum(stats.binom.pmf(i, n, p0) <= d * rel_err))
            p = stats.binom.cdf(x, n, p0) + stats.binom.sf(n - y, n, p0)
        else:
            i = np.arange(0, math.floor(m) + 1)
            y = int(np.sum(stats.binom.pmf(i, n, p0) <= d * rel_err))
            p = stats.binom.cdf(y - 1, n, p0) + stats.binom.sf(x - 1, n, p0)
    alpha = 1.0 - conf_level
    lower = 0.0 if x == 0 else float(stats.beta.ppf(alpha / 2, x, n - x + 1))
    upper = 1.0 if x == n else float(stats.beta.ppf(1 - alpha / 2, x + 1, n - x))
    return RateTest(
        method=TestMethod.EXACT_BINOMIAL,
        x=x,
        n=n,
        p0=float(p0),
        rate=x / n,
        ci=(lower, upper),
        p=float(min(1.0, p)),
        conf_level=conf_level,
    )


# --------------------------------------------------------------------------------------------
# Comparisons
# --------------------------------------------------------------------------------------------


def _json_number(x: Any) -> float | int | None:
    if x is None:
        return None
    if isinstance(x, int | np.integer) and not isinstance(x, bool):
        return int(x)
    x = float(x)
    return x if math.isfinite(x) else None


@dataclass(frozen=True, slots=True)
class Comparison:
    """A cohort set against one benchmark: both values, the test and the warnings.

    ``cohort_value``, ``cohort_ci`` and ``benchmark_value`` are in the benchmark's unit
    (months for medians, % for rates). ``test`` is None when no test is possible (e.g. the
    benchmark median was not reached); the warnings then say why.
    """

    benchmark: Benchmark
    cohort_value: float | None
    cohort_ci: tuple[float | None, float | None] | None
    benchmark_value: float | None
    test: OneSampleTest | RateTest | None
    warnings: tuple[ComparabilityWarning, ...]
    curve: ParametricCurve | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict with exactly the keys benchmark, cohort_value, cohort_ci,
        benchmark_value, test (method, observed, expected, ratio, ratio_ci, p) and warnings."""
        test: dict[str, Any] | None
        t = self.test
        if isinstance(t, OneSampleTest):
            test = {
                "method": t.method.value,
                "observed": t.observed,
                "expected": _json_number(t.expected),
                "ratio": _json_number(t.ratio),
                "ratio_ci": [_json_number(t.ratio_lower), _json_number(t.ratio_upper)],
                "p": _json_number(t.p),
            }
        elif isinstance(t, RateTest):
            expected = t.n * t.p0
            test = {
                "method": t.method.value,
                "observed": t.x,
                "expected": _json_number(expected),
                "ratio": _json_number(t.x / expected) if expected > 0 else None,
                "ratio_ci": (
                    [_json_number(t.ci[0] / t.p0), _json_number(t.ci[1] / t.p0)]
                    if t.p0 > 0
                    else [None, None]
                ),
                "p": _json_number(t.p),
            }
        else:
            test = None
        bench = {
            k: (_json_number(v) if isinstance(v, float) else v)
            for k, v in self.benchmark.summary_dict().items()
        }
        bench["ci"] = [_json_number(v) for v in bench["ci"]]
        return {
            "benchmark": bench,
            "cohort_value": _json_number(self.cohort_value),
            "cohort_ci": (
                None
                if self.cohort_ci is None
                else [_json_number(self.cohort_ci[0]), _json_number(self.cohort_ci[1])]
            ),
            "benchmark_value": _json_number(self.benchmark_value),
            "test": test,
            "warnings": [w.to_dict() for w in self.warnings],
        }


def compare_time_to_event(
    benchmark: Benchmark,
    time: Any,
    event: Any,
    *,
    time_unit: TimeUnit | str = TimeUnit.DAYS,
    entry: Any = None,
    view: CohortView | None = None,
    cohort_value: float | None = None,
    cohort_ci: tuple[float | None, float | None] | None = None,
    curve: ParametricCurve | None = None,
    landmark: Benchmark | None = None,
) -> Comparison:
    """Set a cohort's time-to-event data against a published median or landmark rate.

    ``time``/``entry`` are in ``time_unit`` (days by default, as stored) and are converted to
    months. ``cohort_value``/``cohort_ci`` are the cohort's own estimate in the benchmark's
    unit (the Kaplan-Meier median in months, or the survival at the landmark in %), computed
    by the survival engine and passed in. The benchmark curve is ``curve`` if given, else
    built by :func:`curve_for_benchmark` (Weibull when ``landmark`` is given). When no curve
    can be built (median not reached, mean) the comparison carries no test and the warnings
    explain why. Hazard ratios and response rates raise ``ValueError``.
    """
    b = benchmark
    if not b.is_time_to_event:
        raise ValueError(f"{b.id}: {b.endpoint.label} is a response rate; use compare_rate")
    if b.statistic is Statistic.HR:
        raise ValueError(
            f"{b.id}: a hazard ratio compares two trial arms and cannot be tested on one cohort"
        )
    unit = TimeUnit.parse(time_unit)
    factor = TIME_UNIT_DAYS[unit] / DAYS_PER_MONTH
    t_months = np.asarray(time, dtype=float) * factor
    entry_months = None if entry is None else np.asarray(entry, dtype=float) * factor
    warnings = comparability(b, view) if view is not None else benchmark_warnings(b)
    if curve is None:
        try:
            curve = curve_for_benchmark(b, landmark)
        except ValueError:
            curve = None
    test = None if curve is None else one_sample_logrank(t_months, event, curve, entry_months)
    return Comparison(
        benchmark=b,
        cohort_value=cohort_value,
        cohort_ci=cohort_ci,
        benchmark_value=b.value,
        test=test,
        warnings=tuple(warnings),
        curve=curve,
    )


def compare_rate(
    benchmark: Benchmark, x: int, n: int, *, view: CohortView | None = None
) -> Comparison:
    """Set a cohort's response count (x of n) against a published response rate.

    The test is :func:`binomial_test` against the benchmark rate; cohort value and
    Clopper-Pearson CI are returned in %. Landmark survival rates need censoring-aware
    estimates and go through :func:`compare_time_to_event` instead (``ValueError`` here).
    """
    b = benchmark
    if b.statistic is not Statistic.RATE or b.is_time_to_event:
        raise ValueError(
            f"{b.id}: compare_rate takes response rates; "
            + (
                "use compare_time_to_event for landmark survival"
                if b.is_time_to_event
                else f"this row is a {b.statistic.label.lower()}"
            )
        )
    assert b.value is not None
    test = binomial_test(x, n, b.value / 100.0)
    warnings = comparability(b, view) if view is not None else benchmark_warnings(b)
    return Comparison(
        benchmark=b,
        cohort_value=100.0 * test.rate,
        cohort_ci=(100.0 * test.ci[0], 100.0 * test.ci[1]),
        benchmark_value=b.value,
        test=test,
        warnings=tuple(warnings),
    )


__all__ = [
    "AGENT_CLASS",
    "APP_ENDPOINT",
    "APP_ORIGIN",
    "COLUMNS",
    "ENDPOINT_FAMILY",
    "OVERLAPPING_PUBLICATIONS",
    "PRIMARY_SITE_GROUPS",
    "REGISTRY_PATH",
    "STATISTIC_UNIT",
    "TIME_TO_EVENT",
    "WEIBULL_SHAPE_RANGE",
    "Benchmark",
    "BenchmarkEndpoint",
    "CitationConfidence",
    "CohortView",
    "ComparabilityWarning",
    "Comparison",
    "CurveKind",
    "Design",
    "Grade",
    "LineOfTherapy",
    "OneSampleTest",
    "ParametricCurve",
    "RateTest",
    "Severity",
    "Site",
    "Statistic",
    "TestMethod",
    "TherapyClass",
    "TimeOrigin",
    "Unit",
    "WarningCategory",
    "WarningCode",
    "benchmark_warnings",
    "benchmarks_from_frame",
    "binomial_test",
    "comparability",
    "compare_rate",
    "compare_time_to_event",
    "curve_for_benchmark",
    "exponential_from_median",
    "exponential_from_point",
    "find_landmark_partner",
    "frame_from_benchmarks",
    "load_benchmarks",
    "load_registry",
    "normalise_citation",
    "one_sample_logrank",
    "overlapping",
    "parse_citation",
    "parse_confidence",
    "poisson_ratio_ci",
    "validate_registry",
    "validate_user_benchmark",
    "weibull_from_two_points",
]
