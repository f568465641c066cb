"""Proactive communication: the "scheduled" notice with the expected completion date, the
feedback request carrying the survey link, the due-date reminder (once per order, never
for a dispatched one, two racing runs too) with its staff alert, and the low-score alert,
each in the customer's (or the user's) language on the channels it allows
(docs/architecture.md#satisfaction-surveys-and-proactive-communication)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from sqlmodel import select

from app.auth.models import User
from app.auth.principal import SYSTEM
from app.events import topics
from app.events.models import OutboxEvent
from app.notifications.planning import plan_pending
from app.notifications.service import update_preferences
from app.persistence.columns import utcnow
from app.surveys import reminders, service
from tests.notifications.support import rows, unique_email
from tests.orders.support import pk
from tests.returns.support import ship
from tests.surveys.support import ANSWER, delivered_order, delivery_survey, events, token_of


def _plan(factory, settings) -> None:  # noqa: ANN001
    plan_pending(factory.runner.db, settings=settings)


def _today(settings):  # noqa: ANN001, ANN202
    return utcnow().astimezone(ZoneInfo(settings.business_timezone)).date()


async def _scheduled(kit, token: str, customer, promised) -> dict:  # noqa: ANN001
    """An approved order scheduled for today, promised for `promised`."""
    product, warehouse = kit.product(), kit.warehouse()
    kit.stock(product, warehouse, 10)
    order = await kit.order(token, customer, [(product, 1)])
    for name in ("orderSubmit", "orderApprove"):
        order = await kit.ok_step(name, order["id"], token)
    today = promised - timedelta(days=1) if promised > _today(kit.factory.settings) \
        else promised
    return await kit.ok_step("orderSchedule", order["id"], token,
                             scheduledDate=today.isoformat(),
                             promisedDate=promised.isoformat())


def _templates(factory, **where) -> dict[str, list]:  # noqa: ANN001
    out: dict[str, list] = {}
    for n in rows(factory, **where):
        out.setdefault(n.template, []).append(n)
    return out


async def test_scheduling_tells_the_customer_the_expected_date(kit, factory, settings):
    admin = factory.user("ADMIN")
    zh = kit.customer(language="zh", email=unique_email(), phone=None)
    en = kit.customer(language="en", email=unique_email(), phone=None)
    promised = _today(settings) + timedelta(days=5)
    orders = {c.id: await _scheduled(kit, admin.token, c, promised) for c in (zh, en)}
    _plan(factory, settings)
    [zh_mail] = [n for n in _templates(factory, customer_id=zh.id)["order_scheduled"]
                 if n.channel == "EMAIL"]
    assert zh_mail.subject == f"订单 {orders[zh.id]['number']} 已安排生产/发货"
    assert f"预计于 {promised.isoformat()} 完成" in zh_mail.body
    en_rows = _templates(factory, customer_id=en.id)["order_scheduled"]
    assert {n.channel for n in en_rows} == {"EMAIL", "IN_APP"}  # no phone: no SMS
    assert all(n.language == "en" and promised.isoformat() in n.body for n in en_rows)
    # a reschedule is not a second notice
    await kit.ok_step("orderSchedule", orders[en.id]["id"], admin.token,
                      promisedDate=(promised + timedelta(days=1)).isoformat())
    _plan(factory, settings)
    assert len(_templates(factory, customer_id=en.id)["order_scheduled"]) == 2


def _race(factory, now):  # noqa: ANN001, ANN202
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(factory.runner.write_sync, reminders.remind_due_orders, now,
                            principal=SYSTEM) for _ in range(2)]
        return [r.result() for r in runs]


def _remind_all(factory, now) -> list[int]:  # noqa: ANN001
    done: list[int] = []
    while True:
        result = factory.write(reminders.remind_due_orders, now)
        done += result.reminded
        if result.examined < reminders.BATCH:
            return done


async def test_the_due_date_reminder_is_sent_once_and_not_after_dispatch(
        kit, factory, settings):
    admin, rep, manager = factory.user("ADMIN"), factory.user("SALES"), factory.user("MANAGER")
    buyer = kit.customer(language="en", email=unique_email(), phone=None, owner_id=rep.id)
    today = _today(settings)
    due = await _scheduled(kit, admin.token, buyer, today + timedelta(days=1))
    later = await _scheduled(kit, admin.token, buyer, today + timedelta(days=10))
    gone = await _scheduled(kit, admin.token, buyer, today + timedelta(days=1))
    gone = await kit.ok_step("orderStartFulfillment", gone["id"], admin.token)
    ship(kit, gone)  # dispatched: nothing to remind of
    now = utcnow()
    mine = {pk(o["id"]) for o in (due, later, gone)}
    first, second = _race(factory, now)  # (other tests' due orders are in these too)
    assert not set(first.reminded) & set(second.reminded)
    rest = _remind_all(factory, now)  # what two batches did not reach
    assert (set(first.reminded) | set(second.reminded) | set(rest)) & mine == {pk(due["id"])}
    assert set(_remind_all(factory, now + timedelta(hours=1))) & mine == set()  # once
    payloads = [e for e in _outbox(factory, topics.ORDER_DUE_SOON) if e["order_id"] in mine]
    assert [p["order_id"] for p in payloads] == [pk(due["id"])]
    assert payloads[0]["owner_id"] == rep.id
    assert payloads[0]["promised_date"] == (today + timedelta(days=1)).isoformat()

    _plan(factory, settings)
    notices = _templates(factory, customer_id=buyer.id)["order_due_soon"]
    assert {n.channel for n in notices} == {"EMAIL", "IN_APP"}
    assert notices[0].subject == f"Order {due['number']}: due {payloads[0]['promised_date']}"
    alerts = [n for n in rows(factory, template="staff_order_at_risk")
              if due["number"] in n.subject]
    assert {n.user_id for n in alerts} >= {rep.id, manager.id}
    assert {n.user_id for n in alerts} <= {rep.id} | _managers(factory)
    assert len([n for n in alerts if n.user_id == rep.id and n.channel == "IN_APP"]) == 1


def _managers(factory) -> set[int]:  # noqa: ANN001
    stmt = select(User.id).where(User.role == "MANAGER")
    return set(factory.runner.read_sync(lambda s: list(s.exec(stmt)), (), {}))


def _outbox(factory, topic: str) -> list[dict]:  # noqa: ANN001
    stmt = select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id)
    return factory.runner.read_sync(lambda s: [e.payload for e in s.exec(stmt)], (), {})


async def test_feedback_is_requested_with_a_working_link_in_the_customers_language(
        api, kit, factory, settings):
    order, buyer = await delivered_order(kit, language="en", email=unique_email(),
                                         phone="13911112222")
    factory.write(update_preferences, buyer.id, {"SMS": False})  # opted out of SMS
    row = delivery_survey(factory, order)
    _plan(factory, settings)
    sent = _templates(factory, customer_id=buyer.id)["feedback_requested"]
    assert {n.channel for n in sent} == {"EMAIL", "IN_APP"}
    mail = next(n for n in sent if n.channel == "EMAIL")
    assert mail.subject == f"How did we do with order {order['number']}?"
    link = next(w for w in mail.body.split() if w.startswith(settings.survey_url))
    token = parse_qs(urlparse(link).query)["token"][0]
    assert token == token_of(settings, row)
    data = await api.ok(ANSWER, {"token": token, "input": {"csat": 4, "nps": 9}})
    assert data["surveyAnswer"]["userErrors"] == []
    _plan(factory, settings)  # planned once
    assert len(_templates(factory, customer_id=buyer.id)["feedback_requested"]) == 2


async def test_a_low_score_raises_the_follow_up_hook_and_alerts_customer_service(
        kit, factory, settings):
    agent = factory.user("CUSTOMER_SERVICE")
    order, buyer = await delivered_order(kit)
    low, fine = delivery_survey(factory, order), None
    other, _ = await delivered_order(kit)
    fine = delivery_survey(factory, other)
    factory.write(service.answer_survey, token_of(factory.runner.settings, low),
                  service.Answer(csat=4, nps=5, comment="包装破损"))
    factory.write(service.answer_survey, token_of(factory.runner.settings, fine),
                  service.Answer(csat=3, nps=7))
    [hook] = events(factory, topics.SURVEY_LOW_SCORE, low.id)
    assert hook == {**hook, "customer_id": buyer.id, "order_id": pk(order["id"]),
                    "subject_kind": "DELIVERY", "csat": 4, "nps": 5, "ticket_id": None}
    assert events(factory, topics.SURVEY_LOW_SCORE, fine.id) == []
    _plan(factory, settings)
    alerts = [n for n in rows(factory, template="staff_survey_low_score", user_id=agent.id)]
    assert {n.channel for n in alerts} == {"IN_APP", "EMAIL"}
    assert alerts[0].subject == f"客户满意度低分：{buyer.name}"
    assert "CSAT 4，NPS 5" in alerts[0].body and order["number"] in alerts[0].body
