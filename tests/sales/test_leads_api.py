"""Leads through the API: duplicate warnings, the state machine, import with per-row
results, and conversion in one transaction (docs/architecture.md#leads-and-the-sales-funnel)."""

from __future__ import annotations

from app.customers.models import Contact, Customer
from app.ids import from_global_id
from app.sales.models import Lead, Opportunity
from tests.orders.support import Kit
from tests.sales.support import (
    ERRORS,
    LEAD_FIELDS,
    WARNINGS,
    count_rows,
    gid,
    lead,
    step,
)
from tests.support import unique

CONVERT = f"""mutation($input: LeadConvertInput!) {{ leadConvert(input: $input) {{
  lead {{ id status customer {{ id name }} opportunities {{ id }} }}
  customer {{ id name owner {{ id }} contacts {{ name email phone isPrimary }} }}
  opportunity {{ id amount {{ amount }} stage {{ code }} }} {WARNINGS} {ERRORS} }} }}"""
IMPORT = f"""mutation($rows: [LeadCreateInput!]!) {{ leadImport(rows: $rows) {{
  created results {{ index lead {{ id source status }} {WARNINGS} {ERRORS} }} {ERRORS} }} }}"""
READ = f"query($id: ID!) {{ lead(id: $id) {{ {LEAD_FIELDS} }} }}"
DISQUALIFY = f"""mutation($id: ID!, $reason: LeadDisqualifyReason!, $note: String) {{
  leadDisqualify(id: $id, reason: $reason, note: $note) {{
  lead {{ status disqualifyReason disqualifyNote }} {ERRORS} }} }}"""


def _phone() -> str:
    return "139" + unique("")[-5:].rjust(8, "0")


async def test_duplicates_are_warnings_with_their_match(api, factory):
    rep = factory.user("SALES")
    other = factory.user("SALES")
    email, phone, company = f"{unique('dup')}@example.cn", _phone(), unique("杭州茶业 ")
    mine = factory.customer(owner_id=rep.id, email=email, name=company, phone=_phone())
    theirs = await lead(api, other.token, name="王五", phone=phone)
    payload = await lead(api, rep.token, name="张三", email=email.upper(), company=company,
                         phone=f"{phone[:3]}-{phone[3:7]}-{phone[7:]}")
    warnings = {(w["kind"], w["field"]): w for w in payload["warnings"]}
    assert warnings[("CUSTOMER", "email")]["customer"]["id"] == gid("Customer", mine.id)
    assert warnings[("CUSTOMER", "company")]["customer"]["id"] == gid("Customer", mine.id)
    # another rep's lead is reported, but not named
    assert warnings[("LEAD", "phone")]["lead"] is None
    assert "another sales rep" in warnings[("LEAD", "phone")]["message"]
    assert payload["lead"]["status"] == "NEW"
    manager = factory.user("MANAGER")
    again = await lead(api, manager.token, name="李四", phone=phone)
    found = [w["lead"]["id"] for w in again["warnings"] if w["kind"] == "LEAD"]
    assert theirs["lead"]["id"] in found and payload["lead"]["id"] in found


async def test_state_machine_and_available_actions(api, factory):
    rep = factory.user("SALES")
    made = (await lead(api, rep.token, name="Alice Chen", company=unique("Acme ")))["lead"]
    actions = {a["action"]: a for a in made["availableActions"]}
    assert actions["CONTACT"]["enabled"] and actions["QUALIFY"]["enabled"]
    assert not actions["CONVERT"]["enabled"]
    assert "allowed from QUALIFIED" in actions["CONVERT"]["reason"]
    lid = made["id"]
    data = await api.ok(step("leadMarkContacted"), {"id": lid}, rep.token)
    assert data["leadMarkContacted"]["lead"]["status"] == "CONTACTED"
    data = await api.ok(step("leadMarkContacted"), {"id": lid}, rep.token)
    error = data["leadMarkContacted"]["userErrors"][0]
    assert error["code"] == "INVALID_TRANSITION" and "CONTACTED" in error["message"]
    data = await api.ok(DISQUALIFY, {"id": lid, "reason": "OTHER"}, rep.token)
    assert data["leadDisqualify"]["userErrors"][0]["field"] == ["note"]
    data = await api.ok(DISQUALIFY, {"id": lid, "reason": "NO_BUDGET", "note": "明年再谈"},
                        rep.token)
    assert data["leadDisqualify"]["lead"] == {
        "status": "DISQUALIFIED", "disqualifyReason": "NO_BUDGET", "disqualifyNote": "明年再谈"}
    data = await api.ok(step("leadQualify"), {"id": lid}, rep.token)
    assert data["leadQualify"]["userErrors"][0]["code"] == "INVALID_TRANSITION"
    read = (await api.ok(READ, {"id": lid}, rep.token))["lead"]
    assert not any(a["enabled"] for a in read["availableActions"])


