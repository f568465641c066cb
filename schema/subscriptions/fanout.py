"""Subscription fan-out: one execution per distinct (document, variables, scope).

Subscribers whose operation, variables and permission scope are identical join
one group. The group runs the subscription once: per event the selection set
executes once, the result is JSON-encoded once, and the same bytes go to every
member (only the operation id differs in each frame). A member ends on its own
when its token expires or it falls too far behind; the group ends with its last
member. Subscriptions resuming from a cursor (`since`) replay history only they
need, so they get a group of their own.

Each member starts where it subscribed (schema/subscriptions/start.py): a group's
execution starts at its first member's start, and a member that joins later skips the
results of events committed before its own (a group that is behind may still be on them).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Hashable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import orjson
from graphql import (
    FieldNode,
    GraphQLError,
    NullValueNode,
    OperationType,
    VariableNode,
    get_operation_ast,
    parse,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.utils.aio import aclosing

from app.auth.principal import Principal
from app.auth.roles import Role
from app.ids import process_unique
from schema.core.context import Context
from schema.subscriptions.registry import is_personal, topics_of
from schema.subscriptions.start import Starts
from schema.subscriptions.streams import OpenFeed

log = logging.getLogger("crm.subscriptions")
MEMBER_QUEUE = 1000
_private = itertools.count(1)


@dataclass(frozen=True)
class Shape:
    """What the fan-out needs to know about a subscription document."""

    root_fields: tuple[str, ...]
    opaque: bool  # root fragments: treat as personal and unshared
    since_literal: bool
    since_variables: tuple[str, ...]
    variable_defaults: frozenset[str]  # variables with a non-null default


@lru_cache(maxsize=1024)
def analyze(query: str, operation_name: str | None) -> Shape | None:
    """The shape of a subscription operation; None for anything else."""
    try:
        document = parse(query)
    except GraphQLError:
        return None
    op = get_operation_ast(document, operation_name)
    if op is None or op.operation is not OperationType.SUBSCRIPTION:
        return None
    fields: list[str] = []
    literal, variables, opaque = False, [], False
    for selection in op.selection_set.selections:
        if not isinstance(selection, FieldNode):
            opaque = True
            continue
        fields.append(selection.name.value)
        for arg in selection.arguments or ():
            if arg.name.value != "since":
                continue
            if isinstance(arg.value, VariableNode):
                variables.append(arg.value.name.value)
            elif not isinstance(arg.value, NullValueNode):
                literal = True
    defaults = frozenset(
        d.variable.name.value for d in op.variable_definitions or ()
        if d.default_value is not None and not isinstance(d.default_value, NullValueNode))
    return Shape(tuple(fields), opaque, literal, tuple(variables), defaults)


def scope_key(principal: Principal | None, personal: bool) -> Hashable:
    """Everything about the caller that can change what a subscription returns."""
    if principal is None:
        return None
    user = principal.user_id if personal or principal.role is Role.SALES else None
    return (principal.role.value, principal.customer_scope,
            tuple(sorted(principal.warehouse_scope or ())), user)


def group_key(shape: Shape, query: str, operation_name: str | None,
              variables: dict[str, Any] | None, principal: Principal | None
              ) -> Hashable | None:
    """None: a group of its own (a resume, or root fragments the fan-out cannot read)."""
    variables = variables or {}
    resumes = shape.since_literal or any(
        variables.get(v) is not None or (v not in variables and v in shape.variable_defaults)
        for v in shape.since_variables)
    if resumes or shape.opaque:
        return None
    personal = is_personal(shape.root_fields)
    return (query, operation_name, orjson.dumps(variables, option=orjson.OPT_SORT_KEYS),
            scope_key(principal, personal))


def error_payload(message: str, code: str) -> list[dict[str, Any]]:
    return [{"message": message, "extensions": {"code": code}}]


Item = tuple[str, Any, int | None]  # kind, payload, the outbox id of a result's event


class Member:
    """One subscriber (an operation on a connection) of a group."""

    def __init__(self, operation: Any, handler: Any, principal: Principal | None) -> None:
        self.operation = operation
        self.handler = handler
        self.expires_at = principal.expires_at if principal else None
        self.queue: asyncio.Queue[Item] = asyncio.Queue(MEMBER_QUEUE)
        self.lagging = False
        self.after: int | None = None  # results of events up to this one are not its
        self.failure: Any = None
        self._begun = asyncio.Event()

    def begin(self, after: int | None, failure: Any = None) -> None:
        self.after, self.failure = after, failure
        self._begun.set()

    def offer(self, item: Item) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.lagging = True

    async def _next(self) -> Item:
        if self.expires_at is None:
            return await self.queue.get()
        remaining = self.expires_at - time.time()
        if remaining <= 0:
            return ("expired", None, None)
        try:
            return await asyncio.wait_for(self.queue.get(), remaining)
        except TimeoutError:
            return ("expired", None, None)

    def _mine(self, event_id: int | None) -> bool:
        return self.after is None or event_id is None or event_id > self.after

    async def run(self) -> None:
        op = self.operation
        await self._begun.wait()
        if self.failure is not None:
            await op.send_operation_message({"id": op.id, "type": "error",
                                             "payload": self.failure})
            return
        while True:
            kind, payload, event_id = await self._next()
            if self.expires_at is not None and self.expires_at <= time.time():
                kind = "expired"
            if self.lagging:
                kind, payload = "error", error_payload(
                    "subscriber fell behind; subscribe again with `since` set to the last "
                    "cursor received", "TOO_SLOW")
            if kind == "next":
                if op.completed:
                    return
                if not self._mine(event_id):  # committed before this member subscribed
                    continue
                frame = '{"id":' + orjson.dumps(op.id).decode() + ',"type":"next","payload":' \
                    + payload + "}"
                await self.handler.websocket.send_text(frame)
                continue
            if kind == "expired":
                payload = error_payload("token expired; reconnect with a fresh token",
                                        "UNAUTHENTICATED")
                kind = "error"
            message = {"id": op.id, "type": kind}
            if kind == "error":
                message["payload"] = payload
            await op.send_operation_message(message)
            return


class Group:
    def __init__(self, hub: FanOut, key: Hashable, query: str, variables: dict | None,
                 operation_name: str | None, shape: Shape, context: Context,
                 *, private: bool) -> None:
        self.hub = hub
        self.key = key
        self.private = private  # its one member's stream starts where it asked (or now)
        self.query = query
        self.variables = variables
        self.operation_name = operation_name
        self.members: set[Member] = set()
        self.executions = 0
        self.finished = False  # its last message went out: newcomers need a new group
        principal = context.principal
        self.context = Context(
            request=None, settings=context.settings, runner=context.runner,
            principal=replace(principal, expires_at=None) if principal else None,
            request_id=process_unique(), services=context.services)
        bus = getattr(context.services, "bus", None)
        topics = topics_of(shape.root_fields)
        # Registered now, before its start is read: every event after the start is heard.
        self.feed = OpenFeed(bus.open(set(topics)), owned=False) \
            if bus is not None and topics else None
        self.context.event_feed = self.feed
        self.task: asyncio.Task | None = None

    @property
    def done(self) -> bool:
        return self.finished or (self.task is not None and self.task.done())

    def start(self, position: int) -> None:
        """Run the subscription for events after `position` (unless it resumes)."""
        if self.feed is not None:
            self.feed.start = position
        self.task = asyncio.create_task(self._run(), name="subscription-group")

    def broadcast(self, kind: str, payload: Any, event_id: int | None = None) -> None:
        if kind != "next":
            self.finished = True
        for member in list(self.members):
            member.offer((kind, payload, event_id))

    async def _run(self) -> None:
        try:
            source = await self.hub.schema.subscribe(
                self.query, variable_values=self.variables, context_value=self.context,
                operation_name=self.operation_name)
            async with aclosing(source):
                async for result in source:
                    if not self._emit(result):
                        return
            self.broadcast("complete", None)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("subscription group failed")
            self.broadcast("error", error_payload("Unexpected error", "INTERNAL_SERVER_ERROR"))
        finally:
            self._close_feed()

    def _close_feed(self) -> None:
        if self.feed is not None:
            self.feed.listener.close()

    def _emit(self, result: Any) -> bool:
        """Encode one result once and hand it to every member; False ends the group."""
        self.executions += 1
        self.hub.executions += 1
        if not isinstance(result, ExecutionResult | PreExecutionError):
            self.broadcast("error", error_payload("unsupported result", "BAD_REQUEST"))
            return False
        errors = [e.formatted for e in result.errors or ()]
        if isinstance(result, PreExecutionError) or (result.data is None and errors):
            self.broadcast("error", errors or error_payload("failed", "BAD_REQUEST"))
            return False
        payload: dict[str, Any] = {"data": result.data}
        if errors:
            payload["errors"] = errors
        if result.extensions:
            payload["extensions"] = result.extensions
        event_id = self.feed.delivered if self.feed is not None else None
        self.broadcast("next", orjson.dumps(payload).decode(), event_id)  # encoded once
        return True

    async def stop(self) -> None:
        if self.task is None:  # never started: its listener is still open
            self._close_feed()
        elif not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


class FanOut:
    """The groups of one process."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self.groups: dict[Hashable, Group] = {}
        self.executions = 0
        self.starts = Starts()

    def join(self, operation: Any, handler: Any, shape: Shape) -> tuple[Group, Member]:
        """Synchronous on purpose: once it returns, the subscriber is registered (its
        group's listener open, its queue taking the group's results); `begin` follows."""
        context: Context = handler.context
        key = group_key(shape, operation.query, operation.operation_name, operation.variables,
                        context.principal)
        private = key is None
        if key is None:
            key = ("private", next(_private))
        group = self.groups.get(key)
        if group is None or group.done:
            group = Group(self, key, operation.query, operation.variables,
                          operation.operation_name, shape, context, private=private)
            self.groups[key] = group
        member = Member(operation, handler, context.principal)
        group.members.add(member)
        return group, member

    async def begin(self, group: Group, member: Member) -> None:
        """Read where a joined member starts; the first member's start starts its group
        (a later member's is never smaller: a group never starts after a member's start)."""
        try:
            position = await self.starts.read(group.context.runner)
        except Exception:
            log.exception("reading where a subscription starts failed")
            member.begin(None, error_payload("Unexpected error", "INTERNAL_SERVER_ERROR"))
            return
        member.begin(None if group.private else position)
        if group.task is None and not group.finished:
            group.start(position)

    async def leave(self, group: Group, member: Member) -> None:
        group.members.discard(member)
        if not group.members:
            if self.groups.get(group.key) is group:
                del self.groups[group.key]
            await group.stop()

    @property
    def subscriber_count(self) -> int:
        return sum(len(g.members) for g in self.groups.values())
