"""Customers through the GraphQL API: CRUD, scope, field rules, validation, pagination."""

from __future__ import annotations

import uuid

from app.ids import to_global_id

CREATE = """
mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) {
    customer { id name tier email phone creditLimit { amount currency } owner { email } }
    userErrors { field message code }
  }
}"""

GET = "query($id: ID!) { customer(id: $id) { id name email phone creditLimit { amount } } }"


async def test_create_update_and_read_customer(api, factory):
    admin = factory.user("ADMIN")
    data = await api.ok(CREATE, {"input": {"name": "上海星辰贸易有限公司", "tier": "GOLD",
                                           "email": "buyer@xc.cn", "phone": "13812345678",
                                           "creditLimit": "50000.00"}}, admin.token)
    payload = data["customerCreate"]
    assert payload["userErrors"] == []
    customer = payload["customer"]
    assert customer["name"] == "上海星辰贸易有限公司"
    assert customer["tier"] == "GOLD"
    assert customer["creditLimit"] == {"amount": "50000.00", "currency": "CNY"}

    update = """mutation($id: ID!, $input: CustomerUpdateInput!) {
      customerUpdate(id: $id, input: $input) {
        customer { name version } userErrors { field message code } } }"""
    data = await api.ok(update, {"id": customer["id"], "input": {"name": "星辰贸易",
                                                                  "expectedVersion": 1}},
                        admin.token)
    assert data["customerUpdate"]["customer"] == {"name": "星辰贸易", "version": 2}
    stale = await api.ok(update, {"id": customer["id"], "input": {"name": "x",
                                                                   "expectedVersion": 1}},
                         admin.token)
    assert stale["customerUpdate"]["userErrors"][0]["code"] == "CONFLICT"
    fetched = await api.ok(GET, {"id": customer["id"]}, admin.token)
    assert fetched["customer"]["name"] == "星辰贸易"


async def test_validation_errors_are_user_errors_and_write_nothing(api, factory):
    admin = factory.user("ADMIN")
    data = await api.ok(CREATE, {"input": {"name": " ", "email": "nope", "tier": "GOLD"}},
                        admin.token)
    errors = data["customerCreate"]["userErrors"]
    assert {tuple(e["field"]) for e in errors} == {("name",), ("email",)}
    assert data["customerCreate"]["customer"] is None


async def test_not_a_number_credit_or_discount_is_a_user_error(api, factory):
    """The Decimal scalar takes "NaN": comparing it raised InvalidOperation, a masked error
    (found by make fuzz)."""
    admin = factory.user("ADMIN")
    for field, value in (("discountRate", "NaN"), ("creditLimit", "NaN"),
                         ("discountRate", "sNaN"), ("creditLimit", "-Infinity")):
        data = await api.ok(CREATE, {"input": {"name": "x", field: value}}, admin.token)
        [error] = data["customerCreate"]["userErrors"]
        assert error["code"] == "INVALID" and data["customerCreate"]["customer"] is None, data
    customer = factory.customer()
    update = """mutation($id: ID!) { customerUpdate(id: $id, input: {discountRate: "NaN"}) {
      userErrors { code } } }"""
    data = await api.ok(update, {"id": to_global_id("Customer", customer.id)}, admin.token)
    assert data["customerUpdate"]["userErrors"] == [{"code": "INVALID"}]


