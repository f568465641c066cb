"""How long the app waits on its database, and how many connections it holds
(docs/architecture.md#faults). Plain values: the settings fill them in (app/config.py),
`Database` applies them (app/persistence/db.py), `Runner` the transaction timeout
(app/persistence/uow.py), app/persistence/outage.py turns what runs out into
SERVICE_UNAVAILABLE."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DbLimits:
    # PostgreSQL's pool: one connection per worker thread that can run a unit of work or a
    # read at once (anyio's default limit, 40), so none waits for a connection and none is
    # opened and closed under load; none beyond them (docs/architecture.md#faults)
    pool_size: int = 40
    max_overflow: int = 0
    # a caller waiting longer than this for a free connection is answered
    # SERVICE_UNAVAILABLE (SQLAlchemy's pool_timeout; its default, 30 s, outlived a
    # request's budget)
    pool_timeout_seconds: float = 5.0
    # opening a connection (libpq's connect_timeout): an unreachable host answers within it
    connect_timeout_seconds: float = 5.0
    # every statement on PostgreSQL, background work's too (a session default, sent when
    # the connection opens); a request's own budget lowers it (app/persistence/deadline.py);
    # 0: none
    statement_timeout_ms: float = 30_000.0
    # a whole unit of work or read run by a Runner, background ones too, as a deadline
    # (app/persistence/deadline.py); 0: none
    transaction_timeout_ms: float = 0.0

    def connect_args(self) -> dict[str, object]:
        """psycopg's arguments for every new connection."""
        args: dict[str, object] = {
            # libpq takes whole seconds, at least 2 (a smaller value is raised to 2)
            "connect_timeout": max(2, round(self.connect_timeout_seconds))}
        if self.statement_timeout_ms:
            args["options"] = f"-c statement_timeout={int(self.statement_timeout_ms)}"
        return args
