"""The background machinery of one process: bus, outbox relay, notification planner and
dispatcher, the outgoing webhooks' fan-out and dispatcher (app/integrations/),
housekeeping (retention), the periodic delay check of parcels
(app/shipping/exceptions/delays.py) and the customer segments' recompute and updates
(app/segments/jobs.py), and the activity checks
(app/activities/checks.py), the quote expiry pass (app/quotes/expiry.py), the ticket
SLA breach check (app/tickets/breaches.py), the sender of delivery surveys and the
due-date reminders (app/surveys/), the campaign sender (app/campaigns/jobs.py), and the
export worker (app/exports/jobs.py).

The bus and the relay's marks run in every process; the rest is periodic database work,
which runs in the leader only when several processes share PostgreSQL
(app/persistence/leader.py; docs/architecture.md#one-leader-for-the-background-jobs)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from app.activities.checks import ActivityChecks
from app.campaigns import mail as campaign_mail
from app.campaigns.jobs import CampaignSender
from app.config import Settings
from app.delivery.scheduler import DeliveryPlanScheduler
from app.events.bus import DomainEvent, EventBus, InProcessBus
from app.events.housekeeping import Housekeeping
from app.events.relay import OutboxRelay
from app.exports.jobs import ExportWorker
from app.integrations.dispatcher import WebhookDispatcher
from app.integrations.fanout import WebhookFanout
from app.notifications.channels import (
    Channel,
    EmailChannel,
    PushChannel,
    SmsChannel,
    Unconfigured,
)
from app.notifications.dispatcher import NotificationDispatcher, RetryPolicy
from app.notifications.planning import NotificationPlanner
from app.persistence.db import Database
from app.persistence.leader import AdvisoryLock, Leadership
from app.persistence.uow import Runner
from app.quotes.expiry import QuoteExpiry
from app.segments.jobs import SegmentRecompute, SegmentUpdater
from app.shipping.exceptions.delays import DelayChecks
from app.surveys.jobs import SurveySender
from app.surveys.reminders import ReminderChecks
from app.tickets.breaches import TicketBreachCheck


def make_bus(settings: Settings) -> EventBus:
    """Several processes: LISTEN/NOTIFY when CRM_EVENT_BUS=postgres (on PostgreSQL), else
    Redis pub/sub when CRM_REDIS_URL is set; one process: in-process."""
    if settings.event_bus == "postgres" and settings.database_url.startswith("postgresql"):
        from app.events.pg_bus import PostgresBus

        return PostgresBus(settings.database_url)
    if settings.redis_url and settings.event_bus != "process":
        from app.events.redis_bus import RedisBus

        return RedisBus(settings.redis_url, settings.redis_channel)
    return InProcessBus()


def make_channels(settings: Settings) -> dict[str, Channel]:
    email: Channel = Unconfigured("e-mail (CRM_SMTP_HOST)")
    if settings.smtp_host:
        email = EmailChannel(host=settings.smtp_host, port=settings.smtp_port,
                             sender=settings.smtp_from, username=settings.smtp_user,
                             password=settings.smtp_password, starttls=settings.smtp_starttls,
                             decorate=campaign_mail.decorator(settings))
    sms: Channel = Unconfigured("SMS (CRM_SMS_URL)")
    if settings.sms_url:
        sms = SmsChannel(url=settings.sms_url, token=settings.sms_token)
    push: Channel = Unconfigured("push (CRM_PUSH_URL)")
    if settings.push_url:
        push = PushChannel(url=settings.push_url, token=settings.push_token)
    return {"EMAIL": email, "SMS": sms, "PUSH": push}


@dataclass
class EventRuntime:
    bus: EventBus
    relay: OutboxRelay
    planner: NotificationPlanner
    dispatcher: NotificationDispatcher
    housekeeping: Housekeeping
    delays: DelayChecks
    webhook_fanout: WebhookFanout
    webhooks: WebhookDispatcher
    segments: SegmentRecompute
    segment_updates: SegmentUpdater
    activities: ActivityChecks
    expiry: QuoteExpiry
    breaches: TicketBreachCheck
    surveys: SurveySender
    reminders: ReminderChecks
    campaigns: CampaignSender
    exports: ExportWorker
    plans: DeliveryPlanScheduler
    # None: this process runs every periodic job (one process, SQLite); else they run while
    # it leads (docs/architecture.md#one-leader-for-the-background-jobs)
    leadership: Leadership | None = None
    started: bool = False

    async def publish(self, events: list[DomainEvent]) -> None:
        await self.relay.publish(events)

    async def start(self) -> None:
        await self.bus.start()  # every process: its own subscribers hear events through it
        await self.relay.start_marks()  # every process: marks what it published itself
        if self.leadership is None:
            await self.start_periodic()
        else:  # several processes on PostgreSQL: the leader's only
            await self.leadership.start()
        self.started = True

    async def stop(self) -> None:
        if self.started:
            if self.leadership is None:
                await self.stop_periodic()
            else:
                await self.leadership.stop()  # the jobs, then the lock
            await self.relay.stop_marks()
            self.started = False

    @property
    def leading(self) -> bool:
        """Whether this process runs the periodic jobs (always, without an election)."""
        return self.leadership is None or self.leadership.leading

    def _periodic(self) -> list[tuple[Callable[[], Awaitable[None]],
                                      Callable[[], Awaitable[None]]]]:
        """The periodic database jobs, in start order: each one's start and stop."""
        jobs: list[Any] = [self.planner, self.dispatcher, self.webhook_fanout, self.webhooks,
                           self.housekeeping, self.delays, self.segments,
                           self.segment_updates, self.activities, self.expiry,
                           self.breaches, self.surveys, self.reminders, self.campaigns,
                           self.exports, self.plans]
        return [(self.relay.start_recovery, self.relay.stop_recovery),
                *((job.start, job.stop) for job in jobs)]

    async def start_periodic(self) -> None:
        for start, _stop in self._periodic():
            await start()

    async def stop_periodic(self) -> None:
        for _start, stop in reversed(self._periodic()):
            await stop()


