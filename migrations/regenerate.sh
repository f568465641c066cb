#!/usr/bin/env bash
# Regenerates the initial migration from the models, while it is the only one.
set -euo pipefail
cd "$(dirname "$0")/.."
if ls migrations/versions/*.py | grep -qv 0001_initial.py; then
  echo "later migrations exist: add a new revision (alembic revision --autogenerate) instead" >&2
  exit 1
fi
tmp=$(mktemp -d)
rm -f migrations/versions/0001_initial.py
CRM_DATABASE_URL="sqlite:///$tmp/gen.db" .venv/bin/alembic revision --autogenerate \
  --rev-id 0001 -m "initial" >/dev/null
mv migrations/versions/0001_initial.py migrations/versions/0001_initial.py 2>/dev/null || true
rm -rf "$tmp"
.venv/bin/ruff format -q migrations/versions/ || true
echo "regenerated migrations/versions/0001_initial.py"
