"""The baseline for S4: a hand-written graphql-transport-ws endpoint on the same event bus.
One bus listener; each event is encoded once (orjson) and the same frame is sent to every
subscriber, which is the least any fan-out has to do."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.events.topics import ORDER_STATUS_CHANGED
from app.ids import to_global_id as gid


class Fanout:
    def __init__(self, bus: Any) -> None:
        self.bus = bus
        self.sockets: dict[WebSocket, str] = {}
        self.task: asyncio.Task | None = None

    async def _pump(self) -> None:
        async for event in self.bus.subscribe({ORDER_STATUS_CHANGED}):
            p = event.payload
            payload = {"data": {"orderStatusChanged": {
                "orderId": gid("Order", p["order_id"]),
                "transition": {"fromStatus": p.get("from_status"), "toStatus": p["to_status"]}}}}
            for ws, op_id in list(self.sockets.items()):
                frame = orjson.dumps({"id": op_id, "type": "next", "payload": payload}).decode()
                with contextlib.suppress(Exception):
                    await ws.send_text(frame)

    async def endpoint(self, ws: WebSocket) -> None:
        await ws.accept(subprotocol="graphql-transport-ws")
        if self.task is None:
            self.task = asyncio.create_task(self._pump())
        try:
            while True:
                msg = orjson.loads(await ws.receive_text())
                if msg.get("type") == "connection_init":
                    await ws.send_text('{"type":"connection_ack"}')
                elif msg.get("type") == "subscribe":
                    self.sockets[ws] = msg["id"]
                elif msg.get("type") == "ping":
                    await ws.send_text('{"type":"pong"}')
        except WebSocketDisconnect:
            pass
        finally:
            self.sockets.pop(ws, None)


def route(state: Any) -> WebSocketRoute:
    return WebSocketRoute("/ws", Fanout(state.bus).endpoint)
