"""Storage failures: a write refused because the database's disk is full or the database is
read-only. They are the operator's problem, not the caller's and not a bug, so the API says
so with a code of its own instead of masking them as unexpected
(docs/architecture.md#full-disk-and-read-only-storage).

Nothing is written by a refused unit of work: SQLite rolls the transaction back itself on
SQLITE_FULL (and the group writer rolls back the group), reads go on from the pages already
there, and the next write succeeds once space returns, in the same process.

Recognised by the driver's message along the exception's chain, not by class: a failure in
the SQLite writer process crosses pickled (app/persistence/sqlite/process.py), which keeps
messages but not the driver's error codes; PostgreSQL's are there for the same reasons
(SQLSTATE 53100 disk full, 25006 read-only transaction: a replica or a default read-only
database).
"""

from __future__ import annotations

from dataclasses import dataclass

STORAGE_FULL = "STORAGE_FULL"
STORAGE_READ_ONLY = "STORAGE_READ_ONLY"

# (text in the driver's message, code)
_SIGNS = (
    ("database or disk is full", STORAGE_FULL),  # SQLITE_FULL
    ("no space left on device", STORAGE_FULL),  # ENOSPC (PostgreSQL, files)
    ("could not extend file", STORAGE_FULL),  # PostgreSQL 53100
    ("attempt to write a readonly database", STORAGE_READ_ONLY),  # SQLITE_READONLY
    ("read-only file system", STORAGE_READ_ONLY),  # EROFS
    ("read-only transaction", STORAGE_READ_ONLY),  # PostgreSQL 25006
)

MESSAGES = {
    STORAGE_FULL: "the database's disk is full: nothing was saved; reading still works. "
                  "Try again once space has been freed.",
    STORAGE_READ_ONLY: "the database is read-only: nothing was saved; reading still works. "
                       "Try again once it is writable.",
}


@dataclass(frozen=True)
class StorageFailure:
    code: str  # STORAGE_FULL or STORAGE_READ_ONLY

    @property
    def message(self) -> str:
        return MESSAGES[self.code]


def storage_failure(exc: BaseException | None) -> StorageFailure | None:
    """The storage failure behind `exc` (its causes and contexts, a SQLAlchemy error's
    driver error), if that is what it is."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = str(exc).lower()
        for sign, code in _SIGNS:
            if sign in text:
                return StorageFailure(code)
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return None
