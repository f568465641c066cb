"""The benchmark's floor (tests/bench/floor.py) must accept exactly the documents S3 sends,
or its figure would not bound S3's cost: both are executed here against the floor schema,
and validated against the real schema, so a change to either shows up."""

from __future__ import annotations

from graphql import parse, validate

from schema.build import schema as real_schema
from tests.bench.floor import create_floor
from tests.bench.scenarios.s3_orders import APPROVE, CREATE

VARIABLES = {"input": {"customerId": "Q3VzdG9tZXI6MQ==", "submit": True,
                       "lines": [{"productId": "UHJvZHVjdDox", "quantity": 2}]}}
NO_DB = {"raw": None}  # the floor's own context: constant resolvers


async def test_floor_runs_s3_documents_and_they_are_valid_for_the_real_schema() -> None:
    floor = create_floor().schema
    created = await floor.execute(CREATE, variable_values=VARIABLES, context_value=NO_DB)
    assert created.errors is None
    assert created.data["orderCreate"]["order"]["status"] == "PENDING_REVIEW"
    approved = await floor.execute(APPROVE, context_value=NO_DB, variable_values={
        "id": created.data["orderCreate"]["order"]["id"]})
    assert approved.errors is None
    assert approved.data["orderApprove"] == {
        "order": {"id": created.data["orderCreate"]["order"]["id"], "status": "CONFIRMED"},
        "userErrors": []}
    for document in (CREATE, APPROVE):
        assert validate(real_schema._schema, parse(document)) == []  # noqa: SLF001
