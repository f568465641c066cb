"""Personal data at rest (docs/architecture.md#personal-data-at-rest): with CRM_DATA_KEY set,
phones, e-mails and address lines reach the database encrypted, read back in plain text
through the API, are found by exact e-mail and phone, and `crm rotate-data-key` moves
them to a new key in resumable batches."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import create_engine
from sqlmodel import Session, SQLModel, select

from app.auth import repository as users
from app.customers import service as customer_service
from app.customers.models import Address, Contact, Customer
from app.persistence.crypto import PREFIX, keyring_from
from app.persistence.db import Database, normalize_url
from app.persistence.rotation import rotate
from tests.security.conftest import NEW, OLD
from tests.support import ADMIN, unique

CREATE = """mutation($input: CustomerCreateInput!) {
  customerCreate(input: $input) { customer { id } userErrors { field message } } }"""
CONTACT = """mutation($id: ID!, $input: ContactInput!) {
  customerContactAdd(customerId: $id, input: $input) { userErrors { field message } } }"""
ADDRESS = """mutation($id: ID!, $input: AddressInput!) {
  customerAddressAdd(customerId: $id, input: $input) { userErrors { field message } } }"""
READ = """query($id: ID!) { customer(id: $id) {
  email phone contacts { email phone } addresses { phone line1 line2 } } }"""
SEARCH = """query($q: String!) { customers(first: 10, filter: {search: $q}) {
  nodes { id email } } }"""
PERSONAL_TABLES = ("customer", "contact", "address", "app_user", "audit_record")


async def _customer_through_api(encrypted, admin, tag: str) -> tuple[str, dict[str, str]]:
    values = {"email": f"{tag}.buyer@secret-mail.cn", "phone": f"+86 139-{tag[-4:]}-7771",
              "contact_email": f"{tag}.contact@secret-mail.cn",
              "contact_phone": f"1370000{tag[-4:]}",
              "line1": f"秘密路 {tag} 号 Secretstreet", "line2": f"Flat {tag} hidden",
              "address_phone": f"1360000{tag[-4:]}"}
    api = encrypted.api
    made = await api.ok(CREATE, {"input": {"name": f"Crypt {tag}", "email": values["email"],
                                           "phone": values["phone"]}}, admin.token)
    assert made["customerCreate"]["userErrors"] == []
    gid = made["customerCreate"]["customer"]["id"]
    added = await api.ok(CONTACT, {"id": gid, "input": {
        "name": "Contact", "email": values["contact_email"], "phone": values["contact_phone"]}},
        admin.token)
    assert added["customerContactAdd"]["userErrors"] == []
    added = await api.ok(ADDRESS, {"id": gid, "input": {
        "recipient": "Receiver", "city": "上海", "line1": values["line1"],
        "line2": values["line2"], "phone": values["address_phone"]}}, admin.token)
    assert added["customerAddressAdd"]["userErrors"] == []
    return gid, values


def _raw_rows(url: str, table: str) -> list[str]:
    """Every row of `table` as the database holds it, read without any key."""
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            return [repr(tuple(r)) for r in conn.exec_driver_sql(f"SELECT * FROM {table}")]
    finally:
        engine.dispose()


def _assert_nowhere(encrypted, secrets: list[str]) -> None:
    for table in PERSONAL_TABLES:
        rows = "\n".join(_raw_rows(encrypted.url, table))
        for secret in secrets:
            assert secret not in rows, f"{secret!r} in plain text in table {table}"
    if encrypted.db.is_sqlite:  # the file itself: database and write-ahead log
        for path in encrypted.sqlite_files:
            raw = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in raw, f"{secret!r} in {path.name}"


async def test_personal_data_is_encrypted_at_rest_and_read_in_plain(encrypted):
    admin = encrypted.factory.user("ADMIN")
    gid, values = await _customer_through_api(encrypted, admin, unique("t"))
    # the file and tables hold ciphertext only: no phone, e-mail or address line, and not
    # the login e-mail of the admin either
    _assert_nowhere(encrypted, [*values.values(), admin.email,
                                values["phone"].replace(" ", "").replace("-", "")])
    assert any(PREFIX + "k1:" in row for row in _raw_rows(encrypted.url, "customer"))

    read = (await encrypted.api.ok(READ, {"id": gid}, admin.token))["customer"]
    assert (read["email"], read["phone"]) == (values["email"], values["phone"])
    assert read["contacts"] == [{"email": values["contact_email"],
                                 "phone": values["contact_phone"]}]
    assert read["addresses"] == [{"phone": values["address_phone"], "line1": values["line1"],
                                  "line2": values["line2"]}]
    # masks are made from the decrypted value
    analyst = encrypted.factory.user("ANALYST")
    masked = (await encrypted.api.ok(READ, {"id": gid}, analyst.token))["customer"]
    assert masked["phone"] != values["phone"] and "*" in masked["phone"]
    assert masked["phone"][-4:] == values["phone"][-4:]


async def test_exact_lookup_by_email_and_phone(encrypted):
    admin = encrypted.factory.user("ADMIN")
    gid, values = await _customer_through_api(encrypted, admin, unique("s"))

    async def found(q: str) -> list[str]:
        data = await encrypted.api.ok(SEARCH, {"q": q}, admin.token)
        return [n["id"] for n in data["customers"]["nodes"]]

    assert await found(values["email"]) == [gid]
    assert await found(values["email"].upper()) == [gid]  # e-mails ignore case
    assert await found(values["phone"]) == [gid]
    assert await found(values["phone"].replace(" ", "").replace("-", "")) == [gid]
    # exact match only: a part of an encrypted value finds nothing
    assert await found(values["email"].split("@")[0]) == []
    assert await found(values["phone"][-8:]) == []
    # names are still searched by substring
    assert gid in await found("Crypt ")


async def test_login_by_email(encrypted):
    user = encrypted.factory.user("SALES", password="a-long-password")
    login = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
      accessToken user { email } userErrors { code } } }"""
    data = await encrypted.api.ok(login, {"e": user.email.upper(), "p": "a-long-password"})
    assert data["login"]["accessToken"]
    assert data["login"]["user"]["email"] == user.email
    _assert_nowhere(encrypted, [user.email])


