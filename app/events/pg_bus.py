"""PostgreSQL LISTEN/NOTIFY bus: several processes on one PostgreSQL need nothing else.

Like the Redis bus (redis_bus.py beside this module): publishing goes only to PostgreSQL
(`pg_notify` on a connection of the bus's own, after commit: a NOTIFY inside the unit of
work would serialize commits on PostgreSQL's notification queue lock), and each process,
the publisher included, hears it back on its one LISTEN connection and fans it out locally.
A notification carries the events themselves, packed up to the payload limit; an event too
large for one carries only its id and is read from the outbox by id when heard
(docs/architecture.md#subscriptions).

Without the connection a publication goes to this process's listeners, then fails
(`BusUnavailable`), so the relay leaves the events unpublished; when LISTEN is back every
local listener is nudged to re-read the outbox, and the relay's recovery publishes the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
import psycopg
from sqlalchemy.engine import make_url

from app.events.bus import DomainEvent, InProcessBus, Listener, ListeningBus
from app.events.redis_bus import BusUnavailable
from app.persistence.background import stop_background

log = logging.getLogger("crm.events.postgres")
CHANNEL = "crm_events"
LIMIT = 7_900  # bytes of one notification's payload (PostgreSQL refuses 8,000 and over)
TIMEOUT = 5.0  # a hung server must not hold the relay
KEEPALIVE = 5.0  # seconds without a notification before the LISTEN connection is checked
_FETCH = "SELECT id, topic, payload FROM outbox_event WHERE id = ANY(%s) ORDER BY id"


def conninfo(url: str) -> str:
    """libpq's form of the app's SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _item(event: DomainEvent) -> bytes:
    whole = orjson.dumps({"i": event.id, "t": event.topic, "p": event.payload})
    if len(whole) + 2 <= LIMIT:
        return whole
    return orjson.dumps({"i": event.id, "t": event.topic})  # read by id when heard


def pack(events: list[DomainEvent]) -> list[str]:
    """JSON arrays of the events, each within the payload limit."""
    out: list[str] = []
    chunk: list[bytes] = []
    size = 2
    for item in map(_item, events):
        if chunk and size + len(item) + 1 > LIMIT:
            out.append((b"[" + b",".join(chunk) + b"]").decode())
            chunk, size = [], 2
        chunk.append(item)
        size += len(item) + 1
    if chunk:
        out.append((b"[" + b",".join(chunk) + b"]").decode())
    return out


def unpack(payload: str) -> tuple[list[DomainEvent], list[int]]:
    """The events a notification carries, and the ids of those to read from the outbox."""
    try:
        items = orjson.loads(payload)
        whole = [DomainEvent(topic=str(x["t"]), payload=dict(x["p"] or {}), id=x.get("i"))
                 for x in items if "p" in x]
        refs = [int(x["i"]) for x in items if "p" not in x]
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        log.warning("ignoring a malformed bus notification")
        return [], []
    return whole, refs


class PostgresBus(ListeningBus):
    kind = "postgres"

    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        self.conninfo = conninfo(url)
        self.channel = channel
        self._local = InProcessBus()
        self._task: asyncio.Task | None = None
        self._listening = asyncio.Event()
        self._ever_listened = False
        self._down = False
        self._publisher: psycopg.AsyncConnection | None = None
        self._publish_lock = asyncio.Lock()

    async def publish(self, events: list[DomainEvent]) -> None:
        if not events:
            return
        if self._down:
            self._local.deliver(events)
            raise BusUnavailable("postgresql's LISTEN connection is down")
        try:
            async with self._publish_lock:
                conn = await self._publishing()
                async with conn.cursor() as cur:
                    for payload in pack(events):
                        await asyncio.wait_for(
                            cur.execute("SELECT pg_notify(%s, %s)", (self.channel, payload)),
                            TIMEOUT)
        except (psycopg.Error, OSError, TimeoutError) as exc:
            await self._drop_publisher()
            self._local.deliver(events)
            raise BusUnavailable(f"postgresql notify failed: {exc}") from exc

    async def _publishing(self) -> psycopg.AsyncConnection:
        if self._publisher is None or self._publisher.closed:
            self._publisher = await asyncio.wait_for(psycopg.AsyncConnection.connect(
                self.conninfo, autocommit=True), TIMEOUT)
        return self._publisher

    async def _drop_publisher(self) -> None:
        conn, self._publisher = self._publisher, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    @property
    def connected(self) -> bool:
        return self._listening.is_set()

    async def ping(self, timeout: float = 1.0) -> bool:
        """Whether the LISTEN connection is up (it hears its server or reconnects)."""
        return self.connected

    def open(self, topics: set[str]) -> Listener:
        self._ensure_listening()
        return self._local.open(topics)

    @property
    def subscriber_count(self) -> int:
        return self._local.subscriber_count

    async def start(self, timeout: float = 5.0) -> None:
        """LISTEN now, so events published after start are heard."""
        self._ensure_listening()
        try:
            await asyncio.wait_for(self._listening.wait(), timeout)
        except TimeoutError:
            log.warning("postgresql LISTEN not up yet; still trying")

    def _ensure_listening(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name="postgres-bus-listener")

    async def _listen(self) -> None:
        delay = 0.2
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost: reconnect with backoff
                self._listening.clear()
                self._down = True
                log.warning("postgresql bus connection failed (%s); retrying in %.1fs",
                            exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            else:
                delay = 0.2

    async def _listen_once(self) -> None:
        conn = await asyncio.wait_for(psycopg.AsyncConnection.connect(
            self.conninfo, autocommit=True), TIMEOUT)
        try:
            await conn.execute(f'LISTEN "{self.channel}"')
            if self._ever_listened:  # a reconnect: what was missed is re-read
                self._local.nudge()
            self._ever_listened = True
            self._down = False
            self._listening.set()
            while True:
                async for note in conn.notifies(timeout=KEEPALIVE):
                    events, refs = unpack(note.payload)
                    if refs:
                        events = sorted([*events, *await self._fetch(refs)],
                                        key=lambda e: e.id or 0)
                    self._local.deliver(events)
                # quiet for a while: a connection that died without closing fails here
                await asyncio.wait_for(conn.execute("SELECT 1"), TIMEOUT)
        finally:
            self._listening.clear()
            with contextlib.suppress(Exception):
                await conn.close()

    async def _fetch(self, ids: list[int]) -> list[DomainEvent]:
        """Events too large for a notification, from the outbox (gone: nothing to hear),
        on the publishing connection (the LISTEN one is busy waiting)."""
        async with self._publish_lock:
            conn = await self._publishing()
            rows: Any = await (await asyncio.wait_for(conn.execute(_FETCH, (ids,)),
                                                      TIMEOUT)).fetchall()
        return [DomainEvent(topic=t, payload=p or {}, id=i) for i, t, p in rows]

    async def close(self) -> None:
        if self._task is not None:
            await stop_background([self._task])
            self._task = None
        await self._drop_publisher()
        await self._local.close()
