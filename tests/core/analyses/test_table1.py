"""Table 1 on pgep-mibg-211 reproduces seed 002's Tables 1 and 2 count by count."""

from __future__ import annotations

import pytest

from core.analyses.table1 import table1
from core.data.filters import Filters
from core.data.queries import patients_frame

# (row key, published count, published percentage as printed) -- seed 002, Tables 1 and 2.
# Counts that the paper prints only as percentages of 211 are the integers that round to them.
PUBLISHED = [
    ("sex=male", 105, 50),
    ("sex=female", 106, 50),
    ("race=white", 181, 86),
    ("race=black", 30, 14),
    ("treatments=single", 171, 81),
    ("treatments=multiple", 40, 19),
    ("treatments=2", 32, 15),
    ("treatments=3", 7, 3),
    ("primary_site=unknown", 83, None),
    ("primary_site=small_bowel", 67, None),
    ("primary_site=lung", 22, None),
    ("primary_site=colon", 6, None),
    ("primary_site=cecum", 5, None),
    ("primary_site=stomach", 5, None),
    ("primary_site=rectum", 5, None),
    ("primary_site=appendix", 4, None),
    ("primary_site=pancreas", 4, None),
    ("primary_site=mesentery", 4, None),
    ("primary_site=thymus", 3, None),
    ("primary_site=heart", 1, None),
    ("primary_site=ovary", 1, None),
    ("primary_site=retroperitoneum", 1, None),
    ("met_liver", 183, None),
    ("met_bone", 41, None),
    ("met_lung", 40, None),
    ("met_peritoneum", 29, None),
    ("met_mediastinum", 17, None),
    ("met_mesentery", 8, None),
    ("met_adnexa", 6, None),
    ("met_pancreas", 6, None),
    ("met_adrenal", 4, None),
    ("met_kidney", 3, None),
    ("met_skin", 2, None),
    ("met_bladder", 1, None),
    ("met_stomach", 1, None),
    ("met_gallbladder", 1, None),
    ("met_muscle", 1, None),
    ("met_orbit", 1, None),
    ("met_spleen", 1, None),
    ("prior_surgery", 133, 63),
    ("prior_radiation", 21, 10),
    ("prior_embolization", 13, 6),
    ("prior_chemo", 57, 27),
    ("prior_ssa", 152, 72),
    ("post_chemo", 40, 19),
    ("post_embolization", 11, 5),
    ("post_surgery", 6, 3),
    ("post_radiation", 8, 4),
]


@pytest.fixture(scope="module")
def t1(default_db):
    return table1(patients_frame(Filters(cohorts=("pgep-mibg-211",)), path=default_db))


@pytest.mark.parametrize(("key", "count", "pct"), PUBLISHED)
def test_every_published_count(t1, key, count, pct):
    cell = t1.cell(key)
    assert cell.n == count
    if pct is not None:
        assert round(cell.pct) == pct


def test_one_patient_had_four_treatments(t1):
    assert t1.cell("treatments=4").n == 1


def test_age_mean_and_sd(t1):
    cell = t1.cell("age")
    assert round(cell.mean) == 59 and round(cell.sd) == 12


def test_first_activity_median_and_iqr(t1):
    cell = t1.cell("first_activity_mbq")
    assert (cell.median, cell.q1, cell.q3) == (18500, 11359, 18870)


def test_prior_surgery_radiation_or_chemo_is_64_percent(default_db):
    df = patients_frame(Filters(cohorts=("pgep-mibg-211",)), path=default_db)
    union = (df.prior_surgery | df.prior_radiation | df.prior_chemo).sum()
    assert union == 135 and round(100 * union / 211) == 64


def test_split_groups_sum_to_total(default_db):
    df = patients_frame(Filters(cohorts=("pgep-mibg-211",)), path=default_db)
    t = table1(df, "sex")
    assert t.groups == ("All", "Female", "Male")
    assert t.group_n["Female"] + t.group_n["Male"] == 211
    assert t.cell("race=white", "Female").n + t.cell("race=white", "Male").n == 181


def test_missing_values_get_their_own_row(default_db):
    df = patients_frame(Filters(cohorts=("ia-hepatic-6",)), path=default_db)
    t = table1(df)
    assert (t.cell("sex=female").n, t.cell("sex=unknown").n) == (3, 3)
    assert t.cell("race=unknown").n == 6
    assert t.cell("route=IA").n == 6
    assert t.cell("age").n is None  # ages are not reported by the poster


# ------------------------------------------------------------------ disclosure attacks
# An imported cohort built by code (tests/core/analyses/_small_cohort.py) with small groups;
# every attack reads only what Table 1 shows (its frame/JSON) and the table's structure.
import re  # noqa: E402

