"""Summarise a py-spy raw profile (`py-spy record -f raw --gil`): where the server's CPU
goes, by layer, and the top functions by self time. Used for the Performance notes."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

# first match wins: the innermost frame's file decides the layer
LAYERS = [
    ("SQLite / PostgreSQL driver", ("sqlite3", "psycopg")),
    ("SQLAlchemy ORM", ("sqlalchemy/orm", "sqlmodel/")),
    ("SQLAlchemy core", ("sqlalchemy/",)),
    ("graphql-core execution", ("graphql/execution", "graphql/pyutils", "graphql/type")),
    ("graphql-core parse/validate", ("graphql/language", "graphql/validation")),
    ("strawberry", ("strawberry/",)),
    ("dataloader", ("aiodataloader",)),
    ("asyncio / anyio (tasks, futures, threads)", ("asyncio/", "anyio/", "threading.py",
                                                    "uvloop", "concurrent/")),
    ("HTTP (uvicorn, starlette, httptools)", ("uvicorn/", "starlette/", "httptools")),
    ("JSON (orjson / json)", ("orjson", "json/")),
    ("JWT (jose, hmac)", ("jose/", "hmac.py", "base64.py")),
    ("app resolvers and types (schema/)", ("schema/",)),
    ("app services and repositories (app/)", ("app/",)),
]


def layer(frame: str) -> str:
    for name, needles in LAYERS:
        if any(n in frame for n in needles):
            return name
    return "other Python"


def summarise(path: Path, top: int = 25) -> str:
    by_layer: Counter[str] = Counter()
    by_self: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():  # a frame name with a line break in it
            continue
        n = int(count)
        samples += n
        leaf = stack.split(";")[-1]
        by_layer[layer(leaf)] += n
        by_self[leaf] += n
    out = [f"{samples} samples (GIL held)", "-- by layer (self time)"]
    out += [f"{n / samples:6.1%}  {name}" for name, n in by_layer.most_common()]
    out += ["-- top functions (self time)"]
    out += [f"{n / samples:6.1%}  {f}" for f, n in by_self.most_common(top)]
    return "\n".join(out)


if __name__ == "__main__":
    print(summarise(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 25))
