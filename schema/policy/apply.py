"""Puts the policy table on the root fields when the schema is built: each query and
mutation gets the permission check of its table entry, and each root field (subscriptions
too) the `@requires` directive that prints it. A root field without an entry stops the build
(deny by default). Subscriptions check their entry's rule when they start and for every
event (schema/subscriptions/resolvers.py). docs/architecture.md#the-policy-table."""

from __future__ import annotations

from typing import Any

from strawberry.permission import PermissionExtension
from strawberry.utils.str_converters import to_camel_case

from app.auth.principal import Principal
from schema.core.permissions import (
    Requires,
    SyncPermission,
    current_principal,
    forbidden,
    note_denial,
    unauthenticated,
)
from schema.policy.rules import Rule
from schema.policy.table import OPERATIONS


class PolicyPermission(SyncPermission):
    def __init__(self, name: str, rule: Rule, audited: bool) -> None:
        self.name = name
        self.rule = rule
        self.audited = audited
        self._schema_directive = Requires(permission=rule.label)

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        ctx = info.context
        principal = ctx.principal
        if principal is None:
            if self.audited:
                note_denial(ctx, self.name, kwargs, "authentication required")
            raise unauthenticated(ctx.token_error or "authentication required")
        if principal.role in self.rule.roles:
            return True
        if self.audited:
            note_denial(ctx, self.name, kwargs, f"requires permission {self.rule.label}")
        return False

    def on_unauthorized(self) -> None:
        raise forbidden(f"requires permission {self.rule.label}")


def apply_policy(root: type, kind: str) -> None:
    """Give every field of the merged root type `root` (Query, Mutation, Subscription) its
    table entry's check and directive."""
    for field in root.__strawberry_definition__.fields:
        name = f"{kind}.{field.graphql_name or to_camel_case(field.python_name)}"
        rule = OPERATIONS.get(name)
        if rule is None:
            raise LookupError(f"{name} has no entry in schema/policy/table.py (deny by default)")
        if any(isinstance(e, PermissionExtension) for e in field.extensions) or \
                any(isinstance(d, Requires) for d in field.directives):
            raise LookupError(f"{name} declares its own permission: the policy table is the "
                              "only source of root fields' permissions")
        if rule.public:
            continue
        if kind == "Subscription":
            field.directives.append(Requires(permission=rule.label))
        else:
            field.extensions.append(PermissionExtension(
                permissions=[PolicyPermission(name, rule, audited=kind == "Mutation")]))


def rule_of(name: str) -> Rule:
    return OPERATIONS[name]


def caller(info: Any) -> Principal:
    """The caller of a root field whose check runs in its resolver (subscriptions), held
    to the field's table entry: UNAUTHENTICATED or FORBIDDEN as for any other."""
    principal = current_principal(info)
    rule = OPERATIONS[f"{info._raw_info.parent_type.name}.{info.field_name}"]
    if principal.role not in rule.roles:
        raise forbidden(f"requires permission {rule.label}")
    return principal
