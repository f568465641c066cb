"""Offline writes: one queued operation of a mobile client, applied once
(docs/architecture.md#offline-writes-and-push).

`apply_operation` runs as its own unit of work (the batch's resolver calls it once per
operation). The operation's `key` is its idempotency key, scoped per user and kind
(app/persistence/idempotency.py): a replay returns the first result and writes nothing. A
create's `client_id` (a UUID) is recorded for good (app/offline/models.py), so a create
retried under a new key still applies once, and later operations may name the new object
by it. Updates carry `expected_version`: another version is a CONFLICT.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from app.activities import repository as activities_repo
from app.activities import service as activities
from app.activities.models import SubjectType
from app.auth.principal import Principal
from app.auth.roles import Perm
from app.customers import repository as customers_repo
from app.customers import service as customers
from app.errors import DomainError, Forbidden, NotFound
from app.offline import references
from app.offline import repository as repo
from app.orders import repository as orders_repo
from app.orders import service as orders
from app.persistence import idempotency
from app.persistence.uow import UnitOfWork

MAX_OPERATIONS = 100


class Kind(StrEnum):
    ACTIVITY_CREATE = "ACTIVITY_CREATE"
    ACTIVITY_UPDATE = "ACTIVITY_UPDATE"
    ACTIVITY_COMPLETE = "ACTIVITY_COMPLETE"
    CONTACT_ADD = "CONTACT_ADD"
    CONTACT_UPDATE = "CONTACT_UPDATE"
    ORDER_DRAFT_CREATE = "ORDER_DRAFT_CREATE"
    ORDER_DRAFT_UPDATE = "ORDER_DRAFT_UPDATE"


@dataclass(frozen=True)
class Operation:
    key: str  # the client's id of the operation: its idempotency key
    kind: Kind
    data: Any  # the kind's fields (a dict, or an OrderDraft), IDs decoded
    client_id: str | None = None  # creates: the new object's client-generated id
    target: str | None = None  # updates: a global ID or a client id
    expected_version: int | None = None
    subject: str | None = None  # ACTIVITY_CREATE: a client id as the subject

    def fingerprint(self) -> dict[str, Any]:
        return {"kind": self.kind, "data": self.data, "clientId": self.client_id,
                "target": self.target, "expectedVersion": self.expected_version,
                "subject": self.subject}


@dataclass
class Applied:
    entity_type: str
    row: Any
    replayed: bool = False
    notes: list[str] = field(default_factory=list)


def _activity(session: Session, principal: Principal, pk: int) -> Any:
    return activities_repo.get_visible(session, principal, pk)


def _contact(session: Session, principal: Principal, pk: int) -> Any:
    contact = customers_repo.contacts_by_ids(session, [pk]).get(pk)
    if contact is None or customers_repo.get_visible(session, principal,
                                                     contact.customer_id) is None:
        return None
    return contact


def _order(session: Session, principal: Principal, pk: int) -> Any:
    return orders_repo.get_visible(session, principal, pk)


LOADERS: dict[str, Callable[[Session, Principal, int], Any]] = {
    "Activity": _activity, "Contact": _contact, "Order": _order}
ENTITY = {Kind.ACTIVITY_CREATE: "Activity", Kind.ACTIVITY_UPDATE: "Activity",
          Kind.ACTIVITY_COMPLETE: "Activity", Kind.CONTACT_ADD: "Contact",
          Kind.CONTACT_UPDATE: "Contact", Kind.ORDER_DRAFT_CREATE: "Order",
          Kind.ORDER_DRAFT_UPDATE: "Order"}
# what each kind needs, as its own mutation's entry in the policy table does; orders'
# services check theirs themselves (ORDERS_CREATE, the workflow's UPDATE)
PERMS = {Kind.ACTIVITY_CREATE: Perm.ACTIVITIES_WRITE, Kind.ACTIVITY_UPDATE: Perm.ACTIVITIES_WRITE,
         Kind.ACTIVITY_COMPLETE: Perm.ACTIVITIES_WRITE, Kind.CONTACT_ADD: Perm.CUSTOMERS_WRITE,
         Kind.CONTACT_UPDATE: Perm.CUSTOMERS_WRITE, Kind.ORDER_DRAFT_CREATE: Perm.ORDERS_CREATE}
PUSH_PERMS = frozenset(PERMS.values())
CREATES = {Kind.ACTIVITY_CREATE, Kind.CONTACT_ADD, Kind.ORDER_DRAFT_CREATE}
_SUBJECTS = {"Contact": SubjectType.CONTACT.value, "Order": SubjectType.ORDER.value}


def _target(uow: UnitOfWork, op: Operation) -> int:
    if op.target is None:
        raise DomainError("targetId is required", field=["targetId"])
    return references.resolve(uow.session, uow.principal, op.target, ENTITY[op.kind],
                              "targetId")


def _create_activity(uow: UnitOfWork, op: Operation) -> Any:
    data = dict(op.data)
    if op.subject is not None:  # an object created offline earlier: a contact or an order
        kind, pk = references.resolve_any(uow.session, uow.principal, op.subject,
                                          "subjectId")
        if kind not in _SUBJECTS:
            raise NotFound("subject not found", field=["subjectId"])
        data["subject_type"], data["subject_id"] = _SUBJECTS[kind], pk
    return activities.create_activity(uow, data)


def _run(uow: UnitOfWork, op: Operation) -> Any:
    v = op.expected_version
    match op.kind:
        case Kind.ACTIVITY_CREATE:
            return _create_activity(uow, op)
        case Kind.ACTIVITY_UPDATE:
            return activities.update_activity(uow, _target(uow, op), dict(op.data), v)
        case Kind.ACTIVITY_COMPLETE:
            return activities.complete_activity(uow, _target(uow, op), op.data.get("outcome"), v)
        case Kind.CONTACT_ADD:
            data = dict(op.data)
            return customers.add_contact(uow, data.pop("customer_id"), data)
        case Kind.CONTACT_UPDATE:
            return customers.update_contact(uow, _target(uow, op), dict(op.data), v)
        case Kind.ORDER_DRAFT_CREATE:
            return orders.create_order(uow, op.data)
        case Kind.ORDER_DRAFT_UPDATE:
            return orders.update_order(uow, _target(uow, op), dict(op.data), v)
    raise DomainError(f"unknown operation {op.kind}")  # pragma: no cover - enum is closed


def _load(uow: UnitOfWork, entity_type: str, pk: int) -> Applied:
    row = LOADERS[entity_type](uow.session, uow.principal, pk)
    if row is None:  # created, then gone or out of the caller's scope since
        raise NotFound(f"{entity_type} not found", field=["id"])
    return Applied(entity_type, row, replayed=True)


def apply_operation(uow: UnitOfWork, op: Operation) -> Applied:
    """Apply one queued operation once; a replay (same key, or a create's client id seen
    before) returns the object as it is now, with `replayed` set."""
    if op.key is None or not op.key.strip():
        raise DomainError("an operation needs its id (its idempotency key)", field=["id"])
    idempotency.validate_key(op.key, "id")
    needed = PERMS.get(op.kind)
    if needed is not None and not uow.principal.can(needed):
        raise Forbidden(f"requires permission {needed.value}", field=["operation"])
    entity = ENTITY[op.kind]
    claimed = idempotency.claim(uow, f"syncPush.{op.kind}", op.key, op.fingerprint, entity)
    if claimed.replay_id is not None:
        return _load(uow, entity, claimed.replay_id)
    user_id = None if uow.principal.is_system else uow.principal.user_id
    if op.kind in CREATES and op.client_id and user_id is not None:
        known = repo.reference(uow.session, user_id, op.client_id)
        if known is not None:
            if known.entity_type != entity:
                raise DomainError(f"clientId names a {known.entity_type}",
                                  field=["clientId"])
            idempotency.complete(uow, claimed, known.entity_id)
            return _load(uow, entity, known.entity_id)
    row = _run(uow, op)
    recorded = not (op.kind in CREATES and op.client_id and user_id is not None) or \
        repo.add_reference(uow.session, user_id, op.client_id, entity, row.id)
    if not recorded:  # a concurrent push of the same create won: this one must not stand
        raise DomainError("clientId is being created by another request; retry",
                          field=["clientId"])
    idempotency.complete(uow, claimed, row.id)
    return Applied(entity, row)


def current(session: Session, principal: Principal, op: Operation) -> Any:
    """The object an update targeted, as the server has it now (for a CONFLICT's answer);
    None when it cannot be named or seen."""
    if op.target is None:
        return None
    try:
        pk = references.resolve(session, principal, op.target, ENTITY[op.kind])
    except DomainError:
        return None
    return LOADERS[ENTITY[op.kind]](session, principal, pk)
