"""Push devices over HTTP: register, list one's own, unregister; a token is personal data
(docs/architecture.md#offline-writes-and-push)."""

from __future__ import annotations

import secrets

from sqlmodel import select

from app.devices.models import Device

DEVICE = "id platform name tokenEnding lastSeenAt"
REGISTER = ("mutation($token: String!, $platform: DevicePlatform!, $name: String) { "
            "deviceRegister(token: $token, platform: $platform, name: $name) { "
            f"device {{ {DEVICE} }} userErrors {{ field code }} }} }}")
UNREGISTER = ("mutation($id: ID, $token: String) { deviceUnregister(id: $id, token: $token) "
              f"{{ device {{ {DEVICE} }} userErrors {{ field code }} }} }}")
MINE = f"{{ myDevices {{ {DEVICE} }} }}"


def token() -> str:
    return "fcm:" + secrets.token_urlsafe(40)


async def register(api, user, value: str, platform: str = "ANDROID", **extra) -> dict:  # noqa: ANN001
    payload = (await api.ok(REGISTER, {"token": value, "platform": platform, **extra},
                            user.token))["deviceRegister"]
    assert payload["userErrors"] == [], payload
    return payload["device"]


def devices(factory, value: str) -> list[Device]:  # noqa: ANN001
    def fetch(session) -> list[Device]:  # noqa: ANN001
        return [d for d in session.exec(select(Device)) if d.token == value]
    return factory.runner.read_sync(fetch, (), {})


async def test_register_list_and_unregister_own_devices(api, factory):
    rep, other = factory.user("SALES"), factory.user("SALES")
    phone, tablet = token(), token()
    one = await register(api, rep, phone, name="小米 14")
    two = await register(api, rep, tablet, "IOS")
    assert (one["platform"], one["name"], one["tokenEnding"]) == ("ANDROID", "小米 14",
                                                                  phone[-4:])
    again = await register(api, rep, phone)  # every sign-in registers again: one device
    assert again["id"] == one["id"] and again["name"] == "小米 14"
    mine = (await api.ok(MINE, None, rep.token))["myDevices"]
    assert [d["id"] for d in mine] == [one["id"], two["id"]]
    assert (await api.ok(MINE, None, other.token))["myDevices"] == []
    # another user's device answers like a missing one, by id and by token
    for args in ({"id": one["id"]}, {"token": phone}):
        payload = (await api.ok(UNREGISTER, args, other.token))["deviceUnregister"]
        assert payload["userErrors"][0]["code"] == "NOT_FOUND"
    node = await api.ok("query($id: ID!) { node(id: $id) { id } }", {"id": one["id"]},
                        other.token)
    assert node["node"] is None
    gone = (await api.ok(UNREGISTER, {"token": phone}, rep.token))["deviceUnregister"]
    assert gone["device"]["id"] == one["id"]
    gone = (await api.ok(UNREGISTER, {"id": two["id"]}, rep.token))["deviceUnregister"]
    assert gone["userErrors"] == []
    assert (await api.ok(MINE, None, rep.token))["myDevices"] == []


async def test_a_token_moves_to_whoever_signs_in_and_bad_input_is_refused(api, factory):
    rep = factory.user("SALES")
    buyer = factory.user("CUSTOMER", customer_id=factory.customer().id)
    shared = token()
    await register(api, rep, shared)
    await register(api, buyer, shared, "IOS")
    assert [d.user_id for d in devices(factory, shared)] == [buyer.id]
    assert (await api.ok(MINE, None, rep.token))["myDevices"] == []
    bad = (await api.ok(REGISTER, {"token": " ", "platform": "IOS"},
                        rep.token))["deviceRegister"]
    assert bad["userErrors"] == [{"field": ["token"], "code": "INVALID"}]
    body = await api.gql(MINE)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
