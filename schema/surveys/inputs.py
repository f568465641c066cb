"""Inputs, the staff list's filter and sort, and their translation into service arguments
(global IDs decoded here)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.ids import parse_id
from app.persistence.columns import utcnow
from app.surveys import repository as repo
from app.surveys.service import Answer
from schema.surveys.types import SurveyStatus, SurveySubject

SurveySort = strawberry.enum(repo.SurveySort, name="SurveySort")


@strawberry.input(description="An answer: at least one of csat and nps.")
class SurveyAnswerInput:
    csat: int | None = strawberry.field(default=None, description="1 (poor) to 5.")
    nps: int | None = strawberry.field(default=None, description="0 to 10: how likely you "
                                       "are to recommend us.")
    comment: str | None = strawberry.field(default=None, description="At most 2,000 "
                                           "characters.")
    tags: list[str] | None = strawberry.field(default=None, description="At most 10, each "
                                              "at most 32 characters.")


def answer_from(inp: SurveyAnswerInput) -> Answer:
    return Answer(csat=inp.csat, nps=inp.nps, comment=inp.comment,
                  tags=tuple(inp.tags or ()))


@strawberry.input
class SurveyFilter:
    subject_kind: list[SurveySubject] | None = None  # type: ignore[valid-type]
    status: list[SurveyStatus] | None = None  # type: ignore[valid-type]
    customer_id: strawberry.ID | None = None
    order_id: strawberry.ID | None = None
    low_score: bool | None = None
    sent_after: datetime | None = None
    sent_before: datetime | None = None


def survey_filter_from(flt: SurveyFilter | None) -> repo.SurveyFilter:
    if flt is None:
        return repo.SurveyFilter()
    return repo.SurveyFilter(
        subject_kinds=tuple(k.value for k in flt.subject_kind) if flt.subject_kind else None,
        statuses=tuple(s.value for s in flt.status) if flt.status else None,
        customer_id=parse_id(flt.customer_id, "Customer", "customerId")
        if flt.customer_id else None,
        order_id=parse_id(flt.order_id, "Order", "orderId") if flt.order_id else None,
        low_score=flt.low_score, sent_after=flt.sent_after, sent_before=flt.sent_before,
        now=utcnow())
