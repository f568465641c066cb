"""Download links of finished exports: `GET /exports/{id}?token=...` (schema/asgi.py), the
token a JWT (HS256, the configured secret) of its own audience, bound to the job and to the
principal it was issued to, expiring after CRM_EXPORT_URL_MINUTES (never after the file).

A link is refused, never a 500: 403 when the token is forged, expired, for another job, or
shown with another principal's bearer token; 404 when the job is missing, not the
principal's (any more), not finished or its file gone (docs/architecture.md#exports)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jose import JWTError, jwt
from jose.exceptions import ExpiredSignatureError

from app.auth.principal import Principal
from app.auth.tokens import ALGORITHM
from app.config import Settings, export_dir
from app.exports import service
from app.exports.models import ExportFormat, ExportStatus
from app.exports.writers import EXTENSIONS, MEDIA_TYPES, final_path
from app.ids import from_global_id, to_global_id
from app.persistence.uow import Runner

AUDIENCE = "crm-export"  # an access token is never a download token, nor the reverse


class LinkRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Download:
    path: Path
    media_type: str
    filename: str


def sign(settings: Settings, job_id: int, user_id: int, file_expires: datetime | None,
         now: int | None = None) -> tuple[str, int]:
    """A token for this job and this principal; (token, expiry epoch seconds)."""
    issued = int(time.time()) if now is None else now
    expires = issued + int(settings.export_url_minutes * 60)
    if file_expires is not None:
        expires = min(expires, int(file_expires.timestamp()))
    claims = {"sub": to_global_id("ExportJob", job_id), "uid": to_global_id("User", user_id),
              "iat": issued, "exp": expires, "iss": settings.jwt_issuer, "aud": AUDIENCE}
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM), expires


def download_url(settings: Settings, job_id: int, user_id: int,
                 file_expires: datetime | None) -> tuple[str, int]:
    token, expires = sign(settings, job_id, user_id, file_expires)
    return f"/exports/{to_global_id('ExportJob', job_id)}?token={token}", expires


def _claims(settings: Settings, token: str | None) -> dict:
    if not token or len(token) > 4096:
        raise LinkRefused(403, "INVALID_TOKEN", "a download token is required")
    try:
        return jwt.decode(token, settings.jwt_secret, algorithms=[ALGORITHM],
                          audience=AUDIENCE, issuer=settings.jwt_issuer,
                          options={"require_exp": True, "require_sub": True})
    except ExpiredSignatureError:
        raise LinkRefused(403, "INVALID_TOKEN", "the download link has expired") from None
    except JWTError:
        raise LinkRefused(403, "INVALID_TOKEN", "the download token is not valid") from None


def _user_of(claims: dict) -> int:
    try:
        kind, user_id = from_global_id(str(claims.get("uid")))
    except ValueError:
        kind, user_id = "", 0
    if kind != "User":
        raise LinkRefused(403, "INVALID_TOKEN", "the download token is not valid")
    return user_id


async def resolve(runner: Runner, settings: Settings, job_gid: str, token: str | None,
                  bearer: Principal | None) -> Download:
    """The file a link names, or LinkRefused."""
    claims = _claims(settings, token)
    if claims.get("sub") != job_gid:
        raise LinkRefused(403, "INVALID_TOKEN", "the download token is for another export")
    user_id = _user_of(claims)
    if bearer is not None and bearer.user_id != user_id:
        raise LinkRefused(403, "FORBIDDEN", "the download link was issued to another user")
    try:
        kind, job_id = from_global_id(job_gid)
    except ValueError:
        kind, job_id = "", 0
    missing = LinkRefused(404, "NOT_FOUND", "export not found")
    if kind != "ExportJob":
        raise missing
    principal = await runner.read(service.principal_of, user_id)
    job = await runner.read(service.get_job, principal, job_id) if principal else None
    if job is None:
        raise missing
    if job.status != ExportStatus.DONE.value:
        raise LinkRefused(404, "NOT_FOUND", f"the export is {job.status}, not ready")
    fmt = ExportFormat(job.format)
    path = final_path(export_dir(), job.id, fmt)
    if not path.is_file():
        raise LinkRefused(404, "NOT_FOUND", "the export's file is gone (expired)")
    name = f"export-{job.source.lower()}-{job.id}.{EXTENSIONS[fmt]}"
    return Download(path, MEDIA_TYPES[fmt], name)
