"""Who may use a hosted instance: the login requirement and the e-mail allow-list.

Pure logic, read from the app's secrets (``.streamlit/secrets.toml``): when an ``[auth]``
section is configured the app requires an OIDC login (Streamlit's ``st.login``); an optional
``[access]`` section restricts it to listed e-mail addresses and/or domains. Without ``[auth]``
the app is open, as when run locally.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    login_required: bool = False
    allowed_emails: frozenset[str] = frozenset()
    allowed_domains: frozenset[str] = frozenset()

    @classmethod
    def from_secrets(cls, secrets: Mapping[str, Any] | None) -> AccessPolicy:
        secrets = secrets or {}
        auth = secrets.get("auth")
        access = secrets.get("access") or {}
        return cls(
            login_required=bool(auth),
            allowed_emails=frozenset(e.strip().lower() for e in access.get("allowed_emails", [])),
            allowed_domains=frozenset(
                d.strip().lower().lstrip("@") for d in access.get("allowed_domains", [])
            ),
        )

    @property
    def restricted(self) -> bool:
        return bool(self.allowed_emails or self.allowed_domains)

    def allows(self, email: str | None) -> bool:
        """True when a logged-in user with this e-mail may use the app."""
        if not self.login_required:
            return True
        if not email:
            return False
        email = email.strip().lower()
        if not self.restricted:
            return True
        domain = email.rpartition("@")[2]
        return email in self.allowed_emails or domain in self.allowed_domains
