"""Carrier administration over HTTP against the real app: carriers, services, rate rules,
the webhook secret, validation, and who may do what."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import select

from app.audit.models import AuditRecord
from app.shipping import repository as shipping_repo
from app.shipping.models import Carrier, CarrierRateRule, CarrierService
from tests.orders.support import gid
from tests.shipping.quote_support import ERRORS, ROLES, SERVICE_FIELDS, make_carrier, make_service
from tests.support import unique

CARRIER = "id code name regions isActive"
CREATE = f"""mutation($i: CarrierCreateInput!) {{
  carrierCreate(input: $i) {{ carrier {{ {CARRIER} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($id: ID!, $i: CarrierUpdateInput!) {{
  carrierUpdate(id: $id, input: $i) {{ carrier {{ {CARRIER} }} {ERRORS} }} }}"""
ROTATE = f"""mutation($id: ID!) {{ carrierWebhookSecretRotate(carrierId: $id) {{
  webhookSecret carrier {{ code hasWebhookSecret webhookSecretRotatedAt }} {ERRORS} }} }}"""
SERVICE_CREATE = f"""mutation($c: ID!, $i: CarrierServiceCreateInput!) {{
  carrierServiceCreate(carrierId: $c, input: $i) {{ service {{ {SERVICE_FIELDS} }} {ERRORS} }} }}"""
SERVICE_UPDATE = f"""mutation($id: ID!, $i: CarrierServiceUpdateInput!) {{
  carrierServiceUpdate(id: $id, input: $i) {{ service {{ {SERVICE_FIELDS} }} {ERRORS} }} }}"""
RULE_SET = f"""mutation($s: ID!, $i: CarrierRateRuleInput!) {{
  carrierRateRuleSet(serviceId: $s, input: $i) {{
    rateRule {{ id originRegion destinationRegion baseFee {{ amount }} perKgFee {{ amount }}
                transitDays }}
    service {{ code rateRules {{ id }} }} {ERRORS} }} }}"""
RULE_DELETE = f"""mutation($id: ID!) {{ carrierRateRuleDelete(id: $id) {{
  service {{ code rateRules {{ originRegion destinationRegion }} }} {ERRORS} }} }}"""
CARRIER_ADMIN = f"""query($id: ID!) {{ node(id: $id) {{ ... on Carrier {{
  {CARRIER} hasWebhookSecret services(includeInactive: true) {{ {SERVICE_FIELDS} }} }} }} }}"""
EXPRESS = {"code": "SFTK", "name": "顺丰特快", "level": "EXPRESS", "volumetricDivisor": 6000,
           "maxWeightKg": "30", "maxLengthCm": "100", "maxWidthCm": "60", "maxHeightCm": "60",
           "cutoffTime": "16:00:00", "codSupported": True, "codFee": "3.00"}


def users(factory) -> dict[str, Any]:  # noqa: ANN001
    customer = factory.customer()
    return {role: factory.user(role, customer_id=customer.id if role == "CUSTOMER" else None)
            for role in ROLES}


async def test_logistics_sets_up_a_carrier_with_a_service_and_rate_card(api, factory):
    token = factory.user("LOGISTICS").token
    code = unique("SF")
    made = (await api.ok(CREATE, {"i": {"code": code, "name": "顺丰速运 SF Express",
                                        "regions": [" 华东", "华北 "]}}, token))["carrierCreate"]
    assert made["userErrors"] == []
    carrier = made["carrier"]
    assert carrier["regions"] == ["华东", "华北"] and carrier["isActive"]
    svc = (await api.ok(SERVICE_CREATE, {"c": carrier["id"], "i": EXPRESS}, token))[
        "carrierServiceCreate"]
    assert svc["userErrors"] == []
    service = svc["service"]
    assert service["level"] == "EXPRESS" and service["cutoffTime"] == "16:00:00"
    assert service["maxDimensions"] == {"lengthCm": "100.00", "widthCm": "60.00",
                                        "heightCm": "60.00"}
    assert service["maxWeightKg"] == "30.00" and service["codFee"] == {"amount": "3.00"}
    assert service["carrier"] == {"code": code} and service["rateRules"] == []
    lane = {"originRegion": "华东", "destinationRegion": "*", "baseFee": "12.00",
            "perKgFee": "2.50", "transitDays": 2}
    first = (await api.ok(RULE_SET, {"s": service["id"], "i": lane}, token))["carrierRateRuleSet"]
    assert first["userErrors"] == [] and first["rateRule"]["baseFee"] == {"amount": "12.00"}
    # the same lane again replaces its rule
    again = (await api.ok(RULE_SET, {"s": service["id"], "i": {**lane, "baseFee": "14"}},
                          token))["carrierRateRuleSet"]
    assert again["rateRule"]["id"] == first["rateRule"]["id"]
    assert again["rateRule"]["baseFee"] == {"amount": "14.00"}
    assert len(again["service"]["rateRules"]) == 1
    seen = (await api.ok(CARRIER_ADMIN, {"id": carrier["id"]}, token))["node"]
    assert seen["services"][0]["rateRules"][0]["perKgFee"] == {"amount": "2.50"}
    assert seen["hasWebhookSecret"] is False
    gone = (await api.ok(RULE_DELETE, {"id": again["rateRule"]["id"]}, token))[
        "carrierRateRuleDelete"]
    assert gone["userErrors"] == [] and gone["service"]["rateRules"] == []


async def test_update_changes_only_the_fields_given_and_null_clears_limits(api, factory):
    token = factory.user("LOGISTICS").token
    carrier = make_carrier(factory, regions=["East"])
    renamed = (await api.ok(UPDATE, {"id": gid("Carrier", carrier.id),
                                     "i": {"name": "中通快递", "isActive": False}}, token))
    assert renamed["carrierUpdate"]["carrier"]["name"] == "中通快递"
    assert renamed["carrierUpdate"]["carrier"]["regions"] == ["East"]
    assert not renamed["carrierUpdate"]["carrier"]["isActive"]
    service = make_service(factory, carrier, [], max_weight_kg=Decimal("20"),
                           max_length_cm=Decimal("50"), max_width_cm=Decimal("40"),
                           max_height_cm=Decimal("30"))
    cleared = (await api.ok(SERVICE_UPDATE, {"id": gid("CarrierService", service.id), "i": {
        "maxWeightKg": None, "maxLengthCm": None, "maxWidthCm": None, "maxHeightCm": None,
        "level": "FREIGHT", "isActive": False}}, token))["carrierServiceUpdate"]
    assert cleared["userErrors"] == []
    got = cleared["service"]
    assert got["maxWeightKg"] is None and got["maxDimensions"] is None
    assert (got["level"], got["isActive"], got["code"]) == ("FREIGHT", False, service.code)


async def test_the_webhook_secret_is_shown_once_and_stored_for_verification(api, factory, kit):
    token = factory.user("LOGISTICS").token
    carrier = make_carrier(factory)
    first = (await api.ok(ROTATE, {"id": gid("Carrier", carrier.id)}, token))[
        "carrierWebhookSecretRotate"]
    secret = first["webhookSecret"]
    assert first["userErrors"] == [] and len(secret) >= 40
    assert first["carrier"]["hasWebhookSecret"] is True
    assert first["carrier"]["webhookSecretRotatedAt"]
    assert kit.read(lambda s: shipping_repo.webhook_secret(s, carrier.id)) == secret
    second = (await api.ok(ROTATE, {"id": gid("Carrier", carrier.id)}, token))[
        "carrierWebhookSecretRotate"]["webhookSecret"]
    assert second != secret  # the old one stops working at once
    assert kit.read(lambda s: shipping_repo.webhook_secret(s, carrier.id)) == second
    # no field shows it again, and the audit trail says when, never what
    seen = await api.ok(CARRIER_ADMIN, {"id": gid("Carrier", carrier.id)}, token)
    assert secret not in str(seen) and second not in str(seen)
    audits = kit.read(lambda s: list(s.exec(select(AuditRecord).where(
        AuditRecord.entity_type == "Carrier", AuditRecord.entity_id == carrier.id)
        .order_by(AuditRecord.id))))
    assert [a.action for a in audits] == ["carrier.create"] + [
        "carrier.webhook_secret_rotate"] * 2
    assert not any(secret in str(a.after) or second in str(a.after) for a in audits)


def _fields(payload: dict) -> dict[str, str]:
    return {".".join(e["field"]): e["code"] for e in payload["userErrors"]}


async def test_validation_reports_every_problem_with_its_field(api, factory):
    token = factory.user("ADMIN").token
    carrier = make_carrier(factory)
    bad = {"code": "has space", "name": "", "level": "EXPRESS", "volumetricDivisor": 0,
           "maxWeightKg": "-1", "maxLengthCm": "10", "codFee": "1e9", "cutoffTime": "16:00:00"}
    got = (await api.ok(SERVICE_CREATE, {"c": gid("Carrier", carrier.id), "i": bad}, token))
    fields = _fields(got["carrierServiceCreate"])
    assert fields == {"code": "INVALID", "name": "INVALID", "volumetricDivisor": "INVALID",
                      "maxWeightKg": "INVALID", "codFee": "INVALID"}
    assert got["carrierServiceCreate"]["service"] is None
    partial = {"code": "OK1", "name": "半尺寸", "level": "COLD_CHAIN", "maxLengthCm": "10"}
    got = await api.ok(SERVICE_CREATE, {"c": gid("Carrier", carrier.id), "i": partial}, token)
    assert _fields(got["carrierServiceCreate"]) == {"maxLengthCm": "INVALID",
                                                    "coldChain": "INVALID"}
    service = make_service(factory, carrier, [])
    rule = {"originRegion": "a,b", "destinationRegion": "", "baseFee": "-0.01",
            "perKgFee": "0.001", "transitDays": 999}
    got = await api.ok(RULE_SET, {"s": gid("CarrierService", service.id), "i": rule}, token)
    assert _fields(got["carrierRateRuleSet"]) == {
        "originRegion": "INVALID", "destinationRegion": "INVALID", "baseFee": "INVALID",
        "perKgFee": "INVALID", "transitDays": "INVALID"}
    huge = {**rule, "originRegion": "*", "destinationRegion": "*", "baseFee": "NaN",
            "perKgFee": "99999999999999999999", "transitDays": 1}
    got = await api.ok(RULE_SET, {"s": gid("CarrierService", service.id), "i": huge}, token)
    assert _fields(got["carrierRateRuleSet"]) == {"baseFee": "INVALID", "perKgFee": "INVALID"}
    assert "at most 1000000" in got["carrierRateRuleSet"]["userErrors"][1]["message"]


async def test_duplicates_and_bad_ids(api, factory):
    token = factory.user("ADMIN").token
    carrier = make_carrier(factory)
    dup = await api.ok(CREATE, {"i": {"code": carrier.code, "name": "x"}}, token)
    assert _fields(dup["carrierCreate"]) == {"code": "DUPLICATE"}
    service = make_service(factory, carrier, [])
    dup = await api.ok(SERVICE_CREATE, {"c": gid("Carrier", carrier.id), "i": {
        "code": service.code, "name": "again", "level": "STANDARD"}}, token)
    assert _fields(dup["carrierServiceCreate"]) == {"code": "DUPLICATE"}
    for bad in ("%%%", gid("Product", carrier.id), gid("Carrier", 987654321)):
        got = await api.ok(UPDATE, {"id": bad, "i": {"name": "x"}}, token)
        assert got["carrierUpdate"]["userErrors"] == [
            {"field": ["id"], "message": "Carrier not found", "code": "NOT_FOUND"}], bad
        got = await api.ok(SERVICE_CREATE, {"c": bad, "i": {"code": "Z", "name": "z",
                                                            "level": "STANDARD"}}, token)
        assert _fields(got["carrierServiceCreate"]) == {"carrierId": "NOT_FOUND"}, bad
        got = await api.ok(RULE_DELETE, {"id": bad}, token)
        assert _fields(got["carrierRateRuleDelete"]) == {"id": "NOT_FOUND"}, bad


def _state(kit, carrier_id: int) -> tuple:  # noqa: ANN001
    """Everything a carrier mutation could change, as plain values."""
    def read(s):  # noqa: ANN001, ANN202
        carrier = s.get(Carrier, carrier_id)
        services = list(s.exec(select(CarrierService).where(
            CarrierService.carrier_id == carrier_id).order_by(CarrierService.id)))
        rules = list(s.exec(select(CarrierRateRule).where(CarrierRateRule.service_id.in_(
            [x.id for x in services])).order_by(CarrierRateRule.id)))
        return (carrier.model_dump(), [x.model_dump() for x in services],
                [r.model_dump() for r in rules],
                shipping_repo.webhook_secret(s, carrier_id), _count(s))
    return kit.read(read)


def _count(s) -> int:  # noqa: ANN001
    return len(list(s.exec(select(Carrier.id))))


def _denied_mutations(carrier: Carrier, service, rule_id: int) -> list[tuple[str, dict]]:  # noqa: ANN001
    c, sv = gid("Carrier", carrier.id), gid("CarrierService", service.id)
    lane = {"originRegion": "East", "destinationRegion": "North", "baseFee": "0",
            "perKgFee": "0", "transitDays": 9}
    return [
        (CREATE, {"i": {"code": unique("X"), "name": "x"}}),
        (UPDATE, {"id": c, "i": {"name": "hijack"}}),
        (ROTATE, {"id": c}),
        (SERVICE_CREATE, {"c": c, "i": {"code": "X", "name": "x", "level": "STANDARD"}}),
        (SERVICE_UPDATE, {"id": sv, "i": {"isActive": False}}),
        (RULE_SET, {"s": sv, "i": lane}),
        (RULE_DELETE, {"id": gid("CarrierRateRule", rule_id)}),
    ]


async def test_the_role_matrix_and_a_denied_mutation_changes_nothing(api, factory, kit):
    carrier = make_carrier(factory, name="原名")
    service = make_service(factory, carrier, [("East", "North", "9", "1", 2)])
    rule_id = kit.read(lambda s: s.exec(select(CarrierRateRule.id).where(
        CarrierRateRule.service_id == service.id)).one())
    writers = {"ADMIN", "MANAGER", "LOGISTICS"}
    readers = writers | {"WAREHOUSE", "FINANCE", "ANALYST"}  # rates:read
    before = _state(kit, carrier.id)
    for role, user in users(factory).items():
        if role not in writers:
            for query, variables in _denied_mutations(carrier, service, rule_id):
                body = await api.gql(query, variables, user.token)
                assert body["data"] is None, (role, query)
                assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (role, query)
            assert _state(kit, carrier.id) == before, role
        body = await api.gql(CARRIER_ADMIN, {"id": gid("Carrier", carrier.id)}, user.token)
        node = body["data"]["node"]
        if role in readers:
            assert node["services"][0]["rateRules"][0]["baseFee"]["amount"] == "9.00", role
        else:  # the carrier (customers track parcels with it), without its rate card
            assert node["services"] is None and node["hasWebhookSecret"] is None, role
            assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}, role
        service_node = await api.ok("query($id: ID!) { node(id: $id) { id } }",
                                    {"id": gid("CarrierService", service.id)}, user.token)
        assert (service_node["node"] is not None) is (role in readers), role
    for role in sorted(writers):
        body = await api.ok(UPDATE, {"id": gid("Carrier", carrier.id),
                                     "i": {"name": f"改名 {role}"}},
                            factory.user(role).token)
        assert body["carrierUpdate"]["carrier"]["name"] == f"改名 {role}", role


async def test_products_carry_weights_dimensions_and_cold_chain(api, factory):
    token = factory.user("MANAGER").token
    query = """mutation($i: ProductCreateInput!) { productCreate(input: $i) {
      product { id weightKg lengthCm widthCm heightCm coldChain } userErrors { field code } } }"""
    made = (await api.ok(query, {"i": {"sku": unique("ICE-"), "name": "冰淇淋", "price": "9.90",
                                       "weightKg": "0.5", "lengthCm": "10", "widthCm": "8.5",
                                       "heightCm": "6", "coldChain": True}}, token))
    product = made["productCreate"]["product"]
    assert product == {"id": product["id"], "weightKg": "0.50", "lengthCm": "10.00",
                       "widthCm": "8.50", "heightCm": "6.00", "coldChain": True}
    update = """mutation($id: ID!, $i: ProductUpdateInput!) { productUpdate(id: $id, input: $i) {
      product { lengthCm coldChain } userErrors { field code } } }"""
    changed = await api.ok(update, {"id": product["id"], "i": {"coldChain": False,
                                                               "lengthCm": "12"}}, token)
    assert changed["productUpdate"]["product"] == {"lengthCm": "12.00", "coldChain": False}
    bad = await api.ok(update, {"id": product["id"], "i": {"lengthCm": "-1", "heightCm": None,
                                                           "widthCm": "10001"}}, token)
    assert {e["field"][0] for e in bad["productUpdate"]["userErrors"]} == {
        "lengthCm", "heightCm", "widthCm"}


async def test_the_customer_shipping_agreement_is_set_and_cleared(api, factory):
    token = factory.user("SALES").token
    create = """mutation($i: CustomerCreateInput!) { customerCreate(input: $i) {
      customer { id freeShippingThreshold { amount } } userErrors { field code } } }"""
    made = (await api.ok(create, {"i": {"name": unique("包邮客户 "),
                                        "freeShippingThreshold": "299"}}, token))
    customer = made["customerCreate"]["customer"]
    assert customer["freeShippingThreshold"] == {"amount": "299.00"}
    update = """mutation($id: ID!, $i: CustomerUpdateInput!) { customerUpdate(id: $id, input: $i) {
      customer { freeShippingThreshold { amount } } userErrors { field code } } }"""
    cleared = await api.ok(update, {"id": customer["id"], "i": {"freeShippingThreshold": None}},
                           token)
    assert cleared["customerUpdate"]["customer"]["freeShippingThreshold"] is None
    bad = await api.ok(update, {"id": customer["id"], "i": {"freeShippingThreshold": "-5"}},
                       token)
    assert bad["customerUpdate"]["userErrors"] == [{"field": ["freeShippingThreshold"],
                                                   "code": "INVALID"}]
