"""Client-generated ids (UUIDs) and the references that may name an object by one: a
global ID or the clientId the same user created it under
(docs/architecture.md#offline-writes-and-push)."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from app.auth.principal import Principal
from app.errors import DomainError, NotFound
from app.ids import parse_id
from app.offline import repository as repo


def client_id_of(value: str) -> str | None:
    """The canonical (lowercase, hyphenated) form when `value` is a UUID, else None. A
    global ID is URL-safe base64 of "Type:n": never in a UUID's 8-4-4-4-12 hex form."""
    if len(value) != 36 or value.count("-") != 4:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def checked_client_id(value: str | None, field: str = "clientId") -> str | None:
    if value is None:
        return None
    found = client_id_of(value)
    if found is None:
        raise DomainError("clientId must be a UUID (8-4-4-4-12 hex digits)", field=[field])
    return found


def resolve(session: Session, principal: Principal, value: str, type_name: str,
            field: str = "id") -> int:
    """The primary key `value` names: a global ID of `type_name`, or a client id this
    principal created a `type_name` under. Anything else is NOT_FOUND, like a missing row."""
    client_id = client_id_of(value)
    if client_id is None:
        return parse_id(value, type_name, field)
    found = None if principal.is_system else repo.reference(session, principal.user_id,
                                                               client_id)
    if found is None or found.entity_type != type_name:
        raise NotFound(f"{type_name} not found", field=[field])
    return found.entity_id


def resolve_any(session: Session, principal: Principal, value: str, field: str
                ) -> tuple[str, int]:
    """(type, primary key) of the object a client id names, whatever its type."""
    client_id = client_id_of(value)
    found = None if client_id is None or principal.is_system else repo.reference(
        session, principal.user_id, client_id)
    if found is None:
        raise NotFound("subject not found", field=[field])
    return found.entity_type, found.entity_id
