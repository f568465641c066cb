"""The planner's handlers of satisfaction surveys and proactive communication: feedback
requested (the survey's signed link), the low-score alert, and the due-date reminder with
its at-risk alert (docs/architecture.md#satisfaction-surveys-and-proactive-communication).
"""

from __future__ import annotations

from typing import Any

from app.auth.roles import Role
from app.notifications import repository as repo
from app.notifications.reads import Plan, Reads
from app.surveys import links
from app.surveys import repository as surveys


def survey_sent(reads: Reads, p: dict[str, Any]) -> list[Plan]:
    """Feedback requested: the survey's signed link, once per survey."""
    survey = surveys.survey(reads.session, p.get("survey_id") or 0)
    if survey is None or reads.already_notified("feedback_requested", "survey_id", survey.id):
        return []
    order = reads.order(survey.order_id)
    url = links.link(reads.settings, survey.id, survey.nonce, survey.expires_at)
    values = {"order_number": order.number if order else "-", "survey_link": url,
              "expires_on": survey.expires_at.date().isoformat()}
    return [Plan("feedback_requested", values, reads.customer(survey.customer_id),
                 source=repo.source_key("survey_id", survey.id))]


def survey_low_score(reads: Reads, p: dict[str, Any]) -> list[Plan]:
    """Customer service and the managers hear of a low score at once (the follow-up
    ticket is the tickets domain's, from the same event)."""
    customer = reads.customer(p.get("customer_id"))
    order = reads.order(p.get("order_id"))
    users = repo.staff(reads.session, [Role.CUSTOMER_SERVICE, Role.MANAGER])
    values = {"customer_name": customer.name if customer else "-",
              "customer_code": customer.code if customer else "-",
              "order_number": order.number if order else "-",
              "csat": p.get("csat"), "nps": p.get("nps")}
    return [Plan("staff_survey_low_score", values, users=users,
                 source=repo.source_key("survey_id", p.get("survey_id")))]


def order_due_soon(reads: Reads, p: dict[str, Any]) -> list[Plan]:
    """The customer's "due soon" notice, and the at-risk alert to the customer's owner
    and every MANAGER; the check raises one event per order (app/surveys/reminders.py)."""
    order_id = p.get("order_id")
    order = reads.order(order_id)
    customer = reads.customer(p.get("customer_id") or (order and order.customer_id))
    values = {"order_number": order.number if order else "-",
              "promised_date": p.get("promised_date"), "status": p.get("status")}
    source = repo.source_key("order_id", order_id)
    plans = []
    if not reads.already_notified("order_due_soon", "order_id", order_id):
        plans.append(Plan("order_due_soon", values, customer, source=source))
    if not reads.already_notified("staff_order_at_risk", "order_id", order_id):
        owner = repo.active_users(reads.session, [p["owner_id"]]) if p.get("owner_id") else []
        users = {u.id: u for u in owner + repo.staff(reads.session, [Role.MANAGER])}
        plans.append(Plan("staff_order_at_risk", {
            **values, "customer_name": customer.name if customer else "-"},
            users=list(users.values()), source=source))
    return plans
