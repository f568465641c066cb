"""The vocabulary of the policy table: who may call an operation or read a guarded field,
and what each role then gets (docs/architecture.md#the-policy-table).

A rule's runtime check and its per-role outcome come from the same function, evaluated on a
sample principal of each role, so the table, the schema's directives, `me` and
frontend-contract/PERMISSIONS.md cannot disagree with what the server does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from app.auth.principal import Principal
from app.auth.roles import Perm, Role

ANONYMOUS = "ANONYMOUS"
CALLERS: tuple[str, ...] = (*(r.value for r in Role), ANONYMOUS)


class Access(StrEnum):
    ALLOWED = "allowed"
    SCOPED = "row-scoped"
    MASKED = "masked"
    DENIED = "denied"


def sample(role: Role) -> Principal:
    """A principal of `role` for evaluating rules that depend on the role only."""
    linked = role in (Role.CUSTOMER, Role.CONSIGNOR)  # signed in for customer 1
    return Principal(user_id=1, role=role, customer_id=1 if linked else None,
                     warehouse_ids=frozenset({1}) if role is Role.WAREHOUSE else frozenset())


@dataclass(frozen=True)
class Scope:
    """Which rows a role reaches through an operation: role -> how (roles not named see
    every row their permission allows)."""

    name: str
    how: Mapping[Role, str]


@dataclass(frozen=True)
class Rule:
    """An operation or relation guarded by a check on the caller.

    `label` is what the schema prints as `@requires(permission:)`; `public` operations
    (login, refresh, logout) run for anonymous callers too and carry no directive."""

    label: str
    check: Callable[[Principal], bool]
    scope: Scope | None = None
    public: bool = False
    note: str = ""
    roles: frozenset[Role] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(r for r in Role if self.check(sample(r))))

    def outcome(self, caller: str) -> tuple[Access, str]:
        if caller == ANONYMOUS:
            return (Access.ALLOWED, self.note) if self.public else (Access.DENIED, "sign in")
        role = Role(caller)
        if role not in self.roles:
            return Access.DENIED, f"requires {self.label}"
        if self.scope is not None and role in self.scope.how:
            return Access.SCOPED, self.scope.how[role]
        return Access.ALLOWED, self.note


@dataclass(frozen=True)
class FieldRule:
    """A value whose visibility depends on the caller (contact data, cost, credit):
    `text` is printed as `@visibility(rule:)`; `access` answers per role."""

    text: str
    access: Callable[[Role], tuple[Access, str]]

    def outcome(self, caller: str) -> tuple[Access, str]:
        if caller == ANONYMOUS:
            return Access.DENIED, "sign in"
        return self.access(Role(caller))


def perm(p: Perm, scope: Scope | None = None, note: str = "") -> Rule:
    return Rule(p.value, lambda principal: principal.can(p), scope, note=note)


def signed_in(scope: Scope | None = None, note: str = "") -> Rule:
    return Rule("authenticated", lambda principal: True, scope, note=note)


def public(note: str) -> Rule:
    return Rule("public", lambda principal: True, public=True, note=note)


def custom(label: str, check: Callable[[Principal], bool], scope: Scope | None = None,
           note: str = "") -> Rule:
    return Rule(label, check, scope, note=note)