import numpy as np  # noqa: E402

from core.analyses.disclosure import Mode  # noqa: E402
from core.analyses.table1 import baseline_table  # noqa: E402
from tests.core.analyses import _small_cohort as sc  # noqa: E402


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    from core.data.db import close_all

    path = sc.build(tmp_path_factory.mktemp("t1priv") / "small.duckdb")
    yield path
    close_all()


def _shown(text: str) -> int | None:
    m = re.match(r"^(\d+)( \(|$)", text)
    return int(m.group(1)) if m else None


def _pct_denominator(text: str) -> int | None:
    """The denominator a reader gets from 'n (p%)': the integer closest to n * 100 / p."""
    m = re.match(r"^(\d+) \(([\d.]+)%\)$", text)
    if not m or float(m.group(2)) == 0:
        return None
    return round(int(m.group(1)) * 100 / float(m.group(2)))


def _attack(exact, shown) -> list[tuple[str, int]]:
    """Every hidden count a reader can solve for from the shown table (linear algebra over the
    table's additive structure, written independently of the suppression code): cells shown,
    column sizes shown, and denominators read off percentages are the knowns."""
    groups = list(exact.groups)
    splits = [g for g in groups if g != "All"]
    var: dict[tuple, int] = {}
    truth: list[int] = []

    def v(key, g, value):
        if (key, g) not in var:
            var[(key, g)] = len(truth)
            truth.append(int(value))
        return var[(key, g)]

    eqs: list[dict[int, float]] = []
    rhs: list[float] = []
    known: dict[int, int] = {}
    for g in groups:
        v("n", g, exact.group_n[g])
        if shown.group_n[g] is not None:
            known[var[("n", g)]] = shown.group_n[g]
    fams: dict[str, list] = {}
    for r in exact.rows:
        if r.kind != "continuous":
            fams.setdefault(r.family, []).append(r)
    for fam, rows in fams.items():
        for g in groups:
            for r in rows:
                i = v(r.key, g, r.cells[g].n)
                s = _shown(shown.cell(r.key, g).text())
                if s is not None:
                    known[i] = s
            if rows[0].kind == "flag":
                r = rows[0]
                c = r.cells[g]
                no = v(r.key + ":no", g, c.known - c.n)
                miss = v(r.key + ":miss", g, exact.group_n[g] - c.known)
                eqs.append({var[(r.key, g)]: 1, no: 1, miss: 1, var[("n", g)]: -1})
                rhs.append(0)
                den = _pct_denominator(shown.cell(r.key, g).text())
                if den is not None:  # yes + no = denominator
                    eqs.append({var[(r.key, g)]: 1, no: 1})
                    rhs.append(den)
                continue
            top = [r for r in rows if r.kind in ("level", "missing")]
            miss_row = next((r for r in rows if r.kind == "missing"), None)
            eq = {var[(r.key, g)]: 1 for r in top}
            if miss_row is None:
                miss = v(fam + ":miss", g, exact.group_n[g] - top[0].cells[g].known)
                eq[miss] = 1
            else:
                miss = var[(miss_row.key, g)]
            eq[var[("n", g)]] = -1
            eqs.append(eq)
            rhs.append(0)
            subs = [r for r in rows if r.kind == "sub"]
            if subs:
                eq = {var[(r.key, g)]: 1 for r in subs}
                eq[var[("treatments=multiple", g)]] = -1
                eqs.append(eq)
                rhs.append(0)
            for r in rows:
                if r.kind == "missing":
                    continue
                den = _pct_denominator(shown.cell(r.key, g).text())
                if den is not None:  # n_g - missing = denominator
                    eqs.append({var[("n", g)]: 1, miss: -1})
                    rhs.append(den)
    if splits:
        keys = {k for k, _ in var}
        for k in keys:
            eq = {var[(k, g)]: 1 for g in splits}
            eq[var[(k, "All")]] = -1
            eqs.append(eq)
            rhs.append(0)
    n = len(truth)
    a = np.zeros((len(eqs), n))
    b = np.array(rhs, dtype=float)
    for j, eq in enumerate(eqs):
        for i, c in eq.items():
            a[j, i] += c
    for i, value in known.items():
        assert truth[i] == value, "a shown count differs from the exact one"
        b -= a[:, i] * value
        a[:, i] = 0
    unknown = [i for i in range(n) if i not in known]
    au = a[:, unknown]
    _, s, vt = np.linalg.svd(au)
    rank = int((s > 1e-9).sum())
    null = vt[rank:].T  # columns span the null space
    names = {i: k for k, i in var.items()}
    solved = []
    for j, i in enumerate(unknown):
        if np.abs(null[j]).max(initial=0) < 1e-9 and 0 < truth[i] < sc.T:
            solved.append((names[i], truth[i]))
    return solved


