"""Stock workflows a person performs: receive, adjust, transfer, count, plan.

Every number change goes through `app.inventory.ledger` (conditional UPDATE plus a
movement row). The levels touched are locked first, in (product, warehouse) order,
so the "before" read for audit and alerts is stable and two workflows cannot
deadlock. Services never commit; a failure anywhere rolls the whole change back.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from app.catalog import repository as catalog_repo
from app.catalog.models import Product
from app.errors import DomainError, ErrorCode, NotFound, Validator
from app.inventory import consignment, ledger
from app.inventory import repository as repo
from app.inventory.alerts import check_stock_alerts
from app.inventory.models import MovementKind, StockLevel, Warehouse
from app.persistence.uow import UnitOfWork, snapshot

MAX_QUANTITY = 1_000_000_000
Pair = tuple[int, int]


# Checks -----------------------------------------------------------------------

def check_quantity(v: Validator, value: int, field: str, *, allow_zero: bool = False) -> None:
    low = 0 if allow_zero else 1
    v.check(low <= value <= MAX_QUANTITY, field,
            f"{field} must be between {low} and {MAX_QUANTITY:_}")


def check_text(v: Validator, value: str | None, field: str, limit: int, *,
               required: bool = False) -> str:
    text = (value or "").strip()
    if required:
        v.check(bool(text), field, f"{field} is required")
    v.check(len(text) <= limit, field, f"{field} is at most {limit} characters")
    return text


def visible_warehouse(uow: UnitOfWork, warehouse_id: int, field: str, *,
                      receiving: bool = False) -> Warehouse:
    """A warehouse in the caller's scope; a foreign one answers exactly like a missing one."""
    warehouse = repo.get_visible_warehouse(uow.session, uow.principal, warehouse_id)
    if warehouse is None:
        raise NotFound("Warehouse not found", field=[field])
    if receiving and not warehouse.is_active:
        raise DomainError(f"warehouse {warehouse.code} is inactive and cannot receive stock",
                          field=[field], code=ErrorCode.CONFLICT)
    return warehouse


def existing_product(uow: UnitOfWork, product_id: int, field: str = "productId") -> Product:
    product = catalog_repo.get_visible(uow.session, uow.principal, product_id)
    if product is None:
        raise NotFound("Product not found", field=[field])
    return product


def _lock(uow: UnitOfWork, pairs: list[Pair]) -> dict[Pair, dict[str, Any] | None]:
    """Lock the levels in the fixed order; return their current values (None: no level)."""
    return {pair: snapshot(repo.level_at(uow.session, *pair, lock=True))
            for pair in sorted(set(pairs))}


def _ref(uow: UnitOfWork, reason: str, external: str | None = None) -> ledger.Reference:
    return ledger.Reference(type=None, id=None, actor_id=uow.actor_id, reason=reason,
                            external=external or None)


def _finish(uow: UnitOfWork, action: str, before: dict[Pair, dict[str, Any] | None],
            details: dict[str, Any]) -> list[StockLevel]:
    """Audit each touched level (before/after) and raise stock alerts; return fresh levels."""
    levels = []
    for pair, old in before.items():
        level = repo.level_at(uow.session, *pair)
        levels.append(level)
        uow.audit(action, "StockLevel", level.id, before=old,
                  after={**snapshot(level), **details})
    check_stock_alerts(uow, before.keys(),
                       {p: old["on_hand"] - old["reserved"] for p, old in before.items() if old})
    return levels


def _remove(uow: UnitOfWork, line: ledger.StockLine, kind: MovementKind,
            ref: ledger.Reference, old: dict[str, Any] | None, field: str) -> None:
    """Take unreserved stock out, turning a refusal into a message a person can act on."""
    try:
        ledger.remove_on_hand(uow.session, line, kind, ref)
    except ledger.InsufficientStock:
        available = 0 if old is None else old["on_hand"] - old["reserved"]
        raise DomainError(
            f"cannot remove {line.quantity}: only {available} available "
            f"(on hand {old['on_hand'] if old else 0}, reserved {old['reserved'] if old else 0})",
            field=[field], code=ErrorCode.INSUFFICIENT_STOCK) from None


