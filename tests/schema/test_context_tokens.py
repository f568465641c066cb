"""Access tokens are verified once and remembered (app/auth/tokens.py): a remembered token
still expires on time, and nothing but the exact token under the same secret, audience
and issuer is taken from memory."""

from __future__ import annotations

import time
from dataclasses import replace

from app.auth import tokens
from app.auth.tokens import issue_access_token
from schema.core.context import principal_from_header


def _bearer(settings, **kwargs) -> str:  # noqa: ANN001
    token, _ = issue_access_token(settings, user_id=7, role="SALES", **kwargs)
    return f"Bearer {token}"


def test_a_remembered_token_is_the_same_principal(settings):  # noqa: ANN001
    header = _bearer(settings)
    first, error = principal_from_header(settings, header)
    again, _ = principal_from_header(settings, header)
    assert error is None and first is again and first.user_id == 7


def test_a_remembered_token_expires_on_time(settings, monkeypatch):  # noqa: ANN001
    header = _bearer(settings, ttl_seconds=60)
    principal, error = principal_from_header(settings, header)
    assert error is None
    monkeypatch.setattr(tokens.time, "time", lambda: principal.expires_at + 0.5)
    assert principal_from_header(settings, header) == (principal, None)  # exp == now: valid
    monkeypatch.setattr(tokens.time, "time", lambda: principal.expires_at + 1.0)
    assert principal_from_header(settings, header) == (None, "token expired")
    assert principal_from_header(settings, header) == (None, "token expired")


def test_only_the_exact_token_under_the_same_settings_is_remembered(settings):  # noqa: ANN001
    header = _bearer(settings)
    assert principal_from_header(settings, header)[1] is None
    tampered = header[:-3] + ("AAA" if not header.endswith("AAA") else "BBB")
    assert principal_from_header(settings, tampered) == (None, "invalid token")
    rotated = replace(settings, jwt_secret="another-secret-" + "y" * 40)
    assert principal_from_header(rotated, header) == (None, "invalid token")
    assert principal_from_header(settings, _bearer(settings, now=int(time.time()) - 7200,
                                                   ttl_seconds=60))[1] == "token expired"
