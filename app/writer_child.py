"""The SQLite writer process's entry point: `python -m app.writer_child FD URL`, started by
the server (app/persistence/sqlite/process.py; named to it by app/composition.py).

A composition root, like the ASGI app and the CLI: it sets the process up as the server's
is set up (app/composition.py: every table mapped, the unit of work's audit and outbox
hooks), then serves the server's calls (app/persistence/sqlite/child.py). Persistence
cannot do this itself without importing the domains (docs/architecture.md#layers,
#the-sqlite-writer).
"""

from __future__ import annotations

import signal
import sys


def main(fd: int, url: str) -> None:
    # First, before the imports below take their time: Ctrl-C and a service manager's
    # SIGTERM are the server's to handle; this process finishes its queue when the server
    # closes it or goes away.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    import app.auth.principal  # noqa: F401  every call carries one: loaded before the freeze
    from app import composition
    from app.persistence.sqlite import child

    composition.install()  # before serve() freezes what is alive (gc.freeze)
    child.serve(fd, url)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
