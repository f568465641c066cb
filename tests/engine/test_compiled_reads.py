"""Compiled reads (schema/compiled/, docs/architecture.md#compiled-reads): on PostgreSQL, a
plain read query of the orders page is answered by one SQL statement that builds the JSON,
and that answer equals the resolvers' answer for the same request — every field of the
supported types, aliases, fragments, variables, pages after a cursor, empty pages — for
every role (ADMIN, SALES with its owner scope, WAREHOUSE with its warehouses, CUSTOMER,
ANALYST, a role without the permission). The same request runs on the app as it is and on
an app with CRM_COMPILED_READS=0, through HTTP; operations that do not compile answer as
before."""

from __future__ import annotations

import random
import re
from dataclasses import replace

import httpx
import orjson
import pytest

from tests.orders.support import Kit, query_statements
from tests.shipping import support as shipping
from tests.support import Api

ORDER_FIELDS = """id number status channel externalId paymentStatus paymentMethod currency
  subtotal { amount currency } discountTotal { amount currency }
  shippingTotal { amount currency } total { amount currency } paidTotal { amount currency }
  refundedTotal { amount currency } shipRegion notes holdReason closeReason priority
  promisedDate scheduledDate rating feedback createdAt updatedAt confirmedAt shippedAt
  deliveredAt completedAt version __typename"""
CUSTOMER_FIELDS = """id code name kind tier status region language discountRate notes
  isConsignor createdAt updatedAt version __typename"""
LINE_FIELDS = """id sku name quantity unitPrice { amount currency } discountRate
  lineTotal { amount currency } quantityShipped quantityDelivered quantityReturned
  __typename"""
PRODUCT_FIELDS = """id sku name description category unit currency weightKg lengthCm widthCm
  heightCm coldChain isActive createdAt updatedAt price { amount currency } __typename"""
LEVEL_FIELDS = """id onHand reserved available incoming safetyStock reorderPoint isLow
  updatedAt __typename warehouse { id code name region isActive createdAt __typename }"""
SHIPMENT_FIELDS = """id number trackingNumber status exceptionReason estimatedDelivery
  promisedDate createdAt updatedAt packedAt shippedAt deliveredAt acceptedAt cancelledAt
  failedAttempts charge { amount currency } codAmount { amount currency } deliverySigner
  deliveryProof version __typename"""

EVERYTHING = f"""query Everything($first: Int, $after: String) {{
  __typename
  orders(first: $first, after: $after) {{
    __typename
    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor __typename }}
    edges {{ cursor __typename node {{
      {ORDER_FIELDS}
      customer {{ {CUSTOMER_FIELDS} }}
      lines {{ {LINE_FIELDS} product {{ {PRODUCT_FIELDS} stockLevels {{ {LEVEL_FIELDS} }} }} }}
      shipments {{ {SHIPMENT_FIELDS} }}
    }} }}
  }}
}}"""

# the page without the relations a role may be refused or cut (customer, stock, shipments)
PLAIN = f"""query Plain($first: Int, $after: String) {{
  orders(first: $first, after: $after) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {ORDER_FIELDS} lines {{ {LINE_FIELDS} product {{ {PRODUCT_FIELDS} }} }} }}
  }}
}}"""

ALIASED = """query Aliased($n: Int!) {
  list: orders(first: $n) {
    info: pageInfo { more: hasNextPage last: endCursor next: hasNextPage }
    edges {
      at: cursor
      node {
        ...OrderBits
        ... on Order { sum: total { amount } }
        ... on Node { globalId: id }
        ... { number }
        lines { ...LineBits lines2: quantity }
        lines { sku }
      }
    }
  }
}
fragment OrderBits on Order { key: id number status createdAt }
fragment LineBits on OrderLine { quantity product { label: name } }"""

LITERAL = """{ orders(first: 2) { edges { node { number total { amount currency } } } } }"""

# what does not compile, and must answer as before
FALLBACKS = [
    ("totalCount", "{ orders(first: 3) { totalCount edges { node { number } } } }", {}),
    ("filter", '{ orders(first: 3, filter: {statuses: [APPROVED]}) { nodes { number } } }', {}),
    ("sort", "{ orders(first: 3, sort: TOTAL_DESC) { nodes { number } } }", {}),
    ("last", "{ orders(last: 2) { nodes { number } } }", {}),
    ("directive", "query($x: Boolean!) { orders(first: 2) { nodes { number "
                  "status @include(if: $x) } } }", {"x": False}),
    ("masked", "{ orders(first: 3) { nodes { number shipRecipient shipPhone "
               "customer { email phone } } } }", {}),
    ("two roots", "{ orders(first: 1) { nodes { number } } me { id } }", {}),
    ("unknown field", "{ orders(first: 2) { nodes { number availableActions { action } } } }",
     {}),
    ("too many", "{ orders(first: 101) { nodes { number } } }", {}),
    ("zero", "{ orders(first: 0) { nodes { number } pageInfo { hasNextPage } } }", {}),
    ("bad cursor", '{ orders(first: 2, after: "nope") { nodes { number } } }', {}),
]


