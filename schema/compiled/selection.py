"""A selection set turned into the SQL of its JSON object, from the repositories' type
descriptions (app/persistence/json_sql.py). Anything it does not know is `Unsupported`: the
operation then runs through the resolvers (docs/architecture.md#compiled-reads)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLObjectType,
    InlineFragmentNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
)
from strawberry.permission import PermissionExtension

from app.catalog.json_fields import PRODUCT
from app.customers.json_fields import CUSTOMER
from app.inventory.repository.json_fields import STOCK_LEVEL, WAREHOUSE
from app.orders.repository.json_fields import ORDER, ORDER_LINE
from app.persistence.json_sql import Composite, JsonType, Row, text
from app.shipping.repository.json_fields import SHIPMENT

TYPES: dict[str, JsonType] = {t.name: t for t in (ORDER, ORDER_LINE, CUSTOMER, PRODUCT,
                                                  STOCK_LEVEL, WAREHOUSE, SHIPMENT)}
_STRAWBERRY = "strawberry-definition"
_MAX_KEYS = 50  # json_build_object takes at most 100 arguments


class Unsupported(Exception):
    """The operation cannot be compiled; the resolvers answer it."""


class _Info:
    """What the fields' permission checks read of an `Info`: the request's context."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


class Compiler:
    """One operation's compilation for one caller."""

    def __init__(self, schema: Any, fragments: dict[str, Any], context: Any) -> None:
        self.schema = schema
        self.fragments = fragments
        self.context = context
        self.principal = context.principal
        self.count = 0

    def alias(self, parent: Row | None = None) -> Row:
        self.count += 1
        return Row(f"t{self.count}", parent)

    def fields(self, parent: GraphQLObjectType, selection_sets: list[Any]
               ) -> dict[str, list[FieldNode]]:
        """graphql-core's field collection for a concrete type, without directives (an
        operation with @include/@skip is not compiled): response name -> its nodes."""
        out: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            for node in self._flat(parent, selection_set, set()):
                name = node.alias.value if node.alias else node.name.value
                out.setdefault(name, []).append(node)
        if len(out) > _MAX_KEYS:
            raise Unsupported
        return out

    def _flat(self, parent: GraphQLObjectType, selection_set: Any, seen: set[str]
              ) -> Iterator[FieldNode]:
        for node in selection_set.selections:
            if node.directives:
                raise Unsupported
            if isinstance(node, FieldNode):
                yield node
                continue
            if isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name in seen:
                    continue
                seen.add(name)
                details = self.fragments.get(name)  # graphql-core's FragmentDetails
                if details is None or details.variable_signatures or getattr(
                        node, "arguments", None) or details.definition.directives:
                    raise Unsupported
                fragment = details.definition
                condition, inner = fragment.type_condition, fragment.selection_set
            elif isinstance(node, InlineFragmentNode):
                condition, inner = node.type_condition, node.selection_set
            else:
                raise Unsupported
            if condition is not None:
                kind = self.schema.get_type(condition.name.value)
                if kind is None or not (kind is parent or self.schema.is_sub_type(kind, parent)):
                    raise Unsupported
            yield from self._flat(parent, inner, seen)

    def allowed(self, field_def: Any) -> None:
        """The field's own permission checks (`requires(...)`, the policy table's) run as
        its resolver would run them; a field the caller may not read is not compiled (its
        resolver answers with the error)."""
        definition = field_def.extensions.get(_STRAWBERRY)
        if definition is None:
            raise Unsupported
        for extension in definition.extensions:
            if type(extension) is not PermissionExtension:
                raise Unsupported
            for permission in extension.permissions:
                try:
                    ok = permission.has_permission(None, _Info(self.context))
                except Exception:
                    raise Unsupported from None
                if ok is not True:
                    raise Unsupported

    def object(self, graphql_type: GraphQLObjectType, row: Row, nodes: list[FieldNode]) -> str:
        """json_build_object(...) of the fields selected on `row`, a row of the type."""
        spec = TYPES.get(graphql_type.name)
        if spec is None:
            raise Unsupported
        parts = []
        for response, selected in self.fields(
                graphql_type, [n.selection_set for n in nodes if n.selection_set]).items():
            parts.append(f"{text(response)}, {self.value(graphql_type, spec, row, selected)}")
        return f"json_build_object({', '.join(parts)})"

    def composite(self, graphql_type: Any, parts: Composite, row: Row,
                  nodes: list[FieldNode]) -> str:
        """An object value of the row itself (Money): the selected fields of it."""
        if not isinstance(graphql_type, GraphQLObjectType):
            raise Unsupported
        built = []
        for response, selected in self.fields(
                graphql_type, [n.selection_set for n in nodes if n.selection_set]).items():
            name = selected[0].name.value
            if name == "__typename":
                value = text(graphql_type.name)
            elif name in parts and not any(n.arguments for n in selected):
                value = parts[name](row)
            else:
                raise Unsupported
            built.append(f"{text(response)}, {value}")
        return f"json_build_object({', '.join(built)})"

    def value(self, parent: GraphQLObjectType, spec: JsonType, row: Row,
              nodes: list[FieldNode]) -> str:
        node = nodes[0]
        name = node.name.value
        if name == "__typename":
            return text(parent.name)
        field_def = parent.fields.get(name)
        if field_def is None or any(n.arguments for n in nodes):
            raise Unsupported
        self.allowed(field_def)
        python_name = field_def.extensions[_STRAWBERRY].python_name
        expression = spec.fields.get(python_name)
        if isinstance(expression, Composite):
            return self.composite(get_named_type(field_def.type), expression, row, nodes)
        if expression is not None:
            leaf = get_nullable_type(field_def.type)
            if not is_leaf_type(leaf):
                raise Unsupported
            if isinstance(leaf, GraphQLEnumType) and any(
                    getattr(v.value, "value", v.value) != key for key, v in leaf.values.items()):
                raise Unsupported  # the stored value is not the name the API writes
            return expression(row)
        relation = spec.relations.get(python_name)
        if relation is None:
            raise Unsupported
        if relation.warehouse_cut and self.principal.warehouse_scope is not None:
            raise Unsupported
        child_type = get_named_type(field_def.type)
        if not isinstance(child_type, GraphQLObjectType) or child_type.name != relation.target:
            raise Unsupported
        child = self.alias(row)
        inner = self.object(child_type, child, nodes)
        source = f"FROM {relation.table} {child} WHERE {relation.where(row, child)}"
        if not relation.many:
            return f"(SELECT {inner} {source})"
        order = f" ORDER BY {relation.order(child)}" if relation.order else ""
        return f"coalesce((SELECT json_agg({inner}{order}) {source}), '[]'::json)"
