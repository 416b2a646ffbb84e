"""Login gate: open without [auth]; with [auth], login prompt, allow-list, refusal."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.analyses.access import AccessPolicy
from tests.app.conftest import ROOT

AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "0123456789abcdef0123456789abcdef-test",
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
    at = _app({"is_logged_in": True, "email": email, "email_verified": True})
    assert not at.exception
    assert any(s.value.startswith("Baseline") for s in at.subheader)


@pytest.mark.parametrize("verified", [False, None])
def test_unverified_address_is_refused_even_on_the_allow_list(verified):
    user = {"is_logged_in": True, "email": "chair@tumourboard.org"}
    if verified is not None:
        user["email_verified"] = verified
    at = _app(user)
    assert not at.exception
    assert "not verified" in at.error[0].value
    assert not at.dataframe and not at.subheader


@pytest.mark.parametrize(
    "secret",
    [
        "a long random string: python -c 'import secrets; print(secrets.token_hex(32))'",
        "short-secret",
    ],
)
def test_example_or_short_cookie_secret_refuses_to_start(secret):
    """With the example secret anyone could sign a login cookie: nothing is served."""
    secrets = {**AUTH, "auth": {**AUTH["auth"], "cookie_secret": secret}}
    at = _app(
        {"is_logged_in": True, "email": "chair@tumourboard.org", "email_verified": True}, secrets
    )
    assert not at.exception
    assert "will not start" in at.error[0].value
    assert not at.dataframe and not at.subheader and not at.button


def test_the_shipped_example_secret_is_the_one_refused():
    import tomllib

    example = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text())
    assert AccessPolicy.from_secrets(example).problem


def test_user_outside_the_allow_list_is_refused():
    at = _app({"is_logged_in": True, "email": "someone@elsewhere.com", "email_verified": True})
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
