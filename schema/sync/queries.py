"""`syncChanges`: parse, call the sync service (which re-reads each changed object under
the caller's row scope), build the objects; their fields apply the field rules as in any
list."""

from __future__ import annotations

import strawberry

from app.errors import Forbidden
from app.ids import to_global_id
from app.sync import service
from app.sync.entities import ENTITIES
from schema.core.objects import object_type
from schema.core.pagination import PageInfo
from schema.core.permissions import current_principal, forbidden
from schema.core.writes import run_read
from schema.sync.types import SyncChange, SyncChangesPage, SyncEntity


@strawberry.type
class SyncQuery:
    @strawberry.field(description=(
        "Delta sync for offline clients (docs: frontend-contract/README.md, Delta sync) "
        "of `entities` (null: every one you may read; one you may not is FORBIDDEN). "
        "Without `since`: every object of `entities` you may see (a full sync). With "
        "`since` (the last sync's `syncToken`): each object changed after it, once, in "
        "commit order, its current state, or `removed` when it was deleted or left your "
        "scope. A token older than the history kept is SYNC_TOKEN_EXPIRED: sync in full. "
        "Pages forward only (`first` 1-100, default 100, `after`)."))
    async def sync_changes(
        self, info: strawberry.Info, entities: list[SyncEntity] | None = None,
        since: str | None = None,
        first: int | None = None, after: str | None = None,
    ) -> SyncChangesPage:
        principal = current_principal(info)
        try:
            names = service.entities_for(
                principal, None if entities is None else [e.value for e in entities])
        except Forbidden as exc:
            raise forbidden(exc.message) from None
        page = await run_read(info, service.read_changes, principal, names, since, after,
                              service.MAX_PAGE if first is None else first)
        edges = []
        for c in page.changes:
            row = page.rows.get((c.entity, c.id))
            kind = ENTITIES[c.entity].type_name  # a derived list's node: its source's type
            node = None if row is None else object_type(kind).from_row(row)
            edges.append(SyncChange(cursor=c.cursor, id=strawberry.ID(to_global_id(
                kind, c.id)), entity=SyncEntity(c.entity), removed=node is None,
                node=node))
        info_ = PageInfo(has_next_page=page.has_next, has_previous_page=after is not None,
                         start_cursor=edges[0].cursor if edges else None,
                         end_cursor=edges[-1].cursor if edges else after)
        return SyncChangesPage(edges=edges, page_info=info_, sync_token=page.token,
                                    full=page.full)
