"""The Import page's sentences about a cohort that was in the database (removed or replaced),
with its size as this viewer may see it: '<11' for a small imported cohort in protected mode,
as in the cohort list (docs/PRIVACY.md). The import's own new count is the uploader's file and
stays exact."""

from __future__ import annotations

from core.analyses.cohorts import cohort_cards
from core.cohorts.importer import DeleteReport, ImportReport
from core.vocab.schema import CohortInfo
from pages._access import mode


def size_text(cohort_id: str, provenance: str, n_patients: int) -> str:
    """A cohort's size as the viewer may see it (the analysis layer decides)."""
    info = CohortInfo(cohort_id, "", "", provenance, "", n_patients, "")
    return cohort_cards([info], mode())[0].n_text


def import_summary(report: ImportReport) -> str:
    """The commit's summary; a replaced cohort's earlier size as the viewer may see it."""
    if not report.ok or report.replaced_n is None:
        return report.summary()
    before = size_text(report.cohort_id, report.replaced_provenance, report.replaced_n)
    return report.summary(before)


def delete_summary(report: DeleteReport) -> str:
    """The removal's summary with the removed cohort's size as the viewer may see it."""
    return report.summary(size_text(report.cohort_id, report.provenance, report.n_patients))
