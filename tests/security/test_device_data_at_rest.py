"""Push tokens at rest (docs/architecture.md#offline-writes-and-push): with CRM_DATA_KEY set,
a device's token is ciphertext in the database, found again through its keyed hash (a second
registration is the same device, sign-out by token finds it)."""

from __future__ import annotations

import secrets

from tests.devices.test_devices import MINE, REGISTER, UNREGISTER
from tests.security.test_data_at_rest import _raw_rows


async def test_device_tokens_are_encrypted_and_found_by_hash(encrypted):
    api = encrypted.api
    rep = encrypted.factory.user("SALES")
    token = "fcm:" + secrets.token_urlsafe(48)
    first = (await api.ok(REGISTER, {"token": token, "platform": "ANDROID"},
                          rep.token))["deviceRegister"]["device"]
    again = (await api.ok(REGISTER, {"token": token, "platform": "ANDROID"},
                          rep.token))["deviceRegister"]["device"]
    assert again["id"] == first["id"] and first["tokenEnding"] == token[-4:]
    rows = "\n".join(_raw_rows(encrypted.url, "device"))
    assert token not in rows and "enc1:" in rows
    gone = (await api.ok(UNREGISTER, {"token": token}, rep.token))["deviceUnregister"]
    assert gone["device"]["id"] == first["id"]
    assert (await api.ok(MINE, None, rep.token))["myDevices"] == []
