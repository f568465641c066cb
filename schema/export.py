"""Writes (or checks) frontend-contract/schema.graphql from the live schema and
frontend-contract/PERMISSIONS.md from the policy table."""

from __future__ import annotations

import sys
from pathlib import Path

from schema.build import schema
from schema.policy import document

CONTRACT = Path(__file__).resolve().parent.parent / "frontend-contract"
TARGET = CONTRACT / "schema.graphql"
PERMISSIONS = CONTRACT / "PERMISSIONS.md"


def sdl() -> str:
    return schema.as_str().rstrip() + "\n"


def main(argv: list[str]) -> int:
    files = {TARGET: sdl(), PERMISSIONS: document.render()}
    if "--check" in argv:
        stale = [p.name for p, text in files.items()
                 if (p.read_text() if p.exists() else "") != text]
        if stale:
            print(f"frontend-contract/{', '.join(stale)} out of date: run `make schema`",
                  file=sys.stderr)
            return 1
        print("schema.graphql and PERMISSIONS.md match the live schema and policy")
        return 0
    for path, text in files.items():
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
