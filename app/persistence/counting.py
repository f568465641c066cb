"""Counting the SQL statements sent: tests assert a request's statement count with it,
and the benchmark reports it. Apart from the engines (db.py): docs/architecture.md#layers.

A `Database` built with `count_statements=True` listens with one on its engines
(app/persistence/db.py); the SQLite writer process counts a call's statements with one of
its own and sends them back (app/persistence/sqlite/child.py). Statements of background
work (app/persistence/background.py) are left out.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

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
