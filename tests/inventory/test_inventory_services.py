"""Inventory services against the real database: alert hook for other domains, demand split."""

from __future__ import annotations

import pytest

from app.errors import DomainError
from app.inventory import ledger
from app.inventory.alerts import alert_kind, available_snapshot, check_stock_alerts
from app.inventory.models import MovementKind
from app.inventory.replenishment import split_demand
from app.inventory.status import StockStatus, classify
from tests.inventory.support import product, receive, stock_alerts, warehouse


def test_classify_and_alert_kinds():
    assert classify(0, 0) is StockStatus.OUT_OF_STOCK
    assert classify(3, 5) is StockStatus.LOW_STOCK
    assert classify(5, 5) is StockStatus.IN_STOCK
    assert alert_kind(StockStatus.IN_STOCK, StockStatus.LOW_STOCK) == "LOW_STOCK"
    assert alert_kind(StockStatus.LOW_STOCK, StockStatus.OUT_OF_STOCK) == "OUT_OF_STOCK"
    assert alert_kind(StockStatus.OUT_OF_STOCK, StockStatus.LOW_STOCK) == "LOW_STOCK"
    assert alert_kind(StockStatus.OUT_OF_STOCK, StockStatus.IN_STOCK) == "BACK_IN_STOCK"
    assert alert_kind(StockStatus.LOW_STOCK, StockStatus.LOW_STOCK) is None


def test_split_demand_adds_up_exactly():
    assert split_demand(8, {1: 30, 2: 10}) == {1: 6, 2: 2}
    assert split_demand(10, {5: 1, 3: 1, 4: 1}) == {3: 4, 4: 3, 5: 3}
    assert split_demand(3, {1: 0, 2: 0}) == {1: 2, 2: 1}  # nothing available: even split
    assert split_demand(7, {1: -4, 2: 9}) == {1: 0, 2: 7}  # negative weights count as 0
    assert split_demand(0, {1: 5}) == {1: 0}
    assert split_demand(5, {}) == {}
    shares = split_demand(1_000_003, {1: 7, 2: 11, 3: 13})
    assert sum(shares.values()) == 1_000_003


def test_check_stock_alerts_after_a_reservation(factory):
    """How the orders service raises alerts: snapshot, reserve, check - in one unit of work."""
    p = product(factory)
    w1, w2 = warehouse(factory), warehouse(factory)
    receive(factory, p.id, w1.id, 10)
    receive(factory, p.id, w2.id, 3)
    before_count = len(stock_alerts(factory, p.id))
    pairs = [(p.id, w1.id), (p.id, w2.id)]

    def reserve_and_check(uow):  # noqa: ANN001, ANN202
        before = available_snapshot(uow.session, pairs)
        ledger.reserve(uow.session, [ledger.StockLine(p.id, w1.id, 4),
                                     ledger.StockLine(p.id, w2.id, 3)],
                       ledger.Reference("Order", 99))
        return before, check_stock_alerts(uow, pairs, before)

    before, emitted = factory.write(reserve_and_check)
    assert before == {(p.id, w1.id): 10, (p.id, w2.id): 3}
    assert [(a["warehouse_id"], a["kind"], a["available"]) for a in emitted] == [
        (w2.id, "OUT_OF_STOCK", 0)]
    stored = stock_alerts(factory, p.id)[before_count:]
    assert [a["kind"] for a in stored] == ["OUT_OF_STOCK"]

    def failing(uow):  # noqa: ANN001, ANN202
        before = available_snapshot(uow.session, pairs)
        ledger.reserve(uow.session, [ledger.StockLine(p.id, w1.id, 100)],
                       ledger.Reference("Order", 100))
        check_stock_alerts(uow, pairs, before)

    with pytest.raises(DomainError):
        factory.write(failing)
    assert len(stock_alerts(factory, p.id)) == before_count + 1  # rolled back: no alert


def test_missing_pairs_count_as_empty(factory):
    p, w = product(factory), warehouse(factory)

    def first_receipt(uow):  # noqa: ANN001, ANN202
        pair = (p.id, w.id)
        before = available_snapshot(uow.session, [pair])
        ledger.add_on_hand(uow.session, ledger.StockLine(p.id, w.id, 2),
                           MovementKind.RECEIPT, ledger.Reference("Test", None))
        return before, check_stock_alerts(uow, [pair, (p.id, 999999)], before)

    before, emitted = factory.write(first_receipt)
    assert before == {}
    assert [a["kind"] for a in emitted] == ["BACK_IN_STOCK"]
