"""Text no field accepts is refused before execution with where it is (the security issue's
finding: a lone surrogate, a NUL byte on PostgreSQL or a 900 KB search string answered
"Unexpected error")."""

from __future__ import annotations

import json

import pytest

from schema.core.strings import MAX_CHARS

SEARCH = "query($s: String) { customers(first: 5, filter: {search: $s}) { totalCount } }"


@pytest.mark.parametrize("text, status, why", [
    ("a\x00b", 200, "NUL"),
    ("\ud800", 400, "parse"),  # not JSON to orjson: strawberry's 400
    ("x" * 900_000, 200, "at most"),  # the finding's search string, under the body limit
    ("x" * (MAX_CHARS + 1), 200, "at most"),
])
async def test_bad_text_in_variables_is_refused_with_its_path(api, factory, text, status,
                                                              why):
    token = factory.user("ADMIN").token
    # the lone surrogate cannot go through a UTF-8 JSON encoder: sent as JSON's \\ud800
    body = json.dumps({"query": SEARCH, "variables": {"s": text}}).encode()
    response = await api.client.post("/graphql", content=body, headers={
        "content-type": "application/json", "authorization": f"Bearer {token}"})
    assert response.status_code == status, response.text
    if status != 200:
        assert why in response.text
        return
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "INVALID" and why in error["message"]
    assert error["extensions"]["field"] == ["variables", "s"]
    assert response.json().get("data") is None


async def test_bad_text_in_the_query_is_refused(api, factory):
    token = factory.user("ADMIN").token
    long = "x" * (MAX_CHARS + 1)
    body = await api.gql('{ customers(first: 1, filter: {search: "' + long + '"}) '
                         "{ totalCount } }", None, token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    surrogate = await api.gql('{ customers(first: 1, filter: {search: "\\ud800"}) '
                              "{ totalCount } }", None, token)
    assert "Invalid Unicode" in surrogate["errors"][0]["message"]  # the parser refuses it
    fine = await api.ok(SEARCH, {"s": "张三 ok"}, token)
    assert fine["customers"]["totalCount"] >= 0
