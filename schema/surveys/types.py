"""GraphQL types of satisfaction surveys: the staff's `Survey` node, the public
`SurveyForm` a link opens, and the satisfaction report
(docs/architecture.md#satisfaction-surveys-and-proactive-communication)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.auth.roles import Perm
from app.persistence.columns import utcnow
from app.surveys import models as m
from app.surveys import repository as repo
from app.surveys import service
from schema.core.guards import SURVEY_COMMENT_RULE, survey_comment
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal, requires, visibility
from schema.core.writes import run_read
from schema.loading.loaders import register_loader

if TYPE_CHECKING:
    from schema.auth.types import User
    from schema.customers.types import Customer
    from schema.orders.types import Order

SurveySubject = strawberry.enum(m.SurveySubject, name="SurveySubject")
SurveyStatus = strawberry.enum(m.SurveyStatus, name="SurveyStatus")
SatisfactionGroupBy = strawberry.enum(repo.GroupBy, name="SatisfactionGroupBy")

register_loader("survey_by_id", service.surveys_by_ids)


@strawberry.type(description="A satisfaction survey sent to a customer after a delivery "
                 "(DELIVERY) or a resolved ticket (TICKET), answered at most once.")
class Survey(Node):
    subject_kind: SurveySubject  # type: ignore[valid-type]
    sent_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    csat: int | None = strawberry.field(description="Satisfaction, 1 (poor) to 5.")
    nps: int | None = strawberry.field(description="Likelihood to recommend, 0 to 10.")
    tags: list[str]
    low_score: bool = strawberry.field(description="At or below CRM_SURVEY_LOW_CSAT / "
                                       "CRM_SURVEY_LOW_NPS: a follow-up was raised.")
    _pk: strawberry.Private[int]
    _customer_id: strawberry.Private[int]
    _order_id: strawberry.Private[int | None]
    _agent_id: strawberry.Private[int | None]
    _ticket_id: strawberry.Private[int | None]
    _comment: strawberry.Private[str | None]

    @strawberry.field(description="SENT (open), ANSWERED or EXPIRED (unanswered past its "
                      "expiry).")
    def status(self) -> SurveyStatus:  # type: ignore[valid-type]
        return SurveyStatus(service.status_of(self, utcnow()))  # type: ignore[arg-type]

    @strawberry.field(description=SURVEY_COMMENT_RULE,
                      directives=visibility(SURVEY_COMMENT_RULE))
    def comment(self, info: strawberry.Info) -> str | None:
        return survey_comment(info, self._comment)

    @strawberry.field(description="The ticket's global ID (TICKET surveys).")
    def ticket_id(self) -> strawberry.ID | None:
        return gid("Ticket", self._ticket_id) if self._ticket_id is not None else None

    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ),
                      description="The customer asked.")
    async def customer(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        row = await info.context.loaders.load("customer_by_id", self._customer_id)
        return info.context.loaders.cached(object_type("Customer"), row) if row else None

    @strawberry.field(extensions=requires(Perm.ORDERS_READ),
                      description="The delivered order (DELIVERY), or the ticket's order.")
    async def order(self, info: strawberry.Info) -> Annotated[
            Order, strawberry.lazy("schema.orders.types")] | None:
        if self._order_id is None:
            return None
        row = await info.context.loaders.load("order_by_id", self._order_id)
        return info.context.loaders.cached(object_type("Order"), row) if row else None

    @strawberry.field(description="The agent who resolved the ticket (TICKET surveys).")
    def agent(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        if self._agent_id is None:
            return None
        return info.context.loaders.one("user_by_id", self._agent_id, object_type("User"))

    @classmethod
    def from_row(cls, row: Any) -> Survey:
        return cls(id=gid("Survey", row.id), subject_kind=row.subject_kind,
                   sent_at=row.sent_at, expires_at=row.expires_at,
                   answered_at=row.answered_at, csat=row.csat, nps=row.nps,
                   tags=list(row.tags or []), low_score=bool(row.low_score), _pk=row.id,
                   _customer_id=row.customer_id, _order_id=row.order_id,
                   _agent_id=row.agent_user_id, _ticket_id=row.ticket_id,
                   _comment=row.comment)


@strawberry.type(description="What a survey link opens, for the public answer page: "
                 "nothing about the customer.")
class SurveyForm:
    status: SurveyStatus  # type: ignore[valid-type]
    subject_kind: SurveySubject  # type: ignore[valid-type]
    order_number: str | None
    language: str = strawberry.field(description="The customer's language (zh, en): the "
                                     "page's.")
    expires_at: datetime
    message: str | None = strawberry.field(description="Why it cannot be answered "
                                           "(ANSWERED, EXPIRED).")

    @classmethod
    def from_form(cls, form: service.SurveyForm) -> SurveyForm:
        return cls(status=form.status, subject_kind=form.subject_kind,
                   order_number=form.order_number, language=form.language,
                   expires_at=form.expires_at, message=form.message)


@strawberry.type(description="Satisfaction figures of a set of surveys.")
class SatisfactionFigures:
    key: str | None = strawberry.field(description="The group: a Product, Warehouse, "
                                       "Carrier or User ID, or a segment name; null for "
                                       "the total.")
    label: str | None
    sent: int
    answered: int
    response_rate: float | None = strawberry.field(description="answered / sent.")
    csat: float | None = strawberry.field(description="The average CSAT (1-5) of answers.")
    nps: float | None = strawberry.field(description="Promoters (9-10) minus detractors "
                                         "(0-6), in % of NPS answers (-100 to 100).")


_KEY_TYPES = {"PRODUCT": "Product", "WAREHOUSE": "Warehouse", "CARRIER": "Carrier",
              "AGENT": "User"}


def figures_from(row: service.Figures, group_by: str | None) -> SatisfactionFigures:
    key = row.key
    if key is not None and group_by in _KEY_TYPES:
        key = gid(_KEY_TYPES[group_by], int(key))
    return SatisfactionFigures(key=None if key is None else str(key), label=row.label,
                               sent=row.sent, answered=row.answered,
                               response_rate=row.response_rate, csat=row.csat, nps=row.nps)


@strawberry.type(description="Response rate, CSAT and NPS of the surveys sent in a period, "
                 "in total and per group, computed in SQL.")
class SatisfactionReport:
    from_: datetime = strawberry.field(name="from")
    to: datetime
    group_by: SatisfactionGroupBy | None  # type: ignore[valid-type]
    total: SatisfactionFigures
    groups: list[SatisfactionFigures]


async def _fetch_survey(info: strawberry.Info, pk: int) -> Survey | None:
    principal = current_principal(info)
    if not principal.can(Perm.SURVEYS_READ):
        return None
    row = await run_read(info, service.get_survey, principal, pk)
    return Survey.from_row(row) if row else None


register_node("Survey", _fetch_survey)
register_types(Survey)
