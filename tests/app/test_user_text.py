"""User text is shown as text: a cohort title cannot load an image or make a link (issue 18).

The attack: import a cohort titled ``![x](http://evil.example/p.png) [c](http://evil.example)``;
before the fix, the Overview card rendered it as markdown, so every viewer's browser fetched
the image from the attacker's host and saw a link. Now every markdown element that carries
the title shows the characters, escaped.
"""

from __future__ import annotations

import re
import shutil

import pytest

from core.cli import main
from core.data.db import DB_ENV, close_all
from tests.app.conftest import ROOT, run_page

HOSTILE = "![x](http://evil.example/p.png) [c](http://evil.example) :red[x] $x^2$"
# unescaped markdown that would act: an image or link opener, a bare URL scheme, a directive
ACTIVE = re.compile(r"(?<!\\)!(?<!\\)\[|(?<!\\)\]\(|https?://|(?<!\\):red|(?<!\\)\$")


@pytest.fixture
def hostile_db(app_db, tmp_path, monkeypatch):
    db = tmp_path / "cohorts.duckdb"
    shutil.copy(app_db, db)
    code = main(
        [
            "import",
            str(ROOT / "data" / "import_example.csv"),
            "--cohort",
            "evil",
            "--title",
            HOSTILE,
            "--db",
            str(db),
        ]
    )
    assert code == 0
    close_all()
    monkeypatch.setenv(DB_ENV, str(db))
    return db


def _markdown_bodies(at) -> list[str]:
    bodies = [el.value for el in at.markdown] + [el.value for el in at.caption]
    return [str(b) for b in bodies]


def test_plain_escapes_every_active_character():
    from pages._ui import plain

    shown = plain(HOSTILE)
    assert not ACTIVE.search(shown), shown
    # every character of the original is still there, in order
    assert re.sub(r"\\(.)", r"\1", shown) == HOSTILE


def test_overview_card_shows_a_markdown_title_as_text(hostile_db):
    at = run_page("pages/overview.py")
    assert not at.exception
    bodies = _markdown_bodies(at)
    carrying = [b for b in bodies if "evil" in b]
    assert carrying, "the hostile title should be shown (as text)"
    for body in carrying:
        assert not ACTIVE.search(body), body
