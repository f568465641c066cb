"""A database of a test's own on a path it chooses (a small filesystem, a directory it will
stop), migrated and stocked, and the environment of a real server process on it
(tests/subscriptions/harness.py `ServerProcess`). Shared by tests/storage/ and
tests/shutdown/."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.cli import migrate
from app.persistence.db import Database
from app.persistence.uow import Runner
from tests.conftest import TEST_SECRET
from tests.orders.support import CREATE, Kit, gid
from tests.support import Api, Factory

# every background loop off but the outbox relay's: they would write at their own times
QUIET = {"CRM_OUTBOX_GRACE_SECONDS": "0.5", "CRM_OUTBOX_RELAY_SECONDS": "0.2",
         "CRM_DELAY_CHECK_SECONDS": "0", "CRM_ACTIVITY_CHECK_SECONDS": "0",
         "CRM_TICKET_BREACH_CHECK_SECONDS": "0", "CRM_SEGMENT_RECOMPUTE_SECONDS": "0",
         "CRM_QUOTE_EXPIRY_SECONDS": "0", "CRM_SURVEY_AFTER_DELIVERY": "0",
         "CRM_REMINDER_CHECK_SECONDS": "0", "CRM_CAMPAIGN_SEND_SECONDS": "0",
         "CRM_EXPORTS": "0", "CRM_REDIS_URL": "", "CRM_REQUEST_RATE": "0",
         "CRM_DELIVERY_PLAN_SECONDS": "0"}


def server_env(url: str, **extra: str) -> dict[str, str]:
    return {"CRM_DATABASE_URL": url, "CRM_JWT_SECRET": TEST_SECRET, **QUIET, **extra}


@dataclass
class Stocked:
    """What a test needs to place orders: an ADMIN's token, a customer, stocked products."""

    url: str
    token: str
    customer: Any
    products: list[Any]

    def order_input(self, n: int) -> dict[str, Any]:
        product = self.products[n % len(self.products)]
        return {"input": {"customerId": gid("Customer", self.customer.id),
                          "channel": "SALES_REP",
                          "lines": [{"productId": gid("Product", product.id), "quantity": 1}]}}


def stocked_database(settings: Any, path: Path, products: int = 3,
                     quantity: int = 100_000) -> Stocked:
    """A migrated SQLite database at `path` with an ADMIN, a customer and stocked products,
    written by this process's own writer thread (stopped before the server starts)."""
    url = f"sqlite:///{path}"
    migrate(url)
    db = Database(url)
    try:
        factory = Factory(Runner(db), replace(settings, database_url=url,
                                              sqlite_writer="thread"))
        kit = Kit(Api(None, factory), factory)  # type: ignore[arg-type]  rows only
        admin = factory.user("ADMIN")
        warehouse = kit.warehouse()
        made = []
        for _ in range(products):
            product = kit.product("10.00")
            kit.stock(product, warehouse, quantity)
            made.append(product)
        return Stocked(url, admin.token, kit.customer(), made)
    finally:
        db.dispose()


async def place_order(client: httpx.AsyncClient, stocked: Stocked, n: int) -> httpx.Response:
    return await client.post("/graphql", json={"query": CREATE,
                                               "variables": stocked.order_input(n)},
                             headers={"authorization": f"Bearer {stocked.token}"})


def integrity(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def ledger_mismatches(path: Path) -> list[tuple]:
    """Stock levels that differ from the sum of their movements (or break 0 <= reserved <=
    on_hand): tests/test_ledger_after_suite.py's check, on this database."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("""
            SELECT l.product_id, l.warehouse_id, l.on_hand, l.reserved, m.on_hand, m.reserved
            FROM stock_level l LEFT JOIN (
                SELECT product_id, warehouse_id, SUM(on_hand_delta) AS on_hand,
                       SUM(reserved_delta) AS reserved
                FROM stock_movement GROUP BY product_id, warehouse_id) m
              ON m.product_id = l.product_id AND m.warehouse_id = l.warehouse_id
            WHERE l.on_hand IS NOT m.on_hand OR l.reserved IS NOT m.reserved
               OR l.reserved < 0 OR l.reserved > l.on_hand""").fetchall()


def count_rows(path: Path, table: str) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608


@contextlib.contextmanager
def small_filesystem(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `where` (we run as root in CI); skipped with the reason
    where mounting is not permitted. Always unmounted."""
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'no mount'}): "
                    "the full-disk test needs root or CAP_SYS_ADMIN")
    try:
        yield where
    finally:
        # lazy: a process that failed to stop must not leave the mount behind
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def fill(path: Path) -> int:
    """Write `path` until the filesystem has no space left; the bytes written."""
    written, chunk = 0, 1 << 20
    with path.open("wb", buffering=0) as out:
        while chunk >= 512:
            try:
                written += out.write(b"\0" * chunk)
            except OSError:
                chunk //= 2
    return written
