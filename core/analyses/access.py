"""Who may use a hosted instance: the login requirement and the e-mail allow-list.

Pure logic, read from the app's secrets (``.streamlit/secrets.toml``): when an ``[auth]``
section is configured the app requires an OIDC login (Streamlit's ``st.login``); an optional
``[access]`` section restricts it to listed e-mail addresses and/or domains, and names who may
import data (``importers``): uploads are patient files, so with ``[auth]`` on only a verified
address on that list sees the Import page at all. Without ``[auth]`` the app is open, as when
run locally, and whoever runs it may import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

EXAMPLE_COOKIE_SECRET = (
    "a long random string: python -c 'import secrets; print(secrets.token_hex(32))'"
)
"""The placeholder in ``.streamlit/secrets.toml.example``: anyone who has read it could sign
login cookies, so an instance configured with it refuses to start."""
MIN_COOKIE_SECRET = 32


def cookie_secret_problem(auth: Mapping[str, Any] | None) -> str:
    """Why the ``[auth]`` section's cookie secret is unsafe ('' when it is fine)."""
    if not auth:
        return ""
    secret = str(auth.get("cookie_secret", ""))
    if secret.strip() == EXAMPLE_COOKIE_SECRET or "random string" in secret:
        return (
            "[auth] cookie_secret is still the example from secrets.toml.example: anyone could "
            "forge a login. Set a random secret (python -c 'import secrets; "
            "print(secrets.token_hex(32))')."
        )
    if len(secret) < MIN_COOKIE_SECRET:
        return (
            f"[auth] cookie_secret is shorter than {MIN_COOKIE_SECRET} characters: set a random "
            "secret (python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    return ""


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    login_required: bool = False
    allowed_emails: frozenset[str] = frozenset()
    allowed_domains: frozenset[str] = frozenset()
    importers: frozenset[str] = frozenset()
    """Verified addresses that may import (upload) data when login is required."""
    problem: str = ""
    """A configuration error that must stop the instance ('' when none)."""

    @classmethod
    def from_secrets(cls, secrets: Mapping[str, Any] | None) -> AccessPolicy:
        secrets = secrets or {}
        auth = secrets.get("auth")
        access = secrets.get("access") or {}
        return cls(
            problem=cookie_secret_problem(auth) if isinstance(auth, Mapping) else "",
            login_required=bool(auth),
            allowed_emails=frozenset(e.strip().lower() for e in access.get("allowed_emails", [])),
            allowed_domains=frozenset(
                d.strip().lower().lstrip("@") for d in access.get("allowed_domains", [])
            ),
            importers=frozenset(e.strip().lower() for e in access.get("importers", [])),
        )

    @property
    def restricted(self) -> bool:
        return bool(self.allowed_emails or self.allowed_domains)

    def allows(self, email: str | None, verified: bool = True) -> bool:
        """True when a logged-in user with this e-mail may use the app.

        An address the identity provider has not verified (``email_verified`` false or absent)
        is refused: anyone can type someone else's address at some providers.
        """
        if not self.login_required:
            return True
        if not email or not verified:
            return False
        email = email.strip().lower()
        if not self.restricted:
            return True
        domain = email.rpartition("@")[2]
        return email in self.allowed_emails or domain in self.allowed_domains

    def may_import(self, email: str | None, verified: bool = True) -> bool:
        """True when this user may upload and import patient files.

        Open (no login): yes, whoever runs the app locally. With login: only a user the app
        admits (:meth:`allows`) whose verified address is on ``[access] importers``; no list
        means nobody imports through the web page (the command line still can).
        """
        if not self.login_required:
            return True
        if not self.allows(email, verified) or not email:
            return False
        return email.strip().lower() in self.importers
