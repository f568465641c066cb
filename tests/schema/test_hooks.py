"""schema/engine/hooks.py runs extension hooks as strawberry does: same stages, same order, the
same exceptions seen by each hook, the same results; other kinds of hooks fall back to
strawberry's runner. Equivalence tests: `make check-upstream` runs them against the newest
strawberry."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from schema.build import schema as app_schema
from schema.core.extensions import RequestPolicy
from schema.engine import hooks
from schema.engine.hooks import _factories, _Runner

pytestmark = pytest.mark.upstream
LOG: list[str] = []


def _installed(**kwargs: object) -> strawberry.Schema:
    """A strawberry schema with this module's runner installed (and nothing else)."""
    schema = strawberry.Schema(**kwargs)
    hooks.install(schema)
    return schema


def _recording(tag: str) -> type[SchemaExtension]:
    """An extension logging each stage's entry, exit and any exception passing through."""

    def stage(name: str):  # noqa: ANN202
        def hook(self: SchemaExtension) -> Iterator[None]:
            LOG.append(f"{tag} {name} in")
            try:
                yield
            except Exception as exc:
                LOG.append(f"{tag} {name} saw {type(exc).__name__}")
                raise
            LOG.append(f"{tag} {name} out")
        return hook

    return type("Recording", (SchemaExtension,), {
        f"on_{name}": stage(name) for name in ("operation", "parse", "validate", "execute")})


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


class Swallows(SchemaExtension):
    """Swallows what its operation raises: strawberry still lets it through the stage."""

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            LOG.append(f"swallowed {type(exc).__name__}")


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


def _run(build: Callable[..., strawberry.Schema], extensions: list, query: str,
         sync: bool = False) -> tuple[list[str], object]:
    import asyncio

    LOG.clear()
    schema = build(query=Query, extensions=extensions)
    try:
        result = schema.execute_sync(query) if sync else asyncio.run(schema.execute(query))
    except Exception as exc:  # compared like a result: both runners must fail the same way
        result = f"raised {type(exc).__name__}"
    return list(LOG), result


def _answer(result: object) -> object:
    if isinstance(result, str) or result is None:
        return result
    return result.data, [e.message for e in result.errors or []]


@pytest.mark.parametrize("query", ["{ hello later }", "{ hello broken }", "{ nope }",
                                   "{ hello"])
@pytest.mark.parametrize("extra", [[], [Refuses], [Explodes], [Swallows, Explodes],
                                   [PlainHook]])
@pytest.mark.parametrize("sync", [False, True])
def test_hooks_run_as_strawberry_runs_them(query: str, extra: list, sync: bool):
    if sync and "later" in query:
        pytest.skip("an async field cannot run synchronously")
    extensions = [_recording("a"), _recording("b"), *extra]
    want_log, want = _run(strawberry.Schema, extensions, query, sync)
    got_log, got = _run(_installed, extensions, query, sync)
    assert got_log == want_log
    assert _answer(got) == _answer(want)
    assert want_log[0] == "a operation in"
    if Explodes in extra and query.endswith("}") and "nope" not in query:  # executed
        assert "b execute saw RuntimeError" in want_log


def test_sync_execution_too():
    extensions = [_recording("a")]
    want_log, want = _run(strawberry.Schema, extensions, "{ hello }", sync=True)
    got_log, got = _run(_installed, extensions, "{ hello }", sync=True)
    assert got_log == want_log and got.data == want.data == {"hello": "hi"}


def test_the_app_schema_takes_the_lean_path():
    runner = app_schema.create_extensions_runner(None, [RequestPolicy()])
    assert type(runner) is _Runner
    factories = _factories(RequestPolicy)
    assert factories is not None
    assert all(factories[s] is not None for s in ("on_operation", "on_parse", "on_validate"))
    assert _factories(PlainHook) is None
    assert type(app_schema.create_extensions_runner(None, [PlainHook()])) is not _Runner


@pytest.mark.parametrize("sync", [False, True])
def test_strawberry_asks_the_schema_for_its_runner(sync: bool):
    """The seam `hooks.install` uses: strawberry gets every request's runner from the
    schema's `create_extensions_runner`."""
    before = _factories.cache_info().hits
    log, result = _run(_installed, [_recording("a")], "{ hello }", sync)
    assert result.data == {"hello": "hi"} and log[0] == "a operation in"
    assert _factories.cache_info().hits > before  # the installed runner factory ran