async def test_sales_sees_only_own_customers(api, factory):
    rep = factory.user("SALES")
    other_rep = factory.user("SALES")
    mine = factory.customer(owner_id=rep.id)
    theirs = factory.customer(owner_id=other_rep.id)
    query = "{ customers(first: 100) { totalCount edges { node { id } } } }"
    data = await api.ok(query, token=rep.token)
    ids = {e["node"]["id"] for e in data["customers"]["edges"]}
    assert to_global_id("Customer", mine.id) in ids
    assert to_global_id("Customer", theirs.id) not in ids
    assert data["customers"]["totalCount"] == len(ids)
    foreign = await api.ok(GET, {"id": to_global_id("Customer", theirs.id)}, rep.token)
    missing = await api.ok(GET, {"id": to_global_id("Customer", 987654321)}, rep.token)
    assert foreign == missing == {"customer": None}
    # writing a foreign customer answers like a missing one
    update = """mutation($id: ID!) { customerUpdate(id: $id, input: {name: "x"}) {
      customer { id } userErrors { code message } } }"""
    out = await api.ok(update, {"id": to_global_id("Customer", theirs.id)}, rep.token)
    gone = await api.ok(update, {"id": to_global_id("Customer", 987654321)}, rep.token)
    assert out == gone
    assert out["customerUpdate"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_sales_rep_owns_created_customer_and_reads_its_credit(api, factory):
    rep = factory.user("SALES")
    data = await api.ok(CREATE, {"input": {"name": "Acme Ltd"}}, rep.token)
    assert data["customerCreate"]["customer"]["owner"]["email"] == rep.email
    assert data["customerCreate"]["customer"]["creditLimit"]["amount"] == "0.00"
    denied = await api.ok(CREATE, {"input": {"name": "Acme 2", "creditLimit": "10"}}, rep.token)
    assert denied["customerCreate"]["userErrors"][0]["code"] == "FORBIDDEN"


async def test_customer_role_sees_only_itself(api, factory):
    own = factory.customer()
    other = factory.customer()
    user = factory.user("CUSTOMER", customer_id=own.id)
    data = await api.ok("{ customers { edges { node { id } } } }", token=user.token)
    assert [e["node"]["id"] for e in data["customers"]["edges"]] == [
        to_global_id("Customer", own.id)]
    assert (await api.ok(GET, {"id": to_global_id("Customer", other.id)}, user.token)) == {
        "customer": None}


async def test_contact_fields_masked_for_analyst_and_hidden_for_warehouse(api, factory):
    customer = factory.customer(phone="13812345678", email="li.lei@example.com")
    cid = to_global_id("Customer", customer.id)
    analyst = factory.user("ANALYST")
    data = await api.ok("query($id: ID!) { customer(id: $id) { phone email } }", {"id": cid},
                        analyst.token)
    assert data["customer"] == {"phone": "138****5678", "email": "l***@example.com"}
    body = await api.gql("query($id: ID!) { customer(id: $id) { name creditLimit { amount } } }",
                         {"id": cid}, analyst.token)
    assert body["data"]["customer"]["name"] == customer.name
    assert body["data"]["customer"]["creditLimit"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["path"] == ["customer", "creditLimit"]


async def test_contacts_and_addresses(api, factory):
    admin = factory.user("ADMIN")
    customer = factory.customer()
    cid = to_global_id("Customer", customer.id)
    add = """mutation($c: ID!, $i: AddressInput!) { customerAddressAdd(customerId: $c, input: $i) {
      address { id city isDefaultShipping line1 } userErrors { field code } } }"""
    first = await api.ok(add, {"c": cid, "i": {"recipient": "王小明", "city": "杭州",
                                               "line1": "西湖区文三路 100 号"}}, admin.token)
    assert first["customerAddressAdd"]["address"]["isDefaultShipping"] is True
    second = await api.ok(add, {"c": cid, "i": {"recipient": "李雷", "city": "北京",
                                                "line1": "朝阳区 1 号",
                                                "isDefaultShipping": True}}, admin.token)
    assert second["customerAddressAdd"]["address"]["isDefaultShipping"] is True
    bad = await api.ok(add, {"c": cid, "i": {"recipient": "x"}}, admin.token)
    assert {e["field"][0] for e in bad["customerAddressAdd"]["userErrors"]} == {"city", "line1"}

    contact = """mutation($c: ID!) { customerContactAdd(customerId: $c,
      input: {name: "张伟", phone: "13900001111", isPrimary: true}) {
      contact { id name isPrimary } userErrors { code } } }"""
    made = await api.ok(contact, {"c": cid}, admin.token)
    contact_id = made["customerContactAdd"]["contact"]["id"]
    detail = await api.ok("""query($id: ID!) { customer(id: $id) {
      contacts { name isPrimary } addresses { city isDefaultShipping } } }""", {"id": cid},
                          admin.token)
    assert detail["customer"]["addresses"] == [
        {"city": "北京", "isDefaultShipping": True}, {"city": "杭州", "isDefaultShipping": False}]
    assert detail["customer"]["contacts"] == [{"name": "张伟", "isPrimary": True}]
    removed = await api.ok("""mutation($id: ID!) { customerContactRemove(id: $id) {
      contact { id } userErrors { code } } }""", {"id": contact_id}, admin.token)
    assert removed["customerContactRemove"]["userErrors"] == []


async def test_pagination_forward_and_backward(api, factory):
    rep = factory.user("SALES")
    names = [f"Page Co {i:02d}" for i in range(7)]
    for name in names:
        factory.customer(owner_id=rep.id, name=name)
    query = """query($first: Int, $after: String, $last: Int, $before: String) {
      customers(first: $first, after: $after, last: $last, before: $before, sort: NAME_ASC) {
        edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage endCursor
        startCursor } } }"""
    seen, after = [], None
    while True:
        data = (await api.ok(query, {"first": 3, "after": after}, rep.token))["customers"]
        seen += [e["node"]["name"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == names
    back = (await api.ok(query, {"last": 2, "before": None}, rep.token))["customers"]
    assert [e["node"]["name"] for e in back["edges"]] == names[-2:]
    assert back["pageInfo"]["hasPreviousPage"] is True
    too_many = await api.gql(query, {"first": 101}, rep.token)
    assert too_many["errors"] and "between 0 and 100" in too_many["errors"][0]["message"]
    bad_cursor = await api.gql(query, {"first": 2, "after": "garbage!!"}, rep.token)
    assert "invalid cursor" in bad_cursor["errors"][0]["message"]


async def test_search_never_matches_what_the_caller_sees_masked_or_hidden(api, factory):
    """The security issue's finding: an ANALYST searching a full phone number found the
    customer whose phone it sees masked."""
    phone = "139" + str(uuid.uuid4().int)[:8]
    email = f"{uuid.uuid4().hex[:10]}@masked.example.com"
    customer = factory.customer(name=f"搜索测试 {phone[-4:]}", phone=phone, email=email)
    query = """query($s: String) { customers(first: 10, filter: {search: $s}) {
      edges { node { id } } } }"""
    found = lambda body: [e["node"]["id"] for e in body["customers"]["edges"]]  # noqa: E731
    target = to_global_id("Customer", customer.id)
    for role, sees in (("MANAGER", True), ("ANALYST", False)):
        token = factory.user(role).token
        for text in (phone, email):
            body = await api.ok(query, {"s": text}, token)
            assert (target in found(body)) is sees, (role, text)
    by_name = await api.ok(query, {"s": f"搜索测试 {phone[-4:]}"}, factory.user("ANALYST").token)
    assert target in found(by_name)  # the name is not masked


async def test_a_customer_sees_its_sales_rep_by_name_only(api, factory):
    """The security issue's finding: a customer read its rep's e-mail through
    Customer.owner."""
    rep = factory.user("SALES")
    customer = factory.customer(owner_id=rep.id)
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    query = """query($id: ID!) { customer(id: $id) { owner { id fullName email role
      isActive } } }"""
    body = await api.gql(query, {"id": to_global_id("Customer", customer.id)}, buyer.token)
    owner = body["data"]["customer"]["owner"]
    assert owner["fullName"] is not None and owner["email"] is None and owner["role"] is None
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    me = await api.ok("{ me { user { email role } } }", None, buyer.token)
    assert me["me"]["user"]["email"] == buyer.email  # its own account in full
    staff = await api.ok(query, {"id": to_global_id("Customer", customer.id)}, rep.token)
    assert staff["customer"]["owner"]["email"] == rep.email  # the rep's own account


async def test_staff_see_a_colleague_as_node_does_by_name_only(api, factory):
    """The security issue's finding: staff read other staff accounts through owner/actor
    fields while `node(id)` hid them; now both answer the same, details for users:manage."""
    rep, manager, admin = factory.user("SALES"), factory.user("MANAGER"), factory.user("ADMIN")
    customer = factory.customer(owner_id=rep.id)
    query = """query($id: ID!, $u: ID!) { customer(id: $id) { owner { fullName email role } }
      node(id: $u) { ... on User { fullName email } } }"""
    variables = {"id": to_global_id("Customer", customer.id), "u": rep.gid}
    body = await api.gql(query, variables, manager.token)
    assert body["data"]["customer"]["owner"] == {"fullName": body["data"]["customer"]["owner"][
        "fullName"], "email": None, "role": None}
    assert body["data"]["node"] is None  # as before: another account is not a node for it
    assert {tuple(e["path"]) for e in body["errors"]} == {
        ("customer", "owner", "email"), ("customer", "owner", "role")}
    full = await api.ok(query, variables, admin.token)  # users:manage
    assert full["customer"]["owner"]["email"] == rep.email == full["node"]["email"]
