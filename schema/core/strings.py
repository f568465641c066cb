"""Text no field accepts, refused before execution wherever it is in the request: a NUL
byte (PostgreSQL cannot store it), a lone surrogate (not encodable as UTF-8) or a string
over MAX_CHARS (no field is that long; a search string that size was an "Unexpected error").
Checked in the document's string literals (with its validation, cached) and in the
variables (every request) (docs/architecture.md#request-policy)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, StringValueNode, Visitor, visit

MAX_CHARS = 20_000


def problem(text: str) -> str | None:
    if len(text) > MAX_CHARS:
        return f"a string of at most {MAX_CHARS} characters"
    if "\x00" in text:
        return "no NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "valid Unicode (no lone surrogate)"
    return None


def _walk(value: Any, path: list[str]) -> Iterator[tuple[list[str], str]]:
    if isinstance(value, str):
        why = problem(value)
        if why:
            yield path, why
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, [*path, str(key)])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, [*path, str(index)])


def variable_errors(variables: dict[str, Any] | None) -> list[GraphQLError]:
    return [_error(path, why) for path, why in _walk(variables or {}, ["variables"])][:10]


class _Literals(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        why = problem(node.value)
        if why:
            self.found.append(why)


def literal_errors(document: DocumentNode) -> list[GraphQLError]:
    visitor = _Literals()
    visit(document, visitor)
    return [_error(None, why) for why in visitor.found][:10]


def _error(path: list[str] | None, why: str) -> GraphQLError:
    where = f" at {'.'.join(path)}" if path else " in a string of the query"
    return GraphQLError(f"invalid text{where}: it must be {why}",
                        extensions={"code": "INVALID", "field": path})
