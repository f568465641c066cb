"""The role x operation matrix's machinery: a database of its own, small enough to compare
whole before and after each refused call, and a valid document for every root field, its
arguments made from the schema's types."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
    get_named_type,
)
from sqlalchemy import select
from sqlmodel import SQLModel

from app.ids import to_global_id
from schema.build import schema

SCALARS = {"String": "x", "ID": None, "Int": 1, "Float": 1.0, "Boolean": False,
           "Decimal": "1", "Date": "2026-12-01", "DateTime": "2026-12-01T00:00:00+00:00",
           "Time": "09:00:00", "JSON": {}}
# `...Id` arguments and input fields name their type; these differ from the name
ALIASES = {"exception": "ShipmentException", "service": "CarrierService",
           "owner": "User", "actor": "User", "assignee": "User", "returnRequest": "ReturnRequest",
           "stockLevel": "StockLevel", "fromWarehouse": "Warehouse", "toWarehouse": "Warehouse",
           "contact": "Contact", "address": "Address", "remittance": "CodRemittance",
           "event": "CarrierWebhookEvent", "rule": "CarrierRateRule"}


def _type_for_id(name: str, operation: str, known: dict[str, int]) -> str:
    if name != "id":
        stem = name[:-2] if name.endswith("Id") else name[:-3] if name.endswith("Ids") else name
        return ALIASES.get(stem, stem[:1].upper() + stem[1:])
    # `id` of `shipmentExceptionAssign`: the longest known type the operation starts with
    lowered = operation.lower()
    candidates = [t for t in known if lowered.startswith(t.lower())]
    return max(candidates, key=len) if candidates else "Order"


def value_for(graphql_type: Any, name: str, operation: str, known: dict[str, int]) -> Any:
    if isinstance(graphql_type, GraphQLNonNull):
        return value_for(graphql_type.of_type, name, operation, known)
    if isinstance(graphql_type, GraphQLList):
        return [value_for(graphql_type.of_type, name, operation, known)]
    if isinstance(graphql_type, GraphQLEnumType):
        return next(iter(graphql_type.values))
    if isinstance(graphql_type, GraphQLInputObjectType):
        return {field_name: value_for(field.type, field_name, operation, known)
                for field_name, field in graphql_type.fields.items()
                if (isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined)
                or field_name.endswith("Id") or field_name == "id"}
    assert isinstance(graphql_type, GraphQLScalarType), graphql_type
    if graphql_type.name == "ID":
        type_name = _type_for_id(name, operation, known)
        return to_global_id(type_name, known.get(type_name, 1))
    return SCALARS[graphql_type.name]


def document(kind: str, name: str, known: dict[str, int]) -> tuple[str, dict[str, Any]]:
    """`kind` `name`'s call with every required argument (and every id), selecting
    `__typename` of an object result."""
    root = schema._schema.get_type(kind)
    field = root.fields[name]
    args = {a: arg for a, arg in field.args.items()
            if isinstance(arg.type, GraphQLNonNull) or a.endswith("Id") or a == "id"}
    variables = {a: value_for(arg.type, a, name, known) for a, arg in args.items()}
    declared = ", ".join(f"${a}: {arg.type}" for a, arg in args.items())
    passed = ", ".join(f"{a}: ${a}" for a in args)
    result = get_named_type(field.type)
    selection = "" if isinstance(result, GraphQLScalarType | GraphQLEnumType) \
        else " { __typename }"
    call = f"{name}({passed})" if passed else name
    operation = kind.lower()
    return (f"{operation} Probe{f'({declared})' if declared else ''} "
            f"{{ {call}{selection} }}", variables)


def root_fields(kind: str) -> Iterator[str]:
    root = schema._schema.get_type(kind)
    assert isinstance(root, GraphQLObjectType)
    yield from root.fields


def fingerprint(session: Any) -> dict[str, str]:
    """Each table's whole content, hashed (the audit log apart: a refusal adds to it, and
    with its record the delta sync's change row for the log and the marker event that
    positions it: docs/architecture.md#delta-sync)."""
    from app.events.topics import SYNC_CHANGED

    out = {}
    for table in SQLModel.metadata.sorted_tables:
        if table.name == "audit_record":
            continue
        stmt = select(table).order_by(*table.primary_key.columns)
        if table.name == "sync_change":
            stmt = stmt.where(table.c.entity != "AuditRecord")
        elif table.name == "outbox_event":
            stmt = stmt.where(table.c.topic != SYNC_CHANGED)
        rows = session.execute(stmt).all()
        out[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def audit_rows(session: Any) -> list[tuple]:
    from app.audit.models import AuditRecord

    t = AuditRecord.__table__
    stmt = select(t.c.action, t.c.outcome, t.c.actor_id, t.c.reason, t.c.request_id,
                  t.c.client_address).order_by(t.c.id)
    return [tuple(r) for r in session.execute(stmt).all()]


def pk_of(global_id: str) -> int:
    from app.ids import from_global_id

    return from_global_id(global_id)[1]
