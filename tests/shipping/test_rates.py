"""The pure quoting rules (app/shipping/rates.py), the chooser (app/shipping/choice.py) and
the shipping charge per agreement (app/shipping/charges.py), on tables of cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from app.shipping import rates
from app.shipping.charges import shipping_charge
from app.shipping.choice import choose, ranked
from app.shipping.rates import Item, Parcel, RateRule, ReasonCode, ServiceTerms

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2025, 7, 1, 9, 0, tzinfo=SHANGHAI)  # a Tuesday, before any cutoff
EVENING = datetime(2025, 7, 1, 18, 30, tzinfo=SHANGHAI)  # after a 16:00 cutoff

BOX = Item("SKU-BOX", 2, D("1.50"), D("30"), D("20"), D("20"))  # 3 kg, 24,000 cm3
COLD = Item("SKU-ICE", 1, D("2.00"), D("20"), D("20"), D("20"), cold_chain=True)
LONG = Item("SKU-POLE", 1, D("1.00"), D("10"), D("10"), D("150"))  # 150 cm long

EAST_TO_NORTH = Parcel(items=(BOX,), origin_region="East", destination_region="North")


def service(**kw) -> ServiceTerms:  # noqa: ANN003
    base = ServiceTerms(
        id=1, carrier_id=1, code="STD", name="标准快递 Standard", level="STANDARD",
        rules=(RateRule("*", "*", D("10.00"), D("2.00"), 3, id=1),),
    )
    return replace(base, **kw)


def codes(q: rates.Quote) -> list[str]:
    return [r.code.value for r in q.reasons]


# every reason code, alone --------------------------------------------------------------

REASON_CASES = [
    ("TOO_HEAVY", EAST_TO_NORTH, dict(max_weight_kg=D("2.99")), MORNING),
    ("OVERSIZE", replace(EAST_TO_NORTH, items=(LONG,)),
     dict(max_dimensions=(D("100"), D("60"), D("60"))), MORNING),
    ("NO_COD", replace(EAST_TO_NORTH, cash_on_delivery=True), {}, MORNING),
    ("NO_COLD_CHAIN", replace(EAST_TO_NORTH, items=(BOX, COLD)), {}, MORNING),
    ("REGION_NOT_SERVED", EAST_TO_NORTH,
     dict(rules=(RateRule("East", "South", D("10"), D("1"), 1),)), MORNING),
    ("MISSES_PROMISED_DATE", replace(EAST_TO_NORTH, promised_date=date(2025, 7, 3)), {},
     MORNING),
    ("PAST_CUTOFF", replace(EAST_TO_NORTH, promised_date=date(2025, 7, 4)),
     dict(cutoff=time(16, 0)), EVENING),
]


@pytest.mark.parametrize(("code", "parcel", "terms", "ready"), REASON_CASES,
                         ids=[c[0] for c in REASON_CASES])
def test_each_reason_alone(code, parcel, terms, ready):
    q = rates.quote(parcel, service(**terms), ready)
    assert codes(q) == [code]
    assert not q.eligible
    assert q.can_carry is (ReasonCode(code) not in rates.CANNOT_CARRY)
    assert q.reasons[0].message  # every reason says why in words


def test_messages_name_the_facts():
    heavy = rates.quote(EAST_TO_NORTH, service(max_weight_kg=D("2.5")), MORNING)
    assert heavy.reasons[0].message == ("the parcel weighs 3 kg; 标准快递 Standard takes at "
                                        "most 2.5 kg")
    late = rates.quote(replace(EAST_TO_NORTH, promised_date=date(2025, 7, 4)),
                       service(cutoff=time(16, 0)), EVENING)
    assert "16:00 cutoff" in late.reasons[0].message and "2025-07-05" in late.reasons[0].message


def test_an_eligible_quote_has_price_dates_and_no_reason():
    q = rates.quote(replace(EAST_TO_NORTH, promised_date=date(2025, 7, 4)), service(), MORNING)
    assert q.eligible and q.can_carry and q.reasons == ()
    assert q.weight_kg == D("3.00") and q.volumetric_weight_kg == D("4.00")  # 24,000 / 6000
    assert q.billable_weight_kg == D("4.00")
    assert q.price == D("18.00")  # 10 + 2 x 4
    assert q.pickup_date == date(2025, 7, 1) and q.estimated_delivery == date(2025, 7, 4)


def test_several_reasons_are_all_reported():
    parcel = replace(EAST_TO_NORTH, items=(BOX, COLD), cash_on_delivery=True)
    q = rates.quote(parcel, service(max_weight_kg=D("1"), rules=()), MORNING)
    assert codes(q) == ["TOO_HEAVY", "NO_COD", "NO_COLD_CHAIN", "REGION_NOT_SERVED"]
    assert q.price is None and q.estimated_delivery is None


# weights ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("items", "divisor", "actual", "volumetric", "billable"), [
    ((BOX,), 6000, "3.00", "4.00", "4.00"),          # bulky: volume decides
    ((BOX,), 12000, "3.00", "2.00", "3.00"),         # dense for this divisor: weight decides
    ((Item("PEN", 3, D("0.01"), D("1"), D("1"), D("1")),), 5000, "0.03", "0.01", "0.03"),
    ((Item("PILLOW", 1, D("0.40"), D("50"), D("40"), D("31")),), 6000, "0.40", "10.34",
     "10.34"),                                       # 62,000 / 6000 = 10.333.. rounds up
    ((Item("UNMEASURED", 2, D("5.00")),), 6000, "10.00", "0.00", "10.00"),
])
def test_billable_weight_is_the_greater_of_actual_and_volumetric(items, divisor, actual,
                                                                 volumetric, billable):
    q = rates.quote(replace(EAST_TO_NORTH, items=items), service(volumetric_divisor=divisor),
                    MORNING)
    assert (q.weight_kg, q.volumetric_weight_kg, q.billable_weight_kg) == (
        D(actual), D(volumetric), D(billable))


# zones -----------------------------------------------------------------------------------

LANES = (
    RateRule("*", "*", D("30"), D("0"), 5, id=1),
    RateRule("East", "*", D("20"), D("0"), 4, id=2),
    RateRule("*", "North", D("15"), D("0"), 3, id=3),
    RateRule("East", "North", D("10"), D("0"), 2, id=4),
)


@pytest.mark.parametrize(("origin", "destination", "rules", "expected"), [
    ("East", "North", LANES, 4),          # both named beats everything
    ("South", "North", LANES, 3),         # destination named beats origin named
    ("East", "South", LANES, 2),          # origin named beats any -> any
    ("West", "South", LANES, 1),          # only the wildcard rule covers it
    ("West", "South", LANES[1:], None),   # nothing covers it
    ("East", "north", LANES[1:3], 2),     # regions match exactly (case counts)
])
def test_the_most_specific_rule_of_a_lane_applies(origin, destination, rules, expected):
    rule = rates.match_rule(rules, origin, destination)
    assert (rule.id if rule else None) == expected


# cutoff ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("ready", "cutoff", "pickup"), [
    (datetime(2025, 7, 1, 15, 59, tzinfo=SHANGHAI), time(16, 0), date(2025, 7, 1)),
    (datetime(2025, 7, 1, 16, 0, tzinfo=SHANGHAI), time(16, 0), date(2025, 7, 2)),
    (EVENING, None, date(2025, 7, 1)),               # no cutoff: today
    (datetime(2025, 7, 1, 23, 30, tzinfo=SHANGHAI), time(18, 0), date(2025, 7, 2)),
])
def test_pickup_is_today_before_the_cutoff_and_tomorrow_after(ready, cutoff, pickup):
    assert rates.pickup_date(ready, cutoff) == pickup


def test_past_cutoff_only_when_the_cutoff_is_what_makes_it_late():
    svc = service(cutoff=time(16, 0))  # 3 days in transit
    on_time = rates.quote(replace(EAST_TO_NORTH, promised_date=date(2025, 7, 5)), svc, EVENING)
    assert on_time.eligible and on_time.estimated_delivery == date(2025, 7, 5)
    cutoff = rates.quote(replace(EAST_TO_NORTH, promised_date=date(2025, 7, 4)), svc, EVENING)
    assert codes(cutoff) == ["PAST_CUTOFF"]
    hopeless = rates.quote(replace(EAST_TO_NORTH, promised_date=date(2025, 7, 3)), svc, EVENING)
    assert codes(hopeless) == ["MISSES_PROMISED_DATE"]  # late even if picked up today


def test_utc_ready_times_compare_in_local_time():
    ready = datetime(2025, 7, 1, 9, 0, tzinfo=ZoneInfo("UTC")).astimezone(SHANGHAI)  # 17:00
    q = rates.quote(EAST_TO_NORTH, service(cutoff=time(16, 0)), ready)
    assert q.pickup_date == date(2025, 7, 2)


# cash on delivery, cold chain ----------------------------------------------------------------

def test_cod_adds_the_service_fee_when_supported():
    parcel = replace(EAST_TO_NORTH, cash_on_delivery=True)
    q = rates.quote(parcel, service(cod_supported=True, cod_fee=D("5.50")), MORNING)
    assert q.eligible and q.price == D("23.50")  # 10 + 2 x 4 + 5.50
    prepaid = rates.quote(EAST_TO_NORTH, service(cod_supported=True, cod_fee=D("5.50")),
                          MORNING)
    assert prepaid.price == D("18.00")


def test_any_cold_chain_item_needs_a_cold_chain_service():
    parcel = replace(EAST_TO_NORTH, items=(BOX, COLD))
    assert rates.quote(parcel, service(cold_chain=True), MORNING).eligible
    refused = rates.quote(parcel, service(), MORNING)
    assert codes(refused) == ["NO_COLD_CHAIN"] and "SKU-ICE" in refused.reasons[0].message
    assert rates.quote(EAST_TO_NORTH, service(cold_chain=True), MORNING).eligible


def test_an_item_fits_when_turned():
    flat = Item("PANEL", 1, D("3"), D("20"), D("120"), D("2"))
    svc = service(max_dimensions=(D("30"), D("130"), D("10")))
    assert rates.quote(replace(EAST_TO_NORTH, items=(flat,)), svc, MORNING).eligible


# choosing --------------------------------------------------------------------------------

def _quotes(parcel: Parcel, *services: ServiceTerms) -> list[rates.Quote]:
    return [rates.quote(parcel, s, MORNING) for s in services]


FAST = service(id=10, code="EXP", name="特快 Express", level="EXPRESS",
               rules=(RateRule("*", "*", D("25"), D("3"), 1),))
CHEAP = service(id=11, code="ECO", name="经济 Economy", level="ECONOMY",
                rules=(RateRule("*", "*", D("6"), D("1"), 5),))
MIDDLE = service(id=12, code="STD", name="标准 Standard",
                 rules=(RateRule("*", "*", D("10"), D("2"), 2),))
HEAVY_ONLY = service(id=13, code="FRT", name="零担 Freight", level="FREIGHT",
                     max_weight_kg=D("1"), rules=(RateRule("*", "*", D("1"), D("0"), 1),))


def test_the_cheapest_service_that_arrives_in_time_is_chosen():
    parcel = replace(EAST_TO_NORTH, promised_date=date(2025, 7, 3))
    choice = choose(_quotes(parcel, FAST, CHEAP, MIDDLE, HEAVY_ONLY))
    assert choice.quote.service.code == "STD"  # ECO is cheaper but arrives 07-06
    assert "cheapest of 2 service(s) that arrive by the promised 2025-07-03" in choice.reason
    assert [q.service.code for q in choice.alternatives] == ["EXP", "ECO", "FRT"]


def test_without_a_promised_date_the_cheapest_that_can_carry_wins():
    choice = choose(_quotes(EAST_TO_NORTH, FAST, CHEAP, MIDDLE))
    assert choice.quote.service.code == "ECO" and choice.quote.price == D("10.00")


def test_equal_prices_go_to_the_earlier_arrival_then_the_code():
    twin = replace(CHEAP, id=14, code="AAA", rules=(RateRule("*", "*", D("6"), D("1"), 4),))
    clone = replace(CHEAP, id=15, code="ABC")
    choice = choose(_quotes(EAST_TO_NORTH, clone, CHEAP, twin))
    assert [q.service.code for q in [choice.quote, *choice.alternatives]] == [
        "AAA", "ABC", "ECO"]


def test_when_none_arrives_in_time_the_earliest_that_can_carry_is_chosen():
    parcel = replace(EAST_TO_NORTH, promised_date=date(2025, 7, 1))
    choice = choose(_quotes(parcel, FAST, CHEAP, MIDDLE, HEAVY_ONLY))
    assert choice.quote.service.code == "EXP" and not choice.quote.eligible
    assert choice.reason.startswith("no service arrives by the promised 2025-07-01")


def test_nothing_is_chosen_when_no_service_can_carry():
    choice = choose(_quotes(EAST_TO_NORTH, HEAVY_ONLY))
    assert choice.quote is None and choice.reason == "no active service can take this parcel"
    assert choose([]).quote is None


def test_a_named_service_is_taken_if_it_can_carry_even_late():
    parcel = replace(EAST_TO_NORTH, promised_date=date(2025, 7, 3))
    quotes = _quotes(parcel, FAST, CHEAP, MIDDLE, HEAVY_ONLY)
    named = choose(quotes, named_service_id=CHEAP.id)
    assert named.quote.service.code == "ECO" and "named by the dispatcher" in named.reason
    assert "late" in named.reason and len(named.alternatives) == 3
    refused = choose(quotes, named_service_id=HEAVY_ONLY.id)
    assert refused.quote is None and "cannot take the parcel" in refused.reason
    unknown = choose(quotes, named_service_id=999)
    assert unknown.quote is None and "not offered" in unknown.reason


def test_ranking_puts_eligible_then_late_then_refused():
    parcel = replace(EAST_TO_NORTH, promised_date=date(2025, 7, 3))
    order = ranked(_quotes(parcel, HEAVY_ONLY, CHEAP, FAST, MIDDLE))
    assert [q.service.code for q in order] == ["STD", "EXP", "ECO", "FRT"]


# the customer's shipping charge ------------------------------------------------------------

@pytest.mark.parametrize(("threshold", "goods", "price", "charged", "words"), [
    (None, "5000.00", "18.00", "18.00", "billed at the carrier's price"),
    (D("500"), "499.99", "18.00", "18.00", "below the agreed 500"),
    (D("500"), "500.00", "18.00", "0.00", "reaches the agreed 500"),
    (D("0"), "1.00", "18.00", "0.00", "free shipping for every order"),
    (None, "10.00", "18.005", "18.01", "billed"),  # rounded half up to cents
])
def test_shipping_charge_per_agreement(threshold, goods, price, charged, words):
    charge = shipping_charge(threshold, D(goods), D(price))
    assert charge.amount == D(charged) and words in charge.reason
