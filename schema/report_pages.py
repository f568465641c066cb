"""`GET /reports/weekly` (docs/architecture.md#reports): the weekly management report as
one HTML page, for a bearer token of a MANAGER or ADMIN. Refusals are JSON errors, never
a 500: 401 without a token or with an invalid one, 403 for another role, 400 for a bad
`week` or `lang`. `GET /reports/consignor` (docs/architecture.md#consignor-reports): a
consignor's report as CSV, with `consignorReport`'s rules (404 for a consignor out of the
caller's scope)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from app.consignor_reports import csv_export
from app.consignor_reports import service as consignors
from app.errors import DomainError, ErrorCode
from app.ids import parse_id
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


def _day(raw: str | None, name: str) -> date:
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        raise DomainError(f"give {name} as YYYY-MM-DD", field=[name]) from None


_STATUS = {ErrorCode.FORBIDDEN: 403, ErrorCode.NOT_FOUND: 404}


async def consignor_report(request: Request) -> Response:
    """?consignorId=<Customer ID>&from=YYYY-MM-DD&to=YYYY-MM-DD: the CSV of
    `consignorReport` for the same arguments and bearer token."""
    state = request.app.state.crm
    principal, error = principal_from_header(state.settings,
                                             request.headers.get("authorization"))
    if error is not None:
        return _error(401, "INVALID_TOKEN", error)
    if principal is None:
        return _error(401, "UNAUTHENTICATED", "send a bearer token (Authorization header)")
    params = request.query_params
    try:
        pk = parse_id(params.get("consignorId") or "", "Customer", "consignorId")
        report = await state.analytics_runner.read(
            consignors.consignor_report, principal, pk, _day(params.get("from"), "from"),
            _day(params.get("to"), "to"), state.settings.business_timezone)
    except DomainError as exc:
        return _error(_STATUS.get(exc.code, 400), exc.code.value, exc.message)
    name = f"consignor-report-{pk}-{report.first_day}-{report.last_day}.csv"
    return PlainTextResponse(csv_export.report_csv(report), media_type="text/csv",
                             headers={**_HEADERS,
                                      "content-disposition": f'attachment; filename="{name}"'})


def routes() -> list[Route]:
    return [Route("/reports/weekly", weekly_report, methods=["GET"]),
            Route("/reports/consignor", consignor_report, methods=["GET"])]
