"""Which bus topics each root subscription field reads, and which fields are personal.

The fan-out opens a group's bus listener from this table before the resolver
runs, so a subscription is live the moment its `subscribe` message is handled.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldInfo:
    topics: frozenset[str]
    personal: bool = False  # results depend on the user, not only on role and scope


_FIELDS: dict[str, FieldInfo] = {}


def register_subscription(field: str, topics: set[str], *, personal: bool = False) -> None:
    _FIELDS[field] = FieldInfo(frozenset(topics), personal)


def topics_of(fields: tuple[str, ...]) -> frozenset[str]:
    out: set[str] = set()
    for name in fields:
        info = _FIELDS.get(name)
        if info is not None:
            out |= info.topics
    return frozenset(out)


def is_personal(fields: tuple[str, ...]) -> bool:
    return any(_FIELDS.get(name, FieldInfo(frozenset())).personal for name in fields)
