"""The Survival page's URL contract: a survival view <-> query parameters.

The counterpart of :meth:`core.data.filters.Filters.to_query_params` for the analysis spec:
one definition of every key, its default and its range, used by the Survival page's controls
(``pages/_survival_controls.py``), by ``python -m core report`` for its share link, and by
anything else that writes or reads a link to a survival view. Defaults are left out of a link.
Display-only keys (``unit``, ``bands``, ``medline``) belong to the page and are not part of a
:class:`~core.analyses.survival.SurvivalSpec`; their defaults are declared here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from core.analyses.survival import GROUPINGS, SurvivalSpec
from core.vocab.methods import ConfType, Endpoint, Origin

DEFAULT = SurvivalSpec()
LANDMARK_DEFAULT = 3.0
LANDMARK_RANGE = (0.5, 60.0)
TIMES_RANGE = (0.5, 240.0)
RMST_RANGE = (1.0, 240.0)
PAGE_DEFAULTS: dict[str, str] = {"unit": "months", "bands": "1", "medline": "0"}
"""Display-only keys of the page and their defaults."""
KEYS: tuple[str, ...] = (
    "endpoint", "origin", "by", "ci", "lt", "lm", "lm_months", "times", "rmst", "na",
    *PAGE_DEFAULTS,
)  # fmt: skip
"""Every query key of the Survival page besides the patient filter's."""


def _num(x: float) -> str:
    return f"{x:g}"


def to_query_params(spec: SurvivalSpec) -> dict[str, str]:
    """The view's non-default spec values as query parameters."""
    q: dict[str, str] = {}
    if spec.endpoint is not DEFAULT.endpoint:
        q["endpoint"] = spec.endpoint.value
    if spec.origin is not DEFAULT.origin:
        q["origin"] = spec.origin.value
    if spec.by:
        q["by"] = spec.by
    if spec.conf_type is not DEFAULT.conf_type:
        q["ci"] = spec.conf_type.value
    if not spec.left_truncation:
        q["lt"] = "0"
    if spec.landmark_months is not None:
        q["lm"] = "1"
        if spec.landmark_months != LANDMARK_DEFAULT:
            q["lm_months"] = _num(spec.landmark_months)
    if spec.times_months != DEFAULT.times_months:
        q["times"] = ",".join(_num(t) for t in spec.times_months)
    if spec.rmst_months != DEFAULT.rmst_months and spec.rmst_months is not None:
        q["rmst"] = _num(spec.rmst_months)
    if not spec.include_not_assessed:
        q["na"] = "0"
    return q


def _number(raw: str, lo: float, hi: float) -> float | None:
    try:
        x = float(raw)
    except ValueError:
        return None
    return x if lo <= x <= hi else None


def from_query_params(params: Mapping[str, str]) -> tuple[SurvivalSpec, list[str]]:
    """Parse untrusted query parameters into a spec; a notice per value dropped."""
    spec, notices = DEFAULT, []

    def drop(key: str, rule: str) -> None:
        notices.append(f"Ignored {key}={str(params[key])[:40]!r}: {rule}.")

    choices = (("endpoint", Endpoint), ("origin", Origin), ("ci", ConfType))
    fields = {"endpoint": "endpoint", "origin": "origin", "ci": "conf_type"}
    for key, enum in choices:
        if key in params:
            if params[key] in enum.codes():
                spec = replace(spec, **{fields[key]: enum.parse(params[key])})
            else:
                drop(key, "not one of " + ", ".join(enum.codes()))
    if "by" in params and params["by"] != "none":
        if params["by"] in GROUPINGS:
            spec = replace(spec, by=params["by"])
        else:
            drop("by", "not a grouping")
    if params.get("lt") == "0":
        spec = replace(spec, left_truncation=False)
    if params.get("na") == "0":
        spec = replace(spec, include_not_assessed=False)
    if params.get("lm") == "1":
        lm = LANDMARK_DEFAULT
        if "lm_months" in params:
            got = _number(params["lm_months"], *LANDMARK_RANGE)
            if got is None:
                drop("lm_months", "a number of months from 0.5 to 60")
            else:
                lm = got
        spec = replace(spec, landmark_months=lm)
    if "times" in params:
        parts = [_number(t, *TIMES_RANGE) for t in str(params["times"]).split(",") if t.strip()]
        if parts and all(p is not None for p in parts):
            spec = replace(spec, times_months=tuple(sorted(set(parts))))
        else:
            drop("times", "months from 0.5 to 240, comma-separated")
    if "rmst" in params:
        got = _number(params["rmst"], *RMST_RANGE)
        if got is None:
            drop("rmst", "a number of months from 1 to 240")
        else:
            spec = replace(spec, rmst_months=got)
    return spec, notices
