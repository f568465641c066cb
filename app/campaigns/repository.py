"""SQL for campaigns: the list, the audience chosen and claimed in one INSERT ... SELECT,
the notifications queued in bulk, tracking, cancellation and the stats
(docs/architecture.md#campaigns)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    literal,
    or_,
    type_coerce,
    update,
)
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from app.auth.models import User
from app.campaigns.models import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus
from app.customers.models import Customer
from app.notifications.models import Notification, NotificationPreference
from app.orders.models import Order
from app.persistence.fast import bulk
from app.persistence.repository import (
    Page,
    PageRequest,
    equal,
    in_period,
    one_of,
    paginate,
    sort_table,
    where,
)
from app.segments.models import CustomerSegment, SavedSegment
from app.segments.repository import Criteria

TEMPLATE = "campaign"  # notification.template of every campaign message
# notification_preference.channel of the marketing opt-out: one-click unsubscribe writes
# it, every campaign and marketing notice skips the customers holding it disabled
MARKETING = "MARKETING"
_NOT_PURCHASES = ("DRAFT", "CANCELLED", "REJECTED")
R, N, C = CampaignRecipient, Notification, Customer


class CampaignSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    SCHEDULED_AT_DESC = "SCHEDULED_AT_DESC"
    SCHEDULED_AT_ASC = "SCHEDULED_AT_ASC"
    NAME_ASC = "NAME_ASC"


SORTS = sort_table(CampaignSort, {"CREATED_AT": Campaign.created_at,
                                  "SCHEDULED_AT": Campaign.scheduled_at,
                                  "NAME": Campaign.name})


@dataclass(frozen=True)
class CampaignFilter:
    statuses: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    segment_id: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = None


def source_key(campaign_id: int, customer_id: int) -> str:
    return f"campaign:{campaign_id}:{customer_id}"


def _source_key_sql(campaign_id: Any, customer_id: Any) -> Any:
    return (literal("campaign:") + cast(campaign_id, String) + literal(":")
            + cast(customer_id, String))


def _source_range(campaign_id: int) -> Any:
    # `campaign:12:` up to `campaign:12;` (';' follows ':'): an index range, not a LIKE
    prefix = f"campaign:{campaign_id}:"
    return and_(N.template == TEMPLATE, N.source_key >= prefix,
                N.source_key < prefix[:-1] + ";")


# Campaigns -------------------------------------------------------------------------------

def get(session: Session, campaign_id: int) -> Campaign | None:
    return session.get(Campaign, campaign_id)


def get_for_update(session: Session, campaign_id: int) -> Campaign | None:
    stmt = select(Campaign).where(Campaign.id == campaign_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def add(session: Session, row: Campaign) -> Campaign:
    session.add(row)
    session.flush()
    return row


def by_ids(session: Session, ids: Sequence[int]) -> dict[int, Campaign]:
    return {c.id: c for c in session.exec(select(Campaign).where(Campaign.id.in_(list(ids))))}


def list_campaigns(session: Session, flt: CampaignFilter, sort: CampaignSort,
                   page: PageRequest) -> Page[Campaign]:
    search = (flt.search or "").strip()
    stmt = where(select(Campaign), one_of(Campaign.status, flt.statuses or None),
                 one_of(Campaign.channel, flt.channels or None),
                 equal(Campaign.segment_id, flt.segment_id),
                 in_period(Campaign.created_at, flt.created_after, flt.created_before),
                 Campaign.name.contains(search, autoescape=True) if search else None)
    return paginate(session, stmt, SORTS[sort], page, Campaign.id)


def segment_exists(session: Session, segment_id: int) -> bool:
    return session.get(SavedSegment, segment_id) is not None


def segment_criteria(session: Session, segment_id: int) -> dict[str, Any] | None:
    row = session.get(SavedSegment, segment_id)
    return None if row is None else (row.criteria or {})


def due(session: Session, now: datetime) -> list[int]:
    """Campaigns to work on now: sending ones, and scheduled ones whose time has come."""
    stmt = select(Campaign.id).where(or_(
        Campaign.status == CampaignStatus.SENDING.value,
        and_(Campaign.status == CampaignStatus.SCHEDULED.value,
             Campaign.scheduled_at <= now))).order_by(Campaign.id)
    return list(session.exec(stmt))


def move(session: Session, campaign_id: int, source: str, target: str, **values: Any) -> bool:
    """`source` -> `target` if the campaign is still in `source` (a conditional UPDATE:
    of two racing senders, or a sender and a cancel, one wins)."""
    result = session.execute(update(Campaign).where(Campaign.id == campaign_id,
                                                    Campaign.status == source)
                             .values(status=target, **values),
                             execution_options={"synchronize_session": False})
    return result.rowcount > 0


def touch_sending(session: Session, campaign_id: int, now: datetime) -> bool:
    """Whether the campaign is still SENDING; on PostgreSQL the row stays locked to the end
    of the transaction, so a cancel waits for this batch or this batch sees the cancel."""
    return move(session, campaign_id, CampaignStatus.SENDING.value,
                CampaignStatus.SENDING.value, updated_at=now)


# The audience ----------------------------------------------------------------------------

def _opted_out(channel: str) -> Any:
    p = NotificationPreference
    return exists().where(p.customer_id == C.id, p.enabled.is_(False),
                          p.channel.in_([MARKETING, channel]))


def _reachable(channel: str) -> Any:
    if channel == "EMAIL":
        return and_(C.email.is_not(None), C.email != "")
    if channel == "SMS":
        return and_(C.phone.is_not(None), C.phone != "")
    # IN_APP: the customer has an active account to read its inbox with
    return exists().where(User.customer_id == C.id, User.is_active.is_(True))


def _audience(stmt: Any, criteria: Criteria, channel: str) -> Any:
    c = criteria
    if (c.segments or c.min_recency_score or c.min_frequency_score
            or c.min_monetary_score):
        s = CustomerSegment
        stmt = where(stmt.join(s, s.customer_id == C.id), one_of(s.segment, c.segments or None),
                     s.r_score >= c.min_recency_score if c.min_recency_score else None,
                     s.f_score >= c.min_frequency_score if c.min_frequency_score else None,
                     s.m_score >= c.min_monetary_score if c.min_monetary_score else None)
    return where(stmt, C.status == "ACTIVE", one_of(C.region, c.regions or None),
                 one_of(C.tier, c.tiers or None), equal(C.owner_id, c.owner_id),
                 _reachable(channel), ~_opted_out(channel))


def audience_count(session: Session, criteria: Criteria, channel: str) -> int:
    stmt = _audience(core_select(func.count()).select_from(C), criteria, channel)
    return int(session.execute(stmt).scalar_one())


def _contact(channel: str) -> Any:
    # as stored (ciphertext under CRM_DATA_KEY): copied into the notification as it is,
    # never decrypted here
    return {"EMAIL": type_coerce(C.email, String), "SMS": type_coerce(C.phone, String)
            }.get(channel, literal(""))


def candidates(session: Session, campaign_id: int, criteria: Criteria, channel: str,
               limit: int, after_id: int = 0) -> list[tuple]:
    """Up to `limit` customers of the audience not in the campaign yet, by id after
    `after_id` (the pass's last batch: each batch starts where the last ended instead of
    skipping every customer claimed so far): (customer id, language, name, code, region,
    tier, contact). Read outside the writing transaction; `claim` decides which of them
    are still to be sent."""
    language = case((C.language == "en", "en"), else_="zh")
    stmt = _audience(core_select(C.id, language, C.name, C.code, C.region, C.tier,
                                 _contact(channel)).select_from(C), criteria, channel)
    stmt = stmt.where(C.id > after_id, ~exists().where(R.campaign_id == campaign_id,
                                                       R.customer_id == C.id)
                      ).order_by(C.id).limit(limit)
    return [tuple(r) for r in session.execute(stmt)]


def claim(session: Session, campaign_id: int, channel: str, customer_ids: Sequence[int],
          now: datetime) -> list[int]:
    """Insert these customers as the campaign's recipients, QUEUED, in one INSERT ...
    SELECT that checks the opt-outs again (an unsubscribe since they were read counts);
    the ids inserted. The unique (campaign, customer) pair and ON CONFLICT DO NOTHING make
    a customer claimed once whoever races: on PostgreSQL a second sender's insert of the
    same pair waits for the first's commit and then does nothing; SQLite has one writer."""
    if not customer_ids:
        return []
    language = case((C.language == "en", "en"), else_="zh")
    pick = core_select(literal(campaign_id), C.id, literal(RecipientStatus.QUEUED.value),
                       language, literal(now, R.__table__.c.queued_at.type)
                       ).where(C.id.in_(list(customer_ids)), ~_opted_out(channel))
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = make(R.__table__).from_select(
        ["campaign_id", "customer_id", "status", "language", "queued_at"], pick
    ).on_conflict_do_nothing(index_elements=["campaign_id", "customer_id"]).returning(
        R.customer_id)  # the rows returned: rowcount is not portable here
    return [r[0] for r in session.execute(stmt)]


