"""The `crm` command end to end in subprocesses, on a temporary SQLite database.

Four invocations only (each pays ~1-2 s of interpreter start and imports); the
--if-empty no-op and the refusal without it are covered in-process in test_seed.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from app.auth.tokens import decode_access_token
from app.config import PROJECT_ROOT, load_settings
from app.customers.models import Customer
from app.ids import to_global_id
from app.persistence.db import Database
from app.persistence.uow import Runner

SECRET = "cli-test-secret-" + "y" * 32


def _crm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_migrate_seed_user_create_and_token(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "CRM_DATABASE_URL": url, "CRM_VAR_DIR": str(tmp_path / "var"),
           "CRM_JWT_SECRET": SECRET, "PYTHONIOENCODING": "utf-8"}
    assert _crm(env, "migrate").returncode == 0
    seeded = _crm(env, "seed-demo", "--if-empty")
    assert seeded.returncode == 0, seeded.stderr
    assert "demo logins (password for all: demo-password)" in seeded.stdout
    assert "customer@demo.local" in seeded.stdout and "warehouse@demo.local" in seeded.stdout

    db = Database(url)
    try:
        customer_id = Runner(db).read_sync(lambda s: s.exec(
            select(Customer.id).where(Customer.code == "C00002")).one(), (), {})
    finally:
        db.dispose()
    created = _crm(env, "user", "create", "--email", "buyer@example.com", "--password",
                   "buyer-password", "--role", "CUSTOMER", "--customer-id",
                   to_global_id("Customer", customer_id))
    assert created.returncode == 0, created.stderr
    assert "created user buyer@example.com (CUSTOMER)" in created.stdout

    token = _crm(env, "token", "--email", "buyer@example.com")
    assert token.returncode == 0, token.stderr
    settings = load_settings({"CRM_JWT_SECRET": SECRET, "CRM_DATABASE_URL": url})
    principal = decode_access_token(settings, token.stdout.strip())
    assert principal.role.value == "CUSTOMER" and principal.customer_id == customer_id
