"""Settings from environment variables, read once per process."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.persistence.crypto import DATA_KEY_VARIABLE, DataKeyError, Keyring, keyring_from
from app.persistence.limits import DbLimits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CRM_VAR_DIR", PROJECT_ROOT / "var"))


class ConfigError(RuntimeError):
    """The environment does not describe a runnable configuration."""


def _dev_secret() -> str:
    # Development keeps one generated secret so tokens survive restarts.
    path = VAR_DIR / "jwt-secret"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = ""
    jwt_secret: str = ""
    jwt_issuer: str = "crm"
    jwt_audience: str = "crm-api"
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    allowed_origins: tuple[str, ...] = ()
    discount_approval_threshold: str = "0.10"
    # quote discounts: above the first a MANAGER approves, above the second FINANCE
    # (docs/architecture.md#quotes-and-price-agreements)
    quote_discount_manager: str = "0.10"
    quote_discount_finance: str = "0.25"
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    # field selections once every fragment spread is expanded: fragments that each spread
    # the next twice double per level, which tokens, depth and aliases do not see
    max_expanded_fields: int = 5000
    # what helps a developer and an attacker alike: on by default in development only
    introspection: bool = True
    graphiql: bool = True
    suggestions: bool = True  # "Did you mean ...?" in validation errors
    # run only the contract's documents (persisted queries): mobile releases
    persisted_only: bool = False
    # plain read queries compiled to one SQL statement building the JSON (PostgreSQL only;
    # docs/architecture.md#compiled-reads)
    compiled_reads: bool = True
    # per signed-in account (or client address): requests a second, and the burst allowed
    request_rate: float = 50.0
    request_burst: int = 200
    max_query_cost: int = 200_000  # estimated fields resolved (schema/core/cost.py); 0 = off
    # a GraphQL request's time budget over HTTP, its reads and writes included; 0 = off
    # (app/persistence/deadline.py)
    request_timeout_ms: float = 10_000.0
    # operations estimated above this cost run at most `heavy_queries` at a time per server
    # process, the others waiting within their time budget (schema/core/cost.py); 0 = off
    heavy_query_cost: int = 50_000
    heavy_queries: int = 1
    # SQLite: units of work run in a writer process of their own, or in a thread of the
    # server's (app/persistence/sqlite/process.py)
    sqlite_writer: str = "process"
    # SIGTERM: how long `crm serve` lets in-flight requests finish before it cancels them
    # (docs/architecture.md#shutdown; keep it under the orchestrator's termination grace)
    shutdown_grace_seconds: float = 20.0
    # Live events and notifications
    redis_channel: str = "crm:events"
    # the bus across processes: "" (Redis when CRM_REDIS_URL is set, else in-process),
    # "postgres" (LISTEN/NOTIFY; `crm serve --workers N` on PostgreSQL sets it), "process"
    event_bus: str = ""
    ws_init_timeout_seconds: float = 10.0
    ws_max_subscriptions: int = 100
    outbox_relay_seconds: float = 5.0
    outbox_grace_seconds: float = 10.0
    # several processes on one PostgreSQL: the periodic background jobs run in the one that
    # holds the leader lock (`crm serve --workers N` sets it; app/persistence/leader.py)
    leader_election: bool = False
    leader_retry_seconds: float = 5.0
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "noreply@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    sms_url: str | None = None
    sms_token: str | None = None
    # br/gzip responses from this size (docs/architecture.md#offline-writes-and-push); 0: off
    compress_min_bytes: int = 1024
    # push provider gateway (docs/architecture.md#offline-writes-and-push): unset, no PUSH rows
    push_url: str | None = None
    push_token: str | None = None
    notify_max_attempts: int = 5
    notify_retry_seconds: float = 30.0
    notify_poll_seconds: float = 5.0
    # Outgoing webhooks (docs/architecture.md#outgoing-webhooks): networks a destination may
    # resolve to although they are not public (loopback, private, ...), as CIDRs
    webhook_allowed_networks: tuple[str, ...] = ()
    webhook_timeout_seconds: float = 10.0
    webhook_max_attempts: int = 8
    webhook_retry_seconds: float = 30.0
    webhook_disable_after: int = 20  # consecutive failed attempts disable a subscription
    webhook_poll_seconds: float = 5.0
    # Retention (app/events/housekeeping.py)
    idempotency_hours: float = 24.0
    outbox_retention_days: float = 7.0
    housekeeping_seconds: float = 3600.0
    # the delay check of parcels past their estimated delivery; 0: never
    # (app/shipping/exceptions/delays.py)
    delay_check_seconds: float = 3600.0
    # the activity checks (overdue work, contact plans, targets behind pace); 0: never
    # (app/activities/checks.py)
    activity_check_seconds: float = 300.0
    # a target is behind pace when progress / elapsed fraction of its period is below this
    target_pace_threshold: float = 0.8
    # quotes past their validity become EXPIRED; 0: never (app/quotes/expiry.py)
    quote_expiry_seconds: float = 3600.0
    # tickets (docs/architecture.md#tickets-and-slas): the SLA breach check; 0: never
    # (app/tickets/breaches.py); how long after its resolution a ticket may be reopened
    ticket_breach_check_seconds: float = 60.0
    ticket_reopen_days: float = 7.0
    # the zone of carriers' daily cutoffs and of delivery dates (app/shipping/rates.py)
    business_timezone: str = "Asia/Shanghai"
    # personal data at rest: `id:base64key[,id:base64key...]`, the first the current key;
    # empty: stored as plain text (docs/architecture.md#personal-data-at-rest)
    data_key: str = ""
    # Operations (docs/architecture.md#metrics, #logs)
    metrics: bool = True  # collect, and serve /metrics (loopback, or with the token)
    metrics_token: str | None = None
    log_format: str = "text"  # or "json"
    log_level: str = "INFO"
    # customer segments (app/segments/scoring.py, docs/architecture.md#customer-segments)
    segment_recompute_seconds: float = 86400.0
    segment_scoring: str = "quintiles"  # or "thresholds"
    segment_recency_days: tuple[int, ...] = (30, 60, 120, 240)
    segment_frequency: tuple[int, ...] = (2, 3, 5, 8)
    segment_monetary: tuple[int, ...] = (1000, 5000, 20000, 50000)
    segment_vip_min_score: int = 4
    segment_value_min_score: int = 3
    segment_at_risk_max_recency: int = 2
    # satisfaction surveys and proactive communication
    # (docs/architecture.md#satisfaction-surveys-and-proactive-communication)
    survey_secret: str = ""  # empty: derived from jwt_secret (app/surveys/links.py)
    survey_url: str = "http://localhost:5173/survey"  # the public answer page; ?token=...
    survey_valid_days: float = 14.0
    survey_after_delivery: bool = True  # the sender of delivery surveys runs
    survey_low_csat: int = 2  # an answer with CSAT at or below this is a low score
    survey_low_nps: int = 6  # ... or with NPS at or below this (an NPS detractor)
    reminder_lead_days: int = 2  # remind when the promised date is this close, not dispatched
    reminder_check_seconds: float = 3600.0  # 0: never (app/surveys/reminders.py)
    # delivery plans (docs/architecture.md#delivery-orders-and-plans): the scheduler's pass
    # every so many seconds (0: never), making orders this many days ahead
    delivery_plan_seconds: float = 3600.0
    delivery_plan_horizon_days: int = 7
    # campaigns (docs/architecture.md#campaigns): the sender's pass every so many seconds
    # (0: never), customers queued per unit of work, the tracked links' allowed domains
    # (a host or its subdomains), the links' signing secret (empty: derived from the JWT
    # secret), the tracking links' base URL, and the days after a click an order counts
    campaign_send_seconds: float = 10.0
    campaign_batch: int = 500
    campaign_pause_ratio: float = 3.0  # rest between batches: this times the batch's time
    campaign_link_domains: tuple[str, ...] = ()
    campaign_link_secret: str = ""
    public_url: str = "http://127.0.0.1:8000"
    campaign_attribution_days: int = 7
    # analytics (docs/architecture.md#analytics): the default zone of periods and windows,
    # the smallest group shown to roles that see personal data masked, the group-by's
    # limits, and a read replica to run on (docs/deployment.md)
    analytics_time_zone: str = "Asia/Shanghai"
    analytics_min_group_size: int = 5
    analytics_max_rows: int = 1000
    analytics_max_scan_rows: int = 5_000_000
    analytics_database_url: str | None = None
    # bulk exports (app/exports/, docs/architecture.md#exports): the background worker on
    # or off, how many jobs run at once, rows per chunk, the download link's lifetime and
    # how long finished files are kept (then deleted by housekeeping)
    exports: bool = True
    export_workers: int = 1
    export_chunk_rows: int = 5000
    # PostgreSQL CSV exports by COPY (docs/architecture.md#exports): a chunk is bytes there
    export_copy_chunk_rows: int = 25_000
    export_copy_streams: int = 2
    export_url_minutes: float = 60.0
    export_retention_hours: float = 24.0
    # the database's pool and timeouts (docs/architecture.md#faults)
    db_limits: DbLimits = field(default_factory=DbLimits)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def keyring(self) -> Keyring | None:
        return keyring_from(self.data_key)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    mode = env.get("CRM_ENV", "development")
    if mode not in ("development", "production"):
        raise ConfigError(f"CRM_ENV must be 'development' or 'production', got {mode!r}")
    secret = env.get("CRM_JWT_SECRET", "")
    if secret and len(secret.encode()) < 32:
        raise ConfigError("CRM_JWT_SECRET must be at least 32 bytes")
    if not secret:
        if mode == "production":
            raise ConfigError("CRM_JWT_SECRET is required in production (at least 32 bytes)")
        secret = _dev_secret()
    default_db = f"sqlite:///{VAR_DIR / 'crm.db'}"
    origins = tuple(o.strip() for o in env.get("CRM_ALLOWED_ORIGINS", "").split(",") if o.strip())
    return Settings(
        env=mode,
        database_url=env.get("CRM_DATABASE_URL") or default_db,
        jwt_secret=secret,
        jwt_issuer=env.get("CRM_JWT_ISSUER", "crm"),
        jwt_audience=env.get("CRM_JWT_AUDIENCE", "crm-api"),
        access_token_minutes=int(env.get("CRM_ACCESS_TOKEN_MINUTES", "15")),
        redis_url=env.get("CRM_REDIS_URL") or None,
        host=env.get("CRM_HOST", "127.0.0.1"),
        port=int(env.get("CRM_PORT", "8000")),
        allowed_origins=origins,
        discount_approval_threshold=env.get("CRM_DISCOUNT_APPROVAL_THRESHOLD", "0.10"),
        **_quote_settings(env),
        max_query_cost=int(env.get("CRM_MAX_QUERY_COST", "200000")),
        max_expanded_fields=int(env.get("CRM_MAX_EXPANDED_FIELDS", "5000")),
        request_timeout_ms=_number(env, "CRM_REQUEST_TIMEOUT_MS", 10_000, 0, 3_600_000),
        heavy_query_cost=int(_number(env, "CRM_HEAVY_QUERY_COST", 50_000, 0, 10**9)),
        heavy_queries=int(_number(env, "CRM_HEAVY_QUERIES", 1, 1, 1000)),
        **{name: _flag(env, f"CRM_{name.upper()}", mode != "production")
           for name in ("introspection", "graphiql", "suggestions")},
        persisted_only=_flag(env, "CRM_PERSISTED_ONLY", False),
        compiled_reads=_flag(env, "CRM_COMPILED_READS", True),
        request_rate=float(env.get("CRM_REQUEST_RATE", "50")),
        request_burst=int(env.get("CRM_REQUEST_BURST", "200")),
        # the writer process takes its socket as an inherited descriptor: POSIX only
        sqlite_writer=_choice(env, "CRM_SQLITE_WRITER",
                              ("process", "thread") if os.name == "posix" else ("thread",)),
        shutdown_grace_seconds=_number(env, "CRM_SHUTDOWN_GRACE_SECONDS", 20, 0, 3600),
        **_events_settings(env),
        **_webhook_settings(env),
        **_retention_settings(env),
        business_timezone=_timezone(env, "CRM_BUSINESS_TIMEZONE", "Asia/Shanghai"),
        data_key=_data_key(env),
        **_operations_settings(env, mode),
        **_segment_settings(env),
        **_survey_settings(env),
        **_campaign_settings(env),
        **_analytics_settings(env),
        **_export_settings(env),
        db_limits=_db_limits(env),
    )


def _db_limits(env: dict[str, str] | os._Environ) -> DbLimits:
    """The database's pool and timeouts (app/persistence/limits.py)."""
    return DbLimits(
        pool_size=int(_number(env, "CRM_DB_POOL_SIZE", 40, 1, 1000)),
        max_overflow=int(_number(env, "CRM_DB_MAX_OVERFLOW", 0, 0, 1000)),
        pool_timeout_seconds=_number(env, "CRM_DB_POOL_TIMEOUT_SECONDS", 5, 0.1, 600),
        connect_timeout_seconds=_number(env, "CRM_DB_CONNECT_TIMEOUT_SECONDS", 5, 2, 600),
        statement_timeout_ms=_number(env, "CRM_DB_STATEMENT_TIMEOUT_MS", 30_000, 0,
                                     86_400_000),
        transaction_timeout_ms=_number(env, "CRM_DB_TRANSACTION_TIMEOUT_MS", 0, 0,
                                       86_400_000),
    )