def remaining(session: Session, campaign_id: int, criteria: Criteria, channel: str) -> bool:
    """Whether a customer of the audience is not in the campaign yet (a statement of its
    own: on PostgreSQL it sees what other senders committed since the claim began)."""
    stmt = _audience(core_select(C.id).select_from(C), criteria, channel).where(
        ~exists().where(R.campaign_id == campaign_id, R.customer_id == C.id)).limit(1)
    return session.execute(stmt).first() is not None


def queue(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """The claimed recipients' notifications, in multi-row INSERTs; their ids (the delta
    sync's changes)."""
    return bulk.insert_ids(session, N.__table__, rows)


def queued_since(session: Session, campaign_id: int, since: datetime) -> int:
    stmt = core_select(func.count()).select_from(R).where(R.campaign_id == campaign_id,
                                                          R.queued_at >= since)
    return int(session.execute(stmt).scalar_one())


def cancel_unsent(session: Session, campaign_id: int) -> list[dict[str, Any]]:
    """Delete the campaign's messages no sender has claimed yet (PENDING) and mark their
    recipients CANCELLED; a message already being sent cannot be recalled. The messages
    deleted: their id, customer_id and user_id."""
    keys = core_select(N.customer_id).where(_source_range(campaign_id),
                                            N.status == "PENDING")
    session.execute(update(R).where(R.campaign_id == campaign_id, R.customer_id.in_(keys))
                    .values(status=RecipientStatus.CANCELLED.value),
                    execution_options={"synchronize_session": False})
    result = session.execute(delete(N).where(_source_range(campaign_id),
                                             N.status == "PENDING")
                             .returning(N.id, N.customer_id, N.user_id),
                             execution_options={"synchronize_session": False})
    return [dict(row._mapping) for row in result]


# Tracking --------------------------------------------------------------------------------

def recipient(session: Session, campaign_id: int, customer_id: int) -> CampaignRecipient | None:
    return session.exec(select(R).where(R.campaign_id == campaign_id,
                                        R.customer_id == customer_id)).first()


def record_open(session: Session, campaign_id: int, customer_id: int, at: datetime) -> bool:
    result = session.execute(
        update(R).where(R.campaign_id == campaign_id, R.customer_id == customer_id)
        .values(opens=R.opens + 1, opened_at=func.coalesce(R.opened_at, at)),
        execution_options={"synchronize_session": False})
    return result.rowcount > 0


def record_click(session: Session, campaign_id: int, customer_id: int, at: datetime,
                 attribute_until: datetime) -> bool:
    """A click also counts as an open (the message was read to click in it)."""
    result = session.execute(
        update(R).where(R.campaign_id == campaign_id, R.customer_id == customer_id)
        .values(clicks=R.clicks + 1, clicked_at=func.coalesce(R.clicked_at, at),
                last_clicked_at=at, attributed_until=attribute_until,
                opened_at=func.coalesce(R.opened_at, at)),
        execution_options={"synchronize_session": False})
    return result.rowcount > 0


def record_unsubscribe(session: Session, campaign_id: int, customer_id: int, at: datetime
                       ) -> None:
    session.execute(update(R).where(R.campaign_id == campaign_id, R.customer_id == customer_id,
                                    R.unsubscribed_at.is_(None))
                    .values(unsubscribed_at=at),
                    execution_options={"synchronize_session": False})


def marketing_allowed(session: Session, customer_id: int) -> bool:
    p = NotificationPreference
    row = session.exec(select(p.enabled).where(p.customer_id == customer_id,
                                               p.channel == MARKETING)).first()
    return row is None or bool(row)


def set_marketing(session: Session, customer_id: int, enabled: bool) -> bool:
    """Store the opt-out (or opt-in) with the customer's channel preferences; whether it
    changed."""
    p = NotificationPreference
    row = session.exec(select(p).where(p.customer_id == customer_id,
                                       p.channel == MARKETING)).first()
    if row is None:
        session.add(p(customer_id=customer_id, channel=MARKETING, enabled=enabled))
        session.flush()
        return not enabled
    if row.enabled == enabled:
        return False
    row.enabled = enabled
    session.add(row)
    return True


# Stats -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stats:
    recipients: int = 0
    queued: int = 0
    cancelled: int = 0
    pending: int = 0
    delivered: int = 0
    failed: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    attributed_orders: int = 0
    attributed_revenue: Decimal = Decimal("0")


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def stats(session: Session, campaign_id: int) -> Stats:
    """Every figure of one campaign in two statements: the recipients joined to their
    notifications (the dispatcher's outcome), and the attributed orders."""
    joined = and_(N.template == TEMPLATE,
                  N.source_key == _source_key_sql(R.campaign_id, R.customer_id))
    opened = or_(R.opened_at.is_not(None),
                 and_(N.channel == "IN_APP", N.read_at.is_not(None)))
    stmt = (core_select(
        func.count(), _count(R.status == RecipientStatus.QUEUED.value),
        _count(R.status == RecipientStatus.CANCELLED.value),
        _count(N.status.in_(("PENDING", "SENDING"))),
        _count(N.status.in_(("SENT", "DELIVERED"))), _count(N.status == "FAILED"),
        _count(opened), _count(R.clicked_at.is_not(None)),
        _count(R.unsubscribed_at.is_not(None)))
        .select_from(R).outerjoin(N, joined).where(R.campaign_id == campaign_id))
    row = session.execute(stmt).one()
    o = Order
    clicked = exists().where(R.campaign_id == campaign_id, R.customer_id == o.customer_id,
                             R.clicked_at.is_not(None), o.created_at >= R.clicked_at,
                             o.created_at <= R.attributed_until)
    orders = session.execute(core_select(func.count(), func.coalesce(func.sum(o.total), 0))
                             .where(clicked, o.status.not_in(_NOT_PURCHASES))).one()
    return Stats(*(int(v or 0) for v in row), attributed_orders=int(orders[0] or 0),
                 attributed_revenue=Decimal(orders[1] or 0).quantize(Decimal("0.01")))
