"""A database of its own with CRM_DATA_KEY set, and the app over it: the suite's shared
database stays without a key (docs/architecture.md#personal-data-at-rest)."""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from app.cli import migrate
from app.persistence.crypto import keyring_from
from app.persistence.db import Database
from app.persistence.uow import Runner
from tests.conftest import _create_pg_database, _drop_pg_database
from tests.support import Api, Factory


def key_spec(*entries: tuple[str, int]) -> str:
    """`id:base64key,...` of deterministic test keys (32 bytes of one value each)."""
    return ",".join(f"{kid}:{base64.b64encode(bytes([n]) * 32).decode()}" for kid, n in entries)


OLD = key_spec(("k1", 1))
NEW = key_spec(("k2", 2), ("k1", 1))


@dataclass
class Encrypted:
    url: str
    db: Database
    factory: Factory
    api: Api

    @property
    def sqlite_files(self) -> list[Path]:
        path = Path(self.url.removeprefix("sqlite:///"))
        return [p for p in (path, Path(f"{path}-wal")) if p.exists()]


@pytest.fixture(scope="module")
def encrypted_url() -> Iterator[str]:
    admin = os.environ.get("CRM_TEST_DATABASE_URL")
    if admin and admin.startswith("postgresql"):
        url, name = _create_pg_database(admin)
        try:
            migrate(url)
            yield url
        finally:
            _drop_pg_database(admin, name)
        return
    with tempfile.TemporaryDirectory(prefix="crm-crypt-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'crypt.db'}"
        migrate(url)
        yield url


@pytest.fixture(scope="module")
async def encrypted(encrypted_url: str, settings) -> AsyncIterator[Encrypted]:  # noqa: ANN001
    from schema.asgi import create_app

    keyed = replace(settings, database_url=encrypted_url, data_key=OLD)
    db = Database(encrypted_url, keyring=keyring_from(OLD))
    factory = Factory(Runner(db), keyed)
    app = create_app(settings=keyed, db=db)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Encrypted(encrypted_url, db, factory, Api(client, factory))
    finally:
        db.dispose()