def _stored(url: str, table: str, column: str) -> list[str]:
    engine = create_engine(normalize_url(url))
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.exec_driver_sql(
                f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL AND {column} <> ''")]
    finally:
        engine.dispose()


COLUMNS = (("customer", "email"), ("customer", "phone"), ("contact", "email"),
           ("address", "line1"), ("app_user", "email"))


def test_rotate_data_key_is_resumable(encrypted):
    url = encrypted.url
    # rows written in plain text before any key, and rows under the old key k1
    plain = Database(url)
    try:
        with Session(plain.write_engine) as s:
            s.add(Customer(code=unique("P"), name="Plain", email="plain.one@secret-mail.cn",
                           phone="13911112222", credit_limit=Decimal("0")))
            s.commit()
    finally:
        plain.dispose()
    for n in range(5):
        encrypted.factory.write(customer_service.create_customer, {
            "name": unique("Rotated "), "email": f"rot{n}@secret-mail.cn",
            "phone": f"1380000{n:04d}"}, principal=ADMIN)
    user = encrypted.factory.user("ADMIN")
    assert "plain.one@secret-mail.cn" in _stored(url, "customer", "email")

    rotated = Database(url, keyring=keyring_from(NEW))
    try:
        first = rotate(rotated.write_engine, SQLModel.metadata, rotated.keyring, batch=2,
                       max_batches=1)
        assert not first.finished and first.batches == 1  # stopped, as a crash would
        stored = [v for t, c in COLUMNS for v in _stored(url, t, c)]
        assert any(v.startswith(PREFIX + "k2:") for v in stored)
        assert any(not v.startswith(PREFIX + "k2:") for v in stored)

        lines: list[str] = []
        second = rotate(rotated.write_engine, SQLModel.metadata, rotated.keyring, batch=2,
                        progress=lines.append)
        assert second.finished and any(line.startswith("customer:") for line in lines)
        for table, column in COLUMNS:
            stored = _stored(url, table, column)
            assert stored and all(v.startswith(PREFIX + "k2:") for v in stored), (table, column)
        # a third run has nothing left to do
        third = rotate(rotated.write_engine, SQLModel.metadata, rotated.keyring, batch=2)
        assert third.finished and sum(third.rewritten.values()) == 0

        with Session(rotated.read_engine) as s:  # readable, and found, under the new key
            found = s.exec(select(Customer).where(Customer.email_hash.in_(
                rotated.keyring.lookups("email", "rot3@secret-mail.cn")))).all()
            assert [c.phone for c in found] == ["13800000003"]
            assert s.exec(select(Customer).where(Customer.email_hash.in_(
                rotated.keyring.lookups("email", "plain.one@secret-mail.cn")))).one().phone \
                == "13911112222"
            assert users.user_by_email(s, user.email).id == user.id
            assert all(c.email is None or "@" in c.email for c in s.exec(select(Contact)))
            assert all(not a.line1.startswith(PREFIX) for a in s.exec(select(Address)))
    finally:
        rotated.dispose()
    # the old key alone can no longer read what was rotated
    assert keyring_from(OLD).keys.keys() == {"k1"}


def test_order_and_shipment_snapshots_are_encrypted_too(encrypted):
    """The ship-to copied onto an order and from it onto its shipment (the helper's order
    ships to 上海市浦东新区世纪大道100号) is ciphertext in both tables."""
    from tests.shipping import exception_support as x

    secret = "世纪大道100号"
    p = x.parcel(encrypted.factory)
    for table in ("sales_order", "shipment"):
        rows = "\n".join(_raw_rows(encrypted.url, table))
        assert PREFIX in rows and secret not in rows, table
    if encrypted.db.is_sqlite:
        for path in encrypted.sqlite_files:
            assert secret.encode() not in path.read_bytes(), path.name
    shipment = x.row(encrypted.factory, type(p.shipment), p.shipment.id)
    assert secret in shipment.recipient_address  # read back in plain
