"""Schema extension hooks run without strawberry's per-request wrapping.

For every request and every lifecycle stage (operation, parse, validate, execute),
strawberry inspects each extension's hook, wraps it in a new `contextlib.contextmanager`
(a decorator: `functools.update_wrapper` and all) and enters it through an
`AsyncExitStack`: profiled on order placement, about a tenth of the GraphQL side of the
event loop, for one extension. The wrapping depends only on the extension's class, so
here each hook's context-manager factory is made once per class, and the hooks are
entered the same way: in extension order, exited in reverse, an exception passed to each.

Only generator hooks (what this project's extensions use, and strawberry's own) take this
path; a request with any other kind of hook runs strawberry's runner unchanged.

Upstream: written against strawberry-graphql 0.341.2.
- Mirrors `strawberry.extensions.runner.SchemaExtensionsRunner` (`operation`, `parsing`,
  `validation`, `executing`) and the stage context managers of
  `strawberry.extensions.context` (`ExtensionContextManagerBase.get_hook`, which wraps a
  generator hook with `contextlib.contextmanager(types.MethodType(hook, extension))`, and
  its `__enter__`/`__exit__`/`__aenter__`/`__aexit__` over an exit stack, returning None
  so that a hook never suppresses an exception for the code around the stage).
- Relies on `strawberry.Schema.create_extensions_runner(execution_context, extensions)`
  being looked up on the schema by `Schema.execute`, `Schema.execute_sync` and
  `Schema.subscribe` (`install` sets it on the instance), and on
  `SchemaExtension.on_operation/on_parse/on_validate/on_execute` being the defaults a
  hook-less extension inherits.
- Held to strawberry's runner by tests/schema/test_hooks.py (stage order, the exceptions
  each hook sees, results; sync and async).
Why, and the numbers: docs/architecture.md#extension-hooks.
"""

from __future__ import annotations

import contextlib
import inspect
import types
from functools import cache
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner

_STAGES = ("on_operation", "on_parse", "on_validate", "on_execute")


@cache
def _factories(cls: type) -> dict[str, Any] | None:
    """Per stage, the context-manager factory of the class's hook (None: no hook), or
    None when a hook is not a generator function."""
    out: dict[str, Any] = {}
    for stage in _STAGES:
        hook = getattr(cls, stage)
        if hook is getattr(SchemaExtension, stage):
            out[stage] = None
        elif inspect.isgeneratorfunction(hook):
            out[stage] = contextlib.contextmanager(hook)  # called with the instance
        else:
            return None
    return out


class _Stage:
    """The hooks of one stage, as a sync and async context manager."""

    __slots__ = ("managers", "stack")

    def __init__(self, managers: list[Any]) -> None:
        self.managers = managers

    def __enter__(self) -> None:
        if not self.managers:
            return
        if len(self.managers) == 1:
            self.managers[0].__enter__()
            return
        self.stack = contextlib.ExitStack()
        for manager in self.managers:
            self.stack.enter_context(manager)

    def __exit__(self, *exc: Any) -> None:
        # None, as strawberry's stages return: a hook that swallows an exception does not
        # suppress it for the code around the stage
        if not self.managers:
            return
        if len(self.managers) == 1:
            self.managers[0].__exit__(*exc)
            return
        self.stack.__exit__(*exc)

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(self, *exc: Any) -> None:
        self.__exit__(*exc)


class _Runner(SchemaExtensionsRunner):
    def _stage(self, stage: str) -> _Stage:
        return _Stage([factory(extension) for extension in self.extensions
                       if (factory := _factories(type(extension))[stage]) is not None])

    def operation(self) -> Any:
        return self._stage("on_operation")

    def parsing(self) -> Any:
        return self._stage("on_parse")

    def validation(self) -> Any:
        return self._stage("on_validate")

    def executing(self) -> Any:
        return self._stage("on_execute")


def _create_extensions_runner(schema: Any, execution_context: Any,
                              extensions: list[SchemaExtension]) -> SchemaExtensionsRunner:
    if all(_factories(type(e)) is not None for e in extensions):
        return _Runner(execution_context=execution_context, extensions=extensions)
    return type(schema).create_extensions_runner(schema, execution_context, extensions)


def install(schema: strawberry.Schema) -> None:
    """Make `schema` enter its extensions' hooks through `_Runner` (strawberry's runner for
    a request with any hook that is not a generator)."""
    schema.create_extensions_runner = types.MethodType(  # type: ignore[method-assign]
        _create_extensions_runner, schema)
