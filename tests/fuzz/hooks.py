"""Schemathesis hooks of the fuzz run (`tests/fuzz/run.py` loads them through
SCHEMATHESIS_HOOKS): strategies for the schema's own scalars and the one check that decides a
response, `no_unmasked_error` (docs/architecture.md#fuzzing).

A response passes when its status is below 500 and every error in it is one the API means to
give: a request error (parse, validation, variables: no `path`), an error with one of the
API's codes, or an unexpected failure masked as "Unexpected error" with its request id (the
cause stays in the server's log: the run counts these and prints their causes). It fails on
a 5xx, on an execution error without a code (graphql-core's own, e.g. a null for a
non-nullable field) and on any message that looks like Python's (an exception's text, a
traceback, a driver's message).
"""

from __future__ import annotations

import json
import os
import re

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from app.errors import ErrorCode

# ErrorCode (userErrors and DomainErrors of queries) and the API's own GraphQL error codes
# (schema/core/: permissions, extensions, cost, persisted; schema/subscriptions/; schema/asgi.py)
CODES = {c.value for c in ErrorCode} | {
    "UNAUTHENTICATED", "FORBIDDEN", "BAD_REQUEST", "BAD_USER_INPUT", "CURSOR_EXPIRED",
    "QUERY_COST_EXCEEDED", "QUERY_TOO_LARGE"}
MASKED = "Unexpected error"
LEAK = re.compile(
    r"Traceback|File \"|\b(Key|Type|Value|Attribute|Index|Overflow|ZeroDivision|Recursion|"
    r"Lookup|Runtime|Assertion|Name|Unicode\w*|Integrity|Operational|Programming|Data)Error\b|"
    r"InvalidOperation|decimal\.|sqlalchemy|sqlite3?\b|psycopg|object has no attribute|"
    r"not subscriptable|unsupported operand|<class '|NoneType", re.IGNORECASE)
MASKED_LOG = os.environ.get("CRM_FUZZ_MASKED_LOG")  # the run's record of masked errors


def _decimals() -> st.SearchStrategy:
    """The Decimal scalar takes a string (strawberry: `Decimal(str(value))`): every finite
    value, huge and tiny exponents included, and now and then NaN or Infinity."""
    finite = st.decimals(allow_nan=False, allow_infinity=False).map(str)
    odd = st.sampled_from(["NaN", "-Infinity", "Infinity", "1e999999", "-0", "0.000"])
    return st.one_of(finite, finite, finite, odd).map(nodes.String)


schemathesis.graphql.scalar("Decimal", _decimals())


def _problem(error: dict) -> str | None:
    message = str(error.get("message", ""))
    extensions = error.get("extensions") or {}
    code = extensions.get("code")
    if LEAK.search(message) or LEAK.search(json.dumps(extensions)):
        return "looks like a Python or driver message"
    if code == "INTERNAL_SERVER_ERROR":
        if message != MASKED or not extensions.get("requestId"):
            return "INTERNAL_SERVER_ERROR that is not the masked message with a request id"
        return None
    if code is not None and code not in CODES:
        return f"unknown code {code!r}"
    if code is None and error.get("path"):
        return "an execution error without a code (graphql-core's own, not the API's)"
    return None


@schemathesis.check
def no_unmasked_error(ctx, response, case) -> None:  # noqa: ANN001
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:500]}")
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"not JSON (HTTP {response.status_code})") from None
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors or ():
        problem = _problem(error)
        if problem:
            raise AssertionError(f"{problem}: {json.dumps(error, ensure_ascii=False)[:500]}")
        if error.get("message") == MASKED and MASKED_LOG:
            with open(MASKED_LOG, "a") as log:
                log.write(json.dumps({"operation": case.operation.label,
                                      "requestId": error["extensions"]["requestId"],
                                      "query": case.body}) + "\n")
