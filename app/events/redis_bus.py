"""Redis pub/sub bus: every process delivers every event to its own listeners.

Publishing goes only to Redis; each process (the publisher included) receives
the event back from its one channel subscription and fans it out locally, so a
listener sees an event once whichever process committed it.

Without Redis (docs/architecture.md#faults) a publication goes to this process's own
listeners at once and then fails (`BusUnavailable`), so the relay leaves the events
unpublished in the outbox; while the subscription is known to be down it does not even
try Redis, so a commit never waits on a dead connection. When the subscription is back,
every local listener is nudged to re-read the outbox (what other processes committed
meanwhile), and the relay's recovery publishes what was left, for the other processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import orjson
import redis.asyncio as aioredis

from app.events.bus import DomainEvent, InProcessBus, Listener, ListeningBus
from app.persistence.background import stop_background

log = logging.getLogger("crm.events.redis")
CHANNEL = "crm:events"
PUBLISH_TIMEOUT = 5.0  # a hung Redis must not hold the relay (or a SQLite write lock)


class BusUnavailable(RuntimeError):
    """Redis could not take a publication: only this process's listeners heard it."""


def encode(event: DomainEvent) -> bytes:
    return orjson.dumps({"id": event.id, "topic": event.topic, "payload": event.payload})


def decode(data: bytes | str) -> DomainEvent | None:
    try:
        raw = orjson.loads(data)
        return DomainEvent(topic=str(raw["topic"]), payload=dict(raw.get("payload") or {}),
                           id=raw.get("id"))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        log.warning("ignoring a malformed bus message")
        return None


class RedisBus(ListeningBus):
    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        self.url = url
        self.channel = channel
        self._redis = aioredis.Redis.from_url(url, socket_connect_timeout=PUBLISH_TIMEOUT)
        self._local = InProcessBus()
        self._task: asyncio.Task | None = None
        self._subscribed = asyncio.Event()
        self._ever_subscribed = False
        # the listener's last attempt failed and none has succeeded since (at start-up too)
        self._down = False

    async def publish(self, events: list[DomainEvent]) -> None:
        """To every process through Redis; without Redis to this process's listeners only,
        then `BusUnavailable` (the events stay unpublished in the outbox)."""
        if not events:
            return
        if self._down:
            self._local.deliver(events)  # known down: no wait on a dead connection
            raise BusUnavailable("redis is unreachable")
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for event in events:
                    pipe.publish(self.channel, encode(event))
                await asyncio.wait_for(pipe.execute(), PUBLISH_TIMEOUT)
        except (aioredis.RedisError, OSError, TimeoutError) as exc:
            self._local.deliver(events)
            self._resubscribe()
            raise BusUnavailable(f"redis is unreachable: {exc}") from exc

    def _resubscribe(self) -> None:
        """A publication failed while the listener's connection looked fine (a Redis that
        hangs rather than closes): count Redis as down and start the listener afresh. Its
        next confirmed subscription ends the outage, and nudges every listener."""
        if self._down:
            return  # the listener is retrying already
        self._down = True
        self._subscribed.clear()
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._ensure_listening()

    @property
    def connected(self) -> bool:
        """Whether the channel subscription is up (what /readyz reports)."""
        return self._subscribed.is_set()

    async def ping(self, timeout: float = 1.0) -> bool:
        """Whether Redis answers within `timeout` seconds."""
        try:
            return bool(await asyncio.wait_for(self._redis.ping(), timeout))
        except (aioredis.RedisError, OSError, TimeoutError):
            return False

    def open(self, topics: set[str]) -> Listener:
        self._ensure_listening()
        return self._local.open(topics)

    @property
    def subscriber_count(self) -> int:
        return self._local.subscriber_count

    async def start(self, timeout: float = 5.0) -> None:
        """Subscribe to the channel now, so events published after start are heard."""
        self._ensure_listening()
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout)
        except TimeoutError:
            log.warning("redis at %s not reachable yet; still trying", self.url)

    def _ensure_listening(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name="redis-bus-listener")

    async def _listen(self) -> None:
        delay = 0.2
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # connection lost: reconnect with backoff
                self._subscribed.clear()
                self._down = True
                log.warning("redis bus connection failed (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            else:
                delay = 0.2

    async def _listen_once(self) -> None:
        pubsub = self._redis.pubsub()
        try:
            await pubsub.subscribe(self.channel)
            while True:
                message = await pubsub.get_message(timeout=5.0)
                if message is None:
                    continue
                if message.get("type") == "subscribe":  # the server confirmed it
                    if self._ever_subscribed:  # a reconnect: what was missed is re-read
                        self._local.nudge()
                    self._ever_subscribed = True
                    self._down = False
                    self._subscribed.set()
                    continue
                if message.get("type") != "message":
                    continue
                event = decode(message["data"])
                if event is not None:
                    self._local.deliver([event])
        finally:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def close(self) -> None:
        if self._task is not None:
            await stop_background([self._task])
            self._task = None
        await self._local.close()
        with contextlib.suppress(Exception):
            await self._redis.aclose()
