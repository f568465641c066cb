"""Every subscription under every role and anonymously, over a live WebSocket: a caller
the policy table denies gets FORBIDDEN (UNAUTHENTICATED when anonymous) before anything
else; an allowed one gets past the check to the next one (an unreadable `since` cursor:
BAD_USER_INPUT). Queries and mutations: tests/security/test_role_matrix.py."""

from __future__ import annotations

import pytest

from app.ids import to_global_id
from schema.policy.rules import ANONYMOUS, CALLERS, Access
from schema.policy.table import OPERATIONS
from tests.security import matrix
from tests.subscriptions.harness import WsClient


async def test_anonymous_callers_get_no_subscription(live):
    """No subscription is public: the connection itself is refused (4403)."""
    assert all(OPERATIONS[f"Subscription.{n}"].outcome(ANONYMOUS)[0] is Access.DENIED
               for n in matrix.root_fields("Subscription"))
    ws = await WsClient.connect(live.ws_url, init=False)
    await ws.send({"type": "connection_init", "payload": {}})
    assert await ws.closed() == (4403, "Forbidden: authentication required")


@pytest.mark.parametrize("caller", [c for c in CALLERS if c != ANONYMOUS])
async def test_every_subscription_answers_as_the_policy_table_says(live, factory, caller):
    customer = factory.customer(is_consignor=caller == "CONSIGNOR") \
        if caller in ("CUSTOMER", "CONSIGNOR") else None
    token = factory.user(caller, customer_id=customer.id if customer else None).token
    ws = await WsClient.connect(live.ws_url, token)
    answers = {}
    # subscriptions to one object take its id (any: the bad cursor is refused first)
    targets = {"orderEvents": ("orderId", "Order"), "exportJobEvents": ("id", "ExportJob")}
    for name in matrix.root_fields("Subscription"):
        if name in targets:
            arg, kind = targets[name]
            query = (f"subscription($o: ID!, $s: String) {{ {name}({arg}: $o, since: $s) "
                     "{ __typename } }")
        else:
            kind = "Order"
            query = f"subscription($s: String) {{ {name}(since: $s) {{ __typename }} }}"
        await ws.subscribe(name, query, {"s": "not-a-cursor", "o": to_global_id(kind, 1)})
        message = await ws.message(name)
        assert message["type"] == "error", message
        answers[name] = message["payload"][0]["extensions"]["code"]
    await ws.close()
    expected = {}
    for name in answers:
        access, _how = OPERATIONS[f"Subscription.{name}"].outcome(caller)
        expected[name] = "BAD_USER_INPUT" if access is not Access.DENIED else "FORBIDDEN"
    assert answers == expected
