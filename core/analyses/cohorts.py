"""The cohorts in a database as one viewer may see them (Overview cards, ``cohorts`` command).

A whole imported cohort is a count of real patients: in protected mode an imported cohort
smaller than the threshold is shown as '<11'. Synthetic and published cohorts are exempt and
keep their exact size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.analyses.disclosure import Disclosure, Mode, disclosure_for
from core.data.db import list_cohorts
from core.vocab.schema import CohortInfo

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

    def json(self) -> dict[str, Any]:
        data = {k: getattr(self.info, k) for k in CohortInfo.__dataclass_fields__ if k != "extra"}
        data["description"] = self.description
        data["n_patients"] = self.n
        data["n_patients_text"] = self.n_text
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
