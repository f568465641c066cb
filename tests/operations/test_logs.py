"""Structured logs (docs/architecture.md#logs): JSON lines with the request id, the
operation name and the principal id; never a password, a token or an e-mail address."""

from __future__ import annotations

import io
import json
import logging

import pytest

from app import logs
from app.config import ConfigError, load_settings

LOGIN = """mutation OpsLogin($e: String!, $p: String!) {
  login(email: $e, password: $p) { accessToken refreshToken userErrors { code } } }"""
INLINE = 'mutation OpsInline { login(email: "%s", password: "%s") { nope } }'
FORBIDDEN = "query OpsUsers { users(first: 1) { edges { node { email } } } }"


@pytest.fixture
def captured():  # noqa: ANN201
    """The app's logging as `crm serve` sets it up (JSON, INFO), into a buffer; the
    test's logging put back afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level,
             {name: logging.getLogger(name).level for name in (*logs._QUIET, "crm")})  # noqa: SLF001
    stream = io.StringIO()
    logs.configure_logging("json", "DEBUG", stream)
    try:
        yield stream
    finally:
        handlers, level, levels = saved
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)
        logging.getLogger("uvicorn.access").disabled = False


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_login_logs_no_secrets(api, factory, captured):  # noqa: ANN001
    user = factory.user("SALES", password="Sup3r-secret-pw!")
    data = await api.ok(LOGIN, {"e": user.email, "p": "Sup3r-secret-pw!"})
    tokens = data["login"]["accessToken"], data["login"]["refreshToken"]
    assert all(tokens)
    await api.ok(LOGIN, {"e": user.email, "p": "wrong-Pa55word"})  # userErrors
    await api.gql(INLINE % (user.email, "Inline-Pa55word"))  # a validation error
    refused = await api.client.post("/graphql", json={"query": FORBIDDEN}, headers={
        "authorization": f"Bearer {tokens[0]}", "x-request-id": "req-ops-1"})
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await api.client.get("/metrics")

    text = captured.getvalue()
    records = lines(captured)
    assert records, "nothing logged"
    for secret in ("Sup3r-secret-pw!", "wrong-Pa55word", "Inline-Pa55word", user.email,
                   *tokens):
        assert secret not in text
    forbidden = [r for r in records if r.get("operation") == "OpsUsers"]
    assert forbidden, records
    line = forbidden[-1]
    assert line["level"] == "INFO" and line["logger"] == "crm.request"
    assert line["principal_id"] == user.id and line["request_id"] == "req-ops-1"
    assert line["error_codes"] == ["FORBIDDEN"]
    assert isinstance(line["duration_ms"], float) and "time" in line
    logins = [r for r in records if r.get("operation") == "OpsLogin"]
    assert logins and all(r["request_id"] and r["principal_id"] is None for r in logins)


def test_scrub_and_text_format():
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    assert token not in logs.scrub(f"bad {token} and Bearer abc.def")
    assert "abc.def" not in logs.scrub("Authorization: Bearer abc.def")
    record = logging.LogRecord("crm.x", logging.INFO, __file__, 1, "hello %s", (token,), None)
    logs.RequestContext().filter(record)
    text = logs.formatter("text").format(record)
    assert "hello [redacted]" in text and "req=None" in text


def test_format_by_environment():
    base = {"CRM_JWT_SECRET": "s" * 40}
    assert load_settings(base).log_format == "text"
    assert load_settings({**base, "CRM_ENV": "production"}).log_format == "json"
    assert load_settings({**base, "CRM_LOG_FORMAT": "json"}).log_format == "json"
    with pytest.raises(ConfigError):
        load_settings({**base, "CRM_LOG_FORMAT": "xml"})
