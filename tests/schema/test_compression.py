"""The compression middleware's boundaries (schema/core/compression.py): WebSocket frames
and export downloads pass untouched; GraphQL bodies from the minimum size are compressed.
A small Starlette app stands in for the routes, wrapped in the real middleware."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from schema.core.compression import Compression, accepted

BIG = {"rows": [{"id": i, "name": "上海茶叶有限公司"} for i in range(200)]}


def _app(tmp_path: Path, minimum: int = 1024) -> Starlette:
    export = tmp_path / "orders.csv"
    export.write_text("id,name\n" + "1,上海茶叶有限公司\n" * 2000, encoding="utf-8")

    async def graphql(_request: object) -> JSONResponse:
        return JSONResponse(BIG)

    async def download(_request: object) -> FileResponse:
        return FileResponse(export, media_type="text/csv")

    async def socket(ws: WebSocket) -> None:
        await ws.accept(subprotocol="graphql-transport-ws")
        await ws.send_bytes(orjson.dumps(BIG))
        await ws.close()

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"]),
                             WebSocketRoute("/graphql", socket),
                             Route("/exports/{id}", download)],
                     middleware=[Middleware(Compression, minimum_size=minimum)])


def _client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_graphql_is_compressed_and_export_downloads_are_not(tmp_path: Path):
    async with _client(_app(tmp_path)) as client:
        response = await client.post("/graphql", headers={"accept-encoding": "br"})
        assert response.headers["content-encoding"] == "br" and response.json() == BIG
        export = await client.get("/exports/1", headers={"accept-encoding": "gzip, br"})
        assert "content-encoding" not in export.headers
        assert export.text.startswith("id,name\n")


async def test_websocket_frames_pass_untouched(tmp_path: Path):
    """The ASGI WebSocket conversation, driven by hand: frames come out as the route sent."""
    incoming = [{"type": "websocket.connect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": "/graphql", "raw_path": b"/graphql",
             "root_path": "", "scheme": "ws", "query_string": b"", "server": ("t", 80),
             "headers": [(b"accept-encoding", b"gzip, br"),
                         (b"sec-websocket-protocol", b"graphql-transport-ws")],
             "subprotocols": ["graphql-transport-ws"], "app": None}
    await _app(tmp_path)(scope, receive, send)
    frames = [m for m in sent if m["type"] == "websocket.send"]
    assert [orjson.loads(m["bytes"]) for m in frames] == [BIG]


async def test_zero_minimum_switches_it_off(tmp_path: Path):
    async with _client(_app(tmp_path, minimum=0)) as client:
        response = await client.post("/graphql", headers={"accept-encoding": "gzip, br"})
        assert "content-encoding" not in response.headers and response.json() == BIG


def test_accept_encoding_parsing():
    assert accepted("gzip, deflate, br") == {"gzip", "deflate", "br"}
    assert accepted("br;q=0, gzip;q=0.5") == {"gzip"}
    assert accepted("*;q=0.1") == {"br", "gzip"}
    assert accepted("gzip;q=bad, identity") == {"identity"}
    assert accepted("") == set()
