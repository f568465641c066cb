"""Login, refresh rotation, logout, me, and token verification over HTTP."""

from __future__ import annotations

import time

import ecdsa
from jose import jwt

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  accessToken refreshToken expiresAt user { email role } userErrors { code message } } }"""
REFRESH = """mutation($t: String!) { refreshToken(refreshToken: $t) {
  accessToken refreshToken userErrors { code message } } }"""
ME = "{ me { role permissions user { email } customerId warehouseIds } }"


async def test_login_me_refresh_rotation_and_logout(api, factory):
    user = factory.user("SALES", password="s3cret-pass")
    data = (await api.ok(LOGIN, {"e": user.email.upper(), "p": "s3cret-pass"}))["login"]
    assert data["userErrors"] == [] and data["user"]["role"] == "SALES"
    me = (await api.ok(ME, token=data["accessToken"]))["me"]
    assert me["user"]["email"] == user.email and "orders:create" in me["permissions"]

    first_refresh = data["refreshToken"]
    rotated = (await api.ok(REFRESH, {"t": first_refresh}))["refreshToken"]
    assert rotated["userErrors"] == [] and rotated["refreshToken"] != first_refresh
    # reuse of a spent token is theft: the whole family is revoked
    reused = (await api.ok(REFRESH, {"t": first_refresh}))["refreshToken"]
    assert reused["userErrors"][0]["code"] == "INVALID_TOKEN"
    after_theft = (await api.ok(REFRESH, {"t": rotated["refreshToken"]}))["refreshToken"]
    assert after_theft["userErrors"][0]["code"] == "INVALID_TOKEN"

    again = (await api.ok(LOGIN, {"e": user.email, "p": "s3cret-pass"}))["login"]
    out = await api.ok('mutation($t: String!) { logout(refreshToken: $t) { ok } }',
                       {"t": again["refreshToken"]}, again["accessToken"])
    assert out["logout"]["ok"] is True
    dead = (await api.ok(REFRESH, {"t": again["refreshToken"]}))["refreshToken"]
    assert dead["userErrors"][0]["code"] == "INVALID_TOKEN"


async def test_wrong_password_and_unknown_user_look_the_same(api, factory):
    user = factory.user("SALES")
    wrong = (await api.ok(LOGIN, {"e": user.email, "p": "bad-password"}))["login"]
    unknown = (await api.ok(LOGIN, {"e": "nobody@example.com", "p": "bad-password"}))["login"]
    assert wrong == unknown
    assert wrong["userErrors"][0]["code"] == "INVALID_CREDENTIALS"


async def test_unauthenticated_and_bad_tokens_are_refused(api, factory, settings):
    body = await api.gql(ME)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    user = factory.user("ADMIN")
    now = int(time.time())
    claims = {"sub": user.gid, "role": "ADMIN", "iss": settings.jwt_issuer,
              "aud": settings.jwt_audience, "iat": now, "exp": now + 60}
    bad_tokens = {
        "expired": jwt.encode({**claims, "exp": now - 10}, settings.jwt_secret),
        "wrong secret": jwt.encode(claims, "y" * 40),
        "wrong audience": jwt.encode({**claims, "aud": "other"}, settings.jwt_secret),
        "wrong issuer": jwt.encode({**claims, "iss": "other"}, settings.jwt_secret),
        "no iat": jwt.encode({k: v for k, v in claims.items() if k != "iat"},
                             settings.jwt_secret),
        "HS512": jwt.encode(claims, settings.jwt_secret, algorithm="HS512"),
        "oversized": jwt.encode({**claims, "pad": "x" * 5000}, settings.jwt_secret),
        "garbage": "not.a.token",
        "none alg": "eyJhbGciOiJub25lIn0." + jwt.encode(claims, "k").split(".")[1] + ".",
        # NumericDate claims as strings: python-jose converts them, RFC 7519 does not
        "string exp": jwt.encode({**claims, "exp": str(now + 60)}, settings.jwt_secret),
        "string iat": jwt.encode({**claims, "iat": str(now)}, settings.jwt_secret),
    }
    for label, token in bad_tokens.items():
        body = await api.gql(ME, token=token)
        assert body["data"] is None, label
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", label
    good = jwt.encode(claims, settings.jwt_secret)
    assert (await api.ok(ME, token=good))["me"]["role"] == "ADMIN"


async def test_no_token_is_signed_or_verified_with_ecdsa(api, factory, settings, monkeypatch):
    """The accepted advisory GHSA-wj6h-64fc-37mp / PYSEC-2026-1325 (python-ecdsa: a timing
    attack on ECDSA signing, no fix planned; .ci/pip-audit-accepted.txt). ecdsa is installed
    only as python-jose's backend for the ES* algorithms: tokens are issued HS256, an ES256
    token is refused, and no ECDSA signature is made or checked for either (a spy that calls
    through)."""
    user = factory.user("ADMIN", password="s3cret-pass")
    now = int(time.time())
    claims = {"sub": user.gid, "role": "ADMIN", "iss": settings.jwt_issuer,
              "aud": settings.jwt_audience, "iat": now, "exp": now + 60}
    key = ecdsa.SigningKey.generate(curve=ecdsa.NIST256p)
    es256 = jwt.encode(claims, key.to_pem().decode(), algorithm="ES256")
    calls: list[str] = []
    for cls, name in ((ecdsa.SigningKey, "sign_digest"), (ecdsa.VerifyingKey, "verify_digest")):
        def spy(*args, _original=getattr(cls, name), _name=name, **kwargs):  # noqa: ANN002
            calls.append(_name)
            return _original(*args, **kwargs)
        monkeypatch.setattr(cls, name, spy)
    issued = (await api.ok(LOGIN, {"e": user.email, "p": "s3cret-pass"}))["login"]
    assert jwt.get_unverified_header(issued["accessToken"])["alg"] == "HS256"
    assert (await api.ok(ME, token=issued["accessToken"]))["me"]["role"] == "ADMIN"
    refused = await api.gql(ME, token=es256)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", refused
    assert calls == []


async def test_role_without_permission_is_forbidden(api, factory):
    warehouse = factory.user("WAREHOUSE")
    body = await api.gql('mutation { customerCreate(input: {name: "x"}) { customer { id } } }',
                         token=warehouse.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None


async def test_malformed_graphql_and_limits(api, factory):
    user = factory.user("ADMIN")
    body = await api.gql("{ me { ", token=user.token)
    assert body["errors"] and "Syntax Error" in body["errors"][0]["message"]
    deep = "{ me { user { " + "id " + "} } }"
    assert (await api.gql(deep, token=user.token)).get("errors") is None
    aliases = "{ " + " ".join(f"a{i}: me {{ role }}" for i in range(40)) + " }"
    assert "aliases" in (await api.gql(aliases, token=user.token))["errors"][0]["message"]
    response = await api.client.post("/graphql", content=b"x" * 2_000_000,
                                     headers={"content-type": "application/json"})
    assert response.status_code == 413
    for body, status in ((b'{"query": "{ me { role } }"', 400),  # not JSON
                         (b'{"query": "query($n: Int) { orders(first: $n) { totalCount } }", '
                          b'"variables": {"n": 123456789012345678901234567890}}', 200)):
        response = await api.client.post("/graphql", content=body, headers={
            "content-type": "application/json", "authorization": f"Bearer {user.token}"})
        assert response.status_code == status, response.text
    assert "Int cannot represent" in response.json()["errors"][0]["message"]


async def test_health_and_readiness(api):
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"
