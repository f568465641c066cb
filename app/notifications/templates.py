"""Notification texts in Chinese and English: subject, body (e-mail, in-app) and SMS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Template:
    subject: str
    body: str
    sms: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    sms: str


_T = Template
TEMPLATES: dict[str, dict[str, Template]] = {
    "order_received": {
        "zh": _T("订单 {order_number} 已收到",
                 "{customer_name}，您好：\n我们已收到您的订单 {order_number}，正在审核中。",
                 "【订单通知】已收到您的订单{order_number}，正在审核。"),
        "en": _T("Order {order_number} received",
                 "Dear {customer_name},\nWe have received your order {order_number}; "
                 "it is being reviewed.",
                 "Order {order_number} received and under review."),
    },
    "order_approved": {
        "zh": _T("订单 {order_number} 已确认",
                 "{customer_name}，您好：\n您的订单 {order_number} 已审核通过，我们正在备货。",
                 "【订单通知】订单{order_number}已确认，正在备货。"),
        "en": _T("Order {order_number} approved",
                 "Dear {customer_name},\nYour order {order_number} has been approved and is "
                 "being prepared.",
                 "Order {order_number} approved and being prepared."),
    },
    "order_shipped": {
        "zh": _T("订单 {order_number} 已发货",
                 "{customer_name}，您好：\n您的订单 {order_number} 已发货。\n"
                 "承运商：{carrier}\n运单号：{tracking_number}",
                 "【发货通知】订单{order_number}已由{carrier}发出，运单号{tracking_number}。"),
        "en": _T("Order {order_number} shipped",
                 "Dear {customer_name},\nYour order {order_number} has shipped.\n"
                 "Carrier: {carrier}\nTracking number: {tracking_number}",
                 "Order {order_number} shipped with {carrier}, tracking {tracking_number}."),
    },
    "order_delayed": {
        "zh": _T("订单 {order_number} 配送延误",
                 "{customer_name}，您好：\n您的订单 {order_number}（运单号 {tracking_number}）"
                 "未能在预计的 {estimated_delivery} 送达。我们正在与{carrier}跟进，请留意后续"
                 "通知。给您带来不便，敬请谅解。",
                 "【配送通知】订单{order_number}未能在预计的{estimated_delivery}送达，"
                 "我们正在跟进。"),
        "en": _T("Order {order_number} is delayed",
                 "Dear {customer_name},\nYour order {order_number} (tracking "
                 "{tracking_number}) did not arrive by its estimated delivery date, "
                 "{estimated_delivery}. We are following it up with {carrier} and will keep "
                 "you posted. We are sorry for the wait.",
                 "Order {order_number} missed its estimated delivery date "
                 "{estimated_delivery}; we are following it up."),
    },
    "delivery_problem": {
        "zh": _T("订单 {order_number} 配送异常",
                 "{customer_name}，您好：\n您的订单 {order_number}（运单号 {tracking_number}）"
                 "配送出现问题：{problem}。\n承运商说明：{detail}\n我们正在处理，会尽快与您联系。",
                 "【配送通知】订单{order_number}配送异常：{problem}，我们正在处理。"),
        "en": _T("Problem with the delivery of order {order_number}",
                 "Dear {customer_name},\nThere is a problem with the delivery of your order "
                 "{order_number} (tracking {tracking_number}): {problem}.\nCarrier's note: "
                 "{detail}\nWe are on it and will contact you shortly.",
                 "Order {order_number}: delivery problem, {problem}. We are on it."),
    },
    "order_delivered": {
        "zh": _T("订单 {order_number} 已送达",
                 "{customer_name}，您好：\n您的订单 {order_number} 已送达，感谢您的惠顾。",
                 "【签收通知】订单{order_number}已送达，感谢惠顾。"),
        "en": _T("Order {order_number} delivered",
                 "Dear {customer_name},\nYour order {order_number} has been delivered. "
                 "Thank you for your business.",
                 "Order {order_number} delivered. Thank you."),
    },
    "return_status": {
        "zh": _T("退货申请 {return_number} 状态更新：{status}",
                 "{customer_name}，您好：\n订单 {order_number} 的退货申请 {return_number} "
                 "当前状态：{status}。",
                 "【退货通知】退货申请{return_number}状态：{status}。"),
        "en": _T("Return {return_number}: {status}",
                 "Dear {customer_name},\nYour return {return_number} for order "
                 "{order_number} is now: {status}.",
                 "Return {return_number}: {status}."),
    },
    "staff_low_stock": {
        "zh": _T("库存预警：{sku} 在 {warehouse}",
                 "商品 {sku} {product_name} 在仓库 {warehouse} {alert}：可用 {available}，"
                 "安全库存 {safety_stock}。",
                 "库存预警：{sku}@{warehouse} {alert}，可用{available}。"),
        "en": _T("Stock alert: {sku} at {warehouse}",
                 "Product {sku} {product_name} at warehouse {warehouse} is {alert}: "
                 "{available} available, safety stock {safety_stock}.",
                 "Stock alert: {sku}@{warehouse} {alert}, {available} available."),
    },
    "staff_churn_warning": {
        "zh": _T("客户流失预警：{customer_name}",
                 "客户 {customer_code} {customer_name} 已从 {from_segment} 变为 {to_segment}"
                 "（最近下单已久），请尽快跟进。",
                 "流失预警：{customer_name} 由{from_segment}变为{to_segment}。"),
        "en": _T("Churn warning: {customer_name}",
                 "Customer {customer_code} {customer_name} moved from {from_segment} to "
                 "{to_segment} (no recent orders); please follow up.",
                 "Churn warning: {customer_name} {from_segment} -> {to_segment}."),
    },
    "staff_exception": {
        "zh": _T("发货异常：{shipment_number}",
                 "订单 {order_number} 的发货单 {shipment_number}（运单号 {tracking_number}）"
                 "出现异常：{reason}。",
                 "发货异常：{shipment_number} {reason}。"),
        "en": _T("Shipment exception: {shipment_number}",
                 "Shipment {shipment_number} of order {order_number} (tracking "
                 "{tracking_number}) has an exception: {reason}.",
                 "Shipment exception: {shipment_number} {reason}."),
    },
    # activities and targets (docs/architecture.md#activities-plans-and-targets)
    "staff_activity_overdue": {
        "zh": _T("待办逾期：{title}",
                 "{assignee} 的{kind}「{title}」已于 {due_at} 到期，尚未完成。",
                 "待办逾期：{title}（{due_at}）。"),
        "en": _T("Overdue: {title}",
                 "{assignee}'s {kind} \"{title}\" was due {due_at} and is not done.",
                 "Overdue: {title} (due {due_at})."),
    },
    # tickets (docs/architecture.md#tickets-and-slas)
    "staff_ticket_breached": {
        "zh": _T("工单超时：{number}",
                 "工单 {number}（优先级 {priority}，处理人 {assignee}）{breach}已于 {due_at} "
                 "超过时限，请尽快处理。",
                 "工单超时：{number} {breach}。"),
        "en": _T("Ticket SLA breached: {number}",
                 "Ticket {number} (priority {priority}, agent {assignee}): {breach} was due "
                 "{due_at} and is late.",
                 "SLA breached: {number} {breach}."),
    },
    "staff_target_behind": {
        "zh": _T("目标进度落后：{rep} {metric}",
                 "{rep} 的{period}目标（{metric}，自 {period_start}）进度落后：已完成 "
                 "{achieved} / {target}，进度比 {pace}。",
                 "目标落后：{rep} {metric} {achieved}/{target}。"),
        "en": _T("Behind target: {rep} {metric}",
                 "{rep}'s {period} target ({metric}, from {period_start}) is behind pace: "
                 "{achieved} of {target} achieved, pace {pace}.",
                 "Behind target: {rep} {metric} {achieved}/{target}."),
    },
    # proactive communication and satisfaction surveys
    # (docs/architecture.md#satisfaction-surveys-and-proactive-communication)
    "order_scheduled": {
        "zh": _T("订单 {order_number} 已安排生产/发货",
                 "{customer_name}，您好：\n您的订单 {order_number} 已排定，预计于 "
                 "{promised_date} 完成。如有变动我们会及时通知您。",
                 "【订单通知】订单{order_number}已排定，预计{promised_date}完成。"),
        "en": _T("Order {order_number} scheduled",
                 "Dear {customer_name},\nYour order {order_number} has been scheduled and "
                 "is expected to be completed by {promised_date}. We will let you know if "
                 "this changes.",
                 "Order {order_number} scheduled, expected by {promised_date}."),
    },
    "order_due_soon": {
        "zh": _T("订单 {order_number} 即将到期",
                 "{customer_name}，您好：\n您的订单 {order_number} 承诺日期为 "
                 "{promised_date}，目前状态：{status}。我们正在加紧处理，发货后会第一时间"
                 "通知您。",
                 "【订单提醒】订单{order_number}承诺日期{promised_date}，正在加紧处理。"),
        "en": _T("Order {order_number}: due {promised_date}",
                 "Dear {customer_name},\nYour order {order_number} is promised for "
                 "{promised_date} and is currently {status}. We are on it and will tell "
                 "you as soon as it ships.",
                 "Order {order_number} is due {promised_date}; we are on it."),
    },
    "feedback_requested": {
        "zh": _T("订单 {order_number} 满意度调查",
                 "{customer_name}，您好：\n感谢您的惠顾！请花一分钟评价本次订单 "
                 "{order_number} 的服务：\n{survey_link}\n链接有效期至 {expires_on}，"
                 "仅可提交一次。",
                 "【满意度调查】请评价订单{order_number}：{survey_link}"),
        "en": _T("How did we do with order {order_number}?",
                 "Dear {customer_name},\nThank you for your business! Please take a minute "
                 "to rate order {order_number}:\n{survey_link}\nThe link works once and "
                 "until {expires_on}.",
                 "Rate order {order_number}: {survey_link}"),
    },
    "staff_survey_low_score": {
        "zh": _T("客户满意度低分：{customer_name}",
                 "客户 {customer_code} {customer_name} 对订单 {order_number} 的评价偏低："
                 "CSAT {csat}，NPS {nps}。请尽快回访。",
                 "低分预警：{customer_name} CSAT {csat} NPS {nps}。"),
        "en": _T("Low satisfaction score: {customer_name}",
                 "Customer {customer_code} {customer_name} rated order {order_number} low: "
                 "CSAT {csat}, NPS {nps}. Please follow up.",
                 "Low score: {customer_name} CSAT {csat} NPS {nps}."),
    },
    "staff_order_at_risk": {
        "zh": _T("订单可能延误：{order_number}",
                 "客户 {customer_name} 的订单 {order_number} 承诺日期为 {promised_date}，"
                 "目前仍为{status}，尚未发货。",
                 "延误风险：订单{order_number}承诺{promised_date}，尚未发货。"),
        "en": _T("Order at risk: {order_number}",
                 "Order {order_number} of {customer_name} is promised for {promised_date} "
                 "and is still {status}, not dispatched.",
                 "At risk: order {order_number} due {promised_date}, not dispatched."),
    },
}

STATUS_LABELS: dict[str, dict[str, str]] = {
    "zh": {"REQUESTED": "已提交", "PENDING": "待处理", "APPROVED": "已批准",
           "REJECTED": "已拒绝", "RECEIVED": "已收货", "REFUNDED": "已退款",
           "COMPLETED": "已完成", "CANCELLED": "已取消", "CLOSED": "已关闭",
           "LOW_STOCK": "低于安全库存", "OUT_OF_STOCK": "已缺货", "BACK_IN_STOCK": "已补货",
           # delivery exceptions (the customer's "problem with your delivery" notice)
           "FAILED_ATTEMPT": "派送未成功", "DAMAGED": "包裹破损", "LOST": "包裹丢失",
           "ADDRESS_PROBLEM": "收货地址有问题", "REFUSED": "包裹被拒收",
           "OTHER": "承运商报告了异常",
           "CALL": "电话", "EMAIL": "邮件", "VISIT": "拜访", "MEETING": "会议", "NOTE": "备注",
           "TASK": "任务", "REVENUE": "销售额", "NEW_CUSTOMERS": "新客户数", "VISITS": "拜访数",
           "MONTH": "月度", "QUARTER": "季度",
           "FIRST_RESPONSE": "首次响应", "RESOLUTION": "解决",
           "CONFIRMED": "已确认", "SCHEDULED": "已排定", "IN_FULFILLMENT": "备货中",
           "ON_HOLD": "暂停中"},
    "en": {"LOW_STOCK": "low on stock", "OUT_OF_STOCK": "out of stock",
           "BACK_IN_STOCK": "back in stock",
           "FAILED_ATTEMPT": "a delivery attempt failed", "DAMAGED": "the parcel is damaged",
           "LOST": "the parcel is lost", "ADDRESS_PROBLEM": "there is a problem with the "
           "address", "REFUSED": "the parcel was refused",
           "OTHER": "the carrier reported a problem"},
}


class _Defaulting(dict):
    def __missing__(self, key: str) -> str:
        return "-"


def label(language: str, value: str | None) -> str:
    if not value:
        return "-"
    return STATUS_LABELS.get(language, {}).get(value, value.replace("_", " ").lower()
                                               if language == "en" else value)


def render(template: str, language: str, values: dict[str, Any]) -> Rendered:
    """Render a template; unknown languages fall back to Chinese, missing values to '-'."""
    texts = TEMPLATES[template]
    t = texts.get(language) or texts["zh"]
    data = _Defaulting({k: ("-" if v is None or v == "" else v) for k, v in values.items()})
    return Rendered(subject=t.subject.format_map(data)[:300], body=t.body.format_map(data)[:4000],
                    sms=t.sms.format_map(data)[:500])
