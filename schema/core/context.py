"""Per-request context: the principal, the unit-of-work runner, loaders, request id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types import Info as StrawberryInfo

from app.auth.principal import Principal
from app.auth.tokens import InvalidToken, decode_access_token
from app.config import Settings, get_settings
from app.ids import process_unique
from app.persistence.uow import Runner
from schema.loading.loaders import Loaders


@dataclass
class Context:
    request: Request | WebSocket | None
    settings: Settings
    runner: Runner
    principal: Principal | None
    request_id: str
    token_error: str | None = None
    loaders: Loaders = field(init=False)
    services: Any = None  # app-level services (bus, outbox relay, ...) from AppState
    connection_params: dict[str, Any] | None = None  # WebSocket connection_init payload
    event_feed: Any = None  # a bus listener opened for a subscription (schema.subscriptions)
    logins: int = 0  # sign-in attempts in this request: at most one (schema/auth/mutations.py)
    # refused mutations, audited once the operation ends (schema/policy/apply.py)
    denials: list[Any] = field(default_factory=list)
    # the request's time budget, a time.monotonic() value (None: none): set by the request
    # policy for an HTTP operation (schema/core/extensions.py), applied by persistence
    deadline: float | None = None
    # what the operation cost beyond its estimate: rows the aggregates were priced at
    # (counted before they ran) and rows they scanned (schema/core/cost.py `charge`)
    rows_estimated: int = 0
    rows_scanned: int = 0

    @property
    def client_address(self) -> str | None:
        client = self.request.client if self.request is not None else None
        return client.host if client is not None else None

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.runner, self.principal)

    # a heavy operation's admission (schema/core/cost.py): its reads and writes await it
    admission: Any = None

    def start_budget(self, deadline: float | None) -> None:
        """Reads and writes from now on stop at `deadline` (docs/architecture.md#time-budget)."""
        self.deadline = self.loaders.deadline = deadline

    def admit_after(self, admission: Any) -> None:
        """Reads and writes wait for `admission` (an awaitable) first."""
        self.admission = self.loaders.admission = admission


Info = StrawberryInfo[Context, None]


def principal_from_header(
    settings: Settings, header: str | None
) -> tuple[Principal | None, str | None]:
    """Parse `Authorization: Bearer <jwt>`; an invalid token is reported, not ignored."""
    if not header:
        return None, None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, "invalid authorization header"
    try:
        return decode_access_token(settings, token.strip()), None
    except InvalidToken as exc:
        return None, exc.message


def build_context(
    request: Request | WebSocket | None, settings: Settings, runner: Runner,
    authorization: str | None, services: Any = None,
) -> Context:
    principal, error = principal_from_header(settings, authorization)
    request_id = None
    if request is not None:
        request_id = request.headers.get("x-request-id")
    if not request_id or len(request_id) > 64:
        request_id = process_unique()
    return Context(
        request=request, settings=settings, runner=runner, principal=principal,
        request_id=request_id, token_error=error, services=services,
    )


def app_settings(extension: SchemaExtension) -> Settings:
    """The settings of the app serving this operation (its context's), so that an app built
    with settings of its own applies its own limits; the environment's without a context."""
    settings = getattr(extension.execution_context.context, "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()
