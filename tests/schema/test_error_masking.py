"""Errors of queries through HTTP (schema/core/extensions.py RequestPolicy): bad arguments say
what is wrong, with their code and field; anything unexpected is masked, with the request's
id and nothing of its cause."""

from __future__ import annotations

import httpx

from app.persistence.db import Database
from schema.asgi import create_app
from tests.support import Api


async def test_a_bad_argument_of_a_query_is_named_with_its_code_and_field(api, factory):
    admin = factory.user("ADMIN")
    body = await api.gql('{ orders(first: 1, filter: {customerId: "not-an-id"}) '
                         "{ totalCount } }", None, admin.token)
    [error] = body["errors"]
    assert error["extensions"]["field"] == ["customerId"], body
    assert error["extensions"]["code"] not in (None, "INTERNAL_SERVER_ERROR"), body
    assert "Unexpected" not in error["message"] and error["path"] == ["orders"], body


async def test_an_unexpected_failure_is_masked_with_the_request_id(settings, factory,
                                                                    tmp_path, caplog):
    """A database without tables (a failure no resolver expects): the client sees
    "Unexpected error" and a request id; the log has the cause, under the same id."""
    admin = factory.user("ADMIN")
    broken = Database(f"sqlite:///{tmp_path / 'no-tables.db'}")
    transport = httpx.ASGITransport(app=create_app(settings=settings, db=broken))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body = await Api(client, factory).gql("{ customers(first: 1) { totalCount } }",
                                                  None, admin.token)
    finally:
        broken.dispose()
    [error] = body["errors"]
    assert error["message"] == "Unexpected error", body
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR", body
    request_id = error["extensions"]["requestId"]
    assert request_id and "no such table" not in str(body)
    logged = [r for r in caplog.records if r.name == "crm.graphql"]
    assert any(request_id in r.getMessage() and r.exc_info for r in logged)
