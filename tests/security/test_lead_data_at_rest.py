"""Leads' contact data at rest (docs/architecture.md#personal-data-at-rest): with CRM_DATA_KEY
set, a lead's e-mail and phone are ciphertext in the database, read back in plain text, and
duplicate detection still finds leads and customers by them, through the keyed hashes."""

from __future__ import annotations

from tests.sales.support import LEAD_CREATE
from tests.security.test_data_at_rest import _raw_rows
from tests.support import unique

CUSTOMER = """mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } userErrors { message } } }"""


async def test_lead_contact_data_is_encrypted_and_still_deduplicated(encrypted):
    admin = encrypted.factory.user("ADMIN")
    api, tag = encrypted.api, unique("")
    email, phone = f"lead.{tag}@secret-mail.cn", f"+86 137-{tag[-4:]}-5501"
    made = await api.ok(CUSTOMER, {"input": {"name": f"Keyed {tag}", "email": email,
                                             "phone": "+8613700005501"}}, admin.token)
    customer = made["customerCreate"]["customer"]["id"]
    first = (await api.ok(LEAD_CREATE, {"input": {
        "name": "密钥线索", "email": email.upper(), "phone": phone}}, admin.token))["leadCreate"]
    assert first["userErrors"] == []
    assert (first["lead"]["email"], first["lead"]["phone"]) == (email.upper(), phone)
    assert [(w["kind"], w["field"], w["customer"]["id"]) for w in first["warnings"]
            if w["field"] == "email"] == [("CUSTOMER", "email", customer)]
    second = (await api.ok(LEAD_CREATE, {"input": {
        "name": "Second", "phone": phone.replace("-", " ")}}, admin.token))["leadCreate"]
    assert [(w["kind"], w["lead"]["id"]) for w in second["warnings"]] == [
        ("LEAD", first["lead"]["id"])]
    rows = "\n".join(_raw_rows(encrypted.url, "lead"))
    for secret in (email, email.upper(), phone, phone.replace("-", " ")):
        assert secret not in rows
