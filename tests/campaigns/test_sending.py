"""Sending against the real database: once per recipient when two senders race, the
customer's language and variables, unsubscribed and unreachable customers skipped,
the rate limit, cancel withdrawing unsent messages, and the state machine
(docs/architecture.md#campaigns)."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from datetime import timedelta

import pytest

from app.auth.principal import SYSTEM
from app.campaigns import repository as repo
from app.campaigns import service
from app.campaigns.jobs import send_due_sync
from app.errors import DomainError, ErrorCode
from app.persistence.columns import utcnow
from tests.campaigns.support import MARKETER, audience, campaign, messages, recipients, status


def _optout(runner, customer_id: int) -> None:  # noqa: ANN001
    runner.write_sync(lambda uow: repo.set_marketing(uow.session, customer_id, False))


def test_two_racing_senders_send_once_per_recipient(factory, camp_runner) -> None:  # noqa: ANN001
    region, ids = audience(factory, 40)
    row = campaign(camp_runner, region)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            barrier.wait()
            for _ in range(6):  # batches of 15 out of 40: the two overlap on every claim
                with contextlib.suppress(DomainError):
                    camp_runner.write_sync(service.send_step, row.id, None, 15,
                                           principal=SYSTEM)
        except BaseException as exc:  # reported below: a thread's failure is the test's
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    send_due_sync(camp_runner)  # whatever the race left: finish
    sent = Counter(n.customer_id for n in messages(camp_runner, row.id))
    assert set(sent) == set(ids) and set(sent.values()) == {1}
    assert len(recipients(camp_runner, row.id)) == 40
    assert status(camp_runner, row.id) == "DONE"


def test_language_variables_and_skipped_customers(factory, camp_runner) -> None:  # noqa: ANN001
    region, ids = audience(factory, 3)
    english = factory.customer(region=region, email="en@example.com", language="en",
                               name="Ada {{unsubscribe_url}} {0.__class__}")
    no_mail = factory.customer(region=region, email="")
    gone = factory.customer(region=region, email="gone@example.com")
    _optout(camp_runner, gone.id)
    row = campaign(camp_runner, region)
    send_due_sync(camp_runner)
    found = {n.customer_id: n for n in messages(camp_runner, row.id)}
    assert set(found) == {*ids, english.id}
    assert no_mail.id not in found and gone.id not in found
    en = found[english.id]
    assert en.language == "en" and en.subject == "New for Ada {{unsubscribe_url}} {0.__class__}"
    assert en.body.startswith("Hello Ada {{unsubscribe_url}} {0.__class__}, new arrivals: "
                              "https://crm.example.com/c/c/")
    assert "Unsubscribe: https://crm.example.com/c/u/" in en.body
    zh = found[ids[0]]
    assert zh.language == "zh" and zh.body.startswith("您好 ") and "退订：" in zh.body
    assert zh.status == "PENDING" and zh.channel == "EMAIL"
    assert status(camp_runner, row.id) == "DONE"


def test_unsubscribe_is_honoured_by_a_later_campaign(factory, camp_runner) -> None:  # noqa: ANN001
    region, ids = audience(factory, 3)
    first = campaign(camp_runner, region)
    send_due_sync(camp_runner)
    assert camp_runner.write_sync(service.unsubscribe, first.id, ids[0], principal=SYSTEM)
    assert not camp_runner.read_sync(service.marketing_allowed, (ids[0],), {})
    later = campaign(camp_runner, region, channel="IN_APP")
    factory.user("CUSTOMER", customer_id=ids[1])  # IN_APP reaches customers with an account
    factory.user("CUSTOMER", customer_id=ids[0])
    send_due_sync(camp_runner)
    assert {n.customer_id for n in messages(camp_runner, later.id)} == {ids[1]}
    assert {n.status for n in messages(camp_runner, later.id)} == {"DELIVERED"}
    stats = camp_runner.read_sync(service.campaign_stats, (MARKETER, first.id), {})
    assert stats.unsubscribed == 1 and stats.recipients == 3


def test_rate_limit_per_minute(factory, camp_runner) -> None:  # noqa: ANN001
    region, _ids = audience(factory, 5)
    row = campaign(camp_runner, region, rate=2)
    now = utcnow()
    for later, total in ((0, 2), (30, 2), (61, 4), (62, 4)):
        send_due_sync(camp_runner, now + timedelta(seconds=later))
        assert len(messages(camp_runner, row.id)) == total
        assert status(camp_runner, row.id) == "SENDING"
    send_due_sync(camp_runner, now + timedelta(seconds=130))  # the last one: done
    assert len(messages(camp_runner, row.id)) == 5 and status(camp_runner, row.id) == "DONE"


def test_cancel_withdraws_unsent_messages(factory, camp_runner) -> None:  # noqa: ANN001
    region, _ids = audience(factory, 4)
    row = campaign(camp_runner, region, rate=2)
    send_due_sync(camp_runner)
    assert len(messages(camp_runner, row.id)) == 2
    cancelled = camp_runner.write_sync(service.cancel_campaign, row.id, principal=MARKETER)
    assert cancelled.status == "CANCELLED"
    assert messages(camp_runner, row.id) == []  # pending: deleted, never sent
    assert {r.status for r in recipients(camp_runner, row.id)} == {"CANCELLED"}
    send_due_sync(camp_runner, utcnow() + timedelta(minutes=5))
    assert len(recipients(camp_runner, row.id)) == 2 and messages(camp_runner, row.id) == []


def test_state_machine(factory, camp_runner) -> None:  # noqa: ANN001
    region, _ids = audience(factory, 1)
    draft = campaign(camp_runner, region, schedule=False)
    with pytest.raises(DomainError) as caught:
        camp_runner.write_sync(service.cancel_campaign, draft.id, principal=MARKETER)
    assert caught.value.code is ErrorCode.INVALID_TRANSITION
    later = utcnow() + timedelta(hours=1)
    scheduled = camp_runner.write_sync(service.schedule_campaign, draft.id, later,
                                       principal=MARKETER)
    assert scheduled.status == "SCHEDULED"
    for fn, args in ((service.schedule_campaign, ()), (service.update_campaign,
                                                       (service.CampaignDraft(name="x"),))):
        with pytest.raises(DomainError) as caught:
            camp_runner.write_sync(fn, draft.id, *args, principal=MARKETER)
        assert caught.value.code is ErrorCode.INVALID_TRANSITION
    send_due_sync(camp_runner)
    assert status(camp_runner, draft.id) == "SCHEDULED" and not messages(camp_runner, draft.id)
    send_due_sync(camp_runner, later + timedelta(seconds=1))
    assert status(camp_runner, draft.id) == "DONE"
    assert len(messages(camp_runner, draft.id)) == 1
    with pytest.raises(DomainError) as caught:
        camp_runner.write_sync(service.cancel_campaign, draft.id, principal=MARKETER)
    assert caught.value.code is ErrorCode.INVALID_TRANSITION
