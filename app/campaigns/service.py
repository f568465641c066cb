"""Campaigns: one function per workflow step (create, update, schedule, cancel), the send
step the background sender runs, tracking (open, click, unsubscribe) and the reads
(docs/architecture.md#campaigns)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.auth.roles import Perm
from app.campaigns import repository as repo
from app.campaigns import templates
from app.campaigns.links import Signer, allowed_url
from app.campaigns.models import Campaign, CampaignChannel, CampaignStatus
from app.campaigns.repository import CampaignFilter, CampaignSort, Stats
from app.campaigns.workflow import authorize_move
from app.errors import Conflict, DomainError, Forbidden, NotFound, Validator
from app.events import topics
from app.persistence.columns import utcnow
from app.persistence.repository import Page, PageRequest
from app.persistence.uow import UnitOfWork, snapshot
from app.segments.repository import Criteria
from app.sync import capture as sync_capture

MAX_RATE = 100_000  # messages a minute
LANGUAGES = ("zh", "en")
FOOTER = {"zh": "\n\n退订：{url}", "en": "\n\nUnsubscribe: {url}"}


@dataclass(frozen=True)
class CampaignDraft:
    """What `campaignCreate` and `campaignUpdate` carry; None: unchanged (update)."""

    name: str | None = None
    channel: str | None = None
    segment_id: int | None = None
    criteria: Criteria | None = None
    subject_zh: str | None = None
    subject_en: str | None = None
    body_zh: str | None = None
    body_en: str | None = None
    scheduled_at: datetime | None = None
    rate_per_minute: int | None = None
    clear_rate: bool = False


def _writable(uow: UnitOfWork) -> None:
    if not uow.principal.can(Perm.CAMPAIGNS_WRITE):
        raise Forbidden("campaigns need campaigns:write")


def parse_templates(row: Campaign) -> tuple[dict[str, templates.Template],
                                            dict[str, templates.Template], list[str]]:
    """(body per language, subject per language, the tracked links' targets)."""
    links: list[str] = []
    bodies = {"zh": templates.parse(row.body_zh, links), "en": templates.parse(row.body_en,
                                                                               links)}
    no_links: list[str] = []
    subjects = {"zh": templates.parse(row.subject_zh, no_links),
                "en": templates.parse(row.subject_en, no_links)}
    if no_links:
        raise templates.TemplateError("a subject may not hold a {{link:...}}")
    return bodies, subjects, links


def _validate(uow: UnitOfWork, row: Campaign) -> None:
    v = Validator()
    v.check(0 < len(row.name.strip()) <= 120, "name", "name must be 1 to 120 characters")
    v.check(row.channel in CampaignChannel.__members__, "channel",
            "channel is EMAIL, SMS or IN_APP")
    v.check((row.segment_id is None) != (row.criteria is None), "segmentId",
            "target a saved segment (segmentId) or a filter, one of them")
    if row.segment_id is not None:
        v.check(repo.segment_exists(uow.session, row.segment_id), "segmentId",
                "segment not found")
    for lang in LANGUAGES:
        body, subject = getattr(row, f"body_{lang}"), getattr(row, f"subject_{lang}")
        v.check(len(body.strip()) > 0 and len(body) <= 3500, f"body{lang.title()}",
                "a body is 1 to 3500 characters (the unsubscribe line is added)")
        v.check(len(subject) <= 200, f"subject{lang.title()}", "a subject is at most 200 "
                "characters")
        if row.channel == CampaignChannel.EMAIL:
            v.check(bool(subject.strip()), f"subject{lang.title()}", "an e-mail needs a subject")
    if row.rate_per_minute is not None:
        v.check(1 <= row.rate_per_minute <= MAX_RATE, "ratePerMinute",
                f"rate per minute is 1 to {MAX_RATE}")
    v.raise_if_any()
    try:
        _, _, links = parse_templates(row)
    except templates.TemplateError as exc:
        raise DomainError(str(exc), field=["bodyZh"]) from None
    for url in links:
        why = allowed_url(url, uow.settings.campaign_link_domains)
        if why:
            raise DomainError(f"{why}: {url[:100]}", field=["bodyZh"])
    row.links = links


def _apply(row: Campaign, d: CampaignDraft) -> None:
    for name in ("name", "channel", "subject_zh", "subject_en", "body_zh", "body_en",
                 "scheduled_at"):
        value = getattr(d, name)
        if value is not None:
            setattr(row, name, value)
    if d.segment_id is not None or d.criteria is not None:
        row.segment_id = d.segment_id
        row.criteria = d.criteria.to_json() if d.criteria is not None else None
    if d.rate_per_minute is not None or d.clear_rate:
        row.rate_per_minute = d.rate_per_minute


def create_campaign(uow: UnitOfWork, draft: CampaignDraft) -> Campaign:
    _writable(uow)
    row = Campaign(name=(draft.name or "").strip(), channel=draft.channel or "",
                   body_zh="", body_en="", created_by_id=uow.actor_id)
    _apply(row, draft)
    row.name = row.name.strip()
    _validate(uow, row)
    repo.add(uow.session, row)
    uow.audit("campaign.create", "Campaign", row.id, after=snapshot(row))
    return row


def _load(uow: UnitOfWork, campaign_id: int) -> Campaign:
    row = repo.get_for_update(uow.session, campaign_id)
    if row is None:
        raise NotFound("campaign not found", field=["id"])
    return row


def update_campaign(uow: UnitOfWork, campaign_id: int, draft: CampaignDraft,
                    expected_version: int | None = None) -> Campaign:
    """Change a DRAFT; a campaign scheduled or later keeps what it was sent with."""
    _writable(uow)
    row = _load(uow, campaign_id)
    authorize_move(row.status, "update")
    if expected_version is not None and row.version != expected_version:
        raise Conflict(f"campaign changed (version {row.version}); reload and retry",
                       field=["expectedVersion"])
    before = snapshot(row)
    _apply(row, replace(draft, name=draft.name.strip() if draft.name else None))
    _validate(uow, row)
    row.updated_at, row.version = utcnow(), row.version + 1
    uow.session.add(row)
    uow.audit("campaign.update", "Campaign", row.id, before=before, after=snapshot(row))
    return row


def schedule_campaign(uow: UnitOfWork, campaign_id: int, at: datetime | None = None,
                      rate_per_minute: int | None = None) -> Campaign:
    """DRAFT -> SCHEDULED: sent from `at` (now when absent) by the background sender."""
    _writable(uow)
    row = _load(uow, campaign_id)
    authorize_move(row.status, "schedule")
    before = snapshot(row)
    now = utcnow()
    row.scheduled_at = at or row.scheduled_at or now
    if rate_per_minute is not None:
        row.rate_per_minute = rate_per_minute
    _validate(uow, row)  # the link domains may have changed since it was saved
    if row.segment_id is not None and not repo.segment_exists(uow.session, row.segment_id):
        raise DomainError("the campaign's segment is gone", field=["segmentId"])
    row.status, row.updated_at, row.version = CampaignStatus.SCHEDULED.value, now, \
        row.version + 1
    uow.session.add(row)
    uow.audit("campaign.schedule", "Campaign", row.id, before=before, after=snapshot(row))
    return row


def cancel_campaign(uow: UnitOfWork, campaign_id: int) -> Campaign:
    """SCHEDULED or SENDING -> CANCELLED: messages not yet handed to a channel are never
    sent (deleted); one a dispatcher is sending right now still goes."""
    _writable(uow)
    row = _load(uow, campaign_id)
    authorize_move(row.status, "cancel")
    before = snapshot(row)
    deleted = repo.cancel_unsent(uow.session, row.id)
    sync_capture.touch_removed(uow, "Notification", deleted)  # tombstones for who had them
    withdrawn = len(deleted)
    now = utcnow()
    row.status, row.cancelled_at, row.updated_at = CampaignStatus.CANCELLED.value, now, now
    row.version += 1
    uow.session.add(row)
    uow.audit("campaign.cancel", "Campaign", row.id, before=before,
              after={**(snapshot(row) or {}), "withdrawn_messages": withdrawn})
    return row


# Sending -------------------------------------------------------------------------------

@dataclass(frozen=True)
class SendResult:
    campaign_id: int
    queued: int = 0
    status: str = ""
    more: bool = False  # more may be queued right away (not waiting for the rate)


@dataclass(frozen=True)
class Batch:
    """One batch, read and rendered outside the writing transaction (`prepare_batch`),
    written by `write_batch`: on SQLite the writer runs only the INSERTs."""

    campaign_id: int
    status: str  # as read
    criteria: Criteria
    channel: str
    allowance: int  # what the rate allowed when read (checked again when written)
    rate_per_minute: int | None
    rows: tuple[dict[str, Any], ...]  # rendered notifications, by customer id

    @property
    def last_id(self) -> int:
        return self.rows[-1]["customer_id"] if self.rows else 0


@dataclass
class _Renderer:
    row: Campaign
    signer: Signer
    base: str
    bodies: dict[str, templates.Template] = field(default_factory=dict)
    subjects: dict[str, templates.Template] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bodies, self.subjects, self.links = parse_templates(self.row)

    def rows(self, found: list[tuple], now: datetime) -> list[dict[str, Any]]:
        row, sign, base, links = self.row, self.signer.sign, self.base, self.links
        channel, cid = row.channel, row.id
        stored = channel == CampaignChannel.IN_APP
        footer = not stored
        out = []
        for customer_id, language, name, code, region, tier, contact in found:
            unsubscribe = f"{base}/c/u/{sign('u', cid, customer_id)}"
            values = {"name": name, "code": code, "region": region, "tier": tier,
                      "unsubscribe_url": unsubscribe}
            body_t = self.bodies[language]
            body = body_t.render(values, lambda i, c=customer_id: (
                f"{base}/c/c/{sign('c', cid, c, links[i])}"))
            if footer and not body_t.uses_unsubscribe:
                body += FOOTER[language].format(url=unsubscribe)
            out.append({
                "customer_id": customer_id, "user_id": None, "channel": channel,
                "template": repo.TEMPLATE, "language": language,
                "recipient": (contact or "")[:254] if not stored else "",
                "subject": self.subjects[language].render(values, str)[:300],
                "body": body[:4000], "status": "DELIVERED" if stored else "PENDING",
                "attempts": 0, "sent_at": now if stored else None,
                "next_attempt_at": None if stored else now,
                "source_key": repo.source_key(cid, customer_id), "created_at": now})
        return out


def _allowance(session: Session, row: Campaign, now: datetime, batch: int) -> int:
    if row.rate_per_minute is None:
        return batch
    recent = repo.queued_since(session, row.id, now - timedelta(minutes=1))
    return max(0, min(batch, row.rate_per_minute - recent))


def _criteria(session: Session, row: Campaign) -> Criteria:
    if row.segment_id is not None:
        return Criteria.from_json(repo.segment_criteria(session, row.segment_id))
    return Criteria.from_json(row.criteria)


def prepare_batch(session: Session, campaign_id: int, now: datetime, batch: int,
                  settings: Any, after_id: int = 0) -> Batch | None:
    """Read a due campaign's next customers (ids after `after_id`) and render their
    messages; None when the campaign is not due (a draft, done, cancelled, or scheduled
    later)."""
    row = repo.get(session, campaign_id)
    if row is None or row.status not in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING):
        return None
    if row.status == CampaignStatus.SCHEDULED and (row.scheduled_at is None
                                                   or row.scheduled_at > now):
        return None
    criteria = _criteria(session, row)
    allowance = _allowance(session, row, now, batch)
    rows: list[dict[str, Any]] = []
    if allowance > 0:
        found = repo.candidates(session, row.id, criteria, row.channel, allowance, after_id)
        if found:
            renderer = _Renderer(row, Signer.from_settings(settings), settings.public_url)
            rows = renderer.rows(found, now)
    return Batch(row.id, row.status, criteria, row.channel, allowance, row.rate_per_minute,
                 tuple(rows))


