"""Return requests: create, approve, reject (receiving and resolution live in
return_receiving.py and return_resolution.py).

Units asked back are counted on the order line (`quantity_returned`) the moment
the request is created, with a conditional UPDATE, so two concurrent requests
can never take more than was delivered. A rejected request gives them back; so
does a repair once the item goes back to the customer, and units that were
never received.

Locks are always taken order first, then the return request, then lines and stock.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.errors import DomainError, ErrorCode, Forbidden, NotFound, ValidationFailed, Validator
from app.events import topics
from app.orders import history
from app.orders import repository as repo
from app.orders.models import Order, OrderLine
from app.orders.numbering import placeholder
from app.persistence import idempotency
from app.persistence.columns import utcnow
from app.persistence.pagination import Page, PageRequest
from app.persistence.uow import UnitOfWork, snapshot
from app.returns import repository as ret_repo
from app.returns.models import ReturnLine, ReturnRequest
from app.returns.workflow import (
    RETURNABLE_ORDER_STATES,
    ReturnAction,
    ReturnStatus,
    ReturnType,
    authorize,
)

CREATE_OPERATION = "returnRequestCreate"
MAX_LINES = 200
MAX_QUANTITY = 1_000_000


@dataclass(frozen=True)
class ReturnLineRequest:
    order_line_id: int
    quantity: int


@dataclass(frozen=True)
class ReturnDraft:
    order_id: int
    type: str
    reason: str
    lines: tuple[ReturnLineRequest, ...]
    idempotency_key: str | None = field(default=None, compare=False)

    def fingerprint(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("idempotency_key")
        return data


# Shared by every step ------------------------------------------------------------

def load(uow: UnitOfWork, request_id: int, action: ReturnAction,
         field_name: str = "id") -> tuple[ReturnRequest, Order]:
    """The request and its order, both locked (order first), if `action` is allowed now.

    Out of scope answers like missing (NOT_FOUND); a wrong state or type is
    INVALID_TRANSITION naming the current state; a missing right is FORBIDDEN.
    """
    s = uow.session
    request = ret_repo.get_visible(s, uow.principal, request_id)
    if request is None:
        raise NotFound("return request not found", field=[field_name])
    order = repo.lock_order(s, request.order_id)
    request = ret_repo.lock(s, request)
    authorize(action, request, uow.principal)
    return request, order


def move(uow: UnitOfWork, request: ReturnRequest, to_status: ReturnStatus, action: str,
         before: dict[str, Any] | None) -> None:
    """Set the status; audit before/after and emit `return.status_changed`."""
    request.status = to_status.value
    request.updated_at = utcnow()
    uow.session.add(request)
    uow.session.flush()
    uow.audit(f"return_request.{action}", "ReturnRequest", request.id, before=before,
              after=snapshot(request))
    uow.emit(topics.RETURN_STATUS_CHANGED, return_request_id=request.id,
             order_id=request.order_id, customer_id=request.customer_id,
             status=request.status, at=request.updated_at.isoformat())


def give_back_all(session: Session, lines: list[ReturnLine], received: bool) -> None:
    """Return units to the order line's returnable count (all, or those not received)."""
    for line in lines:
        units = line.quantity - (line.restocked + line.scrapped if received else 0)
        if units and not ret_repo.give_back(session, line.order_line_id, units):
            raise DomainError("returned quantity is out of step", code=ErrorCode.CONFLICT)


# Create ----------------------------------------------------------------------------

def _validate(draft: ReturnDraft) -> None:
    idempotency.validate_key(draft.idempotency_key)
    v = Validator()
    v.check(draft.type in ReturnType.__members__, "type", "type is RETURN, EXCHANGE or REPAIR")
    v.check(1 <= len(draft.reason.strip()) <= 2000, "reason",
            "a reason is required (at most 2000 characters)")
    v.check(1 <= len(draft.lines) <= MAX_LINES, "lines",
            f"a return request has 1 to {MAX_LINES} lines")
    seen: set[int] = set()
    for i, line in enumerate(draft.lines):
        v.check(1 <= line.quantity <= MAX_QUANTITY, ["lines", str(i), "quantity"],
                f"quantity must be 1 to {MAX_QUANTITY}")
        v.check(line.order_line_id not in seen, ["lines", str(i), "orderLineId"],
                "this order line is already on the request")
        seen.add(line.order_line_id)
    v.raise_if_any()