# Workflows --------------------------------------------------------------------

def receive_stock(uow: UnitOfWork, product_id: int, warehouse_id: int, quantity: int,
                  reason: str | None = None, reference: str | None = None, *,
                  consignor_id: int | None = None, asn: str | None = None) -> StockLevel:
    """Goods arrive: on hand grows by `quantity` (RECEIPT movement). A consignor's goods
    name their consignor and its advance shipping notice (app/inventory/consignment.py)."""
    v = Validator()
    check_quantity(v, quantity, "quantity")
    reason = check_text(v, reason, "reason", 400)
    reference = check_text(v, reference, "reference", 100)
    asn = check_text(v, asn, "asnReference", 100)
    v.raise_if_any()
    product = existing_product(uow, product_id)
    visible_warehouse(uow, warehouse_id, "warehouseId", receiving=True)
    consignment.check_receipt_owner(uow, product, consignor_id, asn)
    before = _lock(uow, [(product_id, warehouse_id)])
    ref = _ref(uow, reason or "receipt", reference)
    if asn:
        ref = dataclasses.replace(ref, asn=asn)
    ledger.add_on_hand(uow.session, ledger.StockLine(product_id, warehouse_id, quantity),
                       MovementKind.RECEIPT, ref)
    return _finish(uow, "stock.receive", before, {"quantity": quantity, "reference": reference,
                                                  "consignor_id": consignor_id,
                                                  "asn_reference": asn or None})[0]


def receive_consigned(uow: UnitOfWork, product_id: int, warehouse_id: int,
                      consignor_id: int | None, quantity: int, reason: str | None = None,
                      reference: str | None = None, asn: str | None = None) -> StockLevel:
    """`receive_stock` with the owner named (the API's stockReceive)."""
    return receive_stock(uow, product_id, warehouse_id, quantity, reason, reference,
                         consignor_id=consignor_id, asn=asn)


def adjust_stock(uow: UnitOfWork, product_id: int, warehouse_id: int, quantity_delta: int,
                 reason: str) -> StockLevel:
    """A correction with a stated reason (damage, found stock...): ADJUSTMENT movement."""
    v = Validator()
    v.check(quantity_delta != 0, "quantityDelta", "quantityDelta must not be 0")
    check_quantity(v, abs(quantity_delta) or 1, "quantityDelta")
    reason = check_text(v, reason, "reason", 400, required=True)
    v.raise_if_any()
    existing_product(uow, product_id)
    visible_warehouse(uow, warehouse_id, "warehouseId")
    pair = (product_id, warehouse_id)
    before = _lock(uow, [pair])
    line = ledger.StockLine(product_id, warehouse_id, abs(quantity_delta))
    if quantity_delta > 0:
        ledger.add_on_hand(uow.session, line, MovementKind.ADJUSTMENT, _ref(uow, reason))
    else:
        _remove(uow, line, MovementKind.ADJUSTMENT, _ref(uow, reason), before[pair],
                "quantityDelta")
    return _finish(uow, "stock.adjust", before, {"quantity_delta": quantity_delta})[0]


