"""The `crm` command end to end in subprocesses, on a temporary SQLite database.

Four invocations only (each pays ~1-2 s of interpreter start and imports); the
--if-empty no-op and the refusal without it are covered in-process in test_seed.py."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.auth.tokens import decode_access_token
from app.cli import serve_banner
from app.config import PROJECT_ROOT, load_settings
from app.customers.models import Customer
from app.demo.masterdata import demo_now
from app.ids import to_global_id
from app.orders.models import Order
from app.persistence.db import Database
from app.persistence.uow import Runner

SECRET = "cli-test-secret-" + "y" * 32


def _crm(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_migrate_seed_user_create_and_token(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "CRM_DATABASE_URL": url, "CRM_VAR_DIR": str(tmp_path / "var"),
           "CRM_JWT_SECRET": SECRET, "PYTHONIOENCODING": "utf-8", "CRM_DEMO_TODAY": "2026-01-15"}
    assert _crm(env, "migrate").returncode == 0
    seeded = _crm(env, "seed-demo", "--if-empty")
    assert seeded.returncode == 0, seeded.stderr
    assert "demo logins (password for all: demo-password)" in seeded.stdout
    assert "customer@demo.local" in seeded.stdout and "warehouse@demo.local" in seeded.stdout
    assert "dated around 2026-01-15" in seeded.stdout

    db = Database(url)
    try:
        customer_id, latest = Runner(db).read_sync(lambda s: (s.exec(
            select(Customer.id).where(Customer.code == "C00002")).one(), s.exec(
            select(func.max(Order.updated_at))).one()), (), {})
    finally:
        db.dispose()
    assert demo_now(date(2026, 1, 15)) - timedelta(days=1) < latest <= demo_now(date(2026, 1, 15))
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


def test_seed_demo_takes_its_day_as_an_argument(capsys):  # noqa: ANN001
    from app.cli import _parser

    assert _parser().parse_args(["seed-demo", "--today", "2026-01-15"]).today == date(2026, 1, 15)
    assert _parser().parse_args(["seed-demo"]).today is None  # CRM_DEMO_TODAY, else today
    with pytest.raises(SystemExit):
        _parser().parse_args(["seed-demo", "--today", "15.01.2026"])
    assert "not a date (YYYY-MM-DD)" in capsys.readouterr().err


def test_serve_says_where_graphiql_is_and_how_long_a_token_lives():
    dev = load_settings({"CRM_JWT_SECRET": SECRET, "CRM_DATABASE_URL": "sqlite:///x.db"})
    banner = serve_banner(dev, "0.0.0.0", 8000)
    assert banner.startswith("GraphiQL: http://127.0.0.1:8000/graphql ")
    assert "http://127.0.0.1:8000/graphql?demo=admin" in banner
    assert "access tokens last 15 minutes" in banner and "refreshToken" in banner
    prod = replace(dev, env="production")
    assert "?demo=" not in serve_banner(prod, "127.0.0.1", 9000)
    assert "GraphiQL off" in serve_banner(replace(prod, graphiql=False), "127.0.0.1", 9000)
