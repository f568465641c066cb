"""Idempotent mutations: a retried request returns its first result, writing nothing.

Keys are scoped per principal and operation (unique constraint on
idempotency_record(user_id, operation, key)). The record is claimed *before*
the work is done, inside the same transaction:

- a replay finds the committed record and returns the original result id;
- the same key with a different payload is IDEMPOTENCY_KEY_REUSED;
- two concurrent first attempts race on the unique index: the loser's insert
  waits for the winner to commit, fails, and then reads the winner's record
  (a savepoint keeps the loser's transaction usable), so only one result exists;
- a key is remembered for CRM_IDEMPOTENCY_HOURS (24 by default): after that it is
  free again (an expired record is replaced, whether or not housekeeping has
  deleted it yet), so a client may retry for a day, and the table stays small.

Usage (any domain):

    result = idempotency.run_once(uow, "paymentRecord", key, payload, "Payment",
                                  create=lambda: _record_payment(uow, ...),
                                  load=lambda pk: uow.session.get(Payment, pk))
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import orjson
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.errors import DomainError, ErrorCode
from app.persistence.columns import utcnow
from app.persistence.fast import bulk
from app.persistence.models import IdempotencyRecord
from app.persistence.uow import UnitOfWork

T = TypeVar("T")
MAX_KEY_LENGTH = 200


def _default(value: Any) -> Any:
    return str(value)  # Decimal, date, datetime, enums: stable text forms


def request_hash(payload: Any) -> str:
    """A stable digest of the request: key order does not matter."""
    raw = orjson.dumps(payload, default=_default, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(raw).hexdigest()


@dataclass
class Claim:
    record: IdempotencyRecord | None  # the row this request claimed (None: no key / replay)
    replay_id: int | None = None  # the original result's id when this is a replay


def validate_key(key: str | None, field: str = "idempotencyKey") -> None:
    if key is not None and not (1 <= len(key) <= MAX_KEY_LENGTH and key.isprintable()):
        raise DomainError(f"idempotency key must be 1 to {MAX_KEY_LENGTH} printable characters",
                          field=[field])


def _find(uow: UnitOfWork, user_id: int, operation: str, key: str) -> IdempotencyRecord | None:
    stmt = select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id,
                                           IdempotencyRecord.operation == operation,
                                           IdempotencyRecord.key == key)
    return uow.session.exec(stmt).first()


def expired_before(hours: int, now: datetime | None = None) -> datetime:
    """Records created before this are expired (remembered for `hours`)."""
    return (now or utcnow()) - timedelta(hours=hours)


def purge_expired(session: Session, before: datetime, limit: int = 1000) -> int:
    """Delete up to `limit` records created before `before`; how many were deleted."""
    table = IdempotencyRecord.__table__
    return bulk.delete_oldest(session, table, table.c.created_at < before, limit=limit)


def _replay(record: IdempotencyRecord, digest: str) -> Claim:
    if record.request_hash != digest:
        raise DomainError("this idempotency key was used for a different request",
                          field=["idempotencyKey"], code=ErrorCode.IDEMPOTENCY_KEY_REUSED)
    return Claim(record=None, replay_id=record.result_id)


def claim(uow: UnitOfWork, operation: str, key: str | None, payload: Any,
          result_type: str) -> Claim:
    """Claim `key` for this request, or return the replay of an earlier one. `payload` is
    what a replay must repeat, or a function making it (called only when there is a key).

    Without a key, or for the SYSTEM principal (no user row to scope keys to),
    nothing is claimed and the request simply runs.
    """
    principal = uow.principal
    if key is None or principal is None or principal.is_system:
        return Claim(record=None)
    validate_key(key)
    digest = request_hash(payload() if callable(payload) else payload)
    found = _find(uow, principal.user_id, operation, key)
    if found is not None and found.created_at >= expired_before(uow.settings.idempotency_hours):
        return _replay(found, digest)
    if found is not None:  # expired: the key is free for a new request
        # Core, not session.delete: a concurrent request replacing the same record
        # deletes nothing here, then loses the insert race below and replays the winner
        uow.session.expunge(found)
        uow.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == found.id))
    record = IdempotencyRecord(user_id=principal.user_id, operation=operation, key=key,
                               request_hash=digest, result_type=result_type, result_id=0)
    try:
        with uow.session.begin_nested():
            uow.session.add(record)
            uow.session.flush()
    except IntegrityError:
        # A concurrent request with the same key committed first: replay it.
        found = _find(uow, principal.user_id, operation, key)
        if found is None:  # pragma: no cover - the conflicting row must exist
            raise
        return _replay(found, digest)
    return Claim(record=record)


def complete(uow: UnitOfWork, claimed: Claim, result_id: int) -> None:
    if claimed.record is not None:
        claimed.record.result_id = result_id
        uow.session.add(claimed.record)


def run_once(uow: UnitOfWork, operation: str, key: str | None, payload: Any,
             result_type: str, *, create: Callable[[], T], load: Callable[[int], T],
             result_id: Callable[[T], int] = lambda r: r.id) -> T:  # type: ignore[attr-defined]
    """Run `create` once per (principal, operation, key); replays return `load(id)`."""
    claimed = claim(uow, operation, key, payload, result_type)
    if claimed.replay_id is not None:
        return load(claimed.replay_id)
    result = create()
    complete(uow, claimed, result_id(result))
    return result
