"""`schema.engine.install(schema)`, the one seam the engine's overrides go in by: a plain
strawberry schema, once installed, executes through every override, and the app's schema
is built that way."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.build import schema as app_schema
from schema.engine import install, installed
from schema.engine.execution import _KINDS, ExecutionContext
from schema.engine.hooks import _factories

pytestmark = pytest.mark.upstream


@strawberry.type
class Thing:
    name: str


class Seen(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        yield


@strawberry.type
class Query:
    @strawberry.field
    def thing(self, name: str) -> Thing:
        return Thing(name=name)


def test_an_installed_schema_runs_through_every_override():
    schema = install(strawberry.Schema(query=Query, extensions=[Seen]))
    assert installed(schema) and schema.execution_context_class is ExecutionContext
    field = schema._schema.query_type.fields["thing"]
    assert field.resolve.__name__ == "resolve"  # lean.py, with arguments.py's conversion
    hits = _factories.cache_info().hits
    result = schema.execute_sync('{ thing(name: "名") { name } }')
    assert result.errors is None and result.data == {"thing": {"name": "名"}}
    assert _factories.cache_info().hits > hits  # hooks.py's runner
    name = schema._schema.type_map["Thing"].fields["name"]
    assert _KINDS[id(name)][0] is name  # execution.py planned the field


def test_install_twice_changes_nothing_more():
    schema = install(strawberry.Schema(query=Query))
    resolve = schema._schema.query_type.fields["thing"].resolve
    runner_factory = schema.create_extensions_runner
    assert install(schema) is schema
    assert schema._schema.query_type.fields["thing"].resolve is resolve
    assert schema.create_extensions_runner == runner_factory


def test_a_schema_with_its_own_execution_context_is_refused():
    class Own(StrawberryGraphQLCoreExecutionContext):
        pass

    with pytest.raises(TypeError, match="execution context class of its own"):
        install(strawberry.Schema(query=Query, execution_context_class=Own))


def test_the_app_schema_is_installed():
    assert installed(app_schema)
    assert type(app_schema) is strawberry.Schema  # no subclass: install is the only seam
    assert app_schema.execution_context_class is ExecutionContext
