"""Counting the SQL statements sent: tests assert a request's statement count with it,
and the benchmark reports it. Apart from the engines (db.py): docs/architecture.md#layers.

A `Database` built with `count_statements=True` listens with one on its engines
(app/persistence/db.py); the SQLite writer process counts a call's statements with one of
its own and sends them back (app/persistence/sqlite/child.py). Statements of background
work (app/persistence/background.py) are left out.
"""

from __future__ import annotations

import contextvars
import threading
from dataclasses import dataclass, field

from sqlalchemy import event

from app.persistence.background import BACKGROUND


@dataclass
class StatementCounter:
    """Counts the SQL statements sent (transaction control excluded)."""

    count: int = 0
    statements: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    limit: int | None = 500  # statements kept (all are counted)

    def reset(self) -> None:
        with self.lock:
            self.count = 0
            self.statements.clear()

    def add(self, statements: list[str]) -> None:
        """Statements run (here, or by the writer process on this one's behalf)."""
        if BACKGROUND.get():
            return
        with self.lock:
            self.count += len(statements)
            room = len(statements) if self.limit is None else self.limit - len(self.statements)
            self.statements.extend(statements[:max(room, 0)])

    def __call__(self, _conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if statement.lstrip()[:5].upper() in ("BEGIN", "COMMI", "ROLLB", "SAVEP", "RELEA"):
            return
        self.add([statement])


# Per request, for the metrics (docs/architecture.md#metrics): the request path sets a
# one-item list here; worker threads and the SQLite writer thread inherit the context, so
# a statement run on the request's behalf lands in its list. Statements the SQLite writer
# process runs are not counted (counting there costs the writer ~5%, measured: see
# `StatementCounter`).
REQUEST_STATEMENTS: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "crm_request_statements", default=None)
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def count_in_request(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
    counter = REQUEST_STATEMENTS.get()
    if counter is not None and not statement.startswith(_CONTROL):
        counter[0] += 1


def count_requests(engines) -> None:  # noqa: ANN001
    """Listen with `count_in_request` on each engine (once)."""
    for engine in engines:
        if not event.contains(engine, "before_cursor_execute", count_in_request):
            event.listen(engine, "before_cursor_execute", count_in_request)
