"""Access tokens (JWT, HS256 only) and opaque rotating refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from jose import JWTError, jwt

from app.auth.principal import Principal
from app.auth.roles import Role
from app.config import Settings
from app.errors import DomainError, ErrorCode
from app.ids import from_global_id, to_global_id

ALGORITHM = "HS256"  # one algorithm family only (docs/architecture.md#tokens)
MAX_TOKEN_BYTES = 4096
_REQUIRED = ("exp", "iat", "sub", "iss", "aud")


class InvalidToken(DomainError):
    code = ErrorCode.INVALID_TOKEN


def issue_access_token(
    settings: Settings,
    *,
    user_id: int,
    role: str,
    customer_id: int | None = None,
    warehouse_ids: list[int] | None = None,
    now: int | None = None,
    ttl_seconds: int | None = None,
) -> tuple[str, int]:
    """Return (token, expiry epoch seconds)."""
    issued = int(time.time()) if now is None else now
    expires = issued + (ttl_seconds if ttl_seconds is not None
                        else settings.access_token_minutes * 60)
    claims: dict[str, Any] = {
        "sub": to_global_id("User", user_id),
        "role": role,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": issued,
        "exp": expires,
    }
    if customer_id is not None:
        claims["customer_id"] = to_global_id("Customer", customer_id)
    if warehouse_ids is not None:
        claims["warehouses"] = [to_global_id("Warehouse", w) for w in warehouse_ids]
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM), expires


# Tokens verified so far, by (token, secret, audience, issuer): a client sends the same
# token with every request, and verifying it again (header and claims parsed, HMAC,
# every claim checked) cost ~0.1 ms a request. Only the expiry can change meanwhile.
_VERIFIED: dict[tuple[str, str, str, str], Principal] = {}
_VERIFIED_MAX = 1024


def decode_access_token(settings: Settings, token: str) -> Principal:
    """Verify signature, algorithm, every required claim and the size cap (a token seen
    before: its expiry only)."""
    key = (token, settings.jwt_secret, settings.jwt_audience, settings.jwt_issuer)
    principal = _VERIFIED.get(key)
    if principal is None:
        principal = _verify(settings, token)
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()  # a bound, not an LRU: refilling costs one verification each
        _VERIFIED[key] = principal
    elif principal.expires_at < int(time.time()):  # as python-jose: expired once exp < now
        raise InvalidToken("token expired")
    return principal


def _verify(settings: Settings, token: str) -> Principal:
    if not token or len(token.encode()) > MAX_TOKEN_BYTES or token.count(".") != 2:
        raise InvalidToken("invalid token")
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("invalid token")
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={f"require_{c}": True for c in _REQUIRED},
        )
    except JWTError as exc:
        message = "token expired" if "expired" in str(exc).lower() else "invalid token"
        raise InvalidToken(message) from None
    return _principal(claims)


def _principal(claims: dict[str, Any]) -> Principal:
    try:
        for name in ("exp", "iat"):  # NumericDate (RFC 7519): a number, never a string
            if isinstance(claims[name], bool) or not isinstance(claims[name], int | float):
                raise ValueError
        kind, user_id = from_global_id(str(claims["sub"]))
        role = Role(claims["role"])
        if kind != "User":
            raise ValueError
        customer_id = None
        if claims.get("customer_id") is not None:
            ckind, customer_id = from_global_id(str(claims["customer_id"]))
            if ckind != "Customer":
                raise ValueError
        warehouses = []
        for value in claims.get("warehouses") or []:
            wkind, wid = from_global_id(str(value))
            if wkind != "Warehouse":
                raise ValueError
            warehouses.append(wid)
    except (KeyError, ValueError, TypeError):
        raise InvalidToken("invalid token") from None
    return Principal(
        user_id=user_id,
        role=role,
        customer_id=customer_id,
        warehouse_ids=frozenset(warehouses),
        expires_at=int(claims["exp"]),
    )


def new_refresh_token() -> tuple[str, str]:
    """Return (token for the client, hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, hash_refresh_token(token)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
