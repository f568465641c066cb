"""The report's words in Chinese (the default) and English."""

from __future__ import annotations

from app.errors import DomainError

LANGS = ("zh", "en")

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "每周经营报告", "week": "周", "zone": "时区", "generated": "生成时间",
        "sales": "销售趋势", "revenue": "销售额", "orders": "订单数",
        "by_day": "本周每日销售额", "by_week": "近 9 周每周销售额",
        "top_products": "热销产品", "top_customers": "重点客户", "product": "产品",
        "customer": "客户", "units": "件数", "spend": "消费额",
        "stock": "库存预警", "stock_note": "当前低于安全库存的产品", "sku": "SKU",
        "warehouse": "仓库", "available": "可用", "safety": "安全库存",
        "shortfall": "低于安全库存的数量",
        "delivery": "承运商准时率", "carrier": "承运商", "shipments": "发货数",
        "delivered": "已送达", "on_time": "准时率",
        "tickets": "工单 SLA", "tickets_total": "新建工单", "breach_rate": "违约率",
        "median_response": "首次响应中位数（分钟）",
        "satisfaction": "客户满意度", "csat": "CSAT", "csat_share": "CSAT（占满分 5 的比例）",
        "nps": "NPS",
        "response_rate": "回复率", "sent": "已发送",
        "none": "无数据", "mon": "一", "tue": "二", "wed": "三", "thu": "四", "fri": "五",
        "sat": "六", "sun": "日",
        "revenue_note": "销售额：已批准且未取消/拒绝的订单金额，扣除退款与降价。",
    },
    "en": {
        "title": "Weekly management report", "week": "Week", "zone": "Time zone",
        "generated": "Generated", "sales": "Sales trend", "revenue": "Revenue",
        "orders": "Orders", "by_day": "Revenue per day this week",
        "by_week": "Revenue per week, last 9 weeks",
        "top_products": "Top products", "top_customers": "Top customers",
        "product": "Product", "customer": "Customer", "units": "Units", "spend": "Spend",
        "stock": "Stock alerts", "stock_note": "Products below safety stock now",
        "sku": "SKU", "warehouse": "Warehouse", "available": "Available",
        "safety": "Safety stock", "shortfall": "Units short of safety stock",
        "delivery": "On-time delivery by carrier", "carrier": "Carrier",
        "shipments": "Shipments", "delivered": "Delivered", "on_time": "On time",
        "tickets": "Ticket SLA", "tickets_total": "Tickets opened",
        "breach_rate": "Breach rate", "median_response": "Median first response (minutes)",
        "satisfaction": "Satisfaction", "csat": "CSAT", "csat_share": "CSAT as a share of 5",
        "nps": "NPS",
        "response_rate": "Response rate", "sent": "Sent",
        "none": "No data", "mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu",
        "fri": "Fri", "sat": "Sat", "sun": "Sun",
        "revenue_note": "Revenue: orders approved and not cancelled or rejected, net of "
                        "refunded returns and price reductions.",
    },
}

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def choose(lang: str | None, accept_language: str | None = None) -> str:
    """`lang` (zh or en; another is an error); else the first of Accept-Language we
    have; else zh."""
    if lang:
        if lang not in LANGS:
            raise DomainError(f"lang {lang!r} is not offered: give zh or en", field=["lang"])
        return lang
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return "zh"
