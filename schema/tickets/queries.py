"""`tickets`, `ticket`, `ticketSlaPolicies`, `ticketSlaReport`: parse, call one service,
map the result."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.errors import DomainError
from app.persistence.columns import utcnow
from app.tickets import report, service
from schema.core.node import lookup
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.loading.prefetch import read_connection
from schema.tickets.inputs import TicketFilter, TicketSort, filter_from
from schema.tickets.types import Ticket, TicketSlaFigures, TicketSlaPolicy, TicketSlaReport


@strawberry.type
class TicketQuery:
    @strawberry.field(description="Tickets you may see (a CUSTOMER: its own), newest first "
                      "by default.")
    async def tickets(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: TicketFilter | None = None, sort: TicketSort | None = None,
    ) -> Connection[Ticket]:
        sort = sort or TicketSort.CREATED_AT_DESC  # null: the list's default order
        page = await read_connection(info, "Ticket", service.list_tickets,
                                     current_principal(info), filter_from(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, Ticket.from_row)

    @strawberry.field(description="One ticket; null when missing or out of your scope.")
    async def ticket(self, info: strawberry.Info, id: strawberry.ID) -> Ticket | None:
        return await lookup(info, id, "Ticket")

    @strawberry.field(description="The SLA policy: minutes to the first response and to the "
                      "resolution by priority and customer tier.")
    async def ticket_sla_policies(self, info: strawberry.Info) -> list[TicketSlaPolicy]:
        rows = await run_read(info, service.sla_policies, current_principal(info))
        return [TicketSlaPolicy.from_row(r) for r in rows]

    @strawberry.field(description="SLA figures of the tickets opened in [from, to): counts, "
                      "breach rate, median first-response and resolution minutes, overall, "
                      "by priority and by agent (agent names masked for ANALYST).")
    async def ticket_sla_report(
        self, info: strawberry.Info,
        from_: Annotated[datetime, strawberry.argument(name="from")], to: datetime,
    ) -> TicketSlaReport:
        if to <= from_:
            raise DomainError("`to` must be after `from`", field=["to"])
        result = await run_read(info, report.sla_report, current_principal(info), from_, to,
                                utcnow())
        return TicketSlaReport(
            overall=TicketSlaFigures.of(result.overall),
            by_priority=[TicketSlaFigures.of(f, by_priority=True) for f in result.by_priority],
            by_agent=[TicketSlaFigures.of(f, by_agent=True) for f in result.by_agent])
