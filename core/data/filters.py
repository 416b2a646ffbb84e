"""The patient filter: one frozen value that gives SQL, parameters, a sentence and a URL.

``Filters`` is the only way a selection reaches the database. ``where()`` returns a SQL
fragment whose identifiers come from the schema allow-list and whose values are all ``?``
parameters; ``describe()`` gives the one-line English description shown on every caption;
``to_query_params()``/``from_query_params()`` round-trip through a URL, dropping anything
untrusted with a notice instead of raising.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from core.vocab.schema import COHORT_ID_RE, PATIENTS, PRIOR_THERAPIES, column

CODE_FILTERS: tuple[str, ...] = ("primary_site", "grade", "route", "agent", "sex")
"""Fields filtered by a set of codes, in the order they are described."""

PRIOR_CODES: dict[str, str] = {name.removeprefix("prior_"): name for name, _ in PRIOR_THERAPIES}
"""URL code -> column: surgery -> prior_surgery, ..."""

AGE_RANGE = (0, 90)
"""Ages are stored capped at 90 ('90 or older'), so a bound above 90 means nothing."""
TREATMENT_RANGE = (1, 50)


@dataclass(frozen=True, slots=True)
class Filters:
    """A patient selection. Empty tuples and ``None`` bounds mean "no restriction"."""

    cohorts: tuple[str, ...] = ()
    primary_site: tuple[str, ...] = ()
    grade: tuple[str, ...] = ()
    route: tuple[str, ...] = ()
    agent: tuple[str, ...] = ()
    sex: tuple[str, ...] = ()
    age_min: int | None = None
    age_max: int | None = None
    treatments_min: int | None = None
    treatments_max: int | None = None
    prior_yes: tuple[str, ...] = ()
    """Prior-therapy codes (surgery, radiation, ...) the patient must have had."""
    prior_no: tuple[str, ...] = ()
    """Prior-therapy codes the patient must not have had."""

    # ------------------------------------------------------------------ SQL
    def where(self) -> tuple[str, list[Any]]:
        """Return ``(sql, params)``: a WHERE condition on ``patients`` and its bound values."""
        parts: list[str] = []
        params: list[Any] = []
        if self.cohorts:
            parts.append(f"{column('cohort_id')} IN ({', '.join('?' * len(self.cohorts))})")
            params.extend(self.cohorts)
        for name in CODE_FILTERS:
            values = getattr(self, name)
            if values:
                # coded fields are ENUMs: compare their integer positions (bound), which is
                # several times faster than comparing text on large cohorts
                codes = PATIENTS[name].codes
                parts.append(f"enum_code({column(name)}) IN ({', '.join('?' * len(values))})")
                params.extend(codes.index(v) for v in values)
        for col, lo, hi in (
            ("age", self.age_min, self.age_max),
            ("n_treatments", self.treatments_min, self.treatments_max),
        ):
            if lo is not None:
                parts.append(f"{column(col)} >= ?")
                params.append(lo)
            if hi is not None:
                parts.append(f"{column(col)} <= ?")
                params.append(hi)
        for codes, truth in ((self.prior_yes, True), (self.prior_no, False)):
            for code in codes:
                parts.append(f"{column(PRIOR_CODES[code])} IS NOT DISTINCT FROM ?")
                params.append(truth)
        return (" AND ".join(parts) if parts else "TRUE"), params

    # ------------------------------------------------------------ English
    def describe(self, n: int | str | None = None) -> str:
        """One line, e.g. ``pgep-mibg-211 · small bowel · G1-G2 · IV · n=67``."""
        bits: list[str] = ["+".join(self.cohorts) if self.cohorts else "all cohorts"]
        for name in CODE_FILTERS:
            values = getattr(self, name)
            if not values:
                continue
            if name == "grade":
                bits.append(_grade_span(values))
            elif name == "route":
                bits.append("/".join(values))
            else:
                f = PATIENTS[name]
                bits.append(", ".join(f.label_of(v).lower() for v in values))
        if self.age_min is not None or self.age_max is not None:
            bits.append(_range_text("age", self.age_min, self.age_max, " y"))
        if self.treatments_min is not None or self.treatments_max is not None:
            bits.append(_range_text("treatments", self.treatments_min, self.treatments_max, ""))
        if self.prior_yes:
            bits.append("prior " + ", ".join(self.prior_yes))
        if self.prior_no:
            bits.append("no prior " + ", ".join(self.prior_no))
        if n is not None:
            bits.append(f"n={n}")
        return " · ".join(bits)

    # ---------------------------------------------------------------- URL
    def to_query_params(self) -> dict[str, str]:
        """Non-default fields as URL query parameters (lists comma-joined)."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value in ((), None):
                continue
            out[_URL_KEYS[f.name]] = ",".join(value) if isinstance(value, tuple) else str(value)
        return out

    @classmethod
    def from_query_params(
        cls, params: Mapping[str, Any], valid_cohorts: Iterable[str] | None = None
    ) -> tuple[Filters, list[str]]:
        """Parse untrusted query parameters; return the filter and a notice per dropped value."""
        notices: list[str] = []
        values: dict[str, Any] = {}
        cohort_set = set(valid_cohorts) if valid_cohorts is not None else None
        for f in fields(cls):
            key = _URL_KEYS[f.name]
            if key not in params:
                continue
            raw = _as_text_list(params[key])
            if f.name in ("cohorts", "prior_yes", "prior_no", *CODE_FILTERS):
                kept, dropped = [], []
                for v in raw:
                    if f.name == "cohorts":
                        ok = bool(COHORT_ID_RE.match(v)) and (cohort_set is None or v in cohort_set)
                    elif f.name in ("prior_yes", "prior_no"):
                        ok = v in PRIOR_CODES
                    else:
                        ok = v in PATIENTS[f.name].codes
                    if ok and v not in kept:
                        kept.append(v)
                    elif not ok:
                        dropped.append(v)
                for v in dropped:
                    notices.append(f"Ignored {key}={_shown(v)}: {_rule(f.name)}.")
                if kept:
                    values[f.name] = tuple(kept)
            else:
                lo, hi = AGE_RANGE if f.name.startswith("age") else TREATMENT_RANGE
                text = raw[0] if raw else ""
                for extra in raw[1:]:
                    notices.append(f"Ignored {key}={_shown(extra)}: {key} takes one number.")
                try:
                    number = int(text)
                except ValueError:
                    notices.append(f"Ignored {key}={_shown(text)}: not a whole number.")
                    continue
                if not lo <= number <= hi:
                    notices.append(f"Ignored {key}={number}: outside {lo}-{hi}.")
                    continue
                values[f.name] = number
        result = cls(**values)
        for a, b, key in (
            ("age_min", "age_max", "age"),
            ("treatments_min", "treatments_max", "treatments"),
        ):
            lo, hi = getattr(result, a), getattr(result, b)
            if lo is not None and hi is not None and lo > hi:
                notices.append(f"Ignored the {key} range {lo}-{hi}: minimum above maximum.")
                result = replace(result, **{a: None, b: None})
        both = set(result.prior_yes) & set(result.prior_no)
        if both:
            notices.append(
                "Ignored prior-therapy codes asked both with and without: "
                + ", ".join(sorted(both))
            )
            result = replace(
                result,
                prior_yes=tuple(c for c in result.prior_yes if c not in both),
                prior_no=tuple(c for c in result.prior_no if c not in both),
            )
        return result, notices

    def with_cohorts(self, cohorts: Iterable[str]) -> Filters:
        return replace(self, cohorts=tuple(cohorts))


