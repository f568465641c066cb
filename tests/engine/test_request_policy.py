"""schema/core/extensions.py `RequestPolicy` answers as strawberry's own extensions do
(`MaxTokensLimiter`, `QueryDepthLimiter`, `MaxAliasesLimiter`, `ParserCache`,
`ValidationCache`, `MaskErrors`): the same data, and the same errors at the same paths,
first time and from the caches. Equivalence tests: `make check-upstream` runs them against
the newest strawberry."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest
import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from app.config import Settings
from schema.core.extensions import RequestPolicy, _unexpected
from schema.engine import install

pytestmark = pytest.mark.upstream
TOKENS, DEPTH, ALIASES = 60, 3, 2


@strawberry.type
class Level:
    value: int

    @strawberry.field
    def child(self) -> Level:
        return Level(value=self.value + 1)

    @strawberry.field
    def fails(self) -> int | None:
        raise ValueError("the cause nobody may read")

    @strawberry.field
    def refuses(self) -> int | None:
        raise GraphQLError("refused", extensions={"code": "FORBIDDEN"})


@strawberry.type
class Query:
    @strawberry.field
    def root(self) -> Level:
        return Level(value=1)


@dataclass
class Ctx:
    settings: Settings
    request_id: str = "request-1"


QUERIES = [
    "{ root { value child { value } } }",
    "{ root { child { child { child { value } } } } }",  # too deep
    "{ a: root { value } b: root { value } c: root { value } }",  # too many aliases
    "{ root { " + "value " * TOKENS + "} }",  # too many tokens
    "{ root {",  # a syntax error
    "{ nope }",  # invalid
    "{ root { value fails refuses } }",  # a masked and an unmasked error
    "query Named($n: Int) { root { value } }",  # an unused variable: invalid
]


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    plain = strawberry.Schema(query=Query, extensions=[
        lambda: MaxTokensLimiter(max_token_count=TOKENS),
        lambda: QueryDepthLimiter(max_depth=DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=ALIASES),
        lambda: ParserCache(maxsize=100),
        lambda: ValidationCache(maxsize=100),
        lambda: MaskErrors(should_mask_error=_unexpected, error_message="Unexpected error"),
    ])
    return plain, install(strawberry.Schema(query=Query, extensions=[RequestPolicy]))


def _answer(result: Any) -> tuple[Any, list[tuple[str, tuple]]]:
    return result.data, sorted((e.message, tuple(e.path or ())) for e in result.errors or [])


@pytest.mark.parametrize("query", QUERIES)
async def test_limits_caches_and_masking_answer_as_strawberrys_extensions(query: str,
                                                                         settings):  # noqa: ANN001
    ctx = Ctx(replace(settings, max_tokens=TOKENS, max_query_depth=DEPTH,
                      max_aliases=ALIASES, max_query_cost=0))
    plain, policy = _schemas()
    for _ in range(2):  # the second time from the parse and validation caches
        want = await plain.execute(query, context_value=ctx)
        got = await policy.execute(query, context_value=ctx)
        assert _answer(got) == _answer(want)
    if "fails" in query:
        assert ("Unexpected error", ("root", "fails")) in _answer(got)[1]
        assert ("refused", ("root", "refuses")) in _answer(got)[1]
    elif query != QUERIES[0]:
        assert got.errors and got.data is None