@pytest.mark.parametrize("split", [None, "sex", "grade", "race", "n_treatments_group"])
def test_no_hidden_count_can_be_solved_for(small_db, split):
    f = Filters(cohorts=(sc.REAL,))
    exact = baseline_table(f, split, mode=Mode.EXACT, path=small_db)
    shown = baseline_table(f, split, path=small_db)
    assert shown.disclosure.active and not exact.disclosure.active
    assert _attack(exact, shown) == []
    # the attack works: against primary suppression alone it solves hidden counts
    assert _attack(exact, _primary_only(exact)) != []


def _primary_only(t):
    """The exact table with only the counts below the threshold hidden (the old rule)."""
    from dataclasses import replace

    from core.analyses.table1 import Cell

    rows = []
    for r in t.rows:
        cells = {
            g: Cell(hidden="<11") if c.n is not None and 0 < c.n < sc.T and r.kind != "continuous"
            else c
            for g, c in r.cells.items()
        }  # fmt: skip
        rows.append(replace(r, cells=cells))
    sizes = {g: (None if 0 < n < sc.T else n) for g, n in t.group_n.items()}
    return replace(t, rows=tuple(rows), group_n=sizes)


def test_split_column_against_all_reveals_nothing(small_db):
    # every man and 6 of 36 women had prior surgery: "All" minus "Male" would be the 6
    f = Filters(cohorts=(sc.REAL,))
    t = baseline_table(f, "sex", path=small_db)
    female = t.cell("prior_surgery", "Female").text()
    male = t.cell("prior_surgery", "Male").text()
    total = t.cell("prior_surgery").text()
    assert female == "<11"
    assert _shown(total) is None or _shown(male) is None


def test_a_small_split_column_is_hidden_whole_with_a_complementary_one(small_db):
    t = baseline_table(Filters(cohorts=(sc.REAL,)), "grade", path=small_db)
    sizes = {g: t.size_text(g) for g in t.groups}
    assert sizes["G3"] == "<11" and sizes["GX (not assessed)"] == "<11"
    assert sizes["G2"] == "suppressed" and sizes["All"] == "80" and sizes["G1"] == "62"
    for g in ("G2", "G3", "GX (not assessed)"):
        assert all(_shown(r.cells[g].text()) is None for r in t.rows), g
    assert set(t.to_frame().columns) >= {"G2 (n=suppressed)", "G3 (n=<11)"}


def test_single_is_not_derivable_from_multiple(small_db):
    # 72 single, 8 multiple (6 x 2, 2 x 3): n minus a shown "Single" would give the 8
    t = baseline_table(Filters(cohorts=(sc.REAL,)), path=small_db)
    assert t.cell("treatments=multiple").text() == "<11"
    assert _shown(t.cell("treatments=single").text()) is None


def test_hidden_missing_is_not_derivable_from_percentages(small_db):
    # race: white 60, black 15, missing 5: "60 (80.0%)" would give a denominator of 75
    t = baseline_table(Filters(cohorts=(sc.REAL,)), path=small_db)
    assert t.cell("race=missing").text() == "<11"
    for key in ("race=white", "race=black"):
        assert _pct_denominator(t.cell(key).text()) is None
    # liver metastases yes 70, no 5, unknown 5: no percentage, no count
    assert _pct_denominator(t.cell("met_liver").text()) is None


def test_exact_mode_and_synthetic_data_suppress_nothing(small_db):
    f = Filters(cohorts=(sc.REAL,))
    exact = baseline_table(f, "grade", mode=Mode.EXACT, path=small_db)
    assert exact.cell("grade=G3").n == 4 and exact.size_text("G3") == "4"
    assert exact.cell("treatments=single", "All").text() == "72 (90.0%)"
    assert exact.disclosure.json()["mode"] == "exact"
    synth = baseline_table(Filters(cohorts=(sc.SYNTH,)), "grade", path=small_db)
    assert not synth.disclosure.active
    assert not any("<11" in str(x) for x in synth.to_frame().to_numpy().ravel())


def test_protected_statistics_equal_exact_ones(small_db):
    f = Filters(cohorts=(sc.REAL,))
    exact = baseline_table(f, "sex", mode=Mode.EXACT, path=small_db)
    shown = baseline_table(f, "sex", path=small_db)
    for r in shown.rows:
        for g, c in r.cells.items():
            e = exact.cell(r.key, g)
            if c.n is not None:
                assert c.n == e.n
            if c.pct is not None:
                assert c.pct == e.pct
            if c.mean is not None:
                assert (c.mean, c.median) == (e.mean, e.median)


