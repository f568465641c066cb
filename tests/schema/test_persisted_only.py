"""CRM_PERSISTED_ONLY=1 (mobile releases): only the contract's documents run, by their hash
from frontend-contract/generated/persisted-documents.json (or an operation file's); anything
else is PERSISTED_QUERY_REQUIRED with HTTP 400, over HTTP and over WebSocket."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import httpx
import pytest

from app.config import load_settings
from app.persistence.db import Database
from schema.asgi import create_app
from schema.core.persisted import CONTRACT_MANIFEST, CONTRACT_OPERATIONS, PersistedQueries
from tests.subscriptions.harness import LiveServer, WsClient, live_settings

MANIFEST: dict[str, str] = json.loads(CONTRACT_MANIFEST.read_text(encoding="utf-8"))
ME = next(h for h, doc in MANIFEST.items() if doc.startswith("query Me "))
AD_HOC = "query AdHoc { me { role } }"


def _apq(digest: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


@pytest.fixture(scope="module")
def locked_app(settings, db):  # noqa: ANN001, ANN201
    return create_app(settings=replace(settings, persisted_only=True), db=db)


async def _post(app, body: dict, token: str, accept: str = "application/json"
                ) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post("/graphql", json=body, headers={
            "authorization": f"Bearer {token}", "accept": accept})


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    assert body.get("data") is None


async def test_an_ad_hoc_document_is_refused_with_400(locked_app, factory, db):
    admin = factory.user("ADMIN")
    db.counter.reset()
    _refused(await _post(locked_app, {"query": AD_HOC}, admin.token))
    _refused(await _post(locked_app, {"query": AD_HOC}, admin.token,
                         accept="application/graphql-response+json"))
    # registering it the APQ way does not help: nothing is learned in this mode
    digest = hashlib.sha256(AD_HOC.encode()).hexdigest()
    _refused(await _post(locked_app, {"query": AD_HOC, "extensions": _apq(digest)},
                         admin.token))
    _refused(await _post(locked_app, {"extensions": _apq(digest)}, admin.token))
    assert db.counter.count == 0


async def test_a_manifest_hash_runs(locked_app, factory):
    admin = factory.user("ADMIN")
    response = await _post(locked_app, {"extensions": _apq(ME)}, admin.token)
    assert response.status_code == 200, response.text
    me = response.json()["data"]["me"]
    assert (me["role"], me["user"]["email"], me["user"]["id"]) == ("ADMIN", admin.email,
                                                                  admin.gid)
    # the manifest's document as text is the same document: it runs too
    same = await _post(locked_app, {"query": MANIFEST[ME]}, admin.token)
    assert same.status_code == 200 and "errors" not in same.json()


async def test_an_operation_file_hash_runs(locked_app, factory):
    admin = factory.user("ADMIN")
    text = (CONTRACT_OPERATIONS / "me.graphql").read_text(encoding="utf-8")
    response = await _post(locked_app, {"extensions": _apq(
        hashlib.sha256(text.encode()).hexdigest())}, admin.token)
    assert response.status_code == 200 and response.json()["data"]["me"]["role"] == "ADMIN"


async def test_without_the_flag_ad_hoc_documents_run_and_manifest_hashes_too(api, factory):
    admin = factory.user("ADMIN")
    assert (await api.ok(AD_HOC, None, admin.token))["me"]["role"] == "ADMIN"
    response = await api.client.post("/graphql", json={"extensions": _apq(ME)},
                                     headers={"authorization": f"Bearer {admin.token}"})
    assert response.json()["data"]["me"]["role"] == "ADMIN"


async def test_over_websocket_only_persisted_documents(settings, factory):
    admin = factory.user("ADMIN")
    own = Database(settings.database_url)
    server = LiveServer(live_settings(settings, persisted_only=True), own).start()
    try:
        ws = await WsClient.connect(server.ws_url, admin.token)
        await ws.subscribe("adhoc", AD_HOC)
        message = await ws.message("adhoc")
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
        await ws.subscribe("me", MANIFEST[ME])
        assert (await ws.next("me"))["data"]["me"]["role"] == "ADMIN"
        await ws.close()
    finally:
        server.stop()
        own.dispose()


def test_the_flag_and_the_manifest(tmp_path):
    base = {"CRM_JWT_SECRET": "s" * 40}
    assert load_settings(base).persisted_only is False
    assert load_settings({**base, "CRM_PERSISTED_ONLY": "1"}).persisted_only is True
    store = PersistedQueries()
    assert store.pin_manifest() == len(MANIFEST) > 0
    assert all(store.get(h) == doc for h, doc in MANIFEST.items())
    forged = tmp_path / "persisted-documents.json"
    forged.write_text(json.dumps({ME: AD_HOC}), encoding="utf-8")
    with pytest.raises(ValueError, match="not the sha256"):
        PersistedQueries().pin_manifest(forged)
