"""Satisfaction surveys: sent after a delivery (the sender, app/surveys/jobs.py, a durable
consumer of the outbox) or a resolved ticket (`create_ticket_survey`), answered once by
link without signing in, read by staff and summed up in `satisfaction`
(docs/architecture.md#satisfaction-surveys-and-proactive-communication)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.auth.principal import Principal
from app.config import Settings
from app.errors import Conflict, DomainError, ErrorCode, Validator
from app.events import topics
from app.events.repository import consumers
from app.persistence.columns import utcnow
from app.persistence.repository import Page, PageRequest
from app.persistence.uow import UnitOfWork
from app.surveys import links
from app.surveys import repository as repo
from app.surveys.models import Survey, SurveyStatus, SurveySubject
from app.sync import capture as sync_capture
from app.tickets import service as tickets

log = logging.getLogger(__name__)

CONSUMER = "surveys"  # the sender's outbox position (app/events/repository/consumers.py)
MAX_TAGS, MAX_TAG, MAX_COMMENT = 10, 32, 2000


# Sending ------------------------------------------------------------------------------

def send_after_delivery(uow: UnitOfWork, start: int, end: int, order_ids: Sequence[int],
                        now: datetime | None = None, *, resolved: Sequence[dict] = (),
                        low_scores: Sequence[dict] = ()) -> list[int] | None:
    """The events after `start` up to `end`: a survey for each delivered order and each
    resolved ticket that has none, a follow-up ticket for each low score, and the sender's
    position moved in the same transaction (each event applied once); None when another
    process got there first."""
    if not consumers.advance(uow.session, CONSUMER, start, end):
        return None
    made = [create_delivery_survey(uow, order_id, now) for order_id in order_ids]
    for e in resolved:
        made.append(_guarded(uow, f"ticket {e.get('ticket_id')}", create_ticket_survey, uow,
                             int(e["ticket_id"]), int(e["customer_id"]), e.get("assignee_id"),
                             e.get("order_id"), now))
    for e in low_scores:
        _guarded(uow, f"survey {e.get('survey_id')}", follow_up_low_score, uow, e, now)
    return [s.id for s in made if s is not None]


def _guarded(uow: UnitOfWork, what: str, fn: Any, *args: Any) -> Any:
    """`fn(*args)` in a savepoint: one event that cannot have its effect (its customer
    gone) must not hold the sender back."""
    try:
        with uow.session.begin_nested():
            return fn(*args)
    except DomainError as error:
        log.warning("survey sender: nothing done for %s: %s", what, error)
        return None


def follow_up_low_score(uow: UnitOfWork, event: dict, now: datetime | None = None) -> int:
    """A COMPLAINT ticket for a low score (`survey.low_score`), auto-assigned to customer
    service; its id."""
    subject = (f"order {event['order_id']}" if event.get("order_id")
               else f"ticket {event['ticket_id']}" if event.get("ticket_id") else "a survey")
    reason = (f"Low satisfaction score on survey {event['survey_id']} about {subject}: "
              f"CSAT {event.get('csat')}, NPS {event.get('nps')}. Follow up with the customer.")
    ticket = tickets.open_follow_up_ticket(
        uow, int(event["customer_id"]), reason, order_id=event.get("order_id"),
        shipment_id=event.get("shipment_id"),
        subject=f"Low satisfaction score: {subject}", now=now)
    return ticket.id


def create_delivery_survey(uow: UnitOfWork, order_id: int, now: datetime | None = None
                           ) -> Survey | None:
    """The survey of a delivered order; None when the order is not delivered, has one, or
    was delivered longer ago than a link stays valid (a sender starting on an old
    database's history asks about recent deliveries only)."""
    order = repo.delivered_order(uow.session, order_id)
    now = now or utcnow()
    if order is None or (order.delivered_at is not None and order.delivered_at
                         < now - timedelta(days=uow.settings.survey_valid_days)):
        return None
    return _create(uow, f"order:{order_id}", {
        "subject_kind": SurveySubject.DELIVERY.value, "customer_id": order.customer_id,
        "order_id": order_id, "shipment_id": order.shipment_id, "language": order.language},
        now)


def create_ticket_survey(uow: UnitOfWork, ticket_id: int, customer_id: int,
                         agent_user_id: int | None, order_id: int | None = None,
                         now: datetime | None = None) -> Survey | None:
    """The survey after a ticket is resolved (what a `ticket.resolved` consumer calls once
    tickets exist); None when the ticket has one already."""
    language = repo.customer_language(uow.session, customer_id)
    if language is None:
        raise DomainError("no such customer", field=["customerId"], code=ErrorCode.NOT_FOUND)
    return _create(uow, f"ticket:{ticket_id}", {
        "subject_kind": SurveySubject.TICKET.value, "customer_id": customer_id,
        "ticket_id": ticket_id, "agent_user_id": agent_user_id, "order_id": order_id,
        "language": language}, now)


def _create(uow: UnitOfWork, key: str, values: dict[str, Any], now: datetime | None
            ) -> Survey | None:
    if repo.existing_keys(uow.session, [key]):
        return None
    now = now or utcnow()
    expires = now + timedelta(days=uow.settings.survey_valid_days)
    try:
        with uow.session.begin_nested():  # a racing sender's row: no second survey
            row = repo.add_survey(uow.session, {**values, "subject_key": key,
                                                "nonce": links.new_nonce(), "sent_at": now,
                                                "expires_at": expires})
    except IntegrityError:
        return None
    sync_capture.touch(uow, "Survey", (row.id,))  # sent: no audit names it
    uow.emit(topics.SURVEY_SENT, survey_id=row.id, customer_id=row.customer_id,
             subject_kind=row.subject_kind, order_id=row.order_id,
             shipment_id=row.shipment_id, ticket_id=row.ticket_id,
             agent_user_id=row.agent_user_id, expires_at=expires.isoformat(),
             at=now.isoformat())
    return row


# Answering ----------------------------------------------------------------------------

_INVALID = "this survey link is not valid"
_EXPIRED = "this survey link has expired"
_ANSWERED = "this survey has already been answered; thank you"


@dataclass(frozen=True)
class Answer:
    csat: int | None
    nps: int | None
    comment: str | None = None
    tags: tuple[str, ...] = ()


def _opened(session: Session, settings: Settings, token: str, now: datetime
            ) -> tuple[links.Claims, Survey]:
    """The survey a token opens, or the reason it opens none."""
    claims = links.read(settings, token)
    row = repo.survey(session, claims.survey_id) if claims else None
    if claims is None or row is None or not links.same_nonce(claims, row.nonce):
        raise DomainError(_INVALID, field=["token"], code=ErrorCode.INVALID_TOKEN)
    if row.answered_at is not None:
        raise Conflict(_ANSWERED, field=["token"])
    if links.expired(claims, now) or row.expires_at <= now:
        raise DomainError(_EXPIRED, field=["token"], code=ErrorCode.INVALID_TOKEN)
    return claims, row


def _checked(answer: Answer) -> dict[str, Any]:
    v = Validator()
    v.check(answer.csat is not None or answer.nps is not None, ["csat"],
            "give a satisfaction score (csat 1-5) or a recommendation score (nps 0-10)")
    v.check(answer.csat is None or 1 <= answer.csat <= 5, ["csat"], "csat must be 1 to 5")
    v.check(answer.nps is None or 0 <= answer.nps <= 10, ["nps"], "nps must be 0 to 10")
    comment = (answer.comment or "").strip()
    v.check(len(comment) <= MAX_COMMENT, ["comment"],
            f"comment must be at most {MAX_COMMENT} characters")
    tags = list(dict.fromkeys(t.strip() for t in answer.tags if t and t.strip()))
    v.check(len(tags) <= MAX_TAGS, ["tags"], f"at most {MAX_TAGS} tags")
    v.check(all(len(t) <= MAX_TAG for t in tags), ["tags"],
            f"a tag has at most {MAX_TAG} characters")
    v.raise_if_any()
    return {"csat": answer.csat, "nps": answer.nps, "comment": comment or None,
            "tags": tags or None}


def is_low(settings: Settings, csat: int | None, nps: int | None) -> bool:
    return ((csat is not None and csat <= settings.survey_low_csat)
            or (nps is not None and nps <= settings.survey_low_nps))


def answer_survey(uow: UnitOfWork, token: str, answer: Answer, now: datetime | None = None
                  ) -> Survey:
    """Store the answer once: a second answer, an expired or a forged link is refused and
    changes nothing. A low score raises `survey.low_score` (the follow-up hook)."""
    now = now or utcnow()
    claims, row = _opened(uow.session, uow.settings, token, now)
    values = _checked(answer)
    values["low_score"] = is_low(uow.settings, values["csat"], values["nps"])
    if not repo.claim_answer(uow.session, row.id, claims.nonce, now, values):
        uow.session.refresh(row)  # answered by a racing request meanwhile
        raise Conflict(_ANSWERED, field=["token"]) if row.answered_at is not None \
            else DomainError(_EXPIRED, field=["token"], code=ErrorCode.INVALID_TOKEN)
    uow.session.refresh(row)
    uow.audit("survey.answer", "Survey", row.id, before={"status": SurveyStatus.SENT.value},
              after={"status": SurveyStatus.ANSWERED.value, "csat": row.csat,
                     "nps": row.nps, "lowScore": row.low_score})
    uow.emit(topics.SURVEY_ANSWERED, survey_id=row.id, customer_id=row.customer_id,
             csat=row.csat, nps=row.nps, low_score=row.low_score, at=now.isoformat())
    if row.low_score:
        # the follow-up: tickets subscribe to this topic once they exist; the planner
        # alerts CUSTOMER_SERVICE meanwhile (app/notifications/planner.py)
        uow.emit(topics.SURVEY_LOW_SCORE, survey_id=row.id, customer_id=row.customer_id,
                 subject_kind=row.subject_kind, order_id=row.order_id,
                 shipment_id=row.shipment_id, ticket_id=row.ticket_id,
                 agent_user_id=row.agent_user_id, csat=row.csat, nps=row.nps,
                 at=now.isoformat())
    return row


@dataclass(frozen=True)
class SurveyForm:
    """What the public answer page shows for a link: never the customer's data."""

    status: str
    subject_kind: str
    order_number: str | None
    language: str
    expires_at: datetime
    message: str | None


def survey_for_token(session: Session, settings: Settings, token: str,
                     now: datetime | None = None) -> SurveyForm | None:
    """The form a link opens (status SENT), or why it cannot be answered (ANSWERED,
    EXPIRED); None for a forged or unknown link."""
    now = now or utcnow()
    try:
        _claims, row = _opened(session, settings, token, now)
        status, message = SurveyStatus.SENT.value, None
    except Conflict:
        row, status, message = _row_of(session, settings, token), \
            SurveyStatus.ANSWERED.value, _ANSWERED
    except DomainError as exc:
        if exc.message != _EXPIRED:
            return None
        row, status, message = _row_of(session, settings, token), \
            SurveyStatus.EXPIRED.value, _EXPIRED
    return SurveyForm(status, row.subject_kind, repo.order_number(session, row.order_id),
                      row.language, row.expires_at, message)


def _row_of(session: Session, settings: Settings, token: str) -> Survey:
    claims = links.read(settings, token)
    assert claims is not None  # _opened checked it
    return repo.survey(session, claims.survey_id)  # type: ignore[return-value]


def status_of(row: Survey, now: datetime) -> str:
    if row.answered_at is not None:
        return SurveyStatus.ANSWERED.value
    return SurveyStatus.SENT.value if row.expires_at > now else SurveyStatus.EXPIRED.value


# Staff reads --------------------------------------------------------------------------

def list_surveys(session: Session, principal: Principal, flt: repo.SurveyFilter,
                 sort: repo.SurveySort, page: PageRequest) -> Page[Survey]:
    return repo.list_surveys(session, principal, flt, sort, page)


def get_survey(session: Session, principal: Principal, survey_id: int) -> Survey | None:
    return repo.get_visible(session, principal, survey_id)


def surveys_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Survey]:
    return repo.surveys_by_ids(session, ids)


@dataclass(frozen=True)
class Figures:
    key: Any
    label: str | None
    sent: int
    answered: int
    response_rate: float | None
    csat: float | None
    nps: float | None


@dataclass(frozen=True)
class Satisfaction:
    total: Figures
    groups: list[Figures]


def _figures(row: Any) -> Figures:
    sent, answered = int(row.sent or 0), int(row.answered or 0)
    return Figures(row.key, row.label, sent, answered,
                   round(answered / sent, 4) if sent else None,
                   round(float(row.csat), 2) if row.csat is not None else None,
                   round(float(row.nps), 1) if row.nps is not None else None)


def satisfaction(session: Session, start: datetime, end: datetime,
                 group_by: repo.GroupBy | None) -> Satisfaction:
    """Surveys sent in [start, end): sent, answered, response rate, CSAT average and NPS,
    in total and per group, each computed in SQL."""
    if end <= start:
        raise DomainError("`to` must be after `from`", field=["to"])
    [total] = repo.satisfaction(session, start, end, None)
    groups = repo.satisfaction(session, start, end, group_by) if group_by else []
    return Satisfaction(_figures(total), [_figures(r) for r in groups])
