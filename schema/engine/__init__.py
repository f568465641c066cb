"""The GraphQL engine: strawberry's execution with the project's measured overrides, put on
a built schema by one call, `install(schema)` (schema/build.py makes it, once).

One module per override. Each module's docstring names the upstream versions it was
written against, the upstream functions it mirrors or relies on (private ones included)
and why it exists, with the measured numbers (docs/architecture.md#the-graphql-engine):

- execution.py   the execution context: plain scalar attributes read in graphql-core's
                 field loop, the stack pad, no reference cycle through the context
- completion.py  object and list-of-object fields completed without graphql-core's
                 generic dispatch (mixed into the execution context)
- lean.py        lean resolvers: strawberry's per-call resolver wrapper, minus the
                 generic machinery, for every eligible field
- arguments.py   argument conversion compiled once per field (for lean.py)
- hooks.py       schema extension hooks entered without strawberry's per-request wrapping

Every override has equivalence tests against plain strawberry and graphql-core (the pytest
marker `upstream`); `make check-upstream` runs them against the newest releases in a
throwaway virtualenv (docs/architecture.md#upgrading-strawberry-and-graphql-core).
"""

from __future__ import annotations

from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.engine import hooks
from schema.engine.execution import ExecutionContext
from schema.engine.lean import lean_resolvers

# What the overrides were written against and are tested with in CI (pyproject.toml pins
# strawberry-graphql>=0.341,<0.342; graphql-core comes with it).
UPSTREAM = {"strawberry-graphql": "0.341.2", "graphql-core": "3.3.2"}

_INSTALLED = "_engine_installed"


def install(schema: Any) -> Any:
    """Put every engine override on `schema`, a `strawberry.Schema` just built; returns it.

    1. its execution context class becomes `ExecutionContext` (execution.py, completion.py):
       strawberry reads `schema.execution_context_class` on every execute and subscribe;
    2. its extensions' hooks run through hooks.py's runner (`schema.create_extensions_runner`);
    3. its eligible fields get lean resolvers (lean.py, arguments.py).

    A second call changes nothing. A schema built with an execution context class of its
    own is refused: ours would replace it.
    """
    if getattr(schema, _INSTALLED, False):
        return schema
    current = schema.execution_context_class
    if current is not StrawberryGraphQLCoreExecutionContext and current is not ExecutionContext:
        raise TypeError(f"the schema has an execution context class of its own ({current!r}); "
                        "schema.engine.install would replace it")
    schema.execution_context_class = ExecutionContext
    hooks.install(schema)
    lean_resolvers(schema)
    setattr(schema, _INSTALLED, True)
    return schema


def installed(schema: Any) -> bool:
    """Whether `install` has run on `schema`."""
    return bool(getattr(schema, _INSTALLED, False))
