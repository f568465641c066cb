"""The mobile screens' lean operations on demo data, sent as persisted operations (the hash
alone), with their response sizes printed: JSON, gzip and br, beside the SPA's operation
for the same screen. Compressed answers decode to the same JSON; small ones stay plain
(docs/architecture.md#offline-writes-and-push)."""

from __future__ import annotations

import gzip
import hashlib
import json
from typing import Any

import brotli
import pytest

from tests.contract.test_operations import (  # noqa: F401 (the module's fixtures)
    CASES,
    OPERATIONS,
    Session,
    demo,
    session,
)

# mobile screen -> the SPA's operation for the same screen (None: the SPA has none)
SCREENS = {"mobile/my-customers.graphql": None,
           "mobile/my-agenda.graphql": "my-agenda.graphql",
           "mobile/order-status.graphql": "orders-page.graphql",
           "mobile/shipment-tracking.graphql": "customer-tracking.graphql"}


async def _post(s: Session, name: str, encoding: str, *, persisted: bool) -> Any:
    who, variables = CASES[name]
    token = (await s.login(who))["accessToken"]
    document = (OPERATIONS / name).read_text()
    body: dict[str, Any] = {"variables": await variables(s)}
    if persisted:
        body["extensions"] = {"persistedQuery": {
            "version": 1, "sha256Hash": hashlib.sha256(document.encode()).hexdigest()}}
    else:
        body["query"] = document
    request = json.dumps(body).encode()
    # stream: read the bytes as they came over the wire, before httpx decodes them
    async with s.client.stream("POST", "/graphql", content=request, headers={
            "authorization": f"Bearer {token}", "content-type": "application/json",
            "accept-encoding": encoding}) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.status_code == 200
    return response, raw, len(request)


def _decode(response: Any, raw: bytes) -> bytes:
    coding = response.headers.get("content-encoding")
    return {"br": brotli.decompress, "gzip": gzip.decompress}.get(coding, bytes)(raw)


async def test_mobile_screens_are_lean_and_compressed(session: Session):  # noqa: F811
    print("\nmobile screen                      request  json     gzip    br   | SPA json")
    for name, spa in SCREENS.items():
        plain, body, request = await _post(session, name, "identity", persisted=True)
        assert "content-encoding" not in plain.headers
        data = json.loads(body)
        assert not data.get("errors") and all(v is not None for v in data["data"].values())
        sizes = {}
        for coding in ("gzip", "br"):
            response, raw, _ = await _post(session, name, coding, persisted=True)
            if len(body) >= session.settings.compress_min_bytes:
                assert response.headers["content-encoding"] == coding
                assert "accept-encoding" in response.headers["vary"].lower()
                assert len(raw) < len(body)
            assert json.loads(_decode(response, raw)) == data
            sizes[coding] = len(raw)
        spa_size = "-"
        if spa is not None:
            _r, spa_body, _ = await _post(session, spa, "identity", persisted=False)
            spa_size = str(len(spa_body))
            assert len(body) < len(spa_body), (name, len(body), len(spa_body))
        print(f"{name:34} {request:7} {len(body):7} {sizes['gzip']:7} {sizes['br']:5}  | "
              f"{spa_size}")


@pytest.mark.parametrize(("accept", "coding"), [
    ("gzip, deflate, br", "br"), ("br;q=0, gzip", "gzip"), ("*", "br"),
    ("gzip;q=0, br;q=0", None), ("", None)])
async def test_accept_encoding_is_respected(session: Session, accept: str,  # noqa: F811
                                           coding: str | None):
    response, raw, _ = await _post(session, "mobile/shipment-tracking.graphql", accept,
                                   persisted=True)
    assert response.headers.get("content-encoding") == coding
    assert json.loads(_decode(response, raw))["data"]["shipments"]["nodes"]


async def test_small_responses_stay_plain(session: Session):  # noqa: F811
    token = (await session.login("sales@demo.local"))["accessToken"]
    async with session.client.stream("POST", "/graphql", json={"query": "{ me { role } }"},
                                      headers={"authorization": f"Bearer {token}",
                                               "accept-encoding": "br, gzip"}) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    assert "content-encoding" not in response.headers
    assert json.loads(raw)["data"]["me"]["role"] == "SALES"
