"""Schema extensions, passed as classes so each request gets its own instance.

`RequestPolicy` is every limit of an operation, the masking of its errors and the parse and
validation caches in one extension. Measured (README "Performance"): strawberry's
`QueryDepthLimiter` and `MaxAliasesLimiter` build a new validation rule class per request
and the validation cache is keyed by the rule classes, so it never hit (0 hits); with each
rule built once, the orders page's pre-execution time went from 3.5 ms to 0.1 ms; the
cached path now adds 0.016 ms of parse and validation (S5). Seven extensions became one:
strawberry builds each extension's hooks anew per request (see `RequestPolicy`).

Upstream: written against strawberry-graphql 0.341.2 and graphql-core 3.3.2.
- Stands in for strawberry's `MaxTokensLimiter` (`parse_options["max_tokens"]`),
  `QueryDepthLimiter` and `MaxAliasesLimiter` (their rules made once per value with the
  modules' `create_validator`), `ParserCache` and `ValidationCache` (graphql-core `parse`,
  strawberry's `strawberry.schema.schema.validate_document`, a private helper that adds
  strawberry's own rules).
- Extends `MaskErrors` and overrides its private `_process_result` (skipping the runtime
  Protocol check) and `anonymise_error`; relies on its `_process_errors` and
  `on_operation`.
- Relies on strawberry's `ExecutionContext` fields `query`, `parse_options`,
  `validation_rules`, `graphql_document`, `pre_execution_errors`, and on strawberry
  validating only when no extension has set `pre_execution_errors`.
- Held to strawberry's own extensions by tests/engine/test_request_policy.py.
Why: docs/architecture.md#request-policy.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Any

from graphql import GraphQLError, NoSchemaIntrospectionCustomRule, OperationDefinitionNode, parse
from starlette.requests import Request
from strawberry.extensions import MaskErrors
from strawberry.extensions.max_aliases import create_validator as alias_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator
from strawberry.schema.schema import validate_document

from app.errors import DeadlineExceeded, DomainError, ServiceUnavailable, ValidationFailed
from app.persistence.deadline import deadline_after
from app.persistence.storage import storage_failure
from schema.core.context import app_settings
from schema.core.cost import QueryCostLimit, expanded_fields, expansion_error
from schema.core.strings import literal_errors, variable_errors

log = logging.getLogger("crm.graphql")


def _unexpected(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Masks anything that is not a deliberate GraphQL error; logs it in full."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=_unexpected, error_message="Unexpected error")

    def _process_result(self, result: object) -> None:
        # MaskErrors checks the result against a runtime Protocol first: an isinstance
        # that costs ~2% of the event loop per request; every result here has `errors`
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, ValidationFailed) and original.errors:
            original = original.errors[0]  # several bad arguments: the first, with its field
        # the request's budget, or the database out of reach (docs/architecture.md#faults):
        # not a failure of the app's, and the client may retry
        if isinstance(original, DeadlineExceeded | ServiceUnavailable):
            return GraphQLError(
                original.message, nodes=error.nodes, source=error.source,
                positions=error.positions, path=error.path,
                extensions={"code": original.code},
            )
        if isinstance(original, DomainError):  # bad arguments to a query: say what is wrong
            return GraphQLError(
                original.message, nodes=error.nodes, source=error.source,
                positions=error.positions, path=error.path,
                extensions={"code": original.code.value, "field": original.field},
            )
        context = self.execution_context.context
        request_id = getattr(context, "request_id", None)
        storage = storage_failure(original)
        if storage is not None:  # disk full, read-only: the operator's to fix, not masked
            log.warning("write refused (request %s): %s: %s", request_id, storage.code,
                        original)
            return GraphQLError(
                storage.message, nodes=error.nodes, source=error.source,
                positions=error.positions, path=error.path,
                extensions={"code": storage.code, "requestId": request_id},
            )
        log.error("unexpected error (request %s) at %s", request_id, error.path,
                  exc_info=error.original_error)
        return GraphQLError(
            self.error_message, nodes=error.nodes, source=error.source,
            positions=error.positions, path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )


# One validator class per limit value, built once: strawberry's QueryDepthLimiter and
# MaxAliasesLimiter build a new class per instance, i.e. per request, and the validation
# cache is keyed by the rule classes, so it never hit (measured: 0 hits; benchmark S5).
@cache
def _depth_rule(max_depth: int) -> type:
    return depth_validator(max_depth, None, None)


@cache
def _alias_rule(max_count: int) -> type:
    return alias_validator(max_count)


# Bounded: distinct query texts from clients must not grow memory without limit. Keyed by
# the query text and the parse options (the token limit) / the rules (depth, aliases).
_parse = lru_cache(maxsize=1000)(parse)


def _checked(schema: Any, document: Any, rules: tuple, max_fields: int) -> list:
    """The expanded size first (a document that explodes through its fragments would stall
    validation and execution alike), then graphql-core's validation."""
    count = expanded_fields(document, max_fields)
    if count > max_fields:
        return [expansion_error(count, max_fields)]
    return validate_document(schema, document, rules) or literal_errors(document)


