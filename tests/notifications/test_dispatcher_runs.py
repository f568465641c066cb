"""The dispatcher run on its own: an expired lease is sent again, an unconfigured channel
fails its messages without claiming them.

These tests run a dispatcher of their own, so they live in a module without the live
server: its dispatcher polls every 0.2 s with every channel configured and would claim
their messages first (seen as SENDING instead of FAILED on PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from app.config import load_settings
from app.events.bus import InProcessBus
from app.events.runtime import make_channels
from app.notifications.dispatcher import NotificationDispatcher
from app.notifications.models import Notification
from app.persistence.columns import utcnow
from tests.notifications.sinks import sink_settings, sinks
from tests.notifications.support import rows, unique_email


async def test_an_expired_lease_is_sent_again(factory, db):
    mail, _sms = sinks()
    email = unique_email()
    customer = factory.customer(email=email)

    def stuck(uow):  # noqa: ANN001, ANN202
        # a dispatcher claimed it and died: SENDING, lease already over
        row = Notification(customer_id=customer.id, channel="EMAIL", template="order_received",
                           recipient=email, subject="订单 SO-LEASE 已收到", body="正文",
                           status="SENDING", attempts=1,
                           next_attempt_at=utcnow() - timedelta(seconds=1))
        uow.session.add(row)
        uow.session.flush()
        return row

    row = factory.write(stuck)
    settings = load_settings({"CRM_JWT_SECRET": "x" * 40})
    channels = make_channels(replace(settings, **sink_settings()))
    dispatcher = NotificationDispatcher(db, InProcessBus(), channels)
    while await dispatcher.run_once():
        pass
    [message] = mail.wait(email)
    assert str(message["Subject"]) == "订单 SO-LEASE 已收到"
    [after] = [n for n in rows(factory, customer_id=customer.id) if n.id == row.id]
    assert (after.status, after.attempts) == ("SENT", 2)


async def test_a_channel_that_is_not_configured_fails_its_messages_without_claiming(factory, db):
    customer = factory.customer(email=unique_email())

    def due(uow):  # noqa: ANN001, ANN202
        made = [Notification(customer_id=customer.id, channel=channel, template="order_received",
                             recipient="x", subject="s", body="b", status="PENDING",
                             next_attempt_at=utcnow() - timedelta(seconds=1))
                for channel in ("EMAIL", "SMS")]
        uow.session.add_all(made)
        uow.session.flush()
        return [n.id for n in made]

    ids = factory.write(due)
    settings = load_settings({"CRM_JWT_SECRET": "x" * 40})  # no SMTP host, no SMS URL
    dispatcher = NotificationDispatcher(db, InProcessBus(), make_channels(settings))
    claimed = await dispatcher.run_once()
    assert claimed == 0  # nothing was leased or sent: one UPDATE per channel failed them
    after = {n.id: n for n in rows(factory, customer_id=customer.id)}
    assert [(after[i].status, after[i].attempts, after[i].next_attempt_at) for i in ids] == [
        ("FAILED", 1, None), ("FAILED", 1, None)]
    assert after[ids[0]].last_error == "e-mail (CRM_SMTP_HOST) is not configured"
    assert after[ids[1]].last_error == "SMS (CRM_SMS_URL) is not configured"
