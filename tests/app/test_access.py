"""Login gate: open without [auth]; with [auth], login prompt, allow-list, refusal."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.analyses.access import AccessPolicy
from tests.app.conftest import ROOT

AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-secret",
        "client_id": "x",
        "client_secret": "y",
        "server_metadata_url": "https://example.org/.well-known/openid-configuration",
    },
    "access": {"allowed_emails": ["chair@tumourboard.org"], "allowed_domains": ["hospital.org"]},
}


def _app(user: dict | None, secrets: dict | None = AUTH) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if secrets:
        at.secrets.update(secrets)
    if user is not None:
        at.user = user
    return at.run()


def test_open_without_auth_section():
    at = _app(None, secrets=None)
    assert not at.exception
    assert at.title[0].value == "NET Outcomes Explorer"
    assert any(s.value.startswith("Baseline") for s in at.subheader)


def test_unauthenticated_sees_only_the_login_prompt():
    at = _app({"is_logged_in": False})
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"]
    assert not at.subheader and not at.dataframe and not at.multiselect


@pytest.mark.parametrize("email", ["a.person@hospital.org", "Chair@TumourBoard.org"])
def test_allowed_user_sees_the_app(email):
    at = _app({"is_logged_in": True, "email": email})
    assert not at.exception
    assert any(s.value.startswith("Baseline") for s in at.subheader)


def test_user_outside_the_allow_list_is_refused():
    at = _app({"is_logged_in": True, "email": "someone@elsewhere.com"})
    assert not at.exception
    assert "not allowed" in at.error[0].value
    assert not at.dataframe


@pytest.mark.parametrize(
    ("secrets", "email", "allowed"),
    [
        ({}, None, True),
        ({"auth": {"x": 1}}, None, False),
        ({"auth": {"x": 1}}, "anyone@x.org", True),
        ({"auth": {"x": 1}, "access": {"allowed_domains": ["@h.org"]}}, "a@h.org", True),
        ({"auth": {"x": 1}, "access": {"allowed_domains": ["h.org"]}}, "a@evil-h.org", False),
        ({"auth": {"x": 1}, "access": {"allowed_emails": ["a@b.org"]}}, "b@b.org", False),
    ],
)
def test_policy(secrets, email, allowed):
    assert AccessPolicy.from_secrets(secrets).allows(email) is allowed