def transfer_stock(uow: UnitOfWork, product_id: int, from_warehouse_id: int,
                   to_warehouse_id: int, quantity: int,
                   reason: str | None = None) -> tuple[StockLevel, StockLevel]:
    """Move unreserved stock between two warehouses: TRANSFER_OUT + TRANSFER_IN movements."""
    v = Validator()
    check_quantity(v, quantity, "quantity")
    v.check(from_warehouse_id != to_warehouse_id, "toWarehouseId",
            "source and destination warehouses must differ")
    reason = check_text(v, reason, "reason", 400)
    v.raise_if_any()
    existing_product(uow, product_id)
    source = visible_warehouse(uow, from_warehouse_id, "fromWarehouseId")
    target = visible_warehouse(uow, to_warehouse_id, "toWarehouseId", receiving=True)
    src, dst = (product_id, source.id), (product_id, target.id)
    before = _lock(uow, [src, dst])
    ref = _ref(uow, reason or f"transfer {source.code} -> {target.code}")
    # Touch the two rows in warehouse order, like every other multi-row stock change.
    for pair in sorted((src, dst)):
        line = ledger.StockLine(product_id, pair[1], quantity)
        if pair == src:
            _remove(uow, line, MovementKind.TRANSFER_OUT, ref, before[src], "quantity")
        else:
            ledger.add_on_hand(uow.session, line, MovementKind.TRANSFER_IN, ref)
    levels = {lv.warehouse_id: lv for lv in _finish(
        uow, "stock.transfer", before, {"quantity": quantity, "from_warehouse_id": source.id,
                                        "to_warehouse_id": target.id})}
    return levels[source.id], levels[target.id]


def count_stock(uow: UnitOfWork, product_id: int, warehouse_id: int, counted_quantity: int,
                reason: str | None = None) -> StockLevel:
    """A physical count: on hand becomes `counted_quantity` via a COUNT movement of the
    difference (recorded even when it is 0, as proof of the count)."""
    v = Validator()
    check_quantity(v, counted_quantity, "countedQuantity", allow_zero=True)
    reason = check_text(v, reason, "reason", 400)
    v.raise_if_any()
    existing_product(uow, product_id)
    visible_warehouse(uow, warehouse_id, "warehouseId")
    pair = (product_id, warehouse_id)
    before = _lock(uow, [pair])
    old = before[pair] or {"on_hand": 0, "reserved": 0}
    if counted_quantity < old["reserved"]:
        raise DomainError(
            f"counted quantity {counted_quantity} is below the {old['reserved']} units reserved "
            "for orders; release or ship those reservations first",
            field=["countedQuantity"], code=ErrorCode.CONFLICT)
    difference = counted_quantity - old["on_hand"]
    line = ledger.StockLine(product_id, warehouse_id, abs(difference))
    ref = _ref(uow, reason or "stock count")
    if difference >= 0:
        ledger.add_on_hand(uow.session, line, MovementKind.COUNT, ref)
    else:
        _remove(uow, line, MovementKind.COUNT, ref, before[pair], "countedQuantity")
    return _finish(uow, "stock.count", before, {"counted_quantity": counted_quantity,
                                                "difference": difference})[0]


_SETTINGS = {"safety_stock": "safetyStock", "reorder_point": "reorderPoint",
             "incoming": "incoming"}


def update_level_settings(uow: UnitOfWork, level_id: int, data: dict[str, Any]) -> StockLevel:
    """Planning numbers (safety stock, reorder point, incoming); on hand is the ledger's."""
    v = Validator()
    for key, value in data.items():
        field = _SETTINGS[key]
        if v.check(value is not None, field, f"{field} cannot be null"):
            check_quantity(v, value, field, allow_zero=True)
    v.raise_if_any()
    level = repo.get_visible_level(uow.session, uow.principal, level_id)
    if level is None:
        raise NotFound("StockLevel not found", field=["id"])
    pair = (level.product_id, level.warehouse_id)
    old = snapshot(repo.level_at(uow.session, *pair, lock=True))
    for key, value in data.items():
        setattr(level, key, value)
    uow.session.add(level)
    uow.session.flush()
    uow.audit("stock.level_update", "StockLevel", level.id, before=old, after=snapshot(level))
    check_stock_alerts(uow, [pair], {pair: old["on_hand"] - old["reserved"]},
                       before_safety={pair: old["safety_stock"]})
    return level
