"""The campaign tracking endpoints (docs/architecture.md#campaigns), outside GraphQL:

* `GET /c/o/{token}`: the open pixel, a 1x1 GIF; records the open.
* `GET /c/c/{token}`: a tracked click; records it and redirects (302) to the target the
  signed token names, only when the campaign holds that target and its host is still in
  CRM_CAMPAIGN_LINK_DOMAINS (400 otherwise): never an open redirect.
* `GET /c/u/{token}` shows a confirmation form; `POST /c/u/{token}` unsubscribes
  (RFC 8058 one-click: mail clients POST `List-Unsubscribe=One-Click` to the
  `List-Unsubscribe` address; a GET alone changes nothing, so link scanners that fetch
  every URL in a message unsubscribe nobody).

A malformed, forged or altered token, or one naming a recipient the campaign never had,
answers 404 and writes nothing."""

from __future__ import annotations

import base64
import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from app.auth.principal import SYSTEM
from app.campaigns import service
from app.campaigns.links import Signer, allowed_url

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_NO_STORE = {"cache-control": "no-store, private", "referrer-policy": "no-referrer",
             "x-content-type-options": "nosniff"}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\">"
                        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>",
                        status_code=status, headers=_NO_STORE)


def _not_found() -> Response:
    return Response("not found", status_code=404, media_type="text/plain",
                    headers=_NO_STORE)


def _signer(request: Request) -> Signer:
    return Signer.from_settings(request.app.state.crm.settings)


async def campaign_open(request: Request) -> Response:
    token = _signer(request).verify(request.path_params["token"], "o")
    if token is None:
        return _not_found()
    runner = request.app.state.crm.runner
    if not await runner.write(service.record_open, token.campaign_id, token.customer_id,
                              principal=SYSTEM):
        return _not_found()
    return Response(PIXEL, media_type="image/gif", headers=_NO_STORE)


async def campaign_click(request: Request) -> Response:
    token = _signer(request).verify(request.path_params["token"], "c")
    if token is None or token.url is None:
        return _not_found()
    state = request.app.state.crm
    if allowed_url(token.url, state.settings.campaign_link_domains) is not None:
        return Response("this link's target is not allowed", status_code=400,
                        media_type="text/plain", headers=_NO_STORE)
    target = await state.runner.write(service.record_click, token.campaign_id,
                                      token.customer_id, token.url, principal=SYSTEM)
    if target is None:
        return _not_found()
    return RedirectResponse(target, status_code=302, headers=_NO_STORE)


async def campaign_unsubscribe(request: Request) -> Response:
    token = _signer(request).verify(request.path_params["token"], "u")
    if token is None:
        return _not_found()
    if request.method == "GET":
        return _page("退订 / Unsubscribe",
                     "<form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" "
                     "value=\"One-Click\"><p>不再接收营销消息？ Stop marketing messages?</p>"
                     "<button type=\"submit\">退订 / Unsubscribe</button></form>")
    known = await request.app.state.crm.runner.write(
        service.unsubscribe, token.campaign_id, token.customer_id, principal=SYSTEM)
    if not known:
        return _not_found()
    return _page("已退订 / Unsubscribed",
                 "<p>您已退订营销消息。 You will receive no more marketing messages.</p>")


def routes() -> list[Route]:
    return [Route("/c/o/{token}", campaign_open, methods=["GET"]),
            Route("/c/c/{token}", campaign_click, methods=["GET"]),
            Route("/c/u/{token}", campaign_unsubscribe, methods=["GET", "POST"])]
