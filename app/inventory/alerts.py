"""Stock alerts: emit `stock.alert` when a change moves a level between IN_STOCK,
LOW_STOCK and OUT_OF_STOCK. Any service that changes stock calls this after the
ledger update, in the same unit of work (events publish after commit):

    before = available_snapshot(uow.session, pairs)   # before the ledger calls
    ledger.reserve(...)                                # or receive, ship, ...
    check_stock_alerts(uow, pairs, before)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlmodel import Session

from app.events import topics
from app.inventory import repository as repo
from app.inventory.status import StockStatus, classify
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork

Pair = tuple[int, int]  # (product_id, warehouse_id)


def available_snapshot(session: Session, pairs: Iterable[Pair]) -> dict[Pair, int]:
    """Available (on hand - reserved) per pair now; a level that does not exist is left out."""
    return {pair: avail for pair, (avail, *_) in repo.availability(session, pairs).items()}


def alert_kind(before: StockStatus, after: StockStatus) -> str | None:
    """The alert a status change raises: LOW_STOCK, OUT_OF_STOCK, BACK_IN_STOCK, or none."""
    if before == after:
        return None
    if after is StockStatus.IN_STOCK:
        return "BACK_IN_STOCK"
    return after.value


def check_stock_alerts(
    uow: UnitOfWork,
    product_warehouse_pairs: Iterable[Pair],
    before_available: Mapping[Pair, int],
    before_safety: Mapping[Pair, int] | None = None,
) -> list[dict]:
    """Compare each level now with its state before the change and emit `stock.alert`s.

    `before_available` maps (product_id, warehouse_id) to the available quantity before
    the change (a missing pair counts as 0: the level did not exist). `before_safety`
    is only needed when the safety stock itself changed. Returns the emitted payloads.
    """
    pairs = sorted(set(product_warehouse_pairs))
    now = repo.availability(uow.session, pairs)
    emitted: list[dict] = []
    for pair in pairs:
        if pair not in now:
            continue
        available, safety, owner = now[pair]
        old_safety = (before_safety or {}).get(pair, safety)
        kind = alert_kind(classify(before_available.get(pair, 0), old_safety),
                          classify(available, safety))
        if kind is None:
            continue
        payload = {"product_id": pair[0], "warehouse_id": pair[1], "kind": kind,
                   "available": available, "safety_stock": safety,
                   # whose goods: a CONSIGNOR's subscription gets its own alerts only
                   "consignor_id": owner, "at": utcnow().isoformat()}
        uow.emit(topics.STOCK_ALERT, **payload)
        emitted.append(payload)
    return emitted
