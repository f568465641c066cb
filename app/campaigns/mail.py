"""What a campaign e-mail carries beyond its text, added when it is sent
(app/notifications/channels.py `EmailChannel.decorate`): the `List-Unsubscribe` and
`List-Unsubscribe-Post` headers (RFC 2369, RFC 8058 one-click) and an HTML part with the
open pixel (docs/architecture.md#campaigns). Signed here, one message at a time: the
tokens cost nothing next to an SMTP exchange."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from email.message import EmailMessage

from app.campaigns.links import Signer
from app.campaigns.repository import TEMPLATE
from app.notifications.models import Notification

_URL = re.compile(r"https?://[^\s<>\"']+")


def _linked(text: str) -> str:
    out, at = [], 0
    for match in _URL.finditer(text):
        out.append(html.escape(text[at:match.start()]))
        url = html.escape(match.group(0), quote=True)
        out.append(f'<a href="{url}">{url}</a>')
        at = match.end()
    out.append(html.escape(text[at:]))
    return "".join(out).replace("\n", "<br>\n")


def decorator(settings: object) -> Callable[[Notification, EmailMessage], None]:
    signer = Signer.from_settings(settings)
    base = getattr(settings, "public_url", "").rstrip("/")

    def decorate(n: Notification, msg: EmailMessage) -> None:
        if n.template != TEMPLATE or not (n.source_key or "").startswith("campaign:"):
            return
        _, campaign, customer = n.source_key.split(":", 2)
        cid, customer_id = int(campaign), int(customer)
        msg["List-Unsubscribe"] = f"<{base}/c/u/{signer.sign('u', cid, customer_id)}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        pixel = f"{base}/c/o/{signer.sign('o', cid, customer_id)}"
        msg.add_alternative(
            f'<!doctype html><html><body><p>{_linked(n.body)}</p>'
            f'<img src="{html.escape(pixel, quote=True)}" width="1" height="1" alt="">'
            "</body></html>", subtype="html")

    return decorate
