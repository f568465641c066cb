"""Writes (or checks) frontend-contract/schema.graphql from the live schema."""

from __future__ import annotations

import sys
from pathlib import Path

from schema.build import schema

TARGET = Path(__file__).resolve().parent.parent / "frontend-contract" / "schema.graphql"


def sdl() -> str:
    return schema.as_str().rstrip() + "\n"


def main(argv: list[str]) -> int:
    current = sdl()
    if "--check" in argv:
        committed = TARGET.read_text() if TARGET.exists() else ""
        if committed != current:
            print("frontend-contract/schema.graphql is out of date: run `make schema`",
                  file=sys.stderr)
            return 1
        print("schema.graphql matches the live schema")
        return 0
    TARGET.write_text(current)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
