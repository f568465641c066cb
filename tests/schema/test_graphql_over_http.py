"""GraphQL over HTTP's application/graphql-response+json (the security issue: the
graphql-http audit warned 8 times): asked for, a request error is a 400 without `data`;
otherwise the classic application/json answer. `.ci/graphql-http-audit` runs the audit
itself against a live server."""

from __future__ import annotations

MEDIA = "application/graphql-response+json"


async def _post(api, body, accept=MEDIA, token=None):  # noqa: ANN001, ANN202
    headers = {"accept": accept, **({"authorization": f"Bearer {token}"} if token else {})}
    return await api.client.post("/graphql", json=body, headers=headers)


async def test_request_errors_are_400_without_data(api, factory):
    token = factory.user("ADMIN").token
    for body in ({"query": "{ me { "},                                     # parse
                 {"query": "{ nope }"},                                     # validation
                 {"query": "query($n: Int!) { __typename }", "variables": {"n": "x"}}):
        response = await _post(api, body, token=token)
        assert response.status_code == 400, (body, response.text)
        assert response.headers["content-type"].startswith(MEDIA)
        assert "data" not in response.json() and response.json()["errors"]
    ok = await _post(api, {"query": "{ __typename }"})
    assert ok.status_code == 200 and ok.headers["content-type"].startswith(MEDIA)
    assert ok.json()["data"] == {"__typename": "Query"}
    # a field error is not a request error: 200, with data
    partial = await _post(api, {"query": "{ __typename me { role } }"})
    assert partial.status_code == 200 and "data" in partial.json()


async def test_application_json_keeps_the_classic_answer(api):
    response = await _post(api, {"query": "{ nope }"}, accept="application/json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["data"] is None


async def test_a_non_string_operation_name_is_a_400(api):
    for name in ({"a": 1}, ["A"]):
        response = await api.client.post("/graphql", json={"query": "{ __typename }",
                                                           "operationName": name})
        assert response.status_code == 400
