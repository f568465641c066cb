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
    withdrawn = repo.cancel_unsent(uow.session, row.id)
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

    def rows(self, claimed: list[tuple], now: datetime) -> list[dict[str, Any]]:
        row, sign, base, links = self.row, self.signer.sign, self.base, self.links
        channel, cid = row.channel, row.id
        stored = channel == CampaignChannel.IN_APP
        footer = not stored
        out = []
        for customer_id, language, name, code, region, tier, contact in claimed:
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


def _allowance(uow: UnitOfWork, row: Campaign, now: datetime, batch: int) -> int:
    if row.rate_per_minute is None:
        return batch
    recent = repo.queued_since(uow.session, row.id, now - timedelta(minutes=1))
    return max(0, min(batch, row.rate_per_minute - recent))


def _criteria(uow: UnitOfWork, row: Campaign) -> Criteria:
    if row.segment_id is not None:
        return Criteria.from_json(repo.segment_criteria(uow.session, row.segment_id))
    return Criteria.from_json(row.criteria)


def send_step(uow: UnitOfWork, campaign_id: int, now: datetime | None = None,
              batch: int | None = None) -> SendResult:
    """One batch of a due campaign: SCHEDULED -> SENDING when its time has come, up to
    `batch` customers (and no more than its rate allows this minute) claimed and their
    messages queued, SENDING -> DONE when nobody is left. Safe to run in several
    processes at once: the moves are conditional UPDATEs, the claims unique
    (docs/architecture.md#campaigns)."""
    now = now or utcnow()
    batch = batch or uow.settings.campaign_batch
    row = repo.get(uow.session, campaign_id)
    if row is None or row.status not in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING):
        return SendResult(campaign_id, status=row.status if row else "")
    criteria = _criteria(uow, row)
    if row.status == CampaignStatus.SCHEDULED:
        if row.scheduled_at is None or row.scheduled_at > now:
            return SendResult(campaign_id, status=row.status)
        audience = repo.audience_count(uow.session, criteria, row.channel)
        if not repo.move(uow.session, row.id, CampaignStatus.SCHEDULED, CampaignStatus.SENDING,
                         started_at=now, audience=audience, updated_at=now):
            return SendResult(campaign_id)  # started (or cancelled) by another
        uow.audit("campaign.start", "Campaign", row.id, before={"status": "SCHEDULED"},
                  after={"status": "SENDING", "audience": audience})
    allowance = _allowance(uow, row, now, batch)
    if allowance <= 0:
        return SendResult(campaign_id, status=CampaignStatus.SENDING.value)
    claimed = repo.claim(uow.session, row.id, criteria, row.channel, allowance, now)
    if claimed:
        renderer = _Renderer(row, Signer.from_settings(uow.settings), uow.settings.public_url)
        rows = renderer.rows(repo.claimed(uow.session, row.id, row.channel), now)
        repo.queue(uow.session, row.id, rows)
        if row.channel != CampaignChannel.IN_APP:
            uow.emit(topics.NOTIFICATIONS_DUE, channels=[row.channel], count=len(rows))
        if not repo.touch_sending(uow.session, row.id, now):
            # cancelled meanwhile (PostgreSQL: the cancel committed first): write nothing
            raise Conflict("campaign is no longer sending")
        if claimed >= allowance:
            return SendResult(campaign_id, claimed, CampaignStatus.SENDING.value,
                              more=row.rate_per_minute is None)
    return _finish(uow, row, criteria, now, claimed)


def _finish(uow: UnitOfWork, row: Campaign, criteria: Criteria, now: datetime,
            claimed: int) -> SendResult:
    """SENDING -> DONE once nobody is left to claim."""
    if repo.remaining(uow.session, row.id, criteria, row.channel):
        # another sender's claims are not committed yet: not done
        return SendResult(row.id, claimed, status=CampaignStatus.SENDING.value)
    if repo.move(uow.session, row.id, CampaignStatus.SENDING, CampaignStatus.DONE,
                 finished_at=now, updated_at=now):
        uow.audit("campaign.finish", "Campaign", row.id, before={"status": "SENDING"},
                  after={"status": "DONE"})
    return SendResult(row.id, claimed, status=CampaignStatus.DONE.value)


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