def test_a_small_imported_selection_is_refused(small_db):
    t = baseline_table(Filters(cohorts=(sc.TINY,)), path=small_db)
    assert t.refused and t.rows == () and "fewer than 11" in t.refusal
    exact = baseline_table(Filters(cohorts=(sc.TINY,)), mode=Mode.EXACT, path=small_db)
    assert not exact.refused and exact.group_n["All"] == 8


def _cli(capsys, *argv) -> tuple[int, str]:
    from core.cli import main

    rc = main(list(argv))
    return rc, capsys.readouterr().out


def test_table1_cli_json_carries_the_mode_and_no_small_count(small_db, capsys):
    import json

    rc, out = _cli(capsys, "table1", "--cohort", sc.REAL, "--db", str(small_db), "--by", "grade",
                   "--json")  # fmt: skip
    assert rc == 0
    data = json.loads(out)
    assert data["disclosure"] == {"mode": "protected", "threshold": 11, "real_data": True}
    sizes = {g["label"]: (g["n"], g["n_text"]) for g in data["groups"]}
    assert sizes["G3"] == (None, "<11") and sizes["All"] == (80, "80")
    for row in data["rows"]:
        for cell in row["cells"].values():
            assert cell["n"] is None or cell["n"] == 0 or cell["n"] >= sc.T, (row["key"], cell)
    rc, out = _cli(capsys, "table1", "--cohort", sc.REAL, "--db", str(small_db), "--json",
                   "--disclosure", "exact")  # fmt: skip
    exact = json.loads(out)
    assert exact["disclosure"]["mode"] == "exact"
    cells = {r["key"]: r["cells"]["All"]["n"] for r in exact["rows"]}
    assert cells["treatments=multiple"] == 8 and cells["race=missing"] == 5


def test_table1_cli_text_states_the_mode_and_refuses_small_selections(small_db, capsys):
    rc, out = _cli(capsys, "table1", "--cohort", sc.REAL, "--db", str(small_db))
    assert rc == 0 and "Protected figures: counts below 11 withheld" in out
    assert re.search(r"(?<![\w.,])([1-9]|10) \(", out) is None
    rc, out = _cli(capsys, "table1", "--cohort", sc.TINY, "--db", str(small_db))
    assert rc == 0 and "fewer than 11" in out and "n=8" not in out


def test_cohorts_command_shows_a_small_imported_cohort_as_less_than_11(small_db, capsys):
    import json

    rc, out = _cli(capsys, "cohorts", "--db", str(small_db))
    assert rc == 0
    lines = {ln.split()[0]: ln for ln in out.splitlines() if not ln.startswith("note:")}
    assert "n=<11" in lines[sc.TINY] and "n=80" in lines[sc.REAL]
    assert "n=211" in lines[sc.SYNTH]  # synthetic cohorts keep their size
    rc, out = _cli(capsys, "cohorts", "--db", str(small_db), "--json")
    by_id = {c["cohort_id"]: c for c in json.loads(out)}
    assert by_id[sc.TINY]["n_patients"] is None and by_id[sc.TINY]["n_patients_text"] == "<11"
    assert by_id[sc.TINY]["disclosure"]["threshold"] == 11
    assert by_id[sc.SYNTH]["n_patients"] == 211
    rc, out = _cli(capsys, "cohorts", "--db", str(small_db), "--json", "--disclosure", "exact")
    by_id = {c["cohort_id"]: c for c in json.loads(out)}
    assert by_id[sc.TINY]["n_patients"] == 8
    assert by_id[sc.TINY]["disclosure"]["mode"] == "exact"


def test_an_imported_cohort_description_does_not_give_its_small_size():
    # the importer writes "8 patients, 0 administrations" into the description
    from core.analyses.cohorts import cohort_cards
    from core.vocab.schema import CohortInfo

    text = "Imported by a user: 8 patients, 12 administrations, 1,234 rows. Version 3.5"
    info = CohortInfo("tiny", "Tiny", text, "imported", "", 8, "1")
    (card,) = cohort_cards([info])
    assert card.description == (
        "Imported by a user: <11 patients, 12 administrations, 1,234 rows. Version 3.5"
    )
    assert card.json()["description"] == card.description and card.n_text == "<11"
    (exact,) = cohort_cards([info], Mode.EXACT)
    assert exact.description == text and exact.n_text == "8"
