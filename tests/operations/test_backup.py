"""The restore drill (docs/deployment.md#backups): a database with the demo's data, backed
up with `crm backup`, wiped, restored with `crm restore`: every table has the same rows,
by count and checksum. On SQLite, or on PostgreSQL under `make test-pg`."""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select, text

from app.cli import migrate
from app.demo.service import seed_demo
from app.persistence.backup import BackupError, pg_program, restore
from app.persistence.db import Database, normalize_url
from app.persistence.uow import Runner
from tests.conftest import TEST_SECRET, _create_pg_database, _drop_pg_database

DAY = date(2026, 12, 1)


def checksums(url: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and the SHA-256 of its rows in primary-key order."""
    engine = create_engine(normalize_url(url))
    try:
        meta = MetaData()
        meta.reflect(engine)
        out = {}
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                digest, count = hashlib.sha256(), 0
                for row in conn.execute(select(table).order_by(*order)):
                    digest.update(repr(tuple(row)).encode())
                    count += 1
                out[table.name] = (count, digest.hexdigest())
        return out
    finally:
        engine.dispose()


def crm(url: str, *args: str) -> str:
    env = {**os.environ, "CRM_DATABASE_URL": url, "CRM_JWT_SECRET": TEST_SECRET}
    done = subprocess.run([sys.executable, "-m", "app.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


class Drill:
    """A database of its own: created, filled, wiped."""

    def __init__(self, admin: str | None, tmp: Path) -> None:
        self.admin, self.tmp = admin, tmp
        if admin:
            self.url, self.name = _create_pg_database(admin)
        else:
            self.url, self.name = f"sqlite:///{tmp / 'drill.db'}", None

    def wipe(self) -> None:
        if self.admin:
            _drop_pg_database(self.admin, self.name)
            engine = create_engine(normalize_url(self.admin), isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            engine.dispose()
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.tmp / "drill.db") + suffix).unlink(missing_ok=True)

    def drop(self) -> None:
        if self.admin:
            _drop_pg_database(self.admin, self.name)


@pytest.fixture(scope="module")
def drill() -> Iterator[Drill]:
    admin = os.environ.get("CRM_TEST_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="crm-drill-") as tmp:
        own = Drill(admin if admin and admin.startswith("postgresql") else None, Path(tmp))
        try:
            migrate(own.url)
            db = Database(own.url)
            try:  # the demo's data, written as the app writes (its own writer)
                seed_demo(Runner(db), quiet=True, today=DAY)
            finally:
                db.dispose()
            yield own
        finally:
            own.drop()


def test_backup_wipe_restore_gives_identical_tables(drill: Drill):
    before = checksums(drill.url)
    assert before["customer"][0] > 0 and before["sales_order"][0] > 0
    assert before["alembic_version"][0] == 1
    out = drill.tmp / "backups" / "crm.backup"
    crm(drill.url, "backup", "--out", str(out))
    assert out.is_file() and not out.with_name(out.name + ".partial").exists()

    drill.wipe()
    assert checksums(drill.url) == {}
    crm(drill.url, "restore", str(out))
    assert checksums(drill.url) == before
    crm(drill.url, "migrate")  # the restored database is at the head revision already
    assert checksums(drill.url) == before


def test_sqlite_backup_while_a_write_is_open(tmp_path: Path):
    """The online backup does not wait for a writer and takes what was committed."""
    path = tmp_path / "live.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("INSERT INTO t (v) VALUES ('committed')")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t (v) VALUES ('open')")
    try:
        from app.persistence.backup import backup

        backup(f"sqlite:///{path}", tmp_path / "copy.db")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        conn.close()
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT v FROM t").fetchall() == [("committed",)]
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
    copy.close()


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(secrets.token_bytes(4096))
    with pytest.raises(BackupError):
        restore(f"sqlite:///{tmp_path / 'target.db'}", junk)
    with pytest.raises(BackupError):
        restore(f"sqlite:///{tmp_path / 'target.db'}", tmp_path / "missing.backup")


def test_pg_programs_match_the_server_version(tmp_path: Path):
    for major in (13, 15, 16):
        (tmp_path / str(major) / "bin").mkdir(parents=True)
        (tmp_path / str(major) / "bin" / "pg_dump").write_text("")
    assert pg_program("pg_dump", 15, tmp_path) == str(tmp_path / "15" / "bin" / "pg_dump")
    assert pg_program("pg_dump", 14, tmp_path) == str(tmp_path / "15" / "bin" / "pg_dump")