def write_batch(uow: UnitOfWork, batch: Batch, now: datetime) -> SendResult:
    """Write a prepared batch: SCHEDULED -> SENDING first (a conditional UPDATE: of two
    racing senders, or a sender and a cancel, one wins), the customers still to be sent
    claimed (unique per campaign: each gets one message whoever races), their messages
    queued; SENDING -> DONE when nobody is left (docs/architecture.md#campaigns)."""
    cid, s = batch.campaign_id, uow.session
    if batch.status == CampaignStatus.SCHEDULED:
        audience = repo.audience_count(s, batch.criteria, batch.channel)
        if not repo.move(s, cid, CampaignStatus.SCHEDULED, CampaignStatus.SENDING,
                         started_at=now, audience=audience, updated_at=now):
            return SendResult(cid)  # started (or cancelled) by another
        uow.audit("campaign.start", "Campaign", cid, before={"status": "SCHEDULED"},
                  after={"status": "SENDING", "audience": audience})
    if batch.allowance <= 0:
        return SendResult(cid, status=CampaignStatus.SENDING.value)
    rows = list(batch.rows)
    if batch.rate_per_minute is not None:  # what other senders queued since it was read
        recent = repo.queued_since(s, cid, now - timedelta(minutes=1))
        rows = rows[:max(0, batch.rate_per_minute - recent)]
    claimed = set(repo.claim(s, cid, batch.channel, [r["customer_id"] for r in rows], now))
    if claimed:
        queued = repo.queue(s, [r for r in rows if r["customer_id"] in claimed])
        sync_capture.touch(uow, "Notification", queued)
        sync_capture.touch(uow, "Campaign", (cid,))  # its counts moved
        if batch.channel != CampaignChannel.IN_APP:
            uow.emit(topics.NOTIFICATIONS_DUE, channels=[batch.channel], count=len(claimed))
        if not repo.touch_sending(s, cid, now):
            # cancelled meanwhile (PostgreSQL: the cancel committed first): write nothing
            raise Conflict("campaign is no longer sending")
    if rows and len(batch.rows) >= batch.allowance:  # a full batch: maybe more to come
        return SendResult(cid, len(claimed), CampaignStatus.SENDING.value,
                          more=batch.rate_per_minute is None)
    if repo.remaining(s, cid, batch.criteria, batch.channel):
        # another sender's claims are not committed yet, or the rate stopped this batch
        return SendResult(cid, len(claimed), CampaignStatus.SENDING.value)
    if repo.move(s, cid, CampaignStatus.SENDING, CampaignStatus.DONE, finished_at=now,
                 updated_at=now):
        uow.audit("campaign.finish", "Campaign", cid, before={"status": "SENDING"},
                  after={"status": "DONE"})
    return SendResult(cid, len(claimed), CampaignStatus.DONE.value)


