"""Sync tokens and page cursors: opaque to clients, base64url JSON here. Neither grants
anything: every object is re-read under the caller's scope, so a forged one only moves the
window (docs/architecture.md#delta-sync)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from app.errors import DomainError


@dataclass(frozen=True)
class Window:
    """A sync in progress: `since` None for a full sync (every visible object), else the
    outbox position of the last sync; `upto` the position this sync ends at (the next
    token); `after` the last key delivered: (position, entity, id) for a delta,
    (entity index, id) for a full sync."""

    entities: tuple[str, ...]
    since: int | None
    upto: int
    after: tuple | None = None


def encode_token(upto: int, entities: tuple[str, ...]) -> str:
    return _encode({"v": 1, "p": upto, "e": list(entities)})


def decode_token(token: str) -> tuple[int, tuple[str, ...]]:
    data = _decode(token, "since")
    try:
        return int(data["p"]), tuple(str(e) for e in data["e"])
    except (KeyError, TypeError, ValueError):
        raise DomainError("not a sync token", field=["since"]) from None


def encode_cursor(window: Window) -> str:
    return _encode({"c": 1, "e": list(window.entities), "s": window.since, "u": window.upto,
                    "a": list(window.after or ())})


def decode_cursor(cursor: str) -> Window:
    data = _decode(cursor, "after")
    try:
        since = None if data["s"] is None else int(data["s"])
        after = tuple(data["a"]) or None
        shape = (int, int) if since is None else (int, str, int)
        if after is not None and (len(after) != len(shape) or not all(
                type(v) is t for v, t in zip(after, shape, strict=True))):
            raise ValueError(after)
        return Window(tuple(str(e) for e in data["e"]), since, int(data["u"]), after)
    except (KeyError, TypeError, ValueError):
        raise DomainError("not a sync cursor", field=["after"]) from None


def _encode(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(value: str, field: str) -> dict:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise DomainError(f"not a sync {'token' if field == 'since' else 'cursor'}",
                          field=[field]) from None
    if not isinstance(data, dict):
        raise DomainError("not a sync token", field=[field])
    return data
