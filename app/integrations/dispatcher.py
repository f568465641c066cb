"""Posts due webhook deliveries, signed, and records every attempt
(docs/architecture.md#outgoing-webhooks).

A round claims due deliveries in a short transaction (leased: a dispatcher that dies gives
them back when the lease runs out), posts them outside any transaction, and records the
outcomes together: DELIVERED on a 2xx answer; otherwise FAILED with the next attempt
`RetryPolicy.delay` later, or GAVE_UP after `max_attempts`. Failed attempts in a row count
on the subscription, which `disable_after` of them disable. Every attempt gets a log row
with its status code or error.

Each POST goes to an address checked just before it (destinations.resolve), with the URL's
host in the Host header and as the TLS server name; redirects are not followed (a 3xx is a
failure), proxies from the environment are not used, and the answer's body is not read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
import httpx
from sqlmodel import Session

from app.events.bus import EventBus
from app.events.rounds import WokenRounds
from app.ids import to_global_id
from app.integrations import destinations, messages
from app.integrations import repository as repo
from app.integrations.messages import RetryPolicy
from app.integrations.models import DeliveryStatus
from app.integrations.repository import Claimed
from app.persistence.columns import utcnow
from app.persistence.db import Database
from app.persistence.sqlite.writers import write_in_session
from app.sync import capture as sync_capture

log = logging.getLogger("crm.integrations.dispatch")
Outcome = tuple[int | None, str | None, int]  # status code, error, duration ms


class WebhookDispatcher(WokenRounds):
    """Rounds when the fan-out made deliveries (`wake`, this process's), every `poll`
    seconds for the others' and for retries coming due, and at once while a backlog
    remains."""

    name = "webhook-dispatch"

    def __init__(self, db: Database, bus: EventBus, *, policy: RetryPolicy | None = None,
                 allowed_networks: Sequence[str] = (), batch: int = 20, poll: float = 5.0,
                 clock: Callable[[], datetime] = utcnow,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(bus, set(), gap=0.1, poll=poll)
        self.db = db
        self.policy = policy or RetryPolicy()
        self.allow = destinations.networks(allowed_networks)
        self.batch = batch
        self.clock = clock  # tests move it forward past a backoff
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    @classmethod
    def from_settings(cls, db: Database, bus: EventBus, settings: Any, **kw: Any
                      ) -> WebhookDispatcher:
        return cls(db, bus, policy=RetryPolicy.from_settings(settings),
                   allowed_networks=settings.webhook_allowed_networks,
                   poll=settings.webhook_poll_seconds, **kw)

    async def round(self) -> bool:
        return await self.run_once() >= self.batch  # more are due: no pause

    async def stop(self) -> None:
        await super().stop()
        await self.close()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def run_once(self) -> int:
        """Post every delivery due now (one batch); how many were tried."""
        now = self.clock()
        lease = now + timedelta(seconds=self.policy.lease_seconds)
        claimed = await write_in_session(self.db, claim_round, now, lease, self.batch)
        if not claimed:
            return 0
        outcomes = await asyncio.gather(*(self._post(c) for c in claimed))
        results = [(c, *o) for c, o in zip(claimed, outcomes, strict=True)]
        try:
            await write_in_session(self.db, record_outcomes, results, self.clock(),
                                   self.policy)
        except Exception:  # the leases run out and they are tried again
            log.exception("recording %d webhook attempts failed", len(results))
        return len(claimed)

    async def run_all(self) -> int:
        """Rounds until fewer than a batch were due (the CLI)."""
        total = 0
        while (tried := await self.run_once()) > 0:
            total += tried
            if tried < self.batch:
                break
        return total

    async def _post(self, c: Claimed) -> Outcome:
        started = time.monotonic()
        try:
            code = await self._send(c)
            error = None if 200 <= code < 300 else f"HTTP {code}"
        except destinations.Refused as exc:
            code, error = None, exc.message
        except httpx.TimeoutException:
            code, error = None, f"no answer within {self.policy.timeout_seconds:g} s"
        except httpx.HTTPError as exc:
            code, error = None, f"{type(exc).__name__}: {exc}"[:500]
        except Exception as exc:  # a bug: retried like any failure, and logged
            log.exception("webhook delivery %s failed unexpectedly", c.id)
            code, error = None, f"unexpected: {exc}"[:500]
        return code, error, int((time.monotonic() - started) * 1000)

    async def _send(self, c: Claimed) -> int:
        dest = destinations.parse(c.url)
        address = (await anyio.to_thread.run_sync(destinations.resolve, dest, self.allow))[0]
        payload = c.body.encode()
        headers = messages.headers(c.secret, payload, self.clock(), event_type=c.event_type,
                                   event_id=c.event_id,
                                   delivery_id=to_global_id("WebhookDelivery", c.id))
        url = httpx.URL(c.url)
        headers["host"] = url.netloc.decode("ascii")
        extensions = {"sni_hostname": dest.host} if dest.scheme == "https" else {}
        request = self.client.build_request("POST", url.copy_with(host=str(address)),
                                            content=payload, headers=headers,
                                            extensions=extensions)
        response = await self.client.send(request, stream=True, follow_redirects=False)
        await response.aclose()  # the status is all we keep
        return response.status_code

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.policy.timeout_seconds, follow_redirects=False,
                trust_env=False, transport=self._transport)
        return self._client


# The write, module-level: on SQLite it runs in the writer process ----------------------

def claim_round(session: Session, now: datetime, lease_until: datetime, limit: int
                ) -> list[Claimed]:
    """Claim due deliveries (their attempts count and lease are visible: synced)."""
    claimed = repo.claim_due(session, now, lease_until, limit)
    sync_capture.touch_rows(session, "WebhookDelivery", [c.id for c in claimed])
    sync_capture.record_plain(session, sync_capture.prepare(session))
    return claimed


def record_outcomes(session: Session, results: list[tuple[Claimed, int | None, str | None,
                                                          int]],
                    now: datetime, policy: RetryPolicy) -> list[int]:
    """Every attempt's log row and its delivery's state; the subscriptions disabled."""
    disabled = []
    for c, code, error, duration in results:
        if error is None:
            values = {"status": DeliveryStatus.DELIVERED.value, "delivered_at": now,
                      "next_attempt_at": None}
            repo.count_success(session, c.subscription_id)
        else:
            gave_up = c.attempts >= policy.max_attempts
            values = {"status": (DeliveryStatus.GAVE_UP if gave_up
                                 else DeliveryStatus.FAILED).value,
                      "next_attempt_at": None if gave_up
                      else now + timedelta(seconds=policy.delay(c.attempts))}
            if repo.count_failure(session, c.subscription_id, policy.disable_after, now,
                                  f"disabled after {policy.disable_after} failed attempts "
                                  f"in a row; the last: {error}"):
                disabled.append(c.subscription_id)
                log.warning("webhook subscription %s disabled after %d failed attempts in "
                            "a row", c.subscription_id, policy.disable_after)
        values.update(last_response_code=code, last_error=error, updated_at=now)
        repo.record_attempt(session, c.id, values, {
            "attempted_at": now, "response_code": code, "error": error,
            "duration_ms": duration})
    sync_capture.touch_rows(session, "WebhookDelivery", [c.id for c, *_ in results])
    sync_capture.touch_rows(session, "WebhookSubscription",
                            sorted({c.subscription_id for c, *_ in results}))
    sync_capture.record_plain(session, sync_capture.prepare(session))
    return disabled
