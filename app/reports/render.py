"""The weekly report as one self-contained HTML page: inline CSS, inline SVG charts
(app/reports/svg.py), no script, no external asset; every text from the data escaped
(docs/architecture.md#reports)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from html import escape

from app.reports import svg
from app.reports.labels import DAYS, LABELS
from app.reports.models import WeeklyReport

CSS = """body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
margin:24px auto;max-width:960px;color:#222}h1{font-size:22px}h2{font-size:17px;
border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}table{border-collapse:
collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;font-size:13px}
th{background:#f4f4f4}td.n{text-align:right}.kpi{display:inline-block;margin-right:24px}
.kpi b{display:block;font-size:20px}.note{color:#666;font-size:12px}"""


def money(v: Decimal | float | None) -> str:
    return "-" if v is None else f"{Decimal(v):,.2f}"


def pct(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.1f}%"


def _num(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def _table(heads: list[str], rows: list[list[str]], numeric: set[int], none: str) -> str:
    if not rows:
        return f'<p class="note">{escape(none)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in heads)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{escape(c)}</td>' if i in numeric
                         else f"<td>{escape(c)}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _kpis(pairs: list[tuple[str, str]]) -> str:
    return "".join(f'<span class="kpi">{escape(k)}<b>{escape(v)}</b></span>'
                   for k, v in pairs)


def html(report: WeeklyReport, lang: str, generated: datetime) -> str:
    t = LABELS[lang]
    r = report
    parts = [f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
             f'<meta charset="utf-8"><title>{escape(t["title"])} {escape(r.week.label)}'
             f"</title><style>{CSS}</style></head><body>",
             f"<h1>{escape(t['title'])} · {escape(r.week.label)}</h1>",
             f'<p class="note">{escape(t["week"])}: {r.first_day.isoformat()} – '
             f"{(r.end_day.fromordinal(r.end_day.toordinal() - 1)).isoformat()} · "
             f"{escape(t['zone'])}: {escape(r.zone)} · {escape(t['generated'])}: "
             f"{escape(generated.strftime('%Y-%m-%d %H:%M'))} UTC</p>"]
    # sales trend
    parts.append(f'<section id="sales"><h2>{escape(t["sales"])}</h2>')
    parts.append(_kpis([(t["revenue"], money(r.revenue)), (t["orders"], str(r.orders))]))
    parts.append(f"<h3>{escape(t['by_day'])}</h3>")
    parts.append(svg.bars([t[d] for d in DAYS], [float(v) for _d, v in r.days], t["by_day"]))
    parts.append(f"<h3>{escape(t['by_week'])}</h3>")
    parts.append(svg.line([d.strftime("%m-%d") for d, _v in r.weeks],
                          [float(v) for _d, v in r.weeks], t["by_week"]))
    parts.append(f'<p class="note">{escape(t["revenue_note"])}</p></section>')
    # top products and customers
    for key, rows, count in (("top_products", r.top_products, "units"),
                             ("top_customers", r.top_customers, "orders")):
        who = "product" if key == "top_products" else "customer"
        parts.append(f'<section id="{key}"><h2>{escape(t[key])}</h2>')
        parts.append(svg.hbars([n.label for n in rows], [float(n.value) for n in rows],
                               t[key]))
        parts.append(_table([t[who], t["revenue"], t[count]],
                            [[n.label, money(n.value), str(n.count)] for n in rows],
                            {1, 2}, t["none"]))
        parts.append("</section>")
    # stock alerts
    parts.append(f'<section id="stock"><h2>{escape(t["stock"])}</h2>'
                 f'<p class="note">{escape(t["stock_note"])}</p>')
    alerts = r.stock_alerts
    parts.append(svg.hbars([f"{a.product} / {a.warehouse}" for a in alerts],
                           [float(a.safety_stock - max(a.available, 0)) for a in alerts],
                           t["shortfall"]))
    parts.append(_table([t["product"], t["sku"], t["warehouse"], t["available"], t["safety"]],
                        [[a.product, a.sku, a.warehouse, str(a.available),
                          str(a.safety_stock)] for a in alerts], {3, 4}, t["none"]))
    parts.append("</section>")
    # delivery
    parts.append(f'<section id="delivery"><h2>{escape(t["delivery"])}</h2>')
    parts.append(svg.hbars([c.carrier for c in r.carriers],
                           [(c.on_time_rate or 0) * 100 for c in r.carriers], t["on_time"],
                           fmt="{:.1f}%"))
    parts.append(_table([t["carrier"], t["shipments"], t["delivered"], t["on_time"]],
                        [[c.carrier, str(c.shipments), str(c.delivered), pct(c.on_time_rate)]
                         for c in r.carriers], {1, 2, 3}, t["none"]))
    parts.append("</section>")
    # tickets and satisfaction
    k = r.tickets
    parts.append(f'<section id="tickets"><h2>{escape(t["tickets"])}</h2>')
    parts.append(_kpis([(t["tickets_total"], str(k.total)), (t["breach_rate"],
                        pct(k.breach_rate)), (t["median_response"],
                        _num(k.median_first_response_minutes))]))
    parts.append(svg.bars([t["breach_rate"]], [(k.breach_rate or 0) * 100], t["breach_rate"],
                          fmt="{:.1f}%"))
    parts.append("</section>")
    s = r.satisfaction
    parts.append(f'<section id="satisfaction"><h2>{escape(t["satisfaction"])}</h2>')
    parts.append(_kpis([(t["csat"], _num(s.csat, 2)), (t["nps"], _num(s.nps)),
                        (t["response_rate"], pct(s.response_rate)),
                        (t["sent"], str(s.sent))]))
    parts.append(svg.bars([t["csat_share"], t["response_rate"]],
                          [(s.csat or 0) / 5 * 100, (s.response_rate or 0) * 100],
                          t["satisfaction"], fmt="{:.1f}%"))
    parts.append("</section></body></html>")
    return "".join(parts)
