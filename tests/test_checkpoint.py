"""WAL checkpoints off the SQLite writer's path (app/persistence/sqlite/checkpoint.py): the
checkpointer copies
the log into the database on its own connection and thread, the writer's connection keeps
SQLite's automatic checkpoint only as a far backstop, and the app's SQLite writer starts and
stops the checkpointer with itself. On their own SQLite files, whatever the suite's database."""

from __future__ import annotations

import time

from sqlalchemy import text

from app.persistence.db import Database
from app.persistence.sqlite.checkpoint import BACKSTOP_PAGES, Checkpointer
from app.persistence.sqlite.writers import writers


def _fill(db: Database, rows: int = 2_000) -> None:
    """Write enough to leave pages in the log (the backstop never checkpoints this little)."""
    with db.write_engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, "
                          "body TEXT)"))
        conn.execute(text("INSERT INTO filler (body) VALUES (:body)"),
                     [{"body": "填充" * 200} for _ in range(rows)])


def _log_state(db: Database) -> tuple[int, int]:
    """(pages in the log, pages of it already copied into the database)."""
    with db.read_engine.connect() as conn:
        raw = conn.connection.driver_connection
        _busy, log, copied = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return log, copied


def test_the_writer_connection_checkpoints_only_as_a_backstop(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'backstop.db'}")
    try:
        with db.write_engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == BACKSTOP_PAGES
        with db.read_engine.connect() as conn:  # readers keep SQLite's default
            raw = conn.connection.driver_connection
            assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    finally:
        db.dispose()


def test_a_checkpoint_copies_the_log_into_the_database(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'copy.db'}")
    checkpointer = Checkpointer(db.url)
    try:
        _fill(db)
        copied = checkpointer.checkpoint()
        assert copied > 100  # the filler's pages, which the backstop left in the log
        log, done = _log_state(db)
        assert done == log  # nothing left to copy
        assert checkpointer.stats == {"checkpoints": 1, "pages": copied, "failures": 0}
    finally:
        checkpointer.close()
        db.dispose()


def test_the_app_writer_runs_the_checkpointer_and_stops_it(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'thread.db'}")
    try:
        assert writers(db).checkpointer is None  # nothing written through the writer yet
        assert writers(db).thread is not None
        checkpointer = writers(db).checkpointer
        assert checkpointer is not None and checkpointer._thread.is_alive()  # noqa: SLF001
        _fill(db)
        deadline = time.monotonic() + 5
        while checkpointer.stats["pages"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert checkpointer.stats["pages"] > 100 and checkpointer.stats["failures"] == 0
        thread = checkpointer._thread  # noqa: SLF001
        writers(db).close()
        assert not thread.is_alive()
    finally:
        db.dispose()


def test_postgresql_has_no_checkpointer():
    db = Database("postgresql://postgres@127.0.0.1:5432/never_connected")
    try:
        assert writers(db).thread is not None  # no connection is made
        assert writers(db).checkpointer is None
    finally:
        db.dispose()  # closes the writers too
