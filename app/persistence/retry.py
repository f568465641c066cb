"""Changes a unit of work makes with its last rows on an assumption, and the one rerun when
the assumption fails (PostgreSQL; docs/architecture.md#optimistic-reservation).

A step that planned on rows read without locks (an approval's stock) does not apply its
plan at once: `expect_at_end` keeps the change (a statement built once, returning a row per
row it changed) and how many rows it must change. It goes first in the unit's last round
trip (app/sync/repository.py `insert_ledgers`), so the rows it locks stay locked for that
round trip and the COMMIT's only. When it changed fewer rows, the unit is rolled back whole
and run once more with `retrying(session)` true: the step then locks before it reads, and
applies its plan at once, as a unit without this would have.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

_EXPECTED = "crm_expected_changes"
_RETRYING = "crm_retrying"


class AssumptionFailed(Exception):  # noqa: N818  a signal, not a failure the caller sees
    """A change kept by `expect_at_end` changed fewer rows than the unit planned for: the
    runner rolls the unit back and runs it again (app/persistence/uow.py)."""


def expect_at_end(session: Session, query: tuple[Any, dict[str, Any]], rows: int) -> None:
    """Run `query` (a change returning a row per row it changed) first among the unit's
    last rows, and rerun the unit unless it changed exactly `rows` rows."""
    session.info.setdefault(_EXPECTED, []).append((query, rows))


def take_expected(session: Session) -> list[tuple[tuple[Any, dict[str, Any]], int]]:
    """The kept changes, taken out to be run now by the caller, which checks their rows."""
    return session.info.pop(_EXPECTED, None) or []


def pending(session: Session) -> bool:
    return bool(session.info.get(_EXPECTED))


def retrying(session: Session) -> bool:
    """Whether this is the unit's second run, after an assumption failed: no assumptions."""
    return bool(session.info.get(_RETRYING))


def mark_retrying(session: Session) -> None:
    session.info[_RETRYING] = True