async def test_analyst_reads_masked_contact_data_and_cannot_write(api, factory):
    rep = factory.user("SALES")
    made = (await lead(api, rep.token, name="Bob", email="bob.lead@example.cn",
                       phone="13912345678"))["lead"]
    analyst = factory.user("ANALYST")
    read = (await api.ok(READ, {"id": made["id"]}, analyst.token))["lead"]
    assert read["phone"] == "139****5678" and read["email"] == "b***@example.cn"
    body = await api.gql(step("leadQualify"), {"id": made["id"]}, analyst.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_import_validates_each_row_on_its_own(api, factory):
    rep = factory.user("SALES")
    email = f"{unique('imp')}@example.cn"
    rows = [{"name": "导入一", "email": email, "company": unique("导入公司 ")},
            {"name": "Bad mail", "email": "not-an-email"},
            {"name": "  ", "phone": "12"},
            {"name": "导入四", "email": email, "source": "TRADE_SHOW"}]
    data = (await api.ok(IMPORT, {"rows": rows}, rep.token))["leadImport"]
    assert data["userErrors"] == [] and data["created"] == 2
    first, bad, worse, dup = data["results"]
    assert first["lead"]["source"] == "IMPORT" and first["userErrors"] == []
    assert bad["lead"] is None and [e["field"] for e in bad["userErrors"]] == [["email"]]
    assert worse["lead"] is None and sorted(e["field"][0] for e in worse["userErrors"]) == [
        "name", "phone"]
    assert dup["lead"]["source"] == "TRADE_SHOW"
    assert [(w["kind"], w["field"], w["lead"]["id"]) for w in dup["warnings"]] == [
        ("LEAD", "email", first["lead"]["id"])]
    too_many = (await api.ok(IMPORT, {"rows": [{"name": "x"}] * 501}, rep.token))["leadImport"]
    assert too_many["userErrors"][0]["field"] == ["rows"] and too_many["results"] == []


async def test_conversion_creates_customer_contact_and_opportunity(api, factory, kit: Kit):
    rep = factory.user("SALES")
    product = kit.product(price="80.00")
    company = unique("上海新茶 ")
    made = (await lead(api, rep.token, name="周敏", title="采购经理", company=company,
                       email=f"{unique('conv')}@example.cn", phone=_phone()))["lead"]
    await api.ok(step("leadQualify"), {"id": made["id"]}, rep.token)
    data = (await api.ok(CONVERT, {"input": {"id": made["id"], "opportunity": {
        "name": "首单", "lines": [{"productId": gid("Product", product.id), "quantity": 5}]}}},
        rep.token))["leadConvert"]
    assert data["userErrors"] == []
    assert data["lead"]["status"] == "CONVERTED"
    assert data["customer"]["name"] == company
    assert data["customer"]["owner"]["id"] == rep.gid
    assert data["customer"]["contacts"] == [{"name": "周敏", "email": made["email"],
                                             "phone": made["phone"], "isPrimary": True}]
    assert data["opportunity"]["amount"]["amount"] == "400.00"
    assert data["opportunity"]["stage"]["code"] == "QUALIFICATION"
    assert data["lead"]["customer"]["id"] == data["customer"]["id"]
    assert data["lead"]["opportunities"] == [{"id": data["opportunity"]["id"]}]


async def test_a_late_failure_leaves_nothing_of_the_conversion(api, factory, kit: Kit):
    rep = factory.user("SALES")
    company = unique("半途公司 ")
    made = (await lead(api, rep.token, name="Half Way", company=company,
                       email=f"{unique('half')}@example.cn"))["lead"]
    await api.ok(step("leadQualify"), {"id": made["id"]}, rep.token)
    read = kit.factory.runner.read_sync

    def counts(session):  # noqa: ANN001, ANN202
        return (count_rows(session, Customer, name=company),
                count_rows(session, Contact, name="Half Way"),
                count_rows(session, Opportunity, owner_id=rep.id))
    before = read(counts, (), {})
    # the customer and its contact are written before the opportunity's product is looked
    # up: the missing product fails the last step
    data = (await api.ok(CONVERT, {"input": {"id": made["id"], "opportunity": {
        "name": "never", "lines": [{"productId": gid("Product", 987654321), "quantity": 1}]}}},
        rep.token))["leadConvert"]
    assert data["userErrors"][0]["code"] == "NOT_FOUND"
    assert data["userErrors"][0]["field"] == ["lines", "0", "productId"]
    assert read(counts, (), {}) == before == (0, 0, 0)
    lead_pk = from_global_id(made["id"])[1]
    row = read(lambda s: s.get(Lead, lead_pk), (), {})
    assert (row.status, row.customer_id) == ("QUALIFIED", None)


async def test_sales_reps_cannot_assign_and_managers_reassign(api, factory):
    rep, other = factory.user("SALES"), factory.user("SALES")
    update = f"""mutation($id: ID!, $input: LeadUpdateInput!) {{ leadUpdate(id: $id,
      input: $input) {{ lead {{ owner {{ id }} version }} {ERRORS} }} }}"""
    made = (await lead(api, rep.token, name="Reassign"))["lead"]
    data = await api.ok(update, {"id": made["id"], "input": {"ownerId": other.gid}}, rep.token)
    assert data["leadUpdate"]["userErrors"][0]["code"] == "FORBIDDEN"
    manager = factory.user("MANAGER")
    data = await api.ok(update, {"id": made["id"], "input": {"ownerId": other.gid}},
                        manager.token)
    assert data["leadUpdate"]["lead"] == {"owner": {"id": other.gid}, "version": 2}
    # now the first rep's row scope no longer reaches it: exactly like a missing one
    data = await api.ok(update, {"id": made["id"], "input": {"name": "x"}}, rep.token)
    assert data["leadUpdate"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert (await api.ok(READ, {"id": made["id"]}, rep.token))["lead"] is None
