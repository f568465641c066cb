"""A full disk and a read-only database under a real server process (SQLite): writes are
refused with STORAGE_FULL / STORAGE_READ_ONLY (a GraphQL error, HTTP 200, never a 500 nor
"Unexpected error"), reads go on, nothing is corrupted (integrity check, the stock ledger,
no order half-written), and writes resume once space returns, in the same server
(docs/architecture.md#full-disk-and-read-only-storage). Both SQLite writers: the process
(the default) and the thread."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import time

import httpx
import pytest

from tests.storage.support import (
    count_rows,
    fill,
    integrity,
    ledger_mismatches,
    place_order,
    server_env,
    small_filesystem,
    stocked_database,
)
from tests.subscriptions.harness import ServerProcess

READ = "query($id: ID!) { order(id: $id) { id status total { amount } } }"
LIST = "{ orders(first: 5) { totalCount edges { node { id } } } }"
# a liveness bound: how many orders may go in before the filler's last bytes are used up
MAX_ORDERS_UNTIL_FULL = 3000


@pytest.fixture
def sqlite_only(settings):  # noqa: ANN001, ANN201
    if not settings.is_sqlite:
        pytest.skip("the storage tests run the server on a SQLite file of their own")
    return settings


def _storage_code(body: dict) -> str | None:
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
    return next((c for c in codes if c and c.startswith("STORAGE_")), None)


@pytest.mark.parametrize("writer", ["process", "thread"])
async def test_a_full_disk_refuses_writes_keeps_reads_and_recovers(sqlite_only, tmp_path,
                                                                   writer):  # noqa: ANN001
    with small_filesystem(tmp_path / "disk", "24m") as disk:
        path = disk / "crm.db"
        stocked = stocked_database(sqlite_only, path)
        server = ServerProcess(server_env(stocked.url, CRM_SQLITE_WRITER=writer)).start()
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
                first = await place_order(client, stocked, 0)
                assert first.status_code == 200 and not first.json().get("errors"), first.text
                placed_id = first.json()["data"]["orderCreate"]["order"]["id"]
                filler = disk / "filler"
                fill(filler)

                # orders go in while SQLite's pages last; then the disk is full
                placed, refused, n = 1, None, 1
                while refused is None:
                    assert n < MAX_ORDERS_UNTIL_FULL, "the full disk never refused a write"
                    response = await place_order(client, stocked, n)
                    n += 1
                    assert response.status_code == 200, response.text  # never a 500
                    body = response.json()
                    if _storage_code(body) is not None:
                        refused = body
                    else:
                        assert not body.get("errors"), body
                        placed += 1
                error = refused["errors"][0]
                assert error["extensions"]["code"] == "STORAGE_FULL", error
                assert "disk is full" in error["message"]
                assert refused["data"] == {"orderCreate": None} or refused["data"] is None

                # reads go on while it is full
                read = await client.post("/graphql", json={"query": READ,
                                                            "variables": {"id": placed_id}},
                                         headers={"authorization": f"Bearer {stocked.token}"})
                assert read.status_code == 200 and not read.json().get("errors"), read.text
                assert read.json()["data"]["order"]["id"] == placed_id
                listed = await client.post("/graphql", json={"query": LIST},
                                           headers={"authorization": f"Bearer {stocked.token}"})
                assert listed.json()["data"]["orders"]["totalCount"] == placed, listed.text

                # space returns: the same server writes again
                filler.unlink()
                resumed = await _first_success(client, stocked, n)
                placed += resumed
        finally:
            server.stop()
        assert server.proc.returncode is not None
        assert integrity(path) == "ok"
        assert ledger_mismatches(path) == []
        assert count_rows(path, "sales_order") == placed  # no refused order half-written


async def _first_success(client: httpx.AsyncClient, stocked, n: int) -> int:  # noqa: ANN001
    """Orders placed until one goes in, within a liveness bound; refused ones are refused
    whole (STORAGE_FULL), never anything else. The orders placed (one)."""
    deadline = time.monotonic() + 60
    while True:
        response = await place_order(client, stocked, n)
        body = response.json()
        if not body.get("errors"):
            assert body["data"]["orderCreate"]["order"]["status"], body
            return 1
        assert _storage_code(body) == "STORAGE_FULL", body
        assert time.monotonic() < deadline, "writes did not resume once space returned"
        n += 1


async def test_a_read_only_database_refuses_writes_and_keeps_reads(sqlite_only, tmp_path):  # noqa: ANN001
    """The server on a read-only view of the database's directory (a volume mounted `ro`
    by mistake): a read-only bind mount of it. A connection of this test keeps the WAL's
    files in place on the writable side, as a running server would (SQLite cannot open a
    WAL database whose -shm file it may not create)."""
    with small_filesystem(tmp_path / "disk", "24m") as disk:
        stocked = stocked_database(sqlite_only, disk / "crm.db")
        before = count_rows(disk / "crm.db", "sales_order")
        view = tmp_path / "read-only"
        view.mkdir()
        with contextlib.closing(sqlite3.connect(disk / "crm.db")) as keeper:
            keeper.execute("SELECT COUNT(*) FROM sales_order").fetchone()
            bound = subprocess.run(["mount", "--bind", "-o", "ro", str(disk), str(view)],
                                   capture_output=True, text=True, check=False)
            assert bound.returncode == 0, bound.stderr
            server = ServerProcess(server_env(f"sqlite:///{view / 'crm.db'}")).start()
            try:
                async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
                    response = await place_order(client, stocked, 0)
                    assert response.status_code == 200, response.text
                    error = response.json()["errors"][0]
                    assert error["extensions"]["code"] == "STORAGE_READ_ONLY", error
                    assert "read-only" in error["message"]
                    listed = await client.post(
                        "/graphql", json={"query": LIST},
                        headers={"authorization": f"Bearer {stocked.token}"})
                    assert listed.status_code == 200 and not listed.json().get("errors"), \
                        listed.text
                    assert listed.json()["data"]["orders"]["totalCount"] == before
            finally:
                server.stop()
                subprocess.run(["umount", "-l", str(view)], capture_output=True, check=False)
        assert server.proc.returncode is not None
        assert integrity(disk / "crm.db") == "ok"
        assert count_rows(disk / "crm.db", "sales_order") == before
