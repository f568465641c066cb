"""SQL for cash-on-delivery remittances and their reconciliation
(docs/architecture.md#cash-on-delivery)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.shipping.models import CodRemittance, Shipment
from app.shipping.repository.shipments import scope


def reference_taken(session: Session, carrier_id: int, reference: str) -> bool:
    stmt = select(CodRemittance.id).where(CodRemittance.carrier_id == carrier_id,
                                          CodRemittance.reference == reference)
    return session.exec(stmt).first() is not None


def lock_shipments(session: Session, principal: Principal, ids: Sequence[int]
                   ) -> dict[int, Shipment]:
    """The shipments the principal may see among `ids`, locked in id order for the rest of
    the unit of work (PostgreSQL; SQLite's single writer already serializes): two
    remittances naming the same parcel cannot both take it, and a fixed order cannot
    deadlock."""
    stmt = scope(select(Shipment).where(Shipment.id.in_(list(ids))), principal)
    return {s.id: s for s in session.exec(stmt.order_by(Shipment.id).with_for_update())}


def references_of(session: Session, remittance_ids: Sequence[int]) -> dict[int, str]:
    stmt = select(CodRemittance.id, CodRemittance.reference).where(
        CodRemittance.id.in_(list(remittance_ids)))
    return dict(session.exec(stmt).all())


def collected_parcels(session: Session, carrier_id: int, start: datetime, end: datetime
                      ) -> list[Any]:
    """(id, number, cod_amount, cod_collected, cod_remittance_id) of the carrier's shipments
    whose cash was collected in [start, end), in the order collected."""
    stmt = (select(Shipment.id, Shipment.number, Shipment.cod_amount, Shipment.cod_collected,
                   Shipment.cod_remittance_id)
            .where(Shipment.carrier_id == carrier_id, Shipment.cod_collected.is_not(None),
                   Shipment.cod_collected_at >= start, Shipment.cod_collected_at < end)
            .order_by(Shipment.cod_collected_at, Shipment.id))
    return list(session.exec(stmt).all())


def _with_totals(where: Any) -> Any:
    """Remittances matching `where` with the number of parcels each covers and the cash
    they collected (aggregated over those remittances' parcels only)."""
    covered = (select(Shipment.cod_remittance_id.label("remittance_id"),
                      func.count(Shipment.id).label("shipments"),
                      func.sum(Shipment.cod_collected).label("collected"))
               .where(Shipment.cod_remittance_id.in_(select(CodRemittance.id).where(where)))
               .group_by(Shipment.cod_remittance_id).subquery())
    return (select(CodRemittance.id, CodRemittance.carrier_id, CodRemittance.reference,
                   CodRemittance.amount, CodRemittance.received_at,
                   CodRemittance.recorded_by_id, CodRemittance.created_at,
                   func.coalesce(covered.c.shipments, 0).label("shipments"),
                   func.coalesce(covered.c.collected, 0).label("collected"))
            .outerjoin(covered, covered.c.remittance_id == CodRemittance.id)
            .where(where).order_by(CodRemittance.received_at, CodRemittance.id))


def remittances_received(session: Session, carrier_id: int, start: datetime, end: datetime
                         ) -> list[Any]:
    """The carrier's remittances received in [start, end), oldest first, with totals."""
    return list(session.exec(_with_totals(and_(
        CodRemittance.carrier_id == carrier_id, CodRemittance.received_at >= start,
        CodRemittance.received_at < end))).all())


def remittance_totals_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    return {r.id: r for r in session.exec(_with_totals(CodRemittance.id.in_(list(ids))))}
