#!/usr/bin/env bash
# `make check-upstream`: the tests marked `upstream` (the engine's equivalence tests against
# plain strawberry and graphql-core, and the tests of code that reads their internals) run
# against the newest strawberry-graphql and graphql-core, in a throwaway virtualenv removed
# afterwards. Not in CI: a failure here is news about the next upgrade, not a broken build
# (docs/architecture.md#upgrading-strawberry-and-graphql-core).
#
# Arguments go to pytest instead of `-m upstream`, e.g. `scripts/check-upstream.sh tests`
# runs the whole suite on the newest releases.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ $# -eq 0 ]; then set -- -m upstream; fi

venv=$(mktemp -d "${TMPDIR:-/tmp}/crm-upstream.XXXXXX")
trap 'rm -rf "$venv"' EXIT
"$PYTHON" -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
# the project and its dependencies as pinned, then the newest releases over the pin
"$venv/bin/pip" install --quiet -e ".[dev]"
echo "(pip may report crm-graph's pin of strawberry-graphql as a conflict: expected)"
"$venv/bin/pip" install --quiet --upgrade strawberry-graphql graphql-core

versions='from importlib.metadata import version as v
print("  ".join(f"{p} {v(p)}" for p in ("strawberry-graphql", "graphql-core")))'
newest=$("$venv/bin/python" -c "$versions")
if [ -x .venv/bin/python ]; then
  pinned=$(.venv/bin/python -c "$versions")
  echo "pinned (.venv):    $pinned"
  if [ "$pinned" = "$newest" ]; then echo "(nothing newer on the package index)"; fi
fi
echo "newest (upstream): $newest"
"$venv/bin/python" -m pytest "$@"