_URL_KEYS: dict[str, str] = {
    "cohorts": "cohort",
    "primary_site": "primary_site",
    "grade": "grade",
    "route": "route",
    "agent": "agent",
    "sex": "sex",
    "age_min": "age_min",
    "age_max": "age_max",
    "treatments_min": "treatments_min",
    "treatments_max": "treatments_max",
    "prior_yes": "prior",
    "prior_no": "no_prior",
}
URL_KEYS: frozenset[str] = frozenset(_URL_KEYS.values())


def _as_text_list(value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in items:
        out.extend(part.strip() for part in str(item).split(",") if part.strip())
    return out


def _shown(value: str) -> str:
    """Echo an untrusted value safely in a notice: bounded length, printable."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in value)
    return repr(clean[:40] + ("…" if len(clean) > 40 else ""))


def _rule(name: str) -> str:
    if name == "cohorts":
        return "not a cohort in this database"
    if name in ("prior_yes", "prior_no"):
        return "not a prior-therapy code (" + ", ".join(PRIOR_CODES) + ")"
    return f"not a {PATIENTS[name].label.lower()} code (" + ", ".join(PATIENTS[name].codes) + ")"


def _grade_span(values: tuple[str, ...]) -> str:
    order = PATIENTS["grade"].codes
    idx = sorted(order.index(v) for v in values)
    numeric = [i for i in idx if order[i] != "GX"]
    if len(numeric) == len(idx) and len(idx) > 1 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{order[idx[0]]}-{order[idx[-1]]}"
    return "/".join(order[i] for i in idx)


def _range_text(name: str, lo: int | None, hi: int | None, unit: str) -> str:
    if lo is not None and hi is not None:
        return f"{name} {lo}-{hi}{unit}"
    if lo is not None:
        return f"{name} ≥{lo}{unit}"
    return f"{name} ≤{hi}{unit}"
