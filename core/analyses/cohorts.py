"""The cohorts in a database as one viewer may see them (Overview cards, ``cohorts`` command).

A whole imported cohort is a count of real patients: in protected mode an imported cohort
smaller than the threshold is shown as '<11'. Synthetic and published cohorts are exempt and
keep their exact size.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.analyses.disclosure import Disclosure, Mode, disclosure_for
from core.data.db import list_cohorts
from core.vocab.methods import Provenance
from core.vocab.schema import FIELD_PROVENANCE, PATIENTS, CohortInfo

COHORTS_FILE = Path(__file__).resolve().parents[2] / "data" / "cohorts.json"
"""The default cohorts' specification, with each field's provenance."""

_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})*(?![\w.,]\d)")


@dataclass(frozen=True, slots=True)
class CohortCard:
    info: CohortInfo
    disclosure: Disclosure

    @property
    def n(self) -> int | None:
        """The cohort's size, or None when withheld."""
        n = self.info.n_patients
        return None if self.disclosure.hidden(n) else n

    @property
    def n_text(self) -> str:
        n = self.info.n_patients
        return self.disclosure.show(n) if self.disclosure.hidden(n) else f"{n:,}"

    @property
    def description(self) -> str:
        """The cohort's description with any count below the threshold shown as '<11'
        (the importer writes the numbers of patients and administrations into it)."""
        d = self.disclosure
        if not d.active:
            return self.info.description
        return _NUMBER.sub(
            lambda m: (
                d.show(int(m.group(0).replace(",", "")))
                if d.hidden(int(m.group(0).replace(",", "")))
                else m.group(0)
            ),
            self.info.description,
        )

    @property
    def fields(self) -> dict[str, str]:
        """Each patient field's provenance in this cohort (reported / derived / synthetic)."""
        return field_provenance(self.info)

    def json(self) -> dict[str, Any]:
        data = {k: getattr(self.info, k) for k in CohortInfo.__dataclass_fields__ if k != "extra"}
        data["description"] = self.description
        data["n_patients"] = self.n
        data["n_patients_text"] = self.n_text
        data["field_provenance"] = self.fields
        data["disclosure"] = self.disclosure.json()
        return data


def cohort_cards(infos: list[CohortInfo], mode: Mode = Mode.PROTECTED) -> tuple[CohortCard, ...]:
    """One card per cohort, each with the disclosure of that cohort alone."""
    return tuple(CohortCard(c, disclosure_for([c], Mode(mode))) for c in infos)


def cohorts(
    path: Path | str | None = None, *, mode: Mode = Mode.PROTECTED
) -> tuple[CohortCard, ...]:
    """The cohorts of the database as ``mode`` may see them."""
    return cohort_cards(list_cohorts(path), mode)


@lru_cache(maxsize=4)
def _declared(path: Path) -> dict[str, tuple[str, dict[str, str]]]:
    """cohort_id -> (provenance, {field: provenance}) as data/cohorts.json declares them."""
    spec = json.loads(path.read_text())
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for meta in spec["cohorts"]:
        decl = dict(meta.get("field_provenance", {}))
        default = decl.pop("default", "synthetic")
        fields = dict.fromkeys(PATIENTS, default)
        for kind, names in decl.items():
            for name in names:
                hits = [f for f in PATIENTS if f.startswith(name[:-1])] if name[-1] == "*" else []
                for f in hits or [name]:
                    if f not in PATIENTS or kind not in FIELD_PROVENANCE:
                        raise ValueError(f"{meta['cohort_id']}: bad field provenance {f}={kind}")
                    fields[f] = kind
        out[meta["cohort_id"]] = (meta["provenance"], fields)
    return out


def field_provenance(info: CohortInfo, path: Path = COHORTS_FILE) -> dict[str, str]:
    """Each patient field's provenance in cohort ``info``: reported, derived or synthetic.

    An imported cohort's fields are all reported (they come from the file). A default cohort's
    are declared in data/cohorts.json; any other synthetic cohort's are all synthetic, and any
    other published-cases cohort's all reported.
    """
    prov = Provenance.parse(info.provenance)
    declared = _declared(Path(path)).get(info.cohort_id)
    if declared is not None and declared[0] == prov.value:
        return dict(declared[1])
    kind = "synthetic" if prov is Provenance.SYNTHETIC else "reported"
    return dict.fromkeys(PATIENTS, kind)


def unreported(field: str, infos: list[CohortInfo]) -> dict[str, list[str]]:
    """For ``field``: provenance -> the cohorts in ``infos`` where it is not reported."""
    out: dict[str, list[str]] = {}
    for info in infos:
        kind = field_provenance(info).get(field, "reported")
        if kind != "reported":
            out.setdefault(kind, []).append(info.cohort_id)
    return out
