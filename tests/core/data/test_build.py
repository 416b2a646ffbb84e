"""Database build, determinism, read-only access and failure messages."""

from __future__ import annotations

import duckdb
import pytest

from core.data import db
from core.data.build import build_default
from core.data.filters import Filters
from core.data.queries import patients_frame, treatments_frame


def test_build_is_deterministic(default_db, tmp_path):
    again = build_default(tmp_path / "again.duckdb")
    first = {c.cohort_id: c.data_version for c in db.list_cohorts(default_db)}
    second = {c.cohort_id: c.data_version for c in db.list_cohorts(again)}
    assert first == second
    assert set(first) == {"pgep-mibg-211", "stage4-unselected-50", "nguyen-2004", "ia-hepatic-6"}


def test_connection_is_read_only(default_db):
    with pytest.raises(duckdb.Error):
        db.cursor(default_db).execute("DELETE FROM patients")


def test_missing_database_gives_a_clear_message(tmp_path):
    with pytest.raises(db.DatabaseUnavailable, match="does not exist") as info:
        db.list_cohorts(tmp_path / "none.duckdb")
    assert "python -m core build" in info.value.hint


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 100])
def test_corrupt_database_gives_a_clear_message(tmp_path, content):
    p = tmp_path / "bad.duckdb"
    p.write_bytes(content)
    with pytest.raises(db.DatabaseUnavailable) as info:
        db.list_cohorts(p)
    assert "--force" in info.value.hint


def test_truncated_database_gives_a_clear_message(default_db, tmp_path):
    p = tmp_path / "trunc.duckdb"
    p.write_bytes(default_db.read_bytes()[:20000])
    with pytest.raises(db.DatabaseUnavailable):
        db.list_cohorts(p)


def test_storage_version_is_pinned(default_db):
    con = duckdb.connect(str(default_db), read_only=True)
    tags = con.execute("SELECT tags FROM duckdb_databases() WHERE NOT internal").fetchone()[0]
    con.close()
    assert tags["storage_version"].startswith(db.STORAGE_VERSION)


def test_ia_hepatic_cases_are_as_published(default_db):
    f = Filters(cohorts=("ia-hepatic-6",))
    pts = patients_frame(f, path=default_db).set_index("patient_id")
    tx = treatments_frame(f, path=default_db)
    assert len(tx) == 11 and set(tx.activity_mbq) == {7400.0}
    assert list(pts.n_treatments) == [3, 1, 1, 3, 2, 1]
    deaths = pts[pts.os_event == 1].os_days.to_dict()
    assert deaths == {"ia-02": 49, "ia-03": 63, "ia-05": 213}  # 7 wk, 9 wk, 7 months
    assert pts.followup_approximated.sum() == 4
    assert pts.age.isna().all()


def test_generator_scales(tmp_path):
    from core.cohorts.generator import generate_pgep

    frames = generate_pgep(n=5000, seed=3)
    p = frames.patients
    assert len(p) == 5000 and p.patient_id.is_unique
    assert abs((p.primary_site == "small_bowel").mean() - 67 / 211) < 0.001
    assert (p.pfs_imaging_days.dropna() <= p.os_days[p.pfs_imaging_days.notna()]).all()
    assert len(frames.treatments) == p.n_treatments.sum()


def test_child_tables_follow_filters_on_shared_column_names(default_db):
    """route and agent exist in patients and treatments: filtering on them must work."""
    from core.data.queries import adverse_events_frame, case_notes_frame

    f = Filters(cohorts=("ia-hepatic-6",), route=("IA",), agent=("i131_mibg",))
    assert len(treatments_frame(f, path=default_db)) == 11
    assert len(adverse_events_frame(f, path=default_db)) == 4
    assert len(case_notes_frame(f, path=default_db)) == 6
    none = Filters(cohorts=("ia-hepatic-6",), route=("IV",))
    assert len(treatments_frame(none, path=default_db)) == 0


def test_an_unreadable_database_is_set_aside_not_deleted(tmp_path):
    from core.data.build import set_aside

    p = tmp_path / "cohorts.duckdb"
    p.write_bytes(b"damaged")
    kept = set_aside(p)
    assert not p.exists() and kept.read_bytes() == b"damaged"
    assert kept.name.startswith("cohorts.duckdb.damaged-")
    assert set_aside(p) is None


def test_every_field_of_every_default_cohort_has_a_provenance(default_db):
    """Issue 19 item 8: each field of a built cohort says whether it is reported, derived from
    published figures, or synthetic (grade in pgep-mibg-211: the paper reports none)."""
    from core.analyses.cohorts import field_provenance
    from core.vocab.schema import FIELD_PROVENANCE, PATIENTS

    infos = {c.cohort_id: c for c in db.list_cohorts(default_db)}
    for info in infos.values():
        fields = field_provenance(info)
        assert set(fields) == set(PATIENTS)
        assert set(fields.values()) <= set(FIELD_PROVENANCE)
    pgep = field_provenance(infos["pgep-mibg-211"])
    assert pgep["grade"] == "synthetic" and pgep["index_year"] == "synthetic"
    assert pgep["primary_site"] == "reported" and pgep["met_liver"] == "reported"
    assert pgep["sex"] == "derived"  # counts from the printed percentages
    assert field_provenance(infos["stage4-unselected-50"])["grade"] == "synthetic"
    assert field_provenance(infos["ia-hepatic-6"])["primary_site"] == "reported"


def test_an_imported_cohort_reports_every_field_even_under_a_default_cohort_id(default_db):
    from dataclasses import replace

    from core.analyses.cohorts import field_provenance

    pgep = next(c for c in db.list_cohorts(default_db) if c.cohort_id == "pgep-mibg-211")
    imported = replace(pgep, provenance="imported")
    assert set(field_provenance(imported).values()) == {"reported"}
    other = replace(pgep, cohort_id="synth-500")  # a generated cohort not in cohorts.json
    assert set(field_provenance(other).values()) == {"synthetic"}