def create_return(uow: UnitOfWork, draft: ReturnDraft) -> ReturnRequest:
    """REQUESTED, for delivered units of an order the caller may see (a CUSTOMER: its own).

    With an idempotency key a replay by the same user returns the first request.
    """
    if not uow.principal.can(Perm.RETURNS_CREATE):
        raise Forbidden("requires permission returns:create")
    _validate(draft)
    return idempotency.run_once(
        uow, CREATE_OPERATION, draft.idempotency_key, draft.fingerprint(), "ReturnRequest",
        create=lambda: _create(uow, draft), load=lambda pk: _replayed(uow, pk))


def _replayed(uow: UnitOfWork, request_id: int) -> ReturnRequest:
    request = ret_repo.get_visible(uow.session, uow.principal, request_id)
    if request is None:
        raise NotFound("return request not found", field=["idempotencyKey"])
    return request


def _returnable_order(uow: UnitOfWork, order_id: int) -> Order:
    order = repo.get_visible(uow.session, uow.principal, order_id, for_update=True)
    if order is None:
        raise NotFound("order not found", field=["orderId"])
    if order.status not in RETURNABLE_ORDER_STATES:
        names = ", ".join(sorted(s.value for s in RETURNABLE_ORDER_STATES))
        raise DomainError(f"cannot return goods of an order in state {order.status} "
                          f"(allowed from {names})", code=ErrorCode.INVALID_TRANSITION)
    return order


def _take(session: Session, order: Order, draft: ReturnDraft) -> None:
    """Count every requested unit as returned, or fail with each line's reason."""
    lines: dict[int, OrderLine] = {ln.id: ln for ln in repo.lines_of(session, order.id)}
    errors: list[DomainError] = []
    indexed = sorted(enumerate(draft.lines), key=lambda item: item[1].order_line_id)
    for i, req in indexed:  # line-id order: a fixed lock order
        line = lines.get(req.order_line_id)
        if line is None:
            errors.append(NotFound("order line not found on this order",
                                   field=["lines", str(i), "orderLineId"]))
        elif not ret_repo.take_returnable(session, line.id, req.quantity):
            left = line.quantity_delivered - line.quantity_returned
            errors.append(DomainError(
                f"{line.sku}: only {left} can be returned (delivered "
                f"{line.quantity_delivered}, already returned {line.quantity_returned})",
                field=["lines", str(i), "quantity"], code=ErrorCode.QUANTITY_EXCEEDED))
    if errors:
        raise ValidationFailed(errors)


def _create(uow: UnitOfWork, draft: ReturnDraft) -> ReturnRequest:
    s = uow.session
    order = _returnable_order(uow, draft.order_id)
    _take(s, order, draft)
    request = ReturnRequest(number=placeholder(), order_id=order.id,
                            customer_id=order.customer_id, type=draft.type,
                            status=ReturnStatus.REQUESTED.value, reason=draft.reason.strip(),
                            created_by_id=uow.actor_id)
    s.add(request)
    s.flush()
    request.number = f"RR-{request.created_at:%Y%m%d}-{request.id:06d}"
    s.add_all([ReturnLine(return_request_id=request.id, order_line_id=ln.order_line_id,
                          quantity=ln.quantity) for ln in draft.lines])
    move(uow, request, ReturnStatus.REQUESTED, "created", before=None)
    history.record(uow, order, "RETURN_REQUESTED", message=request.reason, audit=False,
                   details={"returnRequestId": request.id, "number": request.number,
                            "type": request.type})
    return request


# Review ----------------------------------------------------------------------------

def approve_return(uow: UnitOfWork, request_id: int) -> ReturnRequest:
    request, _ = load(uow, request_id, ReturnAction.APPROVE)
    move(uow, request, ReturnStatus.APPROVED, "approved", before=snapshot(request))
    return request


def reject_return(uow: UnitOfWork, request_id: int, reason: str) -> ReturnRequest:
    """REQUESTED -> REJECTED; the units become returnable again."""
    text = (reason or "").strip()
    if not 1 <= len(text) <= 2000:
        raise DomainError("a reason is required (at most 2000 characters)", field=["reason"])
    request, _ = load(uow, request_id, ReturnAction.REJECT)
    before = snapshot(request)
    give_back_all(uow.session, ret_repo.lines_of(uow.session, request.id), received=False)
    request.resolution = text
    move(uow, request, ReturnStatus.REJECTED, "rejected", before=before)
    return request


# Reads -----------------------------------------------------------------------------

def get_return(session: Session, principal: Principal, request_id: int) -> ReturnRequest | None:
    return ret_repo.get_visible(session, principal, request_id)


def list_returns(session: Session, principal: Principal, flt: ret_repo.ReturnFilter,
                 sort: ret_repo.ReturnSort, page: PageRequest) -> Page[ReturnRequest]:
    return ret_repo.list_requests(session, principal, flt, sort, page)
