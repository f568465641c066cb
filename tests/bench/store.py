"""Builds a benchmark dataset once per (size, version) and hands out fresh working copies.

SQLite: a pristine file under var/bench/data/, copied for every run. PostgreSQL: a template
database, cloned with CREATE DATABASE ... TEMPLATE for every run. The version is a hash of
the generator and the migrations, so a schema change rebuilds the dataset.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import time
from pathlib import Path

from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

from app.config import PROJECT_ROOT
from app.persistence.db import normalize_url
from tests.bench.dataset import PASSWORD, SIZES, TABLE_ORDER, Generator

BENCH_DIR = PROJECT_ROOT / "var" / "bench"
DATA_DIR = BENCH_DIR / "data"
COMPLETE = "crm-bench dataset complete"


def dataset_version() -> str:
    digest = hashlib.sha1()
    here = Path(__file__).resolve().parent
    sources = [here / "dataset.py", here / "names.py",
               *sorted((PROJECT_ROOT / "migrations" / "versions").glob("*.py"))]
    for path in sources:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _write(url: str, size_name: str, log) -> None:  # noqa: ANN001
    from app.auth.passwords import hash_password
    from app.cli import migrate
    from app.models import metadata

    migrate(url)
    engine = create_engine(normalize_url(url), poolclass=pool.NullPool)
    started = time.perf_counter()
    count = 0
    gen = Generator(SIZES[size_name], hash_password(PASSWORD))  # one argon2 hash for all
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        for table, rows in gen.batches():
            conn.execute(metadata.tables[table].insert(), rows)
            count += len(rows)
        if engine.dialect.name == "postgresql":
            for table in TABLE_ORDER:
                if "id" in metadata.tables[table].c:
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    log(f"  dataset {size_name}: {count:,} rows in {time.perf_counter() - started:.1f}s")


def sqlite_copy(size_name: str, log=print) -> str:  # noqa: ANN001
    """A fresh working copy of the SQLite dataset; builds the pristine file on first use."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    pristine = DATA_DIR / f"{size_name}-{dataset_version()}.db"
    if not pristine.exists():
        for old in DATA_DIR.glob(f"{size_name}-*.db*"):
            old.unlink()
        building = pristine.with_suffix(".building")
        building.unlink(missing_ok=True)
        log(f"  building SQLite dataset {size_name} -> {pristine}")
        _write(f"sqlite:///{building}", size_name, log)
        conn = sqlite3.connect(building)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.close()
        building.rename(pristine)
    work = BENCH_DIR / f"run-{size_name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(pristine, work)
    return f"sqlite:///{work}"


def _admin(admin_url: str):  # noqa: ANN202
    return create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT",
                         poolclass=pool.NullPool)


def _database_complete(conn, name: str) -> bool:  # noqa: ANN001
    row = conn.execute(text(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"),
        {"n": name}).first()
    return row is not None and row[0] == COMPLETE


def postgres_copy(size_name: str, admin_url: str, log=print) -> str:  # noqa: ANN001
    """A fresh working database cloned from the dataset's template database."""
    template = f"crm_bench_{size_name.lower()}_{dataset_version()}"
    work = f"crm_bench_{size_name.lower()}_run"
    admin = _admin(admin_url)
    with admin.connect() as conn:
        if not _database_complete(conn, template):
            stale = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE "
                                      f"'crm_bench_{size_name.lower()}_%'")).scalars().all()
            for name in stale:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            log(f"  building PostgreSQL dataset {size_name} -> {template}")
            conn.exec_driver_sql(f'CREATE DATABASE "{template}"')
            _write(_url(admin_url, template), size_name, log)
            conn.exec_driver_sql(f"COMMENT ON DATABASE \"{template}\" IS '{COMPLETE}'")
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{work}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{work}" TEMPLATE "{template}"')
    admin.dispose()
    return _url(admin_url, work)


def _url(admin_url: str, database: str) -> str:
    url = make_url(normalize_url(admin_url)).set(database=database)
    return url.render_as_string(hide_password=False)


def ledger_mismatches(url: str) -> list[tuple]:
    """Stock levels whose on_hand/reserved differ from the sums of their movements,
    plus any level that is negative or over-reserved (an oversell)."""
    engine = create_engine(normalize_url(url), poolclass=pool.NullPool)
    sql = """
        SELECT l.product_id, l.warehouse_id, l.on_hand, l.reserved,
               COALESCE(m.on_hand, 0), COALESCE(m.reserved, 0)
        FROM stock_level l LEFT JOIN (
            SELECT product_id, warehouse_id, SUM(on_hand_delta) AS on_hand,
                   SUM(reserved_delta) AS reserved
            FROM stock_movement GROUP BY product_id, warehouse_id) m
          ON m.product_id = l.product_id AND m.warehouse_id = l.warehouse_id
        WHERE l.on_hand <> COALESCE(m.on_hand, 0) OR l.reserved <> COALESCE(m.reserved, 0)
           OR l.reserved < 0 OR l.on_hand < 0 OR l.reserved > l.on_hand"""
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql(sql)]
    engine.dispose()
    return rows


def unplanned_events(url: str) -> int:
    """Committed events the notification planner has not planned yet."""
    from sqlmodel import Session

    from app.notifications.planning import backlog

    engine = create_engine(normalize_url(url), poolclass=pool.NullPool)
    with Session(engine) as session:
        waiting = backlog(session)
    engine.dispose()
    return waiting
