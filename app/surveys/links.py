"""The survey link's token: a JWT (python-jose, HS256 only) naming the survey, its nonce
and its expiry, signed with the survey secret. Answering needs no login, so the token is
the whole credential: it names one survey (`sub` + the survey's own `nonce`), expires
(`exp`, checked against the caller's clock, and the row's `expires_at`), and its key is
not the access tokens' key (CRM_SURVEY_SECRET, or one derived from CRM_JWT_SECRET with a
label of its own), so neither kind of token passes for the other
(docs/architecture.md#satisfaction-surveys-and-proactive-communication)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from jose import JWTError, jwt

from app.config import Settings

ALGORITHM = "HS256"  # one family only (docs/architecture.md#tokens)
AUDIENCE = "crm-survey"
MAX_TOKEN_BYTES = 1024


def survey_key(settings: Settings) -> str:
    if settings.survey_secret:
        return settings.survey_secret
    return hmac.new(settings.jwt_secret.encode(), b"crm survey links v1",
                    hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def issue(settings: Settings, survey_id: int, nonce: str, expires_at: datetime) -> str:
    claims = {"sub": str(survey_id), "nonce": nonce, "aud": AUDIENCE,
              "iss": settings.jwt_issuer, "exp": int(expires_at.timestamp())}
    return jwt.encode(claims, survey_key(settings), algorithm=ALGORITHM)


def link(settings: Settings, survey_id: int, nonce: str, expires_at: datetime) -> str:
    return f"{settings.survey_url}?token={quote(issue(settings, survey_id, nonce, expires_at))}"


@dataclass(frozen=True)
class Claims:
    survey_id: int
    nonce: str
    expires_at: int


def read(settings: Settings, token: str) -> Claims | None:
    """The claims of a token signed with this secret; None when forged, tampered with,
    malformed or too large. Expiry is the caller's check (`expired`), on its own clock."""
    if not token or len(token.encode()) > MAX_TOKEN_BYTES:
        return None
    try:
        claims = jwt.decode(token, survey_key(settings), algorithms=[ALGORITHM],
                            audience=AUDIENCE, issuer=settings.jwt_issuer,
                            # python-jose 3.5.0: require_exp would turn verify_exp back
                            # on (jwt._validate_claims); a missing exp is a KeyError below
                            options={"verify_exp": False, "require_sub": True})
        return Claims(int(claims["sub"]), str(claims["nonce"]), int(claims["exp"]))
    except (JWTError, KeyError, ValueError, TypeError):
        return None


def expired(claims: Claims, now: datetime) -> bool:
    return now.timestamp() >= claims.expires_at


def same_nonce(claims: Claims, nonce: str) -> bool:
    return hmac.compare_digest(claims.nonce.encode(), nonce.encode())
