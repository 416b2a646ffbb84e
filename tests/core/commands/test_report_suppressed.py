"""PNG export of a view whose every group is suppressed, and of a 52/8-style split (issue 18).

The crash: ``report --by sex`` on an imported cohort split 52/8 failed in the PNG export, and
so did a view where protection hides every group (nothing to draw). Each case must write a
valid PNG and SVG, exit 0, and show no count below the threshold.
"""

from __future__ import annotations

import shutil

import pytest

from core.cli import main
from core.data.db import close_all
from core.present import export
from tests.app.conftest import ROOT


@pytest.fixture(scope="module")
def imported(default_db, tmp_path_factory):
    db = tmp_path_factory.mktemp("supp") / "cohorts.duckdb"
    shutil.copy(default_db, db)
    # the example's rows under other ids and without its provenance line: imported as real
    text = (ROOT / "data" / "import_example.csv").read_text(encoding="utf-8")
    rows = [line.replace("ex0", "rw0") for line in text.splitlines() if not line.startswith("#")]
    real = db.parent / "real40.csv"
    real.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["import", str(real), "--cohort", "real40", "--db", str(db)]) == 0
    close_all()
    return db


@pytest.mark.parametrize(
    "extra",
    [
        ["--by", "sex"],
        ["--by", "grade"],
        ["--by", "primary_site", "--filter", "age_min=65"],  # every group under the threshold
        ["--filter", "age_min=65", "--by", "sex"],
    ],
)
def test_png_export_of_suppressed_views(imported, tmp_path, extra, capsys):
    out = tmp_path / "r"
    code = main(["report", "--db", str(imported), "--cohort", "real40", "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Small-cell protection" in (out / "results.txt").read_text(encoding="utf-8") + err
    png = (out / "km.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and min(export.png_size(png)) > 100
    assert (out / "km.svg").read_text(encoding="utf-8").lstrip().startswith("<")