@lru_cache(maxsize=1000)
def _validate(schema: Any, query: str, parse_options: tuple, rules: tuple,
              max_fields: int) -> list:
    """Keyed by the query text, not its document: a document hashes its whole syntax tree
    on every lookup (2% of the event loop on order placement, measured)."""
    return _checked(schema, _parse(query, **dict(parse_options)), rules, max_fields)


_SUGGESTION = re.compile(r" Did you mean .*\?$")


def _unsuggested(error: GraphQLError) -> GraphQLError:
    """The error without graphql-core's "Did you mean ...?" (names of fields and types a
    caller may not know of)."""
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(message, error.nodes, extensions=error.extensions)


def _operations(document: Any) -> int:
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)


class RequestPolicy(QueryCostLimit, MaskUnexpectedErrors):
    """Every limit of an operation, the masking of its errors and the parse and validation
    caches, in one extension.

    Limits (from the settings of the app serving the request): the time budget of an HTTP
    request (`Context.start_budget`, applied by persistence), tokens (the parser stops
    there), depth and aliases (validation rules, built once per value so the validation
    cache keeps hitting), the cost budget (QueryCostLimit, before execution). One extension
    instead of seven: strawberry builds each extension's hooks anew for every request
    (measured on order placement, benchmark S3: about 0.1 ms of the event loop per request
    for four of them, and ~12% of it still for three).
    """

    def on_operation(self) -> Iterator[None]:
        settings = app_settings(self)
        ctx = self.execution_context
        context = ctx.context
        # the time budget, from here (parsing and validation included): HTTP only, as a
        # WebSocket's operations share one context and its subscriptions live on
        if isinstance(getattr(context, "request", None), Request):
            context.start_budget(deadline_after(settings.request_timeout_ms / 1000))
        ctx.parse_options["max_tokens"] = settings.max_tokens
        ctx.validation_rules = (*ctx.validation_rules, _depth_rule(settings.max_query_depth),
                                _alias_rule(settings.max_aliases),
                                *(() if settings.introspection
                                  else (NoSchemaIntrospectionCustomRule,)))
        yield from super().on_operation()  # MaskErrors: masks once the operation ends

    # strawberry's ParserCache and ValidationCache, here so that one extension runs per
    # request: parsing and validating a known operation is a cache hit
    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.query is not None:  # else strawberry uses the document it was given
            ctx.graphql_document = _parse(ctx.query, **ctx.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        schema = ctx.schema._schema  # noqa: SLF001
        max_fields = app_settings(self).max_expanded_fields
        # strawberry's `operation_name` falls back to the first operation's name (0.341.2,
        # strawberry/types/execution.py), so a document of several operations without one
        # would run its first: what the client sent is `_provided_operation_name`
        if ctx._provided_operation_name is None and _operations(ctx.graphql_document) > 1:  # noqa: SLF001
            ctx.pre_execution_errors = [GraphQLError(
                "Must provide operation name if query contains multiple operations.",
                extensions={"code": "BAD_REQUEST"})]
        elif ctx.query is None:  # a document given without its text
            ctx.pre_execution_errors = _checked(schema, ctx.graphql_document,
                                                ctx.validation_rules, max_fields)
        else:
            ctx.pre_execution_errors = _validate(
                schema, ctx.query, tuple(sorted(ctx.parse_options.items())),
                ctx.validation_rules, max_fields)
        if not ctx.pre_execution_errors:
            bad = variable_errors(ctx.variables)
            if bad:
                ctx.pre_execution_errors = bad
        elif not app_settings(self).suggestions:
            ctx.pre_execution_errors = [_unsuggested(e) for e in ctx.pre_execution_errors]
        yield


EXTENSIONS = [RequestPolicy]
