"""Working a delivery exception: staff open one (`shipmentExceptionOpen`), assign it to
customer service or logistics (`shipmentExceptionAssign`) and add notes
(`shipmentExceptionNoteAdd`); the shared loading and bookkeeping of every step (scope,
optimistic version, audit) for resolution.py too (docs/architecture.md#delivery-exceptions).
"""

from __future__ import annotations

from app.auth import repository as users
from app.auth.principal import SYSTEM, Principal
from app.auth.roles import Perm, Role
from app.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound, Validator
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.shipping import repository as repo
from app.shipping.exceptions.opening import open_exception
from app.shipping.models import (
    ExceptionSeverity,
    ExceptionSource,
    ExceptionStatus,
    ExceptionType,
    ShipmentException,
    ShipmentExceptionNote,
    ShipmentStatus,
)

ASSIGNABLE_ROLES = (Role.CUSTOMER_SERVICE.value, Role.LOGISTICS.value)
MAX_DESCRIPTION = 400
MAX_NOTE = 2000


def writer(uow: UnitOfWork) -> Principal:
    """The caller, if it may work exceptions (exceptions:write)."""
    principal = uow.principal or SYSTEM
    if not principal.can(Perm.EXCEPTIONS_WRITE):
        raise Forbidden("requires permission exceptions:write")
    return principal


def locked(uow: UnitOfWork, exception_id: int, expected_version: int | None = None
           ) -> ShipmentException:
    """The exception, locked, if the caller may work it; one outside the caller's scope
    answers like a missing one; CONFLICT when it changed since `expected_version`."""
    row = repo.lock_exception(uow.session, writer(uow), exception_id)
    if row is None:
        raise NotFound("shipment exception not found", field=["id"])
    if expected_version is not None and expected_version != row.version:
        raise Conflict(f"the exception changed (version {row.version}); reload and retry",
                       field=["expectedVersion"])
    return row


def require_open(row: ShipmentException, verb: str) -> None:
    if row.status != ExceptionStatus.OPEN.value:
        raise DomainError(f"cannot {verb} an exception that is {row.status} (allowed from "
                          "OPEN)", code=ErrorCode.INVALID_TRANSITION, field=["id"])


def changed(uow: UnitOfWork, row: ShipmentException, before: dict, action: str,
            **extra: object) -> None:
    """Version, time and the audit record of a step that changed the exception (`extra`:
    what else the step wrote, in the record's `after`)."""
    row.version += 1
    row.updated_at = utcnow()
    uow.session.add(row)
    uow.audit(f"shipment_exception.{action}", "ShipmentException", row.id, before=before,
              after={**snapshot(row), **extra})


def clean_text(value: str | None, field: str, limit: int, what: str) -> str:
    text = (value or "").strip()
    if not text or len(text) > limit:
        raise DomainError(f"{what} is 1 to {limit} characters", field=[field])
    return text


def open_by_staff(uow: UnitOfWork, shipment_id: int, type_: str, description: str,
                  severity: str | None = None) -> ShipmentException:
    """A problem staff learned of (a customer's call, a warehouse check): one open
    exception per parcel and type, so a second of the same type is a DUPLICATE."""
    v = Validator()
    v.check(type_ in ExceptionType.__members__, "type",
            "type must be one of " + ", ".join(ExceptionType.__members__))
    v.check(severity is None or severity in ExceptionSeverity.__members__, "severity",
            "severity must be one of " + ", ".join(ExceptionSeverity.__members__))
    text = (description or "").strip()
    v.check(0 < len(text) <= MAX_DESCRIPTION, "description",
            f"say what happened, in at most {MAX_DESCRIPTION} characters")
    v.raise_if_any()
    principal = writer(uow)
    shipment = repo.lock_shipment(uow.session, principal, shipment_id)
    if shipment is None:
        raise NotFound("shipment not found", field=["shipmentId"])
    if shipment.status == ShipmentStatus.CANCELLED.value:
        raise DomainError("the shipment is CANCELLED: there is no parcel to have a problem",
                          code=ErrorCode.INVALID_TRANSITION, field=["shipmentId"])
    row, opened = open_exception(uow, shipment, type_, ExceptionSource.STAFF.value, text,
                                 severity=severity)
    if not opened:
        raise DomainError(f"this shipment already has an open {type_} exception; add a note "
                          "to it instead", field=["type"], code=ErrorCode.DUPLICATE)
    return row


def assign(uow: UnitOfWork, exception_id: int, assignee_id: int | None,
           expected_version: int | None = None) -> ShipmentException:
    """Give an open exception to an active CUSTOMER_SERVICE or LOGISTICS user (None:
    nobody)."""
    row = locked(uow, exception_id, expected_version)
    require_open(row, "assign")
    if assignee_id is not None:
        user = users.user_by_id(uow.session, assignee_id)
        if user is None:
            raise NotFound("user not found", field=["assigneeId"])
        if user.role not in ASSIGNABLE_ROLES or not user.is_active:
            raise DomainError("exceptions are assigned to an active CUSTOMER_SERVICE or "
                              f"LOGISTICS user; {user.email} is "
                              f"{'an inactive ' if not user.is_active else ''}{user.role}",
                              field=["assigneeId"])
    before = snapshot(row)
    row.assignee_id = assignee_id
    changed(uow, row, before, "assign")
    return row


def add_note(uow: UnitOfWork, exception_id: int, body: str) -> ShipmentException:
    """A note on the exception, open or resolved (what was done, what the customer said)."""
    text = clean_text(body, "body", MAX_NOTE, "a note")
    row = locked(uow, exception_id)
    note = ShipmentExceptionNote(exception_id=row.id, author_id=uow.actor_id, body=text)
    uow.session.add(note)
    uow.session.flush()
    changed(uow, row, snapshot(row), "note_add", note=snapshot(note))
    return row
