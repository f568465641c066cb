"""Receiving returned goods: APPROVED -> RECEIVED.

RETURN and EXCHANGE goods are counted into the chosen warehouse per line:
every received unit enters stock first (movement RETURN_RESTOCK), and the part
judged unsellable then leaves again (movement SCRAP). The ledger thus shows what
came back and what was thrown away, and its deltas still sum to on-hand.
Units asked for but not received become returnable again.

REPAIR goods stay the customer's property: they are received without touching
stock (no lines, no warehouse needed) and sent back when repaired.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.errors import DomainError, ErrorCode, NotFound, ValidationFailed, Validator
from app.inventory import ledger
from app.inventory.alerts import available_snapshot, check_stock_alerts
from app.inventory.models import MovementKind
from app.inventory.stock_service import visible_warehouse
from app.orders import repository as repo
from app.persistence.uow import UnitOfWork, snapshot
from app.returns import repository as ret_repo
from app.returns.models import ReturnLine, ReturnRequest
from app.returns.service import MAX_QUANTITY, give_back_all, load, move
from app.returns.workflow import ReturnAction, ReturnStatus, ReturnType


@dataclass(frozen=True)
class ReceivedLine:
    order_line_id: int
    restock: int = 0
    scrap: int = 0


def _validate(lines: Sequence[ReceivedLine]) -> None:
    v = Validator()
    seen: set[int] = set()
    for i, line in enumerate(lines):
        for name, value in (("restock", line.restock), ("scrap", line.scrap)):
            v.check(0 <= value <= MAX_QUANTITY, ["lines", str(i), name],
                    f"{name} must be 0 to {MAX_QUANTITY}")
        v.check(line.order_line_id not in seen, ["lines", str(i), "orderLineId"],
                "this order line is listed twice")
        seen.add(line.order_line_id)
    v.raise_if_any()


def _count(request_lines: list[ReturnLine], received: Sequence[ReceivedLine]) -> None:
    """Put the received counts on the request's lines (unlisted lines: nothing came)."""
    by_line = {ln.order_line_id: ln for ln in request_lines}
    errors: list[DomainError] = []
    for i, item in enumerate(received):
        line = by_line.get(item.order_line_id)
        if line is None:
            errors.append(NotFound("this order line is not on the return request",
                                   field=["lines", str(i), "orderLineId"]))
        elif item.restock + item.scrap > line.quantity:
            errors.append(DomainError(
                f"{item.restock + item.scrap} received but only {line.quantity} were asked "
                "back", field=["lines", str(i), "restock"], code=ErrorCode.QUANTITY_EXCEEDED))
        else:
            line.restocked, line.scrapped = item.restock, item.scrap
    if errors:
        raise ValidationFailed(errors)
    if not any(ln.restocked + ln.scrapped for ln in request_lines):
        raise DomainError("nothing was received; reject the request instead", field=["lines"])


def _into_stock(uow: UnitOfWork, request: ReturnRequest, lines: list[ReturnLine],
                warehouse_id: int) -> None:
    s = uow.session
    products = {ln.id: ln.product_id for ln in repo.lines_of(s, request.order_id)}
    moves = sorted((products[ln.order_line_id], ln) for ln in lines
                   if ln.restocked + ln.scrapped)  # product order: the fixed lock order
    pairs = [(pid, warehouse_id) for pid, _ in moves]
    before = available_snapshot(s, pairs)
    ref = ledger.Reference(type="ReturnRequest", id=request.id, actor_id=uow.actor_id,
                           reason=f"return {request.number}")
    for product_id, line in moves:
        received = line.restocked + line.scrapped
        ledger.add_on_hand(s, ledger.StockLine(product_id, warehouse_id, received),
                           MovementKind.RETURN_RESTOCK, ref)
        if line.scrapped:
            ledger.remove_on_hand(s, ledger.StockLine(product_id, warehouse_id, line.scrapped),
                                  MovementKind.SCRAP, ref)
    check_stock_alerts(uow, pairs, before)


def receive_return(uow: UnitOfWork, request_id: int, warehouse_id: int | None,
                   lines: Sequence[ReceivedLine]) -> ReturnRequest:
    _validate(lines)
    request, _ = load(uow, request_id, ReturnAction.RECEIVE)
    before = snapshot(request)
    s = uow.session
    request_lines = ret_repo.lines_of(s, request.id)
    if request.type == ReturnType.REPAIR:
        if lines or warehouse_id is not None:
            raise DomainError("repair items stay the customer's: they are received without "
                              "lines or a warehouse (nothing is restocked or scrapped)",
                              field=["lines"])
    else:
        if warehouse_id is None:
            raise DomainError("choose the warehouse receiving the goods", field=["warehouseId"])
        visible_warehouse(uow, warehouse_id, "warehouseId", receiving=True)
        _count(request_lines, lines)
        s.add_all(request_lines)
        give_back_all(s, request_lines, received=True)
        _into_stock(uow, request, request_lines, warehouse_id)
    move(uow, request, ReturnStatus.RECEIVED, "received", before=before)
    return request


def received_units(request: ReturnRequest, line: ReturnLine) -> int:
    """Units of a line that came back (a repair brings back all it asked for)."""
    if request.type == ReturnType.REPAIR:
        return line.quantity
    return line.restocked + line.scrapped
