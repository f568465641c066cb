"""The failed-delivery follow-up through the API (docs/architecture.md#failed-delivery-
follow-up): recording with reason and next action, the list and its filters, the three
resolutions with their stock effects through the ledger (the owner on every movement),
resolving twice resolving once, permissions and scope."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from sqlmodel import select

from app.audit.models import AuditRecord
from app.auth.principal import Principal
from app.auth.roles import Role
from app.followups import repository as follow_up_repo
from app.persistence.pagination import PageRequest
from app.shipping.models import Shipment
from tests.consignors import follow_up_support as f
from tests.orders.support import pk
from tests.shipping import support as s


async def _record(api, token, p, reason="FAILED_ATTEMPT", **extra) -> dict:  # noqa: ANN001
    out = (await api.ok(f.RECORD, {"shipmentId": p.gid, "reason": reason, **extra}, token)
           )["deliveryFollowUpRecord"]
    assert out["userErrors"] == [], out["userErrors"]
    return out["deliveryFollowUp"]


async def _resolve(api, token, fid, resolution, **extra) -> dict:  # noqa: ANN001
    return (await api.ok(f.RESOLVE, {"id": fid, "resolution": resolution, "note": "已处理",
                                     **extra}, token))["deliveryFollowUpResolve"]


async def test_record_list_and_plan(api, factory):  # noqa: ANN001
    agent = factory.user("CUSTOMER_SERVICE")
    a, b = f.consignor(factory), f.consignor(factory)
    pa, pb = f.parcel(factory, a), f.parcel(factory, b)
    fa = await _record(api, agent.token, pa, "REFUSED", nextAction="RETURN_TO_CONSIGNOR",
                       note="收货人拒收 13812345678")
    assert (fa["status"], fa["reason"], fa["nextAction"], fa["consignor"]["id"]) == (
        "OPEN", "REFUSED", "RETURN_TO_CONSIGNOR", s.gid("Customer", a.id))
    assert fa["shipment"]["id"] == pa.gid and fa["openedBy"]["id"] == s.gid("User", agent.id)
    await _record(api, agent.token, pb)
    again = (await api.ok(f.RECORD, {"shipmentId": pa.gid, "reason": "OTHER"}, agent.token)
             )["deliveryFollowUpRecord"]
    assert [e["code"] for e in again["userErrors"]] == ["DUPLICATE"]
    listed = (await api.ok(f.LIST, {"filter": {"consignorId": s.gid("Customer", a.id)}},
                           agent.token))["deliveryFollowUps"]
    assert [n["id"] for n in listed["nodes"]] == [fa["id"]]
    by_reason = (await api.ok(f.LIST, {"filter": {
        "consignorId": s.gid("Customer", b.id), "reason": ["REFUSED"]}}, agent.token))
    assert by_reason["deliveryFollowUps"]["nodes"] == []
    aged = (await api.ok(f.LIST, {"filter": {"consignorId": s.gid("Customer", a.id),
                                             "minAgeHours": 1}}, agent.token))
    assert aged["deliveryFollowUps"]["nodes"] == []  # recorded just now
    planned = (await api.ok(f.NEXT, {"id": fa["id"], "nextAction": "REDELIVER",
                                     "expectedVersion": 1}, agent.token)
               )["deliveryFollowUpSetNextAction"]
    assert planned["deliveryFollowUp"]["nextAction"] == "REDELIVER"
    assert planned["deliveryFollowUp"]["version"] == 2
    stale = (await api.ok(f.NEXT, {"id": fa["id"], "nextAction": None, "expectedVersion": 1},
                          agent.token))["deliveryFollowUpSetNextAction"]
    assert [e["code"] for e in stale["userErrors"]] == ["CONFLICT"]

    def audits(session):  # noqa: ANN001, ANN202
        return [(r.action, r.actor_id) for r in session.exec(select(AuditRecord).where(
            AuditRecord.entity_type == "DeliveryFollowUp",
            AuditRecord.entity_id == pk(fa["id"])).order_by(AuditRecord.id))]
    assert f.read(factory, audits) == [("delivery_follow_up.record", agent.id),
                                       ("delivery_follow_up.set_next_action", agent.id)]


async def test_only_failed_parcels_are_recorded(api, factory):  # noqa: ANN001
    agent = factory.user("CUSTOMER_SERVICE")
    a = f.consignor(factory)
    fine = f.parcel(factory, a, events=(("PICKED_UP", 1),))
    out = (await api.ok(f.RECORD, {"shipmentId": fine.gid, "reason": "OTHER"}, agent.token)
           )["deliveryFollowUpRecord"]
    assert out["deliveryFollowUp"] is None
    assert [e["code"] for e in out["userErrors"]] == ["INVALID_TRANSITION"]
    assert f.follow_ups(factory, fine.shipment.id) == []


async def test_return_to_stock_restocks_once_with_the_owner(api, factory):  # noqa: ANN001
    agent, logistics = factory.user("CUSTOMER_SERVICE"), factory.user("LOGISTICS")
    a = f.consignor(factory)
    p = f.parcel(factory, a, quantity=3, stock=10)
    fid = (await _record(api, agent.token, p))["id"]
    assert f.level(factory, p).on_hand == 7
    denied = await _resolve(api, agent.token, fid, "RETURN_TO_STOCK")  # no shipments:write
    assert [e["code"] for e in denied["userErrors"]] == ["FORBIDDEN"]
    done = await _resolve(api, logistics.token, fid, "RETURN_TO_STOCK")
    assert done["userErrors"] == []
    assert (done["deliveryFollowUp"]["status"], done["deliveryFollowUp"]["resolution"]) == (
        "RESOLVED", "RETURN_TO_STOCK")
    assert done["deliveryFollowUp"]["shipment"]["status"] == "RETURNED_TO_SENDER"
    assert f.level(factory, p).on_hand == 10
    [restock] = [m for m in f.movements(factory, p) if m.kind == "RETURN_RESTOCK"]
    assert (restock.on_hand_delta, restock.consignor_id) == (3, a.id)
    f.assert_ledger_balances(factory, p)
    listed = (await api.ok(f.LIST, {"filter": {"consignorId": s.gid("Customer", a.id)}},
                           agent.token))["deliveryFollowUps"]
    assert listed["nodes"] == []  # resolved: off the follow-up list


async def test_return_to_consignor_leaves_through_the_ledger(api, factory):  # noqa: ANN001
    manager = factory.user("MANAGER")
    a = f.consignor(factory)
    p = f.parcel(factory, a, quantity=4, stock=10)
    fid = (await _record(api, manager.token, p, "REFUSED"))["id"]
    done = await _resolve(api, manager.token, fid, "RETURN_TO_CONSIGNOR")
    assert done["userErrors"] == []
    assert f.level(factory, p).on_hand == 6  # back in, then out to the consignor
    kinds = [(m.kind, m.on_hand_delta, m.consignor_id) for m in f.movements(factory, p)
             if m.kind in ("RETURN_RESTOCK", "CONSIGNOR_RETURN")]
    assert kinds == [("RETURN_RESTOCK", 4, a.id), ("CONSIGNOR_RETURN", -4, a.id)]
    f.assert_ledger_balances(factory, p)
    own = f.parcel(factory, None)
    fid2 = (await _record(api, manager.token, own))["id"]
    refused = await _resolve(api, manager.token, fid2, "RETURN_TO_CONSIGNOR")
    assert refused["deliveryFollowUp"] is None
    assert refused["userErrors"][0]["field"] == ["resolution"]
    assert [m.kind for m in f.movements(factory, own)].count("RETURN_RESTOCK") == 0


async def test_redeliver_new_attempt_or_new_shipment(api, factory):  # noqa: ANN001
    manager = factory.user("MANAGER")
    a = f.consignor(factory)
    out = f.parcel(factory, a)
    fid = (await _record(api, manager.token, out))["id"]
    day = (date.today() + timedelta(days=2)).isoformat()
    done = await _resolve(api, manager.token, fid, "REDELIVER", redeliverOn=day)
    assert done["userErrors"] == []
    assert done["deliveryFollowUp"]["redeliverOn"] == day
    assert done["deliveryFollowUp"]["shipment"]["estimatedDelivery"] == day
    back = f.parcel(factory, a, quantity=2, stock=5,
                    events=(("PICKED_UP", 1), ("RETURNED_TO_SENDER", 9)))
    fid = (await _record(api, manager.token, back, "RETURNED"))["id"]
    again = await _resolve(api, manager.token, fid, "REDELIVER")
    assert again["userErrors"] == []
    new = again["deliveryFollowUp"]["redeliveryShipment"]
    assert new["status"] == "CREATED"
    assert f.row(factory, Shipment, pk(new["id"])).reship_of_id == back.shipment.id
    f.assert_ledger_balances(factory, back)


async def test_resolving_twice_resolves_once(api, factory):  # noqa: ANN001
    logistics, manager = factory.user("LOGISTICS"), factory.user("MANAGER")
    a = f.consignor(factory)
    p = f.parcel(factory, a, quantity=2, stock=6)
    fid = (await _record(api, manager.token, p))["id"]
    first, second = await asyncio.gather(
        _resolve(api, logistics.token, fid, "RETURN_TO_STOCK"),
        _resolve(api, manager.token, fid, "RETURN_TO_CONSIGNOR"))
    outcomes = sorted([bool(x["deliveryFollowUp"]) for x in (first, second)])
    assert outcomes == [False, True]
    loser = first if first["deliveryFollowUp"] is None else second
    assert [e["code"] for e in loser["userErrors"]] == ["INVALID_TRANSITION"]
    restocks = [m for m in f.movements(factory, p) if m.kind == "RETURN_RESTOCK"]
    assert len(restocks) == 1
    f.assert_ledger_balances(factory, p)
    [row] = f.follow_ups(factory, p.shipment.id)
    assert row.status == "RESOLVED" and row.open_key is None


async def test_permissions_and_scope(api, factory):  # noqa: ANN001
    a, b = f.consignor(factory), f.consignor(factory)
    pa, pb = f.parcel(factory, a), f.parcel(factory, b)
    manager = factory.user("MANAGER")
    fa = (await _record(api, manager.token, pa))["id"]
    fb = (await _record(api, manager.token, pb))["id"]
    buyer = factory.user("CUSTOMER", customer_id=a.id)
    denied = await api.gql(f.LIST, {}, buyer.token)
    assert (denied["data"] or {}).get("deliveryFollowUps") is None
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    write = await api.gql(f.RECORD, {"shipmentId": pa.gid, "reason": "OTHER"}, buyer.token)
    assert write["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert len(f.follow_ups(factory, pa.shipment.id)) == 1
    keeper = factory.user("WAREHOUSE", warehouses=[pb.warehouse.code])
    nodes = await api.ok("""query($ids: [ID!]!) { nodes(ids: $ids) {
      ... on DeliveryFollowUp { id } } }""", {"ids": [fa, fb]}, keeper.token)
    assert nodes["nodes"] == [None, {"id": fb}]
    # a customer-scoped principal (the consignor portal's scope) sees its own goods' only
    scoped = Principal(user_id=buyer.id, role=Role.CUSTOMER, customer_id=a.id)
    page = f.read(factory, lambda ses: follow_up_repo.list_follow_ups(
        ses, scoped, follow_up_repo.FollowUpFilter(), follow_up_repo.FollowUpSort.OPENED_AT_ASC,
        PageRequest(first=50)))
    assert {r.consignor_id for r in page.items} == {a.id}