def send_step(uow: UnitOfWork, campaign_id: int, now: datetime | None = None,
              batch: int | None = None) -> SendResult:
    """`prepare_batch` and `write_batch` in one unit of work (the CLI, tests)."""
    now = now or utcnow()
    prepared = prepare_batch(uow.session, campaign_id, now,
                             batch or uow.settings.campaign_batch, uow.settings)
    if prepared is None:
        return SendResult(campaign_id)
    return write_batch(uow, prepared, now)


def due_campaigns(session: Session, now: datetime | None = None) -> list[int]:
    return repo.due(session, now or utcnow())


# Tracking -------------------------------------------------------------------------------

def record_open(uow: UnitOfWork, campaign_id: int, customer_id: int) -> bool:
    return repo.record_open(uow.session, campaign_id, customer_id, utcnow())


def record_click(uow: UnitOfWork, campaign_id: int, customer_id: int, url: str) -> str | None:
    """The target to redirect to, or None: unknown recipient, a target the campaign does
    not hold, or one outside the allowed domains (checked again: they may have shrunk)."""
    row = repo.get(uow.session, campaign_id)
    if row is None or url not in (row.links or []):
        return None
    if allowed_url(url, uow.settings.campaign_link_domains) is not None:
        return None
    now = utcnow()
    until = now + timedelta(days=uow.settings.campaign_attribution_days)
    return url if repo.record_click(uow.session, campaign_id, customer_id, now, until) else None


