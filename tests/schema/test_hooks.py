"""schema/hooks.py runs extension hooks as strawberry does: same stages, same order, the
same exceptions seen by each hook, the same results; other kinds of hooks fall back to
strawberry's runner."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from schema.build import schema as app_schema
from schema.extensions import RequestPolicy
from schema.hooks import Schema, _factories

LOG: list[str] = []


def _recording(tag: str) -> type[SchemaExtension]:
    class Recording(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            LOG.append(f"{tag} operation in")
            yield
            LOG.append(f"{tag} operation out")

        def on_parse(self) -> Iterator[None]:
            LOG.append(f"{tag} parse in")
            yield
            LOG.append(f"{tag} parse out")

        def on_validate(self) -> Iterator[None]:
            LOG.append(f"{tag} validate in")
            yield
            LOG.append(f"{tag} validate out")

        def on_execute(self) -> Iterator[None]:
            LOG.append(f"{tag} execute in")
            try:
                yield
            except Exception as exc:
                LOG.append(f"{tag} execute saw {type(exc).__name__}")
                raise
            LOG.append(f"{tag} execute out")

    return Recording


class Refuses(SchemaExtension):
    """Refuses in validation: no execution follows."""

    def on_validate(self) -> Iterator[None]:
        yield
        self.execution_context.pre_execution_errors = [
            strawberry.exceptions.StrawberryGraphQLError("refused")]


class Explodes(SchemaExtension):
    """Fails as execution ends: the hooks entered before it see the exception."""

    def on_execute(self) -> Iterator[None]:
        yield
        raise RuntimeError("extension failed")


class PlainHook(SchemaExtension):
    """A hook that is a plain method: left to strawberry's runner."""

    def on_execute(self) -> None:  # type: ignore[override]
        LOG.append("plain execute")


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hi"

    @strawberry.field
    async def later(self) -> int:
        return 2

    @strawberry.field
    def broken(self) -> int:
        raise ValueError("broken")


def _run(schema_class: type, extensions: list, query: str, sync: bool = False
         ) -> tuple[list[str], object]:
    import asyncio

    LOG.clear()
    schema = schema_class(query=Query, extensions=extensions)
    try:
        result = schema.execute_sync(query) if sync else asyncio.run(schema.execute(query))
    except RuntimeError as exc:
        LOG.append(f"raised {exc}")
        result = None
    return list(LOG), result


@pytest.mark.parametrize("query", ["{ hello later }", "{ hello broken }", "{ nope }",
                                   "{ hello"])
@pytest.mark.parametrize("extra", [[], [Refuses], [Explodes], [PlainHook]])
def test_hooks_run_as_strawberry_runs_them(query: str, extra: list):
    extensions = [_recording("a"), _recording("b"), *extra]
    want_log, want = _run(strawberry.Schema, extensions, query)
    got_log, got = _run(Schema, extensions, query)
    assert got_log == want_log
    assert want_log[0] == "a operation in"
    if want is None:  # the failing extension's error left execute, past every hook
        assert got is None and "b execute saw RuntimeError" in want_log
        return
    assert got.data == want.data
    assert [e.message for e in got.errors or []] == [e.message for e in want.errors or []]


def test_sync_execution_too():
    extensions = [_recording("a")]
    want_log, want = _run(strawberry.Schema, extensions, "{ hello }", sync=True)
    got_log, got = _run(Schema, extensions, "{ hello }", sync=True)
    assert got_log == want_log and got.data == want.data == {"hello": "hi"}


def test_the_app_schema_takes_the_lean_path():
    assert isinstance(app_schema, Schema)
    factories = _factories(RequestPolicy)
    assert factories is not None
    assert all(factories[s] is not None for s in ("on_operation", "on_parse", "on_validate"))
    assert _factories(PlainHook) is None
