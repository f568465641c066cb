"""A survey's e-mail reaches a real local SMTP server (tests/notifications/sinks.py) from
the live server's planner and dispatcher, and its link answers the survey there."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

from app.surveys import service

# mail that earlier modules left pending is set aside before the live server starts
from tests.notifications.conftest import no_backlog  # noqa: F401
from tests.notifications.sinks import sinks
from tests.notifications.support import unique_email
from tests.orders.support import pk
from tests.surveys.support import ANSWER, delivered_order

TIMEOUT = 20.0


def _mail_with(mail, address: str, subject: str):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + TIMEOUT
    while True:
        with mail.lock:
            found = [m for m in mail.messages[address] if str(m["Subject"]) == subject]
        if found:
            return found
        assert time.monotonic() < deadline, f"no mail {subject!r} to {address}"
        time.sleep(0.05)


async def test_the_survey_mail_is_delivered_and_its_link_works(live, live_kit, live_api,
                                                               settings):
    mail, _sms = sinks()
    email = unique_email("survey")
    order, _buyer = await delivered_order(live_kit, language="zh", email=email, phone=None)
    await live.write(service.create_delivery_survey, pk(order["id"]))

    [message] = _mail_with(mail, email, f"订单 {order['number']} 满意度调查")
    assert message["To"] == email
    body = message.get_content()
    link = next(w for w in body.split() if w.startswith(settings.survey_url))
    token = parse_qs(urlparse(link).query)["token"][0]
    data = await live_api.ok(ANSWER, {"token": token, "input": {"csat": 5, "nps": 10}})
    assert data["surveyAnswer"]["userErrors"] == []
    again = await live_api.ok(ANSWER, {"token": token, "input": {"csat": 1}})
    assert again["surveyAnswer"]["userErrors"][0]["code"] == "CONFLICT"