@pytest.fixture(scope="module")
async def world(api, factory, db, settings, app):  # noqa: ANN001, ANN201
    if db.is_sqlite:
        pytest.skip("compiled reads are PostgreSQL's: SQLite keeps the resolvers")
    from schema.asgi import create_app

    kit = Kit(api, factory)
    admin = factory.user("ADMIN")
    places = [shipping.world(factory) for _ in range(2)]
    product = kit.product("12.35", name='茶, "特级"\n礼盒 \\ \'x\'')
    warehouse = kit.warehouse()
    kit.stock(product, warehouse, 500)
    customer = kit.customer(name='客户 "甲"')
    for n in range(4):
        await kit.order(admin.token, customer, [(product, n + 1)])
        await kit.order(admin.token, places[0].customer_a, [(product, 1)])
    rep = places[0].rep_a
    wh_user = factory.user("WAREHOUSE", warehouses=[places[0].wh_a.code])
    own = factory.user("CUSTOMER", customer_id=places[0].customer_a.id)
    off_app = create_app(settings=replace(settings, compiled_reads=False), db=db)
    transport = httpx.ASGITransport(app=off_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield {
            "off": Api(client, factory),
            "tokens": {"ADMIN": admin.token, "SALES": factory.token_for(rep.id, "SALES"),
                       "WAREHOUSE": wh_user.token, "CUSTOMER": own.token,
                       "ANALYST": factory.user("ANALYST").token,
                       "MARKETING": factory.user("MARKETING").token,
                       "empty SALES": factory.user("SALES").token},
        }


async def _both(api: Api, world: dict, query: str, variables: dict, token: str | None
                ) -> tuple[dict, dict]:
    on = await api.raw(query, variables, token)
    off = await world["off"].raw(query, variables, token)
    assert on.status_code == off.status_code == 200, (on.text, off.text)
    return orjson.loads(on.content), orjson.loads(off.content)


def _difference(a: object, b: object, path: str = "") -> str:
    """Where two answers first differ, for the failure's message."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            if a.get(key) != b.get(key):
                return _difference(a.get(key), b.get(key), f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _difference(x, y, f"{path}[{i}]")
    return f"{path}: {a!r:.200} != {b!r:.200}"


async def _compiled(api: Api, db, query: str, variables: dict, token: str) -> dict:  # noqa: ANN001
    """The answer, checking it came from one statement."""
    db.counter.reset()
    response = await api.raw(query, variables, token)
    statements = [s for s in query_statements(db) if s.lstrip().upper().startswith(
        ("SELECT", "WITH"))]
    assert len(statements) == 1 and statements[0].lstrip().startswith("WITH page"), (
        statements, response.text[:300])
    return orjson.loads(response.content)


def _subset(rng: random.Random, fields: str) -> str:
    """Some of a type's fields (at least one), in a shuffled order, some aliased."""
    names = re.findall(r"\w+(?:\s*\{[^{}]*\})?", fields)
    picked = rng.sample(names, rng.randint(1, len(names)))
    return " ".join(f"a{i}: {name}" if rng.random() < 0.2 else name
                    for i, name in enumerate(picked))


def _combination(seed: int) -> str:
    """A selection of the supported types' fields chosen by `seed` (the same every run)."""
    rng = random.Random(seed)
    levels = f"stockLevels {{ {_subset(rng, LEVEL_FIELDS.split('warehouse')[0])} }}"
    product = f"product {{ {_subset(rng, PRODUCT_FIELDS)} {levels if rng.random() < .5 else ''} }}"
    lines = f"lines {{ {_subset(rng, LINE_FIELDS)} {product if rng.random() < .6 else ''} }}"
    parts = [_subset(rng, ORDER_FIELDS)]
    for extra in (lines, f"customer {{ {_subset(rng, CUSTOMER_FIELDS)} }}",
                  f"shipments {{ {_subset(rng, SHIPMENT_FIELDS)} }}"):
        if rng.random() < 0.5:
            parts.append(extra)
    rng.shuffle(parts)
    node = " ".join(parts)
    if rng.random() < 0.5:
        return (f"query($n: Int, $after: String) {{ orders(first: $n, after: $after) {{ "
                f"pageInfo {{ hasNextPage endCursor }} nodes {{ {node} }} }} }}")
    return (f"query($n: Int, $after: String) {{ orders(first: $n, after: $after) {{ "
            f"edges {{ cursor node {{ {node} }} }} pageInfo {{ endCursor hasNextPage }} }} }}")


ROLES = ["ADMIN", "SALES", "WAREHOUSE", "CUSTOMER", "ANALYST", "MARKETING", "empty SALES"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("query", [EVERYTHING, PLAIN], ids=["everything", "plain"])
async def test_every_page_equals_the_resolvers(api, db, world, role: str, query: str) -> None:  # noqa: ANN001
    token = world["tokens"][role]
    after = None
    pages = 0
    while True:
        # small pages first, then the largest (other tests' orders share the database)
        first = 3 if pages < 3 else 50
        on, off = await _both(api, world, query, {"first": first, "after": after}, token)
        assert on == off, _difference(on, off)
        if on.get("errors") or not on["data"]["orders"]["pageInfo"]["hasNextPage"]:
            break
        after = on["data"]["orders"]["pageInfo"]["endCursor"]
        pages += 1
        assert pages < 500
    if on.get("errors"):  # MARKETING may not list orders, WAREHOUSE read customers,
        assert role in ("MARKETING", "WAREHOUSE", "CUSTOMER")  # CUSTOMER stock levels
        assert {e["extensions"]["code"] for e in on["errors"]} == {"FORBIDDEN"}
    elif role == "empty SALES":
        assert on["data"]["orders"]["pageInfo"]["endCursor"] is None
    else:
        assert pages >= 1


async def test_what_compiles_is_one_statement(api, db, world) -> None:  # noqa: ANN001
    tokens = world["tokens"]
    # ADMIN sees everything; SALES and CUSTOMER the plain page (their scope in SQL)
    for role, query in (("ADMIN", EVERYTHING), ("SALES", EVERYTHING), ("ANALYST", EVERYTHING),
                        ("CUSTOMER", PLAIN), ("WAREHOUSE", PLAIN)):
        body = await _compiled(api, db, query, {"first": 5}, tokens[role])
        assert "errors" not in body, body
    body = await _compiled(api, db, ALIASED, {"n": 4}, tokens["ADMIN"])
    assert body["data"]["list"]["edges"][0]["node"]["key"]
    # a cursor that does not decode is the list's error, and the next good one compiles
    on, off = await _both(api, world, PLAIN, {"first": 2, "after": "nope"}, tokens["SALES"])
    assert on == off and on["errors"][0]["extensions"]["code"] == "INVALID", on
    cursor = body["data"]["list"]["info"]["last"]
    body = await _compiled(api, db, PLAIN, {"first": 2, "after": cursor}, tokens["SALES"])
    assert "errors" not in body


@pytest.mark.parametrize("query,variables", [(ALIASED, {"n": 4}), (ALIASED, {"n": 100}),
                                             (LITERAL, {})], ids=["aliased", "100", "literal"])
@pytest.mark.parametrize("role", ["ADMIN", "SALES", "CUSTOMER"])
async def test_aliases_fragments_and_literals(api, world, query: str, variables: dict,  # noqa: ANN001
                                              role: str) -> None:
    on, off = await _both(api, world, query, variables, world["tokens"][role])
    assert on == off, _difference(on, off)
    assert "errors" not in on


@pytest.mark.parametrize("name,query,variables", FALLBACKS, ids=[f[0] for f in FALLBACKS])
@pytest.mark.parametrize("role", ["ADMIN", "ANALYST", "WAREHOUSE"])
async def test_what_does_not_compile_answers_as_before(api, world, name: str, query: str,  # noqa: ANN001
                                                       variables: dict, role: str) -> None:
    on, off = await _both(api, world, query, variables, world["tokens"][role])
    assert on == off, _difference(on, off)


async def test_refused_relations_fall_back(api, db, world) -> None:  # noqa: ANN001
    """WAREHOUSE may not read customers (FORBIDDEN on the field) and sees only its own
    warehouses' stock and parcels: the resolvers answer, and the compiled answer never
    differs."""
    token = world["tokens"]["WAREHOUSE"]
    on, off = await _both(api, world, EVERYTHING, {"first": 10}, token)
    assert on == off, _difference(on, off)
    assert {e["extensions"]["code"] for e in on["errors"]} == {"FORBIDDEN"}
    db.counter.reset()
    await api.raw(EVERYTHING, {"first": 10}, token)
    assert len(query_statements(db)) > 1  # the resolvers ran


async def test_the_switch_off_runs_the_resolvers(api, db, world) -> None:  # noqa: ANN001
    db.counter.reset()
    await world["off"].raw(PLAIN, {"first": 5}, world["tokens"]["ADMIN"])
    assert len(query_statements(db)) > 1


@pytest.mark.parametrize("seed", range(12))
async def test_field_combinations_equal_the_resolvers(api, world, seed: int) -> None:  # noqa: ANN001
    query = _combination(seed)
    for role in ("ADMIN", "SALES", "ANALYST", "CUSTOMER"):
        for variables in ({"n": 2}, {"n": 7}, {"n": None}):
            on, off = await _both(api, world, query, variables, world["tokens"][role])
            assert on == off, (query, role, _difference(on, off))
            info = (on.get("data") or {}).get("orders", {}).get("pageInfo")
            if info and info["hasNextPage"]:
                after = {**variables, "after": info["endCursor"]}
                on, off = await _both(api, world, query, after, world["tokens"][role])
                assert on == off, (query, role, _difference(on, off))
