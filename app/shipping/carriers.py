"""Carrier administration: carriers, their services and rate rules, and the webhook secret
(docs/architecture.md#carriers-and-quotes). One function per step, each audited; only
principals with carriers:write (LOGISTICS, MANAGER, ADMIN) change anything."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from app.auth.principal import SYSTEM
from app.auth.roles import Perm
from app.errors import DomainError, ErrorCode, Forbidden, NotFound
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, flush_unique, snapshot
from app.shipping import carrier_validation as check
from app.shipping import repository as repo
from app.shipping.models import Carrier, CarrierRateRule, CarrierService
from app.sync import capture as sync_capture

_TEXT = ("code", "name")


@dataclass(frozen=True)
class RotatedSecret:
    carrier: Carrier
    secret: str  # shown once, in the rotation's payload


def _snapshot(service: CarrierService) -> dict[str, Any]:
    """snapshot() with the cutoff as text (audit records are JSON)."""
    out = snapshot(service)
    if service.cutoff_time is not None:
        out["cutoff_time"] = service.cutoff_time.isoformat()
    return out


def _authorize(uow: UnitOfWork) -> None:
    if not (uow.principal or SYSTEM).can(Perm.CARRIERS_WRITE):
        raise Forbidden("you may not change carriers")


def _stripped(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    for key in _TEXT:
        if isinstance(out.get(key), str):
            out[key] = out[key].strip()
    if out.get("regions") is not None:
        out["regions"] = [r.strip() for r in out["regions"]]
    return out


def _carrier(uow: UnitOfWork, carrier_id: int, field: str = "id") -> Carrier:
    carrier = repo.get_carrier(uow.session, carrier_id)
    if carrier is None:
        raise NotFound("Carrier not found", field=[field])  # as app.ids.parse_id says it
    return carrier


def _duplicate(what: str, code: str) -> DomainError:
    return DomainError(f"{what} code {code} is already in use", field=["code"],
                       code=ErrorCode.DUPLICATE)


def _apply(row: Any, data: dict[str, Any]) -> None:
    for key, value in data.items():
        setattr(row, key, ",".join(value) if key == "regions" else value)


def create_carrier(uow: UnitOfWork, data: dict[str, Any]) -> Carrier:
    _authorize(uow)
    data = _stripped({k: v for k, v in data.items() if v is not None})
    check.check_carrier(data, creating=True)
    if repo.carrier_code_taken(uow.session, data["code"]):
        raise _duplicate("carrier", data["code"])
    carrier = Carrier(code=data["code"], name=data["name"])
    _apply(carrier, data)
    uow.session.add(carrier)
    flush_unique(uow.session, _duplicate("carrier", carrier.code))
    uow.audit("carrier.create", "Carrier", carrier.id, after=snapshot(carrier))
    return carrier


def update_carrier(uow: UnitOfWork, carrier_id: int, data: dict[str, Any]) -> Carrier:
    _authorize(uow)
    data = _stripped(data)
    check.check_carrier(data, creating=False)
    carrier = _carrier(uow, carrier_id)
    if "code" in data and repo.carrier_code_taken(uow.session, data["code"], carrier.id):
        raise _duplicate("carrier", data["code"])
    before = snapshot(carrier)
    _apply(carrier, data)
    uow.session.add(carrier)
    flush_unique(uow.session, _duplicate("carrier", carrier.code))
    uow.audit("carrier.update", "Carrier", carrier.id, before=before, after=snapshot(carrier))
    return carrier


def rotate_webhook_secret(uow: UnitOfWork, carrier_id: int) -> RotatedSecret:
    """A new random secret replaces the old one at once; the audit record says when,
    never what."""
    _authorize(uow)
    carrier = _carrier(uow, carrier_id)
    secret, at = secrets.token_urlsafe(32), utcnow()
    repo.store_webhook_secret(uow.session, carrier.id, secret, at)
    uow.audit("carrier.webhook_secret_rotate", "Carrier", carrier.id,
              after={"rotated_at": at.isoformat()})
    return RotatedSecret(carrier, secret)


def create_service(uow: UnitOfWork, carrier_id: int, data: dict[str, Any]) -> CarrierService:
    _authorize(uow)
    data = _stripped({k: v for k, v in data.items() if v is not None})
    check.check_service(data, creating=True)
    carrier = _carrier(uow, carrier_id, "carrierId")
    if repo.service_code_taken(uow.session, carrier.id, data["code"]):
        raise _duplicate("service", data["code"])
    service = CarrierService(carrier_id=carrier.id, code=data["code"], name=data["name"])
    _apply(service, data)
    check.check_service_state(service)
    uow.session.add(service)
    flush_unique(uow.session, _duplicate("service", service.code))
    uow.audit("carrier_service.create", "CarrierService", service.id, after=_snapshot(service))
    return service


def update_service(uow: UnitOfWork, service_id: int, data: dict[str, Any]) -> CarrierService:
    _authorize(uow)
    data = _stripped(data)
    check.check_service(data, creating=False)
    service = repo.get_service(uow.session, service_id)
    if service is None:
        raise NotFound("CarrierService not found", field=["id"])
    if "code" in data and repo.service_code_taken(uow.session, service.carrier_id,
                                                  data["code"], service.id):
        raise _duplicate("service", data["code"])
    before = _snapshot(service)
    _apply(service, data)
    check.check_service_state(service)
    service.updated_at = utcnow()
    uow.session.add(service)
    flush_unique(uow.session, _duplicate("service", service.code))
    uow.audit("carrier_service.update", "CarrierService", service.id, before=before,
              after=_snapshot(service))
    return service


def set_rate_rule(uow: UnitOfWork, service_id: int, data: dict[str, Any]
                  ) -> tuple[CarrierRateRule, CarrierService]:
    """The service's price and transit time on a lane: added, or replaced when the service
    already has a rule for the same origin and destination. Returns the rule and its
    service."""
    _authorize(uow)
    data = dict(data)
    check.check_rule(data)
    service = repo.get_service(uow.session, service_id)
    if service is None:
        raise NotFound("CarrierService not found", field=["serviceId"])
    rule = repo.rule_for_lane(uow.session, service.id, data["origin_region"],
                              data["destination_region"])
    before = snapshot(rule) if rule is not None else None
    if rule is None:
        rule = CarrierRateRule(service_id=service.id, **data)
    else:
        _apply(rule, data)
    uow.session.add(rule)
    flush_unique(uow.session, DomainError("another request set this lane at the same time; "
                                          "retry", code=ErrorCode.CONFLICT))
    uow.audit("carrier_rate_rule.set", "CarrierRateRule", rule.id, before=before,
              after=snapshot(rule))
    sync_capture.touch(uow, "Carrier", (service.carrier_id,))  # its services' rules
    return rule, service


def delete_rate_rule(uow: UnitOfWork, rule_id: int) -> CarrierService:
    """Remove a lane's rule; the service no longer serves that lane unless a wildcard rule
    covers it. Returns the service."""
    _authorize(uow)
    rule = repo.get_rule(uow.session, rule_id)
    if rule is None:
        raise NotFound("CarrierRateRule not found", field=["id"])
    before = snapshot(rule)
    service = repo.get_service(uow.session, rule.service_id)
    repo.delete_rule(uow.session, rule)
    uow.audit("carrier_rate_rule.delete", "CarrierRateRule", before["id"], before=before)
    sync_capture.touch(uow, "Carrier", (service.carrier_id,))  # its services' rules
    return service