def make_leadership(settings: Settings, runtime: EventRuntime) -> Leadership | None:
    """An election when several processes share PostgreSQL (CRM_LEADER_ELECTION=1, which
    `crm serve --workers N` sets); none on SQLite, whose one process runs every job."""
    if not settings.leader_election or settings.is_sqlite:
        return None
    return Leadership(AdvisoryLock(settings.database_url),
                      retry=settings.leader_retry_seconds,
                      elected=runtime.start_periodic, deposed=runtime.stop_periodic)


def build_runtime(settings: Settings, db: Database, bus: EventBus) -> EventRuntime:
    relay = OutboxRelay(db, bus, interval=settings.outbox_relay_seconds,
                        grace=settings.outbox_grace_seconds)
    policy = RetryPolicy(max_attempts=settings.notify_max_attempts,
                         base_seconds=settings.notify_retry_seconds)
    dispatcher = NotificationDispatcher(db, bus, make_channels(settings), policy=policy,
                                        poll_seconds=settings.notify_poll_seconds)
    planner = NotificationPlanner(db, bus, relay.publish,
                                  poll=settings.outbox_relay_seconds, settings=settings)
    # the delay check opens exceptions in units of work of its own, published by the relay
    background = Runner(db, publish=relay.publish, settings=settings)
    delays = DelayChecks(background, settings)
    webhooks = WebhookDispatcher.from_settings(db, bus, settings)
    fanout = WebhookFanout(db, bus, on_delivery=webhooks.wake,
                           poll=settings.outbox_relay_seconds)
    runtime = EventRuntime(bus=bus, relay=relay, planner=planner, dispatcher=dispatcher,
                           housekeeping=Housekeeping(db, settings), delays=delays,
                           webhook_fanout=fanout, webhooks=webhooks,
                           segments=SegmentRecompute(background, settings),
                           segment_updates=SegmentUpdater(background, bus,
                                                          poll=settings.outbox_relay_seconds),
                           activities=ActivityChecks(background, settings),
                           expiry=QuoteExpiry(background, settings),
                           breaches=TicketBreachCheck(background, settings),
                           surveys=SurveySender(background, bus, settings,
                                                poll=settings.outbox_relay_seconds),
                           reminders=ReminderChecks(background, settings),
                           campaigns=CampaignSender(background, settings),
                           exports=ExportWorker(background, bus, settings,
                                                poll=max(settings.outbox_relay_seconds, 1.0)),
                           plans=DeliveryPlanScheduler(background, settings))
    runtime.leadership = make_leadership(settings, runtime)
    return runtime
