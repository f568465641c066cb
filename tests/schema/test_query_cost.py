"""The query cost limit through HTTP: an over-budget query is refused before any SQL."""

from __future__ import annotations

from app.config import get_settings

# about 120 fields per customer under the estimate: 20 aliases x 100 customers is over budget
FIELDS = ("name code tier contacts { name title email phone isPrimary createdAt } "
          "addresses { city line1 line2 province district recipient }")
ALIAS = "c%d: customers(first: $n) { edges { node { " + FIELDS + " } } }"


def _wide(aliases: int) -> str:
    return "query($n: Int!) { " + " ".join(ALIAS % i for i in range(aliases)) + " }"


async def test_over_budget_query_is_refused_with_no_sql(api, factory, db):
    admin = factory.user("ADMIN")
    db.counter.reset()
    body = await api.gql(_wide(20), {"n": 100}, admin.token)
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "QUERY_COST_EXCEEDED"
    assert error["extensions"]["cost"] > error["extensions"]["budget"]
    assert error["extensions"]["budget"] == get_settings().max_query_cost
    assert db.counter.count == 0


async def test_cost_follows_variables(api, factory):
    admin = factory.user("ADMIN")
    factory.customer(name="成本客户")
    small = await api.gql(_wide(20), {"n": 1}, admin.token)
    assert "errors" not in small, small
    assert len(small["data"]) == 20
    big = await api.gql(_wide(20), {"n": 100}, admin.token)
    assert big["errors"][0]["extensions"]["code"] == "QUERY_COST_EXCEEDED"


async def test_page_info_and_total_count_are_not_multiplied(api, factory):
    admin = factory.user("ADMIN")
    # 30 aliased connections of 100 each, but only pageInfo / totalCount asked for.
    query = "{ " + " ".join(
        f"c{i}: customers(first: 100) {{ totalCount pageInfo {{ hasNextPage endCursor }} }}"
        for i in range(30)) + " }"
    body = await api.gql(query, None, admin.token)
    assert "errors" not in body, body


async def test_fragments_and_inline_fragments_count(api, factory):
    admin = factory.user("ADMIN")
    fields = FIELDS
    spread = ("query($n: Int!) { "
              + " ".join(f"c{i}: customers(first: $n) {{ edges {{ node {{ ...F }} }} }}"
                         for i in range(20))
              + " } fragment F on Customer { " + fields + " }")
    inline = "query($n: Int!) { " + " ".join(
        f"c{i}: customers(first: $n) {{ edges {{ node {{ ... on Customer {{ {fields} }} }} }} }}"
        for i in range(20)) + " }"
    for query in (spread, inline):
        body = await api.gql(query, {"n": 100}, admin.token)
        assert body["errors"][0]["extensions"]["code"] == "QUERY_COST_EXCEEDED"
        ok = await api.gql(query, {"n": 2}, admin.token)
        assert "errors" not in ok, ok


def test_every_contract_operation_fits_the_budget_at_its_largest_page():
    """The SPA's and apps' own operations must never be refused by the cost limit."""
    from pathlib import Path

    from graphql import OperationDefinitionNode, parse

    from app.persistence.pagination import MAX_PAGE
    from schema.build import schema
    from schema.core.cost import estimate_cost
    from schema.core.persisted import CONTRACT_OPERATIONS

    budget = get_settings().max_query_cost
    paths = sorted(Path(CONTRACT_OPERATIONS).glob("*.graphql"))
    assert paths, "frontend-contract/operations is empty"
    for path in paths:
        doc = parse(path.read_text(encoding="utf-8"))
        for op in (d for d in doc.definitions if isinstance(d, OperationDefinitionNode)):
            name = op.name.value if op.name else None
            largest = {v.variable.name.value: MAX_PAGE for v in op.variable_definitions or ()}
            cost = estimate_cost(schema._schema, doc, name, largest)
            assert cost <= budget, f"{path.name} {name}: cost {cost} > budget {budget}"
