"""`GET /reports/weekly` (docs/architecture.md#reports): the weekly management report as
one HTML page, for a bearer token of a MANAGER or ADMIN. Refusals are JSON errors, never
a 500: 401 without a token or with an invalid one, 403 for another role, 400 for a bad
`week` or `lang`."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from app.errors import DomainError, ErrorCode
from app.reports import service
from app.reports.labels import choose
from schema.analytics.inputs import limits_from
from schema.core.context import principal_from_header

_HEADERS = {"cache-control": "no-store, private", "x-content-type-options": "nosniff",
            "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                       "img-src data:"}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def weekly_report(request: Request) -> Response:
    state = request.app.state.crm
    principal, error = principal_from_header(state.settings,
                                             request.headers.get("authorization"))
    if error is not None:
        return _error(401, "INVALID_TOKEN", error)
    if principal is None:
        return _error(401, "UNAUTHENTICATED", "send a bearer token (Authorization header)")
    try:
        service.check_access(principal)
        lang = choose(request.query_params.get("lang"),
                      request.headers.get("accept-language"))
        page = await state.analytics_runner.read(
            service.weekly_page, principal, request.query_params.get("week"), lang,
            state.settings.analytics_time_zone, limits_from(state.settings),
            datetime.now(UTC))
    except DomainError as exc:
        forbidden = exc.code is ErrorCode.FORBIDDEN
        return _error(403 if forbidden else 400, exc.code.value, exc.message)
    return HTMLResponse(page, headers=_HEADERS)


def routes() -> list[Route]:
    return [Route("/reports/weekly", weekly_report, methods=["GET"])]
