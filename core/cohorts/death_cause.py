"""The import rule for ``death_cause`` that spans two fields.

A cause of death given for a patient recorded alive (``os_event`` = 0) contradicts the file:
it is an error naming the column, the row and this rule, and the owner fixes the file. A death
without a cause is accepted and counts as unknown. The importer's cross-field checks
(:mod:`core.cohorts.importer`, ``_cross_checks``) apply it as SQL over the staged rows.
"""

from __future__ import annotations

RULE = "a cause of death is given for a patient recorded alive (os_event = 0)"