def _analytics_settings(env: dict[str, str] | os._Environ) -> dict[str, object]:
    """Analytics (app/analytics/, docs/architecture.md#analytics)."""
    return {
        "analytics_time_zone": _timezone(env, "CRM_ANALYTICS_TIME_ZONE", "Asia/Shanghai"),
        "analytics_min_group_size": int(_number(env, "CRM_ANALYTICS_MIN_GROUP_SIZE", 5, 1,
                                                1000)),
        "analytics_max_rows": int(_number(env, "CRM_ANALYTICS_MAX_ROWS", 1000, 1, 100_000)),
        "analytics_max_scan_rows": int(_number(env, "CRM_ANALYTICS_MAX_SCAN_ROWS", 5_000_000,
                                               1, 10**10)),
        "analytics_database_url": env.get("CRM_ANALYTICS_DATABASE_URL") or None,
    }


def _data_key(env: dict[str, str] | os._Environ) -> str:
    spec = env.get(DATA_KEY_VARIABLE, "").strip()
    try:
        keyring_from(spec)
    except DataKeyError as error:
        raise ConfigError(str(error)) from error
    return spec


def _flag(env: dict[str, str] | os._Environ, name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None or value == "":
        return default
    if value not in ("0", "1"):
        raise ConfigError(f"{name} must be 0 or 1, got {value!r}")
    return value == "1"


def _choice(env: dict[str, str] | os._Environ, name: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, the first by default."""
    value = env.get(name) or choices[0]
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _number(env: dict[str, str] | os._Environ, name: str, default: float, low: float,
            high: float) -> float:
    raw = env.get(name)
    try:
        value = float(raw) if raw not in (None, "") else default
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {value:g}")
    return value


def _event_bus(value: str) -> str:
    value = value.strip().lower()
    if value not in ("", "postgres", "process", "redis"):
        raise ValueError("CRM_EVENT_BUS must be postgres, redis or process")
    return "" if value == "redis" else value


def _events_settings(env: dict[str, str] | os._Environ) -> dict[str, object]:
    """WebSocket, outbox relay, SMTP/SMS and retry settings."""
    return {
        "redis_channel": env.get("CRM_REDIS_CHANNEL") or "crm:events",
        "event_bus": _event_bus(env.get("CRM_EVENT_BUS", "")),
        "ws_init_timeout_seconds": _number(env, "CRM_WS_INIT_TIMEOUT_SECONDS", 10, 0.1, 10),
        "ws_max_subscriptions": int(_number(env, "CRM_WS_MAX_SUBSCRIPTIONS", 100, 1, 10_000)),
        "outbox_relay_seconds": _number(env, "CRM_OUTBOX_RELAY_SECONDS", 5, 0.05, 3600),
        "outbox_grace_seconds": _number(env, "CRM_OUTBOX_GRACE_SECONDS", 10, 0, 3600),
        "leader_election": _flag(env, "CRM_LEADER_ELECTION", False),
        "leader_retry_seconds": _number(env, "CRM_LEADER_RETRY_SECONDS", 5, 0.05, 3600),
        "smtp_host": env.get("CRM_SMTP_HOST") or None,
        "smtp_port": int(_number(env, "CRM_SMTP_PORT", 25, 1, 65535)),
        "smtp_from": env.get("CRM_SMTP_FROM") or "noreply@localhost",
        "smtp_user": env.get("CRM_SMTP_USER") or None,
        "smtp_password": env.get("CRM_SMTP_PASSWORD") or None,
        "smtp_starttls": env.get("CRM_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
        "sms_url": env.get("CRM_SMS_URL") or None,
        "sms_token": env.get("CRM_SMS_TOKEN") or None,
        "compress_min_bytes": int(_number(env, "CRM_COMPRESS_MIN_BYTES", 1024, 0, 10**9)),
        "push_url": env.get("CRM_PUSH_URL") or None,
        "push_token": env.get("CRM_PUSH_TOKEN") or None,
        "notify_max_attempts": int(_number(env, "CRM_NOTIFY_MAX_ATTEMPTS", 5, 1, 100)),
        "notify_retry_seconds": _number(env, "CRM_NOTIFY_RETRY_SECONDS", 30, 0.01, 86400),
        "notify_poll_seconds": _number(env, "CRM_NOTIFY_POLL_SECONDS", 5, 0.05, 3600),
    }


def _webhook_settings(env: dict[str, str] | os._Environ) -> dict[str, object]:
    """Outgoing webhooks: where they may go, how long a POST may take, retries."""
    networks = tuple(n.strip() for n in env.get("CRM_WEBHOOK_ALLOWED_NETWORKS", "").split(",")
                     if n.strip())
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigError("CRM_WEBHOOK_ALLOWED_NETWORKS must be comma-separated CIDRs "
                              f"such as 127.0.0.1/32, got {network!r}") from None
    return {
        "webhook_allowed_networks": networks,
        "webhook_timeout_seconds": _number(env, "CRM_WEBHOOK_TIMEOUT_SECONDS", 10, 0.1, 120),
        "webhook_max_attempts": int(_number(env, "CRM_WEBHOOK_MAX_ATTEMPTS", 8, 1, 100)),
        "webhook_retry_seconds": _number(env, "CRM_WEBHOOK_RETRY_SECONDS", 30, 0.01, 86400),
        "webhook_disable_after": int(_number(env, "CRM_WEBHOOK_DISABLE_AFTER", 20, 1, 10_000)),
        "webhook_poll_seconds": _number(env, "CRM_WEBHOOK_POLL_SECONDS", 5, 0.05, 3600),
    }


def _retention_settings(env: dict[str, str] | os._Environ) -> dict[str, object]:
    """How long idempotency keys and the event history are kept, and how often the periodic
    work runs."""
    return {
        "idempotency_hours": _number(env, "CRM_IDEMPOTENCY_HOURS", 24, 1, 8760),
        "outbox_retention_days": _number(env, "CRM_OUTBOX_RETENTION_DAYS", 7, 1, 3650),
        "housekeeping_seconds": _number(env, "CRM_HOUSEKEEPING_SECONDS", 3600, 1, 86400),
        "delay_check_seconds": _number(env, "CRM_DELAY_CHECK_SECONDS", 3600, 0, 86400),
        "activity_check_seconds": _number(env, "CRM_ACTIVITY_CHECK_SECONDS", 300, 0, 86400),
        "target_pace_threshold": _number(env, "CRM_TARGET_PACE_THRESHOLD", 0.8, 0, 10),
        "ticket_breach_check_seconds": _number(env, "CRM_TICKET_BREACH_CHECK_SECONDS", 60,
                                               0, 86400),
        "ticket_reopen_days": _number(env, "CRM_TICKET_REOPEN_DAYS", 7, 0, 365),
    }


def _operations_settings(env: dict[str, str] | os._Environ, mode: str) -> dict[str, object]:
    """Metrics and logs (docs/deployment.md)."""
    token = env.get("CRM_METRICS_TOKEN") or None
    if token is not None and len(token.encode()) < 16:
        raise ConfigError("CRM_METRICS_TOKEN must be at least 16 bytes")
    level = (env.get("CRM_LOG_LEVEL") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"CRM_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
    return {
        "metrics": _flag(env, "CRM_METRICS", True),
        "metrics_token": token,
        "log_format": _choice(env, "CRM_LOG_FORMAT", ("json", "text") if mode == "production"
                              else ("text", "json")),
        "log_level": level,
    }


def _steps(env: dict[str, str] | os._Environ, name: str, default: str) -> tuple[int, ...]:
    """Four comma-separated whole numbers, strictly rising."""
    raw = env.get(name) or default
    try:
        steps = tuple(int(v) for v in raw.split(","))
    except ValueError:
        raise ConfigError(f"{name} must be four whole numbers, got {raw!r}") from None
    ordered = sorted(set(steps))
    if len(steps) != 4 or list(steps) != ordered or min(steps) < 0:
        raise ConfigError(f"{name} must be four rising whole numbers, got {raw!r}")
    return steps


def _segment_settings(env: dict[str, str] | os._Environ) -> dict[str, object]:
    """RFM scoring and the segment rules (app/segments/scoring.py)."""
    return {
        "segment_recompute_seconds": _number(env, "CRM_SEGMENT_RECOMPUTE_SECONDS", 86400, 0,
                                             7 * 86400),
        "segment_scoring": _choice(env, "CRM_SEGMENT_SCORING", ("quintiles", "thresholds")),
        "segment_recency_days": _steps(env, "CRM_SEGMENT_RECENCY_DAYS", "30,60,120,240"),
        "segment_frequency": _steps(env, "CRM_SEGMENT_FREQUENCY", "2,3,5,8"),
        "segment_monetary": _steps(env, "CRM_SEGMENT_MONETARY", "1000,5000,20000,50000"),
        "segment_vip_min_score": int(_number(env, "CRM_SEGMENT_VIP_MIN_SCORE", 4, 1, 5)),
        "segment_value_min_score": int(_number(env, "CRM_SEGMENT_VALUE_MIN_SCORE", 3, 1, 5)),
        "segment_at_risk_max_recency": int(_number(env, "CRM_SEGMENT_AT_RISK_MAX_RECENCY", 2,
                                                   1, 5)),
    }


def _survey_settings(env: dict[str, str] | os._Environ) -> dict[str, object]:
    """Survey links, low-score thresholds and the due-date reminder (app/surveys/)."""
    secret = env.get("CRM_SURVEY_SECRET", "")
    if secret and len(secret.encode()) < 32:
        raise ConfigError("CRM_SURVEY_SECRET must be at least 32 bytes")
    return {
        "survey_secret": secret,
        "survey_url": env.get("CRM_SURVEY_URL") or "http://localhost:5173/survey",
        "survey_valid_days": _number(env, "CRM_SURVEY_VALID_DAYS", 14, 0.01, 365),
        "survey_after_delivery": _flag(env, "CRM_SURVEY_AFTER_DELIVERY", True),
        "survey_low_csat": int(_number(env, "CRM_SURVEY_LOW_CSAT", 2, 0, 5)),
        "survey_low_nps": int(_number(env, "CRM_SURVEY_LOW_NPS", 6, -1, 10)),
        "reminder_lead_days": int(_number(env, "CRM_REMINDER_LEAD_DAYS", 2, 0, 60)),
        "reminder_check_seconds": _number(env, "CRM_REMINDER_CHECK_SECONDS", 3600, 0, 86400),
        "delivery_plan_seconds": _number(env, "CRM_DELIVERY_PLAN_SECONDS", 3600, 0, 86400),
        "delivery_plan_horizon_days": int(_number(env, "CRM_DELIVERY_PLAN_HORIZON_DAYS", 7, 0,
                                                  60)),
    }


def _campaign_settings(env: dict[str, str] | os._Environ) -> dict[str, object]:
    """Campaign sending, tracked links and attribution (docs/architecture.md#campaigns)."""
    domains = tuple(d.strip().lower().strip(".") for d in
                    env.get("CRM_CAMPAIGN_LINK_DOMAINS", "").split(",") if d.strip())
    for domain in domains:
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", domain):
            raise ConfigError("CRM_CAMPAIGN_LINK_DOMAINS must be comma-separated host names "
                              f"such as shop.example.com, got {domain!r}")
    secret = env.get("CRM_CAMPAIGN_LINK_SECRET", "")
    if secret and len(secret.encode()) < 32:
        raise ConfigError("CRM_CAMPAIGN_LINK_SECRET must be at least 32 bytes")
    public_url = (env.get("CRM_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    if not public_url.startswith(("http://", "https://")):
        raise ConfigError(f"CRM_PUBLIC_URL must be an http(s) URL, got {public_url!r}")
    return {
        "campaign_send_seconds": _number(env, "CRM_CAMPAIGN_SEND_SECONDS", 10, 0, 3600),
        "campaign_batch": int(_number(env, "CRM_CAMPAIGN_BATCH", 500, 1, 10_000)),
        "campaign_pause_ratio": _number(env, "CRM_CAMPAIGN_PAUSE_RATIO", 3, 0, 100),
        "campaign_link_domains": domains,
        "campaign_link_secret": secret,
        "public_url": public_url,
        "campaign_attribution_days": int(_number(env, "CRM_CAMPAIGN_ATTRIBUTION_DAYS", 7, 0,
                                                 365)),
    }


def _export_settings(env: dict[str, str] | os._Environ) -> dict[str, object]:
    """Bulk exports (app/exports/jobs.py); CRM_EXPORTS=0 switches the worker off."""
    return {
        "exports": _flag(env, "CRM_EXPORTS", True),
        "export_workers": int(_number(env, "CRM_EXPORT_WORKERS", 1, 1, 16)),
        "export_chunk_rows": int(_number(env, "CRM_EXPORT_CHUNK_ROWS", 5000, 100, 100_000)),
        "export_copy_chunk_rows": int(_number(env, "CRM_EXPORT_COPY_CHUNK_ROWS", 25_000, 100,
                                              1_000_000)),
        "export_copy_streams": int(_number(env, "CRM_EXPORT_COPY_STREAMS", 2, 1, 8)),
        "export_url_minutes": _number(env, "CRM_EXPORT_URL_MINUTES", 60, 1, 7 * 24 * 60),
        "export_retention_hours": _number(env, "CRM_EXPORT_RETENTION_HOURS", 24, 1, 24 * 365),
    }


def export_dir() -> Path:
    """Where export files are written: CRM_VAR_DIR/exports."""
    return VAR_DIR / "exports"


def _quote_settings(env: dict[str, str] | os._Environ) -> dict[str, object]:
    """Quote approval thresholds (fractions, manager below finance) and the expiry pass."""
    manager = _fraction(env, "CRM_QUOTE_DISCOUNT_MANAGER", "0.10")
    finance = _fraction(env, "CRM_QUOTE_DISCOUNT_FINANCE", "0.25")
    if Decimal(finance) < Decimal(manager):
        raise ConfigError("CRM_QUOTE_DISCOUNT_FINANCE must not be below "
                          "CRM_QUOTE_DISCOUNT_MANAGER")
    return {"quote_discount_manager": manager, "quote_discount_finance": finance,
            "quote_expiry_seconds": _number(env, "CRM_QUOTE_EXPIRY_SECONDS", 3600, 0, 86400)}


def _fraction(env: dict[str, str] | os._Environ, name: str, default: str) -> str:
    value = env.get(name) or default
    try:
        ok = Decimal("0") <= Decimal(value) < Decimal("1")
    except InvalidOperation:
        ok = False
    if not ok:
        raise ConfigError(f"{name} must be a fraction from 0 up to (not incl.) 1, got {value!r}")
    return value


def _timezone(env: dict[str, str] | os._Environ, name: str, default: str) -> str:
    """An IANA zone name (e.g. Asia/Shanghai) that this machine's zone database knows."""
    value = env.get(name) or default
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name} must be an IANA time zone such as Asia/Shanghai, "
                          f"got {value!r}") from None
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
