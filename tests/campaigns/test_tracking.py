"""The tracking endpoints over HTTP: the open pixel and the click redirect take only
genuine tokens, redirect only to the campaign's own targets inside the allowed domains
(never an open redirect), one-click unsubscribe (RFC 8058) is a POST; orders placed after
a click are attributed; a real e-mail with its List-Unsubscribe header and pixel reaches a
local SMTP server (docs/architecture.md#campaigns)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from app.auth.principal import SYSTEM
from app.campaigns import service
from app.campaigns.jobs import send_due_sync
from app.campaigns.links import Signer, allowed_url
from app.campaigns.mail import decorator
from app.campaigns.models import CampaignRecipient
from app.events.bus import InProcessBus
from app.notifications.channels import EmailChannel
from app.notifications.dispatcher import NotificationDispatcher
from app.notifications.models import Notification
from app.orders.models import Order
from app.persistence.columns import utcnow
from tests.campaigns.conftest import DOMAINS
from tests.campaigns.support import MARKETER, audience, campaign, messages, recipients
from tests.notifications.sinks import sinks
from tests.orders.support import pk


def _links(body: str) -> dict[str, str]:
    return {kind: token for kind, token in re.findall(r"/c/([cu])/([A-Za-z0-9_.-]+)", body)}


@pytest.fixture(scope="module")
def sent(factory, camp_runner):  # noqa: ANN001, ANN201
    """A campaign queued to three customers: (campaign, customer ids, {customer: links})."""
    region, ids = audience(factory, 3)
    row = campaign(camp_runner, region)
    send_due_sync(camp_runner)
    links = {n.customer_id: _links(n.body) for n in messages(camp_runner, row.id)}
    return row, ids, links


async def test_open_pixel(camp_client, camp_settings, sent, camp_runner) -> None:  # noqa: ANN001
    row, ids, _links = sent
    signer = Signer.from_settings(camp_settings)
    response = await camp_client.get(f"/c/o/{signer.sign('o', row.id, ids[0])}")
    assert response.status_code == 200 and response.headers["content-type"] == "image/gif"
    assert response.content.startswith(b"GIF89a") and "no-store" in response.headers[
        "cache-control"]
    forged = Signer(b"k" * 32).sign("o", row.id, ids[1])
    other_kind = signer.sign("u", row.id, ids[1])
    stranger = signer.sign("o", row.id, 10**9)
    for token in (forged, other_kind, stranger, "x", "a.b", signer.sign("o", row.id, ids[1])[:-2]):
        assert (await camp_client.get(f"/c/o/{token}")).status_code == 404, token
    opened = {r.customer_id: r.opened_at for r in recipients(camp_runner, row.id)}
    assert opened[ids[0]] is not None and opened[ids[1]] is None


async def test_click_redirects_only_to_allowed_targets(camp_client, camp_settings, sent,  # noqa: ANN001
                                                       camp_runner) -> None:  # noqa: ANN001
    row, ids, links = sent
    response = await camp_client.get(f"/c/c/{links[ids[0]]['c']}")
    assert response.status_code == 302
    assert response.headers["location"] == "https://shop.example.com/new"
    signer = Signer.from_settings(camp_settings)
    evil = ("https://evil.com/", "//evil.com/x", "https://shop.example.com.evil.com/",
            "https://shop.example.com@evil.com/", "https://user:pw@shop.example.com/",
            "https:/\\evil.com", "https://shop.example.com\\@evil.com/",
            "javascript:alert(1)//shop.example.com", "ftp://shop.example.com/",
            "data:text/html,<script>", "https://evil.com#.shop.example.com",
            "http://shop.example.com:80@evil.com", " https://shop.example.com/")
    for url in evil:
        assert allowed_url(url, DOMAINS) is not None, url
        # even correctly signed, a target outside the domains is refused (400) ...
        response = await camp_client.get(f"/c/c/{signer.sign('c', row.id, ids[1], url)}")
        assert response.status_code in (400, 404) and "location" not in response.headers, url
    # ... and an allowed target the campaign never held is refused too (404)
    other = signer.sign("c", row.id, ids[1], "https://shop.example.com/elsewhere")
    assert (await camp_client.get(f"/c/c/{other}")).status_code == 404
    forged = Signer(b"k" * 32).sign("c", row.id, ids[1], "https://shop.example.com/new")
    tampered = links[ids[1]]["c"][:-3] + "AAA"
    for token in (forged, tampered, links[ids[1]]["u"]):
        response = await camp_client.get(f"/c/c/{token}")
        assert response.status_code == 404 and "location" not in response.headers
    clicked = {r.customer_id: r for r in recipients(camp_runner, row.id)}
    assert clicked[ids[0]].clicks == 1 and clicked[ids[0]].opened_at is not None
    assert clicked[ids[1]].clicks == 0


def test_allowed_url_accepts_the_domains_and_subdomains() -> None:
    for url in ("https://shop.example.com/a?b=1#c", "http://SHOP.example.com/",
                "https://www.example.org/x", "https://example.org"):
        assert allowed_url(url, DOMAINS) is None, url
    assert allowed_url("https://notexample.org/", DOMAINS) is not None
    assert allowed_url("https://example.org/", ()) is not None


async def test_unsubscribe_is_one_click_post(camp_client, sent, camp_runner) -> None:  # noqa: ANN001
    row, ids, links = sent
    token = links[ids[2]]["u"]
    page = await camp_client.get(f"/c/u/{token}")
    assert page.status_code == 200 and 'method="post"' in page.text
    assert camp_runner.read_sync(service.marketing_allowed, (ids[2],), {})  # GET: nothing
    response = await camp_client.post(f"/c/u/{token}",
                                      content=b"List-Unsubscribe=One-Click",
                                      headers={"content-type":
                                               "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    assert not camp_runner.read_sync(service.marketing_allowed, (ids[2],), {})
    assert (await camp_client.post(f"/c/u/{token[:-4]}abcd")).status_code == 404


def _window(runner, campaign_id: int, customer_id: int, start, until) -> None:  # noqa: ANN001
    """Move a recorded click's attribution window (the orders are real, placed now)."""
    def move(uow) -> None:  # noqa: ANN001
        uow.session.execute(update(CampaignRecipient).where(
            CampaignRecipient.campaign_id == campaign_id,
            CampaignRecipient.customer_id == customer_id).values(
                clicked_at=start, attributed_until=until))

    runner.write_sync(move)


