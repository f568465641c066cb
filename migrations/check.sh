#!/usr/bin/env bash
# upgrade head, check (models == migrations), downgrade base: on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
admin_url=${1:-postgresql://postgres@127.0.0.1:5432/postgres}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {
  CRM_DATABASE_URL="$1" .venv/bin/alembic upgrade head
  CRM_DATABASE_URL="$1" .venv/bin/alembic check
  CRM_DATABASE_URL="$1" .venv/bin/alembic downgrade base
  CRM_DATABASE_URL="$1" .venv/bin/alembic upgrade head
}
run "sqlite:///$tmp/check.db"
echo "alembic: SQLite ok"
db="crm_alembic_check_$$"
psql "$admin_url" -qc "CREATE DATABASE $db" >/dev/null
trap 'psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null; rm -rf "$tmp"' EXIT
run "${admin_url%/*}/$db"
echo "alembic: PostgreSQL ok"
