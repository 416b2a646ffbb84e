"""A small, real OpenID Connect provider for the end-to-end login test (standard library only,
plus ``cryptography`` for RS256, which Authlib already requires).

Run it as its own process: ``python -m tests.e2e.oidc_provider --port 0 --client-id ID
--client-secret S`` prints ``READY <port>`` on stdout once it listens on 127.0.0.1. It serves
the discovery document, ``/authorize`` (the authorization-code flow: it signs in the *current
test user* at once, without a form, and redirects back with a code), ``/token`` (checks the
client's secret, the code, its redirect URI and PKCE when used, and returns an RS256-signed ID
token carrying the nonce), ``/jwks``, ``/userinfo`` and ``/logout``. The test chooses who signs
in next with ``POST /_test/user`` (JSON ``{"email": ..., "email_verified": ...}``) and reads
what happened at ``GET /_test/log``.

It is a test double of an identity provider, not one to deploy: no consent, no real users.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class Provider:
    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(4)
        self.user: dict[str, Any] = {"email": "someone@hospital.org", "email_verified": True}
        self.codes: dict[str, dict[str, Any]] = {}
        self.log: list[str] = []
        self.lock = threading.Lock()
        self.issuer = ""

    def jwk(self) -> dict[str, str]:
        numbers = self.key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": _int_b64(numbers.n),
            "e": _int_b64(numbers.e),
        }

    def sign(self, claims: dict[str, Any]) -> str:
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = (
            _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
        ).encode("ascii")
        signature = self.key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return signing_input.decode("ascii") + "." + _b64(signature)

    def metadata(self) -> dict[str, Any]:
        i = self.issuer
        return {
            "issuer": i,
            "authorization_endpoint": f"{i}/authorize",
            "token_endpoint": f"{i}/token",
            "userinfo_endpoint": f"{i}/userinfo",
            "jwks_uri": f"{i}/jwks",
            "end_session_endpoint": f"{i}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "email", "email_verified", "name"],
        }


def make_handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt: str, *args: Any) -> None:  # keep the test output quiet
            with provider.lock:
                provider.log.append(fmt % args)

        def _json(self, obj: Any, status: int = 200) -> None:
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            if self.headers.get("Content-Type", "").startswith("application/json"):
                return json.loads(raw or "{}")
            return {k: v[0] for k, v in parse_qs(raw).items()}

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self._json(provider.metadata())
            elif url.path == "/jwks":
                self._json({"keys": [provider.jwk()]})
            elif url.path == "/authorize":
                self._authorize(query)
            elif url.path == "/userinfo":
                self._json({"sub": provider.user["email"], **provider.user})
            elif url.path == "/logout":
                target = query.get("post_logout_redirect_uri", "/")
                self.send_response(302)
                self.send_header("Location", target)
                self.end_headers()
            elif url.path == "/_test/log":
                self._json(provider.log)
            else:
                self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            if url.path == "/token":
                self._token(self._form())
            elif url.path == "/_test/user":
                provider.user = dict(self._form())
                self._json(provider.user)
            else:
                self._json({"error": "not_found"}, 404)

        def _authorize(self, q: dict[str, str]) -> None:
            if q.get("client_id") != provider.client_id or q.get("response_type") != "code":
                self._json({"error": "unauthorized_client"}, 400)
                return
            code = secrets.token_urlsafe(24)
            provider.codes[code] = {
                "redirect_uri": q.get("redirect_uri", ""),
                "nonce": q.get("nonce"),
                "challenge": q.get("code_challenge"),
                "user": dict(provider.user),
                "expires": time.time() + 60,
            }
            provider.log.append(f"authorize {provider.user.get('email')}")
            params = {"code": code}
            if "state" in q:
                params["state"] = q["state"]
            self.send_response(302)
            self.send_header("Location", f"{q.get('redirect_uri')}?{urlencode(params)}")
            self.end_headers()

        def _client_ok(self, form: dict[str, str]) -> bool:
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                cid, _, sec = base64.b64decode(auth[6:]).decode().partition(":")
            else:
                cid, sec = form.get("client_id", ""), form.get("client_secret", "")
            return cid == provider.client_id and sec == provider.client_secret

        def _token(self, form: dict[str, str]) -> None:
            if not self._client_ok(form):
                self._json({"error": "invalid_client"}, 401)
                return
            grant = provider.codes.pop(form.get("code", ""), None)
            if (
                form.get("grant_type") != "authorization_code"
                or grant is None
                or grant["expires"] < time.time()
                or grant["redirect_uri"] != form.get("redirect_uri")
            ):
                self._json({"error": "invalid_grant"}, 400)
                return
            if grant["challenge"]:
                verifier = form.get("code_verifier", "")
                if _b64(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
                    self._json({"error": "invalid_grant", "detail": "PKCE"}, 400)
                    return
            user = grant["user"]
            now = int(time.time())
            claims = {
                "iss": provider.issuer,
                "sub": user["email"],
                "aud": provider.client_id,
                "iat": now,
                "exp": now + 600,
                "email": user["email"],
                "email_verified": user.get("email_verified") in (True, "true", "True", 1),
                "name": user.get("name", "Test User"),
            }
            if grant["nonce"]:
                claims["nonce"] = grant["nonce"]
            provider.log.append(f"token {user['email']}")
            self._json(
                {
                    "access_token": secrets.token_urlsafe(24),
                    "token_type": "Bearer",
                    "expires_in": 600,
                    "id_token": provider.sign(claims),
                    "scope": "openid email profile",
                }
            )

    return Handler


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--client-secret", required=True)
    args = ap.parse_args(argv)
    provider = Provider(args.client_id, args.client_secret)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(provider))
    port = server.server_address[1]
    provider.issuer = f"http://127.0.0.1:{port}"
    print(f"READY {port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
