"""`crm backup` and `crm restore` (docs/deployment.md#backups).

SQLite: the online backup API, in one step, so the copy is one consistent snapshot even
while the server writes (a read transaction on the WAL; writers go on meanwhile); the
copy is then switched out of WAL mode, so it is one self-contained file. Restoring copies
it back through the same API into the database (its WAL included), after an integrity
check; the server must be stopped.

PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --if-exists
--single-transaction`, the client programs of the server's major version
(/usr/lib/postgresql/<major>/bin, Debian's layout), else a newer one, else those on PATH.
The password goes to them in PGPASSWORD, never on a command line.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url

from app.persistence.db import normalize_url

PG_BIN_ROOT = Path("/usr/lib/postgresql")


class BackupError(RuntimeError):
    """A backup or restore that did not happen; the message says why."""


def backup(database_url: str, out: Path) -> None:
    url = make_url(normalize_url(database_url))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        _sqlite_backup(_sqlite_path(url), out)
    else:
        _pg_backup(url, out)


def restore(database_url: str, source: Path) -> None:
    url = make_url(normalize_url(database_url))
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    if url.get_backend_name() == "sqlite":
        _sqlite_restore(source, _sqlite_path(url))
    else:
        _pg_restore(url, source)


# SQLite ----------------------------------------------------------------------------------

def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def _sqlite_backup(path: Path, out: Path) -> None:
    if not path.is_file():
        raise BackupError(f"no database at {path}")
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(path, timeout=30)  # read only by the backup
    target = sqlite3.connect(partial)
    try:
        source.backup(target)  # pages=-1: one step, one snapshot
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()
    os.replace(partial, out)


def _sqlite_restore(source: Path, path: Path) -> None:
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        try:
            check = backup_db.execute("PRAGMA integrity_check").fetchone()[0]
            version = backup_db.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a backup of this app's database ({exc})") \
                from exc
        if check != "ok" or version is None:
            raise BackupError(f"{source} fails its integrity check: {check}")
        path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(path, timeout=30)
        try:
            backup_db.backup(target)
        finally:
            target.close()
    finally:
        backup_db.close()


# PostgreSQL ------------------------------------------------------------------------------

def _server_major(url: URL) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SHOW server_version_num").scalar()) // 10000
    finally:
        engine.dispose()


def pg_program(name: str, server_major: int, root: Path = PG_BIN_ROOT) -> str:
    """The client program for a server of `server_major`: that version's, else the oldest
    newer one installed (pg_dump reads older servers, not newer), else PATH's."""
    installed = sorted(int(p.name) for p in root.glob("*") if re.fullmatch(r"\d+", p.name)
                       and (p / "bin" / name).is_file()) if root.is_dir() else []
    for major in installed:
        if major >= server_major:
            return str(root / str(major) / "bin" / name)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} for PostgreSQL {server_major} not found (install "
                          f"postgresql-client-{server_major})")
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The libpq connection URI without its password, and the environment carrying it."""
    plain = url.set(drivername="postgresql", password=None)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({done.returncode}): "
                          f"{done.stderr.strip()[-2000:]}")


def _pg_backup(url: URL, out: Path) -> None:
    conninfo, env = _libpq(url)
    partial = out.with_name(out.name + ".partial")
    _run([pg_program("pg_dump", _server_major(url)), "--format=custom", "--no-owner",
          "--no-privileges", f"--file={partial}", f"--dbname={conninfo}"], env)
    os.replace(partial, out)


def _pg_restore(url: URL, source: Path) -> None:
    conninfo, env = _libpq(url)
    _run([pg_program("pg_restore", _server_major(url)), "--clean", "--if-exists",
          "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
          f"--dbname={conninfo}", str(source)], env)
