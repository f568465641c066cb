"""`syncChanges`: parse, call the sync service, re-read each object as `node(id:)` does."""

from __future__ import annotations

import asyncio

import strawberry

from app.errors import Forbidden
from app.ids import to_global_id
from app.sync import service
from schema.core.node import resolve_node
from schema.core.pagination import PageInfo
from schema.core.permissions import current_principal, forbidden
from schema.core.writes import run_read
from schema.sync.types import SyncChangeConnection, SyncChangeEdge, SyncEntity


@strawberry.type
class SyncQuery:
    @strawberry.field(description=(
        "Delta sync for offline clients (docs: frontend-contract/README.md, Delta sync). "
        "Without `since`: every object of `entities` you may see (a full sync). With "
        "`since` (the last sync's `syncToken`): each object changed after it, once, in "
        "commit order, its current state, or `removed` when it was deleted or left your "
        "scope. A token older than the history kept is SYNC_TOKEN_EXPIRED: sync in full. "
        "Pages forward only (`first` 1-100, default 100, `after`)."))
    async def sync_changes(
        self, info: strawberry.Info, entities: list[SyncEntity], since: str | None = None,
        first: int | None = None, after: str | None = None,
    ) -> SyncChangeConnection:
        principal = current_principal(info)
        try:
            names = service.entities_for(principal, [e.value for e in entities])
        except Forbidden as exc:
            raise forbidden(exc.message) from None
        page = await run_read(info, service.read_changes, principal, names, since, after,
                              service.MAX_PAGE if first is None else first)
        ids = [to_global_id(c.entity, c.id) for c in page.changes]
        nodes = await asyncio.gather(*(resolve_node(info, i) for i in ids))
        edges = [SyncChangeEdge(cursor=c.cursor, id=strawberry.ID(i),
                                entity=SyncEntity(c.entity), removed=n is None, node=n)
                 for c, i, n in zip(page.changes, ids, nodes, strict=True)]
        info_ = PageInfo(has_next_page=page.has_next, has_previous_page=after is not None,
                         start_cursor=edges[0].cursor if edges else None,
                         end_cursor=edges[-1].cursor if edges else after)
        return SyncChangeConnection(edges=edges, page_info=info_, sync_token=page.token,
                                    full=page.full)