async def test_orders_after_a_click_are_attributed(factory, camp_runner, kit) -> None:  # noqa: ANN001
    region, ids = audience(factory, 2)
    row = campaign(camp_runner, region)
    send_due_sync(camp_runner)
    url = "https://shop.example.com/new"
    assert camp_runner.write_sync(service.record_click, row.id, ids[0], url,
                                  principal=SYSTEM) == url
    admin = factory.user("ADMIN")
    warehouse, product = kit.warehouse(), kit.product(price="100.50")
    kit.stock(product, warehouse, 20)
    customers = {c: type("C", (), {"id": c}) for c in ids}
    first = await kit.order(admin.token, customers[ids[0]], [(product, 1)], submit=True)
    second = await kit.order(admin.token, customers[ids[0]], [(product, 2)], submit=True)
    await kit.order(admin.token, customers[ids[1]], [(product, 1)], submit=True)  # no click
    stats = camp_runner.read_sync(service.campaign_stats, (MARKETER, row.id), {})
    total = Decimal(first["total"]["amount"]) + Decimal(second["total"]["amount"])
    assert (stats.attributed_orders, stats.attributed_revenue) == (2, total)
    assert stats.clicked == 1 and stats.opened == 1 and stats.recipients == 2

    def created(session, order_id):  # noqa: ANN001, ANN202
        return session.get(Order, int(order_id)).created_at

    at = [camp_runner.read_sync(created, (pk(o["id"]),), {}) for o in (first, second)]
    # the window ends before the second order: only the first counts
    _window(camp_runner, row.id, ids[0], at[0] - timedelta(seconds=1), at[1] - timedelta(
        microseconds=1))
    stats = camp_runner.read_sync(service.campaign_stats, (MARKETER, row.id), {})
    assert (stats.attributed_orders, stats.attributed_revenue) == (
        1, Decimal(first["total"]["amount"]))
    # clicked after both: none
    _window(camp_runner, row.id, ids[0], utcnow(), utcnow() + timedelta(days=7))
    stats = camp_runner.read_sync(service.campaign_stats, (MARKETER, row.id), {})
    assert stats.attributed_orders == 0


async def test_a_real_email_reaches_the_smtp_server(factory, camp_runner, camp_settings,  # noqa: ANN001
                                                    db) -> None:  # noqa: ANN001
    mail, _sms = sinks()
    address = f"camp-{factory.customer(region='x').id}@example.com"
    region, _ = audience(factory, 0)
    customer = factory.customer(region=region, email=address)
    with db.write_engine.begin() as conn:  # other modules' pending mail is not ours to send
        conn.execute(update(Notification).where(Notification.status == "PENDING",
                                                Notification.channel.in_(("EMAIL", "SMS")))
                     .values(status="FAILED", last_error="set aside by the campaign tests"))
    row = campaign(camp_runner, region)
    send_due_sync(camp_runner)
    settings = replace(camp_settings, smtp_host="127.0.0.1", smtp_port=mail.port)
    channel = EmailChannel(host="127.0.0.1", port=mail.port, sender="crm@example.com",
                           decorate=decorator(settings))
    dispatcher = NotificationDispatcher(db, InProcessBus(), {"EMAIL": channel})
    while await dispatcher.run_once():
        pass
    (message,) = mail.wait(address)
    assert message["Subject"].startswith("新品 ")
    assert message["List-Unsubscribe"].startswith("<https://crm.example.com/c/u/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.get_body(("html",)).get_content()
    assert '<img src="https://crm.example.com/c/o/' in html
    text = message.get_body(("plain",)).get_content()
    assert "https://crm.example.com/c/c/" in text
    stats = camp_runner.read_sync(service.campaign_stats, (MARKETER, row.id), {})
    assert (stats.delivered, stats.failed, stats.pending) == (1, 0, 0)
    assert customer.id in {n.customer_id for n in messages(camp_runner, row.id)}
