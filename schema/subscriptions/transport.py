"""graphql-transport-ws for the app: authentication from `connection_init`,
text frames, token expiry, and subscriptions served through the fan-out.

Protocol rules come from strawberry's handler (init timeout 4408, subscribe
before ack 4401, duplicate id 4409, ping/pong); this module adds what the
application needs on top.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.types.execution import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from schema.core.context import principal_from_header
from schema.loading.loaders import Loaders
from schema.subscriptions.fanout import Group, Member, analyze, error_payload

log = logging.getLogger("crm.ws")


class TextWebSocketAdapter(ASGIWebSocketAdapter):
    """graphql-transport-ws frames are text; closing twice is harmless."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        await self.send_text(orjson.dumps(message).decode())

    async def send_text(self, text: str) -> None:
        if self.ws.application_state == WebSocketState.DISCONNECTED:
            raise WebSocketDisconnected
        try:
            await self.ws.send_text(text)
        except (WebSocketDisconnect, RuntimeError) as exc:
            raise WebSocketDisconnected from exc

    async def close(self, code: int, reason: str) -> None:
        if self.ws.application_state != WebSocketState.DISCONNECTED:
            with contextlib.suppress(RuntimeError):  # the peer is already gone
                await self.ws.close(code=code, reason=reason)


def token_expired(context: Any) -> bool:
    principal = getattr(context, "principal", None)
    expires = getattr(principal, "expires_at", None)
    return expires is not None and expires <= time.time()


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._joins: dict[Any, tuple[Group, Member]] = {}

    async def handle_subscribe(self, message: Any) -> None:
        if self.connection_acknowledged and not self._persisted(message):
            await self.send_message({"id": message["id"], "type": "error", "payload": (
                error_payload("this server runs only the app's persisted operations",
                              "PERSISTED_QUERY_REQUIRED"))})
            return
        await super().handle_subscribe(message)
        operation = self.operations.get(message.get("id")) if isinstance(message, dict) else None
        if operation is None or operation in self._joins or token_expired(self.context):
            return
        shape = analyze(operation.query, operation.operation_name)
        fanout = getattr(self.view, "fanout", None)
        if shape is not None and fanout is not None:
            joined = fanout.join(operation, self, shape)
            self._joins[operation] = joined
            # started before the next message is read: a following ping's pong means "live"
            await fanout.begin(*joined)

    def _persisted(self, message: Any) -> bool:
        """With CRM_PERSISTED_ONLY=1, only the contract's documents (schema/core/persisted.py)."""
        if not getattr(self.view, "persisted_only", False):
            return True
        payload = message.get("payload") if isinstance(message, dict) else None
        query = payload.get("query") if isinstance(payload, dict) else None
        return self.view.persisted_queries.is_pinned(query if isinstance(query, str) else None)

    async def run_operation(self, operation: Any) -> None:
        if token_expired(self.context):
            await operation.send_operation_message({
                "id": operation.id, "type": "error",
                "payload": error_payload("token expired; reconnect with a fresh token",
                                         "UNAUTHENTICATED")})
            return
        joined = self._joins.get(operation)
        gauge = getattr(getattr(getattr(self.view, "state", None), "metrics", None),
                        "subscriptions", None)
        live = gauge is not None and (
            joined is not None or analyze(operation.query, operation.operation_name) is not None)
        if live:  # the active subscriptions (docs/architecture.md#metrics)
            gauge.inc()
        try:
            await self._run(operation, joined)
        finally:
            if live:
                gauge.dec()

    async def _run(self, operation: Any, joined: tuple[Group, Member] | None) -> None:
        if joined is None:
            await super().run_operation(operation)
            return
        group, member = joined
        try:
            await member.run()
        except WebSocketDisconnected:
            pass
        except Exception as error:
            await self.handle_task_exception(error)
        finally:
            self._joins.pop(operation, None)
            await self.view.fanout.leave(group, member)

    async def cleanup_operation(self, operation_id: str) -> None:
        operation = self.operations.get(operation_id)
        await super().cleanup_operation(operation_id)
        joined = self._joins.pop(operation, None) if operation is not None else None
        if joined is not None:  # cancelled before it ran: leave here
            asyncio.get_running_loop().create_task(self.view.fanout.leave(*joined))


class WebSocketAuthMixin:
    """View methods for the WebSocket side of the GraphQL endpoint."""

    websocket_adapter_class = TextWebSocketAdapter
    graphql_transport_ws_handler_class = TransportWSHandler

    async def execute_single(self, *, request_data: Any, **kwargs: Any) -> ExecutionResult:
        """Subscriptions are served over WebSocket only; say so instead of failing."""
        query = getattr(request_data, "query", None)
        if isinstance(query, str) and analyze(query, request_data.operation_name) is not None:
            return ExecutionResult(data=None, errors=[GraphQLError(
                "subscriptions are served over WebSocket (graphql-transport-ws) at /graphql",
                extensions={"code": "BAD_REQUEST"})])
        return await super().execute_single(request_data=request_data, **kwargs)  # type: ignore[misc]

    async def on_ws_connect(self, context: Any) -> UnsetType | dict[str, object] | None:
        """Authenticate from the connection_init payload {"authorization": "Bearer ..."}."""
        params = context.connection_params or {}
        header = params.get("authorization") or params.get("Authorization")
        if not isinstance(header, str) or not header.strip():
            await self._reject(context, "authentication required")
        principal, error = principal_from_header(context.settings, header)
        if principal is None:
            await self._reject(context, error or "invalid token")
        context.principal = principal
        context.token_error = None
        context.loaders = Loaders(context.runner, principal)
        return UNSET

    @staticmethod
    async def _reject(context: Any, reason: str) -> None:
        # 4403 with the reason, so a client can tell "expired" from "invalid"
        websocket = context.request
        if websocket is not None and websocket.application_state != WebSocketState.DISCONNECTED:
            await websocket.close(code=4403, reason=f"Forbidden: {reason}"[:120])
        raise ConnectionRejectionError({"message": reason})
