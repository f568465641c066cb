"""The weekly report through its route and the CLI, against a hand-built week
(docs/architecture.md#reports). The fixture lives in ISO week 2018-W10 (Monday 5 March
2018 in Shanghai), before anything else the suite writes, so its figures hold whatever else
the database holds:

* revenue 2,000.00 from two orders: 1,234.50 on Monday 10:00 and 765.50 on Wednesday
  (local); a cancelled order of 999 does not count; 300.00 the week before (trend only);
* carrier "K" took two parcels, one on time: 50.0%;
* a level of the week's product at 0 available against a safety stock of 5;
* one ticket opened on Tuesday, answered 30 minutes later (median first response 30.0)."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.auth.principal import SYSTEM
from app.errors import DomainError
from app.inventory.models import StockLevel, Warehouse
from app.reports import service, weeks
from app.reports.models import IsoWeek
from app.shipping.models import Carrier, Shipment
from app.tickets import service as tickets
from tests.analytics.fixture import _id, at, order, product
from tests.support import unique

WEEK = "2018-W10"
EVIL = "<script>alert('x')</script> Trading"


@pytest.fixture(scope="module")
def fx(factory):  # noqa: ANN001, ANN201
    names = {"customer": EVIL + unique(" "), "carrier": unique("Carrier K "),
             "warehouse": unique("Report WH ")}
    cust = factory.customer(name=names["customer"]).id
    other = factory.customer(name=unique("Report other ")).id

    def write(uow):  # noqa: ANN001, ANN202
        p1 = product(uow, unique("RepCat"))
        names["product"] = uow.session.get(_product_model(), p1).name
        o1 = order(uow, cust, "2018-03-05T02:00:00", "COMPLETED", "1234.50",
                   lines=[(p1, 3, "1234.50", 0)])
        order(uow, other, "2018-03-07T03:00:00", "DELIVERED", "765.50",
              lines=[(p1, 1, "765.50", 0)])
        order(uow, other, "2018-03-08T03:00:00", "CANCELLED", "999",
              lines=[(p1, 1, "999", 0)])
        order(uow, other, "2018-02-27T03:00:00", "COMPLETED", "300")
        wh = _id(uow, Warehouse, code=unique("RW"), name=names["warehouse"])
        k = _id(uow, Carrier, code=unique("RK"), name=names["carrier"])
        for delivered, promised in (("2018-03-06T00:00:00", "2018-03-06"),
                                    ("2018-03-09T00:00:00", "2018-03-07")):
            _id(uow, Shipment, number=unique("RSH-"), order_id=o1, warehouse_id=wh,
                carrier_id=k, status="DELIVERED", shipped_at=at("2018-03-05T04:00:00"),
                delivered_at=at(delivered),
                promised_date=datetime.fromisoformat(promised).date())
        _id(uow, StockLevel, product_id=p1, warehouse_id=wh, on_hand=0, safety_stock=5)
        return names

    factory.write(write)
    ticket = factory.write(tickets.create_ticket, {"customer_id": cust, "subject": "Report",
                                                   "kind": "INQUIRY"},
                           now=at("2018-03-06T01:00:00"))
    factory.write(tickets.reply, ticket.id, "On it", now=at("2018-03-06T01:30:00"))
    return names


def _product_model():  # noqa: ANN202
    from app.catalog.models import Product
    return Product


async def _get(api, token: str | None = None, **params: str):  # noqa: ANN001, ANN202
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return await api.client.get("/reports/weekly", params=params, headers=headers)


async def test_no_token_is_401(api) -> None:  # noqa: ANN001
    r = await _get(api)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "UNAUTHENTICATED"


async def test_forged_token_is_401(api, factory) -> None:  # noqa: ANN001
    token = factory.user("MANAGER").token
    r = await _get(api, token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "INVALID_TOKEN"


@pytest.mark.parametrize("role", ["SALES", "ANALYST", "CUSTOMER", "FINANCE"])
async def test_other_roles_are_403(api, factory, role) -> None:  # noqa: ANN001
    customer_id = factory.customer().id if role == "CUSTOMER" else None
    r = await _get(api, factory.user(role, customer_id=customer_id).token, week=WEEK)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("week", ["2018-10", "2018-W54", "2019-W53", "next", "2018-W1"])
async def test_bad_week_is_400(api, factory, week) -> None:  # noqa: ANN001
    r = await _get(api, factory.user("MANAGER").token, week=week)
    assert r.status_code == 400
    body = r.json()["error"]
    assert body["code"] == "INVALID" and "YYYY-Www" in body["message"]


async def test_bad_lang_is_400(api, factory) -> None:  # noqa: ANN001
    r = await _get(api, factory.user("ADMIN").token, week=WEEK, lang="fr")
    assert r.status_code == 400 and "zh or en" in r.json()["error"]["message"]


async def test_manager_gets_the_week_in_chinese(api, factory, fx) -> None:  # noqa: ANN001
    r = await _get(api, factory.user("MANAGER").token, week=WEEK)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '<html lang="zh-CN">' in page and "每周经营报告" in page and "销售趋势" in page
    assert "2018-W10" in page and "2018-03-05" in page and "2018-03-11" in page
    for section in ("sales", "top_products", "top_customers", "stock", "delivery",
                    "tickets", "satisfaction"):
        part = re.search(f'<section id="{section}">(.*?)</section>', page, re.S)
        assert part and "<svg" in part.group(1), section
    assert "2,000.00" in page  # the week's revenue; the cancelled 999 left out
    assert "1,234.50" in page and "765.50" in page  # the two customers' spend
    assert ">300<" in page  # the week before, on the trend line
    assert fx["product"] in page and "2,000.00" in _section(page, "top_products")
    assert "50.0%" in _section(page, "delivery") and fx["carrier"] in page
    assert "30.0" in _section(page, "tickets")
    stock = _section(page, "stock")
    assert fx["product"] in stock or stock.count("<tr>") > service.ALERTS
    # no external asset: nothing fetched from anywhere
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page and "<script" not in page.replace("&lt;script", "")


def _section(page: str, name: str) -> str:
    m = re.search(f'<section id="{name}">(.*?)</section>', page, re.S)
    assert m, name
    return m.group(1)


async def test_customer_names_are_escaped(api, factory, fx) -> None:  # noqa: ANN001
    page = (await _get(api, factory.user("ADMIN").token, week=WEEK, lang="en")).text
    customers = _section(page, "top_customers")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Trading" in customers
    assert "<script>" not in page


async def test_english(api, factory, fx) -> None:  # noqa: ANN001
    page = (await _get(api, factory.user("MANAGER").token, week=WEEK, lang="en")).text
    assert '<html lang="en">' in page and "Weekly management report" in page
    assert "On-time delivery by carrier" in page and "每周经营报告" not in page
    accepted = await api.client.get("/reports/weekly", params={"week": WEEK}, headers={
        "authorization": f"Bearer {factory.user('MANAGER').token}",
        "accept-language": "en-US,en;q=0.9"})
    assert "Weekly management report" in accepted.text


async def test_default_week_is_the_last_complete_one(api, factory) -> None:  # noqa: ANN001
    r = await _get(api, factory.user("ADMIN").token)
    assert r.status_code == 200
    expected = weeks.last_complete(datetime.now(UTC), "Asia/Shanghai").label
    assert expected in r.text


def test_weeks() -> None:
    assert weeks.parse("2026-W01").monday.isoformat() == "2025-12-29"
    assert weeks.parse("2020-W53").monday.isoformat() == "2020-12-28"
    # Sunday 23:00 UTC is Monday 07:00 in Shanghai: the week just ended is the complete one
    assert weeks.last_complete(at("2026-12-06T23:00:00"), "Asia/Shanghai") == IsoWeek(2026, 49)
    assert weeks.last_complete(at("2026-12-06T15:00:00"), "Asia/Shanghai") == IsoWeek(2026, 48)
    with pytest.raises(DomainError):
        weeks.parse("2021-W53")


def test_cli_writes_the_file(fx, tmp_path: Path, settings, monkeypatch) -> None:  # noqa: ANN001
    import app.config as config
    from app import cli

    monkeypatch.setenv("CRM_DATABASE_URL", settings.database_url)
    config.get_settings.cache_clear()
    try:
        out = tmp_path / "report.html"
        args = argparse.Namespace(out=out, week=WEEK, lang="en")
        assert cli._cmd_report_weekly(args) == 0
        page = out.read_text(encoding="utf-8")
        assert "Weekly management report" in page and "2,000.00" in page
        assert page.count("<svg") >= 7
        assert cli.main(["report", "weekly", "--out", str(tmp_path / "zh.html"),
                         "--week", WEEK]) == 0
        assert "每周经营报告" in (tmp_path / "zh.html").read_text(encoding="utf-8")
        assert cli.main(["report", "weekly", "--out", str(tmp_path / "x.html"),
                         "--week", "2018-W99"]) == 1
    finally:
        config.get_settings.cache_clear()


def test_system_principal_reads_and_others_are_refused(runner) -> None:  # noqa: ANN001
    from app.analytics.rules import Limits
    from app.auth.principal import Principal
    from app.auth.roles import Role

    page = runner.read_sync(service.weekly_page, (SYSTEM, WEEK, "en", "Asia/Shanghai",
                                                  Limits(), datetime(2018, 3, 20)), {})
    assert "2018-W10" in page
    with pytest.raises(DomainError):
        runner.read_sync(service.weekly_page, (Principal(user_id=1, role=Role.ANALYST), WEEK,
                                               "en", "Asia/Shanghai", Limits(),
                                               datetime(2018, 3, 20)), {})


async def test_an_empty_week_renders(api, factory) -> None:  # noqa: ANN001
    """A week without orders, parcels, tickets or surveys: zeros, dashes and "no data",
    every chart still drawn."""
    r = await _get(api, factory.user("MANAGER").token, week="2001-W02", lang="en")
    assert r.status_code == 200
    page = r.text
    assert "No data" in _section(page, "top_products") and "<svg" in _section(page, "delivery")
    assert "Tickets opened<b>0</b>" in page and "Breach rate<b>-</b>" in page


def test_svg_escapes_and_handles_no_rows() -> None:
    from app.reports import svg

    drawn = svg.hbars(['<b>"A" & B</b>'], [3.0], "t<i>")
    assert "&lt;b&gt;&quot;A&quot; &amp; B&lt;/b&gt;" in drawn and "<b>" not in drawn
    assert "<title>t&lt;i&gt;</title>" in drawn
    for chart in (svg.bars([], [], "x"), svg.line([], [], "x"), svg.hbars([], [], "x")):
        assert chart.startswith("<svg") and chart.endswith("</svg>")
    assert 'height="0.0"' in svg.bars(["a"], [0.0], "zero")  # all zero: no division by 0