def unsubscribe(uow: UnitOfWork, campaign_id: int, customer_id: int) -> bool:
    """One-click unsubscribe: the customer's marketing opt-out, honoured by every later
    campaign (and marketing notice); whether the recipient was known."""
    if repo.recipient(uow.session, campaign_id, customer_id) is None:
        return False
    now = utcnow()
    repo.record_unsubscribe(uow.session, campaign_id, customer_id, now)
    if repo.set_marketing(uow.session, customer_id, False):
        uow.audit("customer.marketing_opt_out", "Customer", customer_id,
                  before={"marketing": True},
                  after={"marketing": False, "campaign_id": campaign_id})
    return True


def marketing_allowed(session: Session, customer_id: int) -> bool:
    """For any marketing notice: False once the customer unsubscribed."""
    return repo.marketing_allowed(session, customer_id)


# Reads -------------------------------------------------------------------------------------

def _readable(principal: Principal) -> bool:
    return principal.can(Perm.CAMPAIGNS_READ)


def list_campaigns(session: Session, principal: Principal, flt: CampaignFilter,
                   sort: CampaignSort, page: PageRequest) -> Page[Campaign]:
    if not _readable(principal):
        raise Forbidden("campaigns need campaigns:read")
    return repo.list_campaigns(session, flt, sort, page)


def get_campaign(session: Session, principal: Principal, campaign_id: int) -> Campaign | None:
    return repo.get(session, campaign_id) if _readable(principal) else None


def campaigns_by_ids(session: Session, principal: Principal, ids: list[int]
                     ) -> dict[int, Campaign]:
    return repo.by_ids(session, ids) if _readable(principal) else {}


def campaign_stats(session: Session, principal: Principal, campaign_id: int) -> Stats | None:
    if not _readable(principal) or repo.get(session, campaign_id) is None:
        return None
    return repo.stats(session, campaign_id)
