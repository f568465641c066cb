"""All SQL of offline writes: the client references
(docs/architecture.md#offline-writes-and-push)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.offline.models import ClientReference


def reference(session: Session, user_id: int, client_id: str) -> ClientReference | None:
    stmt = select(ClientReference).where(ClientReference.user_id == user_id,
                                         ClientReference.client_id == client_id)
    return session.exec(stmt).first()


def add_reference(session: Session, user_id: int, client_id: str, entity_type: str,
                  entity_id: int) -> bool:
    """Record the client id; False when a concurrent request recorded it first (the
    unique constraint decides, in a savepoint so the transaction stays usable)."""
    try:
        with session.begin_nested():
            session.add(ClientReference(user_id=user_id, client_id=client_id,
                                        entity_type=entity_type, entity_id=entity_id))
            session.flush()
    except IntegrityError:
        return False
    return True
