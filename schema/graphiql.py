"""The GraphiQL page at `/graphql`, served from this server only: GraphiQL's released files
ship unmodified in schema/static/graphiql/ (`make graphiql-assets`), the page that starts
it is schema/static/crm-graphiql.js, and a Content-Security-Policy keeps the browser from
fetching anything elsewhere (docs/architecture.md#graphiql).

`?demo=<login>` pre-fills the headers pane with a demo user's token: the page signs in
with the demo password, which is public (README.md#first-run). Never in production mode,
whatever CRM_GRAPHIQL says."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from app.config import Settings
from app.demo.catalog_data import DEMO_PASSWORD, DEMO_USERS

STATIC = Path(__file__).resolve().parent / "static"
PREFIX = "/static"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

WELCOME = """# GraphiQL on crm-graph. Sign in:
mutation {
  login(email: "%(email)s", password: "%(password)s") {
    accessToken refreshToken expiresAt
  }
}
# then put {"Authorization": "Bearer <accessToken>"} in the headers pane below.
"""
DEMO_HINT = """# Demo logins: `make run` prints them. Or open /graphql?demo=admin (or sales,
# logistics, customer, ...): the page signs in for you (development mode only).
"""


def _welcome(settings: Settings) -> str:
    if settings.is_production:  # no demo accounts to suggest
        return WELCOME % {"email": "you@example.com", "password": "..."}
    return WELCOME % {"email": "admin@demo.local", "password": DEMO_PASSWORD} + DEMO_HINT


ORDERS = """{
  me { role }
  orders(first: 10) {
    edges { node { number status customer { name } } }
  }
}
"""

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>crm-graph GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="%(static)s/graphiql/graphiql.min.css">
<style>
  body { margin: 0; height: 100vh; display: flex; flex-direction: column; }
  #crm-status { font: 13px/1.6 system-ui, sans-serif; padding: 2px 12px; }
  #crm-status:empty { display: none; }
  #crm-status.failed { background: #fde8e8; }
  #graphiql { flex: 1; min-height: 0; }
</style>
</head>
<body>
<div id="crm-status"></div>
<div id="graphiql">Loading GraphiQL...</div>
<script id="crm-graphiql-config" type="application/json">%(config)s</script>
<script src="%(static)s/graphiql/react.production.min.js"></script>
<script src="%(static)s/graphiql/react-dom.production.min.js"></script>
<script src="%(static)s/graphiql/graphiql.min.js"></script>
<script src="%(static)s/crm-graphiql.js"></script>
</body>
</html>
"""


def demo_email(request: Request, settings: Settings) -> str | None:
    """The demo login `?demo=` names (`admin` or `admin@demo.local`), outside production."""
    wanted = request.query_params.get("demo")
    if not wanted or settings.is_production:
        return None
    wanted = wanted.strip().lower()
    for email, _, _ in DEMO_USERS:
        if wanted in (email, email.partition("@")[0]):
            return email
    return None


def _refusal(request: Request, settings: Settings) -> str | None:
    """Why `?demo=` pre-fills nothing, when it was asked for."""
    if not request.query_params.get("demo"):
        return None
    if settings.is_production:
        return "?demo= pre-fills nothing in production mode"
    names = ", ".join(email.partition("@")[0] for email, _, _ in DEMO_USERS)
    return f"no demo login {request.query_params['demo'][:60]!r} (one of: {names})"


def page(request: Request, settings: Settings) -> Response:
    email = demo_email(request, settings)
    config = {
        "endpoint": request.url.path,
        "defaultQuery": ORDERS if email else _welcome(settings),
        "demoLogin": {"email": email, "password": DEMO_PASSWORD} if email else None,
        "notice": None if email else _refusal(request, settings),
    }
    # `<` escaped: the JSON sits inside a <script> element
    text = json.dumps(config).replace("<", "\\u003c")
    return HTMLResponse(PAGE % {"static": PREFIX, "config": text},
                        headers={"content-security-policy": CSP,
                                 "cache-control": "no-store"})


async def _to_graphiql(request: Request) -> Response:
    query = request.url.query
    return RedirectResponse("/graphql" + (f"?{query}" if query else ""), status_code=307)


def routes(settings: Settings) -> list[BaseRoute]:
    """`/` to GraphiQL and its files, when GraphiQL is on (CRM_GRAPHIQL)."""
    if not settings.graphiql:
        return []
    return [Route("/", _to_graphiql, methods=["GET", "HEAD"]),
            Mount(PREFIX, StaticFiles(directory=STATIC), name="static")]
