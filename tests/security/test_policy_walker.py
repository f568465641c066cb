"""The policy walker: every root field and every guarded field of the live schema has an
entry in the policy table (deny by default), its directive says what the entry says, and
frontend-contract/PERMISSIONS.md is the table's current rendering."""

from __future__ import annotations

import ast
from pathlib import Path

from graphql import GraphQLObjectType
from strawberry.permission import PermissionExtension

from schema.build import schema
from schema.core.permissions import Requires, Visibility
from schema.export import PERMISSIONS
from schema.policy import document
from schema.policy.rules import CALLERS, Access, FieldRule, Rule
from schema.policy.table import FIELDS, OPERATIONS

ROOTS = ("Query", "Mutation", "Subscription")
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"
# resolver helpers that hide or mask a value: a field calling one is a guarded field
GUARDS = {"contact_value", "ship_to_value", "cost_value", "credit_value", "_account_detail",
          "forbidden"}


def _fields() -> dict[str, object]:
    """Every field of every object type, as `Type.field` -> its StrawberryField."""
    out = {}
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        definition = schema.get_type_by_name(name)
        for field in getattr(definition, "fields", []):
            graphql_name = schema.config.name_converter.get_graphql_name(field)
            out[f"{name}.{graphql_name}"] = field
    return out


FIELDS_NOW = _fields()


def _directive(field: object, kind: type) -> list[object]:
    return [d for d in field.directives if isinstance(d, kind)]


def test_every_root_field_has_exactly_one_policy_entry() -> None:
    roots = {k for k in FIELDS_NOW if k.partition(".")[0] in ROOTS}
    assert roots - OPERATIONS.keys() == set(), "root fields without a policy entry"
    assert OPERATIONS.keys() - roots == set(), "policy entries for fields that do not exist"


def test_root_directives_and_checks_come_from_the_table() -> None:
    for name in OPERATIONS:
        field, rule = FIELDS_NOW[name], OPERATIONS[name]
        labels = [d.permission for d in _directive(field, Requires)]
        assert labels == ([] if rule.public else [rule.label]), name
        checks = [p for e in field.extensions if isinstance(e, PermissionExtension)
                  for p in e.permissions]
        if name.startswith("Subscription.") or rule.public:
            assert checks == [], name  # subscriptions check in their resolver (caller())
        else:
            assert [getattr(c, "rule", None) for c in checks] == [rule], name


def test_every_guarded_field_has_its_entry_and_says_what_it_says() -> None:
    guarded = {}
    for name, field in FIELDS_NOW.items():
        if name.partition(".")[0] in ROOTS:
            continue
        requires, visibility = _directive(field, Requires), _directive(field, Visibility)
        if requires or visibility:
            guarded[name] = (requires, visibility)
    assert guarded.keys() - FIELDS.keys() == set(), "guarded fields without a policy entry"
    assert FIELDS.keys() - guarded.keys() == set(), "policy entries for unguarded fields"
    for name, (requires, visibility) in guarded.items():
        rule = FIELDS[name]
        if isinstance(rule, Rule):
            assert [d.permission for d in requires] == [rule.label] and not visibility, name
        else:
            assert [d.rule for d in visibility] == [rule.text] and not requires, name


def _guarded_resolvers() -> set[str]:
    """Resolver methods in schema/ that call a guard helper, as `Class.method`."""
    found = set()
    for path in SCHEMA_DIR.rglob("*.py"):
        if "policy" in path.parts or "core" in path.parts:
            continue
        for cls in ast.walk(ast.parse(path.read_text())):
            if not isinstance(cls, ast.ClassDef):
                continue
            for fn in cls.body:
                if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                calls = {c.func.id for c in ast.walk(fn)
                         if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
                if calls & GUARDS and any("strawberry" in ast.unparse(d)
                                          for d in fn.decorator_list):
                    found.add(f"{cls.name}.{fn.name}")
    return found


def test_a_resolver_that_hides_or_masks_a_value_is_a_guarded_field() -> None:
    by_python_name = {f"{k.partition('.')[0]}.{f.python_name}": k
                      for k, f in FIELDS_NOW.items()}
    resolvers = _guarded_resolvers()
    assert resolvers, "the guard helpers are no longer found: update GUARDS"
    missing = sorted(r for r in resolvers
                     if r in by_python_name and by_python_name[r] not in FIELDS
                     and by_python_name[r] not in OPERATIONS)
    assert missing == []


def test_every_caller_has_an_answer_for_every_entry() -> None:
    for entries in (OPERATIONS, FIELDS):
        for name, rule in entries.items():
            for caller in CALLERS:
                access, _how = rule.outcome(caller)
                assert isinstance(access, Access), (name, caller)
            if isinstance(rule, FieldRule):
                assert rule.outcome("ANONYMOUS")[0] is Access.DENIED


def test_permissions_document_is_current() -> None:
    assert PERMISSIONS.read_text() == document.render(), "run `make schema`"
