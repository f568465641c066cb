"""Where webhooks may go: only http(s), never to loopback, private, link-local and other
non-public addresses unless CRM_WEBHOOK_ALLOWED_NETWORKS allows them
(docs/architecture.md#outgoing-webhooks). The API tests use the suite's app, which allows
no network."""

from __future__ import annotations

import ipaddress

import pytest

from app.config import ConfigError, load_settings
from app.errors import DomainError
from app.events import topics
from app.integrations import destinations
from tests.support import Api

CREATE = """mutation($input: WebhookSubscriptionCreateInput!) {
  webhookSubscriptionCreate(input: $input) { webhookSubscription { id }
    userErrors { field message code } } }"""


async def _refused(api: Api, token: str, url: str, types: list[str] | None = None,
                   **extra: str) -> list[dict]:
    inp = {"url": url, "eventTypes": [topics.ORDER_STATUS_CHANGED] if types is None else types,
           **extra}
    payload = (await api.ok(CREATE, {"input": inp}, token))["webhookSubscriptionCreate"]
    assert payload["webhookSubscription"] is None
    return payload["userErrors"]


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/hook", "http://localhost/hook", "http://10.1.2.3/",
    "http://192.168.0.10/", "http://172.16.5.4/", "http://169.254.169.254/latest/meta-data",
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/", "http://100.64.0.1/",
    "http://224.0.0.1/", "http://[fe80::1]/", "http://[fd00::1]/", "http://2130706433/",
])
async def test_private_and_loopback_destinations_are_refused(api: Api, factory, url: str):
    errors = await _refused(api, factory.user("ADMIN").token, url)
    assert [(e["field"], e["code"]) for e in errors] == [(["url"], "INVALID")]
    assert "refused" in errors[0]["message"] or "does not resolve" in errors[0]["message"]


@pytest.mark.parametrize(("url", "says"), [
    ("ftp://example.com/hook", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("gopher://127.0.0.1:6379/_", "only http and https"),
    ("https://user:pw@example.com/", "no user name or password"),
    ("http:///nohost", "needs a host"),
    ("not a url", "only http and https"),
    ("", "required"),
])
async def test_only_http_urls_with_a_host(api: Api, factory, url: str, says: str):
    errors = await _refused(api, factory.user("ADMIN").token, url)
    assert errors[0]["code"] == "INVALID" and says in errors[0]["message"]


async def test_unknown_event_types_and_short_secrets_are_refused(api: Api, factory):
    """Checked by the unit of work itself: an address literal that is public needs no DNS."""
    token = factory.user("ADMIN").token
    errors = await _refused(api, token, "https://93.184.215.14/hook",
                            ["order.status_changed", "order.deleted", "notifications.due"])
    assert [(e["field"], e["code"]) for e in errors] == [(["eventTypes"], "INVALID")]
    assert "order.deleted, notifications.due" in errors[0]["message"]
    errors = await _refused(api, token, "https://93.184.215.14/hook", secret="short")
    assert [e["field"] for e in errors] == [["secret"]]
    errors = await _refused(api, token, "https://93.184.215.14/hook", [])
    assert [e["field"] for e in errors] == [["eventTypes"]]


async def test_only_integrations_manage_may_subscribe(api: Api, factory):
    for role in ("MANAGER", "SALES"):
        body = await api.gql(CREATE, {"input": {"url": "https://93.184.215.14/",
                                                "eventTypes": [topics.STOCK_ALERT]}},
                             factory.user(role).token)
        assert body["data"] is None or body["data"]["webhookSubscriptionCreate"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_address_rules():
    public = ["93.184.215.14", "8.8.8.8", "2606:4700::1111"]
    private = ["127.0.0.1", "10.0.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
               "100.64.0.1", "0.0.0.0", "224.0.0.251", "255.255.255.255", "240.0.0.1", "::1",
               "::", "fe80::1", "fc00::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "ff02::1",
               "192.0.2.1", "198.18.0.1"]
    for a in public:
        assert destinations.is_public(ipaddress.ip_address(a)), a
    for a in private:
        assert not destinations.is_public(ipaddress.ip_address(a)), a
    allow = destinations.networks(["127.0.0.0/8", "10.1.0.0/16"])
    assert destinations.allowed(ipaddress.ip_address("127.0.0.1"), allow)
    assert destinations.allowed(ipaddress.ip_address("::ffff:127.0.0.1"), allow)
    assert destinations.allowed(ipaddress.ip_address("10.1.2.3"), allow)
    assert not destinations.allowed(ipaddress.ip_address("10.2.0.1"), allow)
    assert not destinations.allowed(ipaddress.ip_address("::1"), allow)


def test_a_name_resolving_to_loopback_is_refused_and_allowed_by_its_network():
    dest = destinations.parse("http://localhost:9/hook")
    with pytest.raises(DomainError, match="refused"):
        destinations.resolve(dest, ())
    allowed = destinations.resolve(dest, destinations.networks(["127.0.0.0/8", "::1/128"]))
    assert allowed and all(a.is_loopback for a in allowed)


def test_allowed_networks_setting_must_be_cidrs():
    assert load_settings({"CRM_JWT_SECRET": "x" * 40, "CRM_WEBHOOK_ALLOWED_NETWORKS":
                          "127.0.0.1/32, 10.0.0.0/8"}).webhook_allowed_networks == (
        "127.0.0.1/32", "10.0.0.0/8")
    with pytest.raises(ConfigError, match="CRM_WEBHOOK_ALLOWED_NETWORKS"):
        load_settings({"CRM_JWT_SECRET": "x" * 40, "CRM_WEBHOOK_ALLOWED_NETWORKS": "intranet"})
