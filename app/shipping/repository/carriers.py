"""SQL for carriers (the list, lookups), their services, rate rules and webhook secrets
(docs/architecture.md#carriers-and-quotes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session, select

from app.persistence.fast import rows
from app.persistence.repository import Page, PageRequest, equal, paginate, sort_table, where
from app.shipping.models import Carrier, CarrierRateRule, CarrierService, CarrierWebhookSecret


class CarrierSort(StrEnum):
    NAME_ASC = "NAME_ASC"
    CODE_ASC = "CODE_ASC"


_CARRIER_SORTS = sort_table(CarrierSort, {"NAME": Carrier.name, "CODE": Carrier.code})


def list_carriers(session: Session, active: bool | None, sort: CarrierSort,
                  page: PageRequest) -> Page[Carrier]:
    stmt = where(select(Carrier), equal(Carrier.is_active, active))
    return paginate(session, stmt, _CARRIER_SORTS[sort], page, Carrier.id)


def get_carrier(session: Session, carrier_id: int) -> Carrier | None:
    return session.get(Carrier, carrier_id)


def carrier_code_taken(session: Session, code: str, except_id: int | None = None) -> bool:
    stmt = select(Carrier.id).where(Carrier.code == code)
    if except_id is not None:
        stmt = stmt.where(Carrier.id != except_id)
    return session.exec(stmt).first() is not None


def get_service(session: Session, service_id: int) -> CarrierService | None:
    return session.get(CarrierService, service_id)


def service_code_taken(session: Session, carrier_id: int, code: str,
                       except_id: int | None = None) -> bool:
    stmt = select(CarrierService.id).where(CarrierService.carrier_id == carrier_id,
                                           CarrierService.code == code)
    if except_id is not None:
        stmt = stmt.where(CarrierService.id != except_id)
    return session.exec(stmt).first() is not None


def get_rule(session: Session, rule_id: int) -> CarrierRateRule | None:
    return session.get(CarrierRateRule, rule_id)


def rule_for_lane(session: Session, service_id: int, origin: str, destination: str
                  ) -> CarrierRateRule | None:
    return session.exec(select(CarrierRateRule).where(
        CarrierRateRule.service_id == service_id, CarrierRateRule.origin_region == origin,
        CarrierRateRule.destination_region == destination)).first()


def delete_rule(session: Session, rule: CarrierRateRule) -> None:
    session.delete(rule)
    session.flush()


def active_services(session: Session) -> list[tuple[Carrier, CarrierService,
                                                     list[CarrierRateRule]]]:
    """Every active service of every active carrier with its rules, by carrier and service
    code: two statements."""
    pairs = list(session.exec(
        select(Carrier, CarrierService).join(CarrierService,
                                             CarrierService.carrier_id == Carrier.id)
        .where(Carrier.is_active.is_(True), CarrierService.is_active.is_(True))
        .order_by(Carrier.code, CarrierService.code, CarrierService.id)))
    rules = rules_by_service(session, [service.id for _, service in pairs])
    return [(carrier, service, rules.get(service.id, [])) for carrier, service in pairs]


# Batched fetches for dataloaders: one statement per batch of keys ----------------

def carriers_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Carrier]:
    return {c.id: c for c in session.exec(select(Carrier).where(Carrier.id.in_(list(ids))))}


def services_by_carrier(session: Session, carrier_ids: Sequence[int]) -> dict[int, list[Any]]:
    """Read-only records (app/persistence/fast/rows.py), by service code."""
    return rows.grouped(session, CarrierService, "carrier_id", carrier_ids, ("code", "id"))


def services_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    return rows.by_id(session, CarrierService, ids)


def rules_by_service(session: Session, service_ids: Sequence[int]) -> dict[int, list[Any]]:
    """By lane: origin, then destination (ANY_REGION, '*', sorts first)."""
    if not service_ids:
        return {}
    return rows.grouped(session, CarrierRateRule, "service_id", service_ids,
                        ("origin_region", "destination_region", "id"))


def rules_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    return rows.by_id(session, CarrierRateRule, ids)


def webhook_secret_rotations(session: Session, carrier_ids: Sequence[int]
                             ) -> dict[int, datetime]:
    """When each carrier's webhook secret was last set; never the secret itself."""
    stmt = select(CarrierWebhookSecret.carrier_id, CarrierWebhookSecret.rotated_at).where(
        CarrierWebhookSecret.carrier_id.in_(list(carrier_ids)))
    return dict(session.exec(stmt).all())


# The webhook secret: written by rotation, read only to verify a carrier's signature -----

def webhook_secret(session: Session, carrier_id: int) -> str | None:
    return session.exec(select(CarrierWebhookSecret.secret).where(
        CarrierWebhookSecret.carrier_id == carrier_id)).first()


def store_webhook_secret(session: Session, carrier_id: int, secret: str,
                         at: datetime) -> None:
    row = session.get(CarrierWebhookSecret, carrier_id)
    if row is None:
        row = CarrierWebhookSecret(carrier_id=carrier_id, secret=secret, rotated_at=at)
    else:
        row.secret, row.rotated_at = secret, at
    session.add(row)
    session.flush()
