"""The `crm` command: migrate, seed demo data, manage users, issue tokens, check delayed
parcels and activities, deliver outgoing webhooks, recompute customer segments, serve,
simulate carriers' webhooks, write the weekly report, rotate the data key, back up and
restore the database.

A composition root: its units of work run once the app is plugged into persistence
(`_runner`, app/composition.py; docs/architecture.md#layers)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from app.config import PROJECT_ROOT, ConfigError, Settings, get_settings


def migrate(database_url: str | None = None, revision: str = "head") -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if database_url:
        cfg.attributes["database_url"] = database_url
    command.upgrade(cfg, revision)


def _runner():  # noqa: ANN202
    """A composition root's runner: the app plugged into persistence first
    (app/composition.py)."""
    from app import composition
    from app.persistence.db import Database
    from app.persistence.uow import Runner

    composition.install()
    settings = get_settings()
    return Runner(Database(settings.database_url, keyring=settings.keyring,
                           limits=settings.db_limits))


def _cmd_user_create(args: argparse.Namespace) -> int:
    from app.auth import service
    from app.ids import parse_id

    customer_id = parse_id(args.customer_id, "Customer", "customer-id") if args.customer_id \
        else None
    from app.auth.principal import SYSTEM

    user = _runner().write_sync(
        service.create_user, principal=SYSTEM, email=args.email, password=args.password,
        role=args.role.upper(),
        full_name=args.name or "", customer_id=customer_id, warehouse_codes=args.warehouse,
    )
    print(f"created user {user.email} ({user.role}) id={user.id}")
    return 0


def _cmd_token(args: argparse.Namespace) -> int:
    from app.auth import service

    print(_runner().read_sync(service.token_for_email, (get_settings(), args.email), {}))
    return 0


def _cmd_seed(args: argparse.Namespace) -> int:
    from app.demo.service import seed_demo

    seed_demo(_runner(), only_if_empty=args.if_empty, quiet=False, today=args.today)
    return 0


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None

def _cmd_check_delays(args: argparse.Namespace) -> int:
    """The delay check once (app/shipping/exceptions/delays.py), in units of work whose
    events the server's relay publishes after its grace period."""
    from app.auth.principal import SYSTEM
    from app.shipping.exceptions.delays import BATCH, business_today, check_delays

    today = args.today or business_today(get_settings().business_timezone)
    runner, opened = _runner(), 0
    while True:
        result = runner.write_sync(check_delays, today, principal=SYSTEM)
        opened += len(result.opened)
        if result.examined < BATCH:
            break
    print(f"opened {opened} DELAYED exceptions (estimated delivery before {today})")
    return 0


def _cmd_segments_recompute(args: argparse.Namespace) -> int:
    """The full RFM recompute once (app/segments/service.py), then the order events the
    updater has not read yet; the churn warnings' events go out with the server's relay."""
    from app.auth.principal import SYSTEM
    from app.segments import jobs, service

    runner = _runner()
    result = runner.write_sync(service.recompute_all, principal=SYSTEM)
    jobs.update_pending(runner)
    print(f"segments computed for {result.scored} customers, "
          f"{len(result.churn)} churn warnings")
    return 0


def _cmd_campaigns_send(args: argparse.Namespace) -> int:
    """The campaign sender's pass once (app/campaigns/jobs.py); the dispatcher of a running
    server sends what it queued."""
    from app.campaigns.jobs import send_due_sync

    print(f"queued {send_due_sync(_runner())} campaign messages")
    return 0


def _cmd_check_activities(args: argparse.Namespace) -> int:
    """The activity checks once (app/activities/checks.py): overdue alerts, contact plans'
    tasks, targets behind pace, in units of work whose events the server's relay publishes
    after its grace period."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from app.activities import checks
    from app.auth.principal import SYSTEM

    settings, runner = get_settings(), _runner()
    now = datetime.combine(args.today, datetime.min.time(), UTC) if args.today \
        else datetime.now(UTC)
    zone = settings.business_timezone
    today = now.astimezone(ZoneInfo(zone)).date()
    counts = []
    for fn, fn_args in ((checks.check_overdue, (now,)),
                        (checks.run_contact_plans, (today, zone))):
        count = 0
        while True:
            result = runner.write_sync(fn, *fn_args, principal=SYSTEM)
            count += len(result.raised)
            if result.examined < checks.BATCH:
                break
        counts.append(count)
    paced = runner.write_sync(checks.check_pace, now, zone, settings.target_pace_threshold,
                              principal=SYSTEM)
    print(f"overdue alerts {counts[0]}, contact-plan tasks {counts[1]}, "
          f"targets behind pace {len(paced.raised)}")
    return 0


def _cmd_expire_quotes(args: argparse.Namespace) -> int:
    """The quote expiry pass once (app/quotes/expiry.py)."""
    from app.auth.principal import SYSTEM
    from app.quotes.expiry import BATCH, expire_quotes
    from app.quotes.workflow import business_today

    today = args.today or business_today(get_settings().business_timezone)
    runner, expired = _runner(), 0
    while True:
        result = runner.write_sync(expire_quotes, today, principal=SYSTEM)
        expired += len(result.expired)
        if result.examined < BATCH:
            break
    print(f"expired {expired} quotes (valid until before {today})")
    return 0


def _cmd_check_tickets(_args: argparse.Namespace) -> int:
    """The ticket SLA breach check once (app/tickets/breaches.py)."""
    from app.auth.principal import SYSTEM
    from app.persistence.columns import utcnow
    from app.tickets.breaches import BATCH, check_breaches

    runner, now, marked, escalated = _runner(), utcnow(), 0, 0
    while True:
        result = runner.write_sync(check_breaches, now, principal=SYSTEM)
        marked, escalated = marked + len(result.breached), escalated + len(result.escalated)
        if result.examined < BATCH:
            break
    print(f"ticket SLA breaches marked {marked}, escalated {escalated}")
    return 0


def _cmd_check_reminders(args: argparse.Namespace) -> int:
    """The due-date reminder check once (app/surveys/reminders.py): one reminder per
    order, also when a server's check runs at the same time."""
    from datetime import UTC, datetime

    from app.auth.principal import SYSTEM
    from app.surveys.reminders import BATCH, remind_due_orders

    now = datetime.combine(args.today, datetime.min.time(), UTC) if args.today \
        else datetime.now(UTC)
    runner, reminded = _runner(), 0
    while True:
        result = runner.write_sync(remind_due_orders, now, principal=SYSTEM)
        reminded += len(result.reminded)
        if result.examined < BATCH:
            break
    print(f"reminded {reminded} orders due within {get_settings().reminder_lead_days} days")
    return 0


def _cmd_report_weekly(args: argparse.Namespace) -> int:
    """The weekly management report as an HTML file, as the system principal (ADMIN), read
    from the analytics database (docs/architecture.md#reports)."""
    from datetime import UTC, datetime

    from app.analytics.rules import Limits
    from app.auth.principal import SYSTEM
    from app.reports import service
    from app.reports.labels import choose

    settings = get_settings()
    runner = _runner()
    if settings.analytics_database_url:
        from app.persistence.db import Database
        from app.persistence.uow import Runner

        runner = Runner(Database(settings.analytics_database_url, keyring=settings.keyring))
    limits = Limits(settings.analytics_min_group_size, settings.analytics_max_rows,
                    settings.analytics_max_scan_rows)
    page = runner.read_sync(service.weekly_page, (
        SYSTEM, args.week, choose(args.lang), settings.analytics_time_zone, limits,
        datetime.now(UTC)), {})
    args.out.write_text(page, encoding="utf-8")
    print(f"wrote {args.out} ({len(page.encode())} bytes)")
    return 0


def _cmd_rotate_data_key(args: argparse.Namespace) -> int:
    """Re-encrypt personal data under CRM_DATA_KEY's current key, in batches; run it again
    to finish a run that stopped (docs/architecture.md#personal-data-at-rest)."""
    from sqlmodel import SQLModel

    from app.persistence.rotation import rotate

    runner = _runner()  # every table imported (app/composition.py)
    keyring = runner.db.keyring
    if keyring is None:
        raise ConfigError("set CRM_DATA_KEY (id:base64key[,old-id:old-key...]) first")
    print(f"rotating to key {keyring.current.id!r} in batches of {args.batch_size}")
    try:
        done = rotate(runner.db.write_engine, SQLModel.metadata, keyring,
                      batch=args.batch_size, max_batches=args.max_batches,
                      progress=lambda line: print(line, flush=True))
    finally:
        runner.db.dispose()
    rewritten = sum(done.rewritten.values())
    if not done.finished:
        print(f"stopped after {done.batches} batches ({rewritten} rows rewritten): run it "
              "again to go on")
        return 0
    print(f"done: {rewritten} rows rewritten, everything under key {keyring.current.id!r}")
    return 0


def serve_banner(settings: Settings, host: str, port: int) -> str:
    """Where to point a browser, and how long a token lives (docs/architecture.md#graphiql)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    url = f"http://{shown}:{port}/graphql"
    if not settings.graphiql:
        return f"GraphQL endpoint: {url} (GraphiQL off: CRM_GRAPHIQL=0)"
    lines = [f"GraphiQL: {url}   (http://{shown}:{port}/ redirects there)"]
    if not settings.is_production:
        lines.append(f"  signed in as a demo user, headers pre-filled: {url}?demo=admin "
                     "(or manager, sales, logistics, customer, ...)")
    again = "" if settings.is_production else "reload the ?demo= page, or "
    lines.append(f"  access tokens last {settings.access_token_minutes} minutes "
                 f"(CRM_ACCESS_TOKEN_MINUTES): {again}run the refreshToken mutation with "
                 "the login's refreshToken")
    return "\n".join(lines)


def _cmd_deliver_webhooks(_args: argparse.Namespace) -> int:
    """One pass of the outgoing webhooks (docs/architecture.md#outgoing-webhooks): the
    events waiting become deliveries, and every delivery due now is posted."""
    import asyncio

    from app.events.bus import InProcessBus
    from app.integrations.dispatcher import WebhookDispatcher
    from app.integrations.fanout import fan_out_pending

    settings, db = get_settings(), _runner().db
    made = fan_out_pending(db)

    async def run() -> int:
        dispatcher = WebhookDispatcher.from_settings(db, InProcessBus(), settings)
        try:
            return await dispatcher.run_all()
        finally:
            await dispatcher.close()

    tried = asyncio.run(run())
    print(f"{made} new deliveries; {tried} posted (see webhookDeliveries for the outcomes)")
    return 0


def serve_workers(settings: Settings, asked: int | None) -> int:
    """How many server processes `crm serve` runs (docs/architecture.md#every-core): the
    cores on PostgreSQL, one on SQLite, whose one writer process is shared by nothing."""
    if settings.is_sqlite:
        if asked not in (None, 1):
            raise SystemExit(
                "crm serve: --workers above 1 needs PostgreSQL. SQLite has one writer (the "
                "writer process already runs on a core of its own) and the server's "
                "in-process bus reaches one process only; run one worker "
                "(docs/architecture.md#every-core)")
        return 1
    if asked is not None and asked < 1:
        raise SystemExit("crm serve: --workers must be at least 1")
    return asked or os.cpu_count() or 1


# connections all workers' pools may hold together unless CRM_DB_POOL_SIZE says otherwise:
# PostgreSQL's default max_connections is 100, and each worker also keeps its bus's two
# connections (LISTEN, NOTIFY) and its leader lock's one, beside migrations, backups and psql
# (docs/architecture.md#every-core)
CONNECTION_BUDGET = 80
PER_WORKER_EXTRA = 3


def worker_pool_size(workers: int, environ: dict[str, str] | os._Environ) -> int | None:
    """Each worker's pool when several share PostgreSQL and the pool size was not set: the
    budget split between them (at most the one-process default, at least 5)."""
    if workers <= 1 or "CRM_DB_POOL_SIZE" in environ:
        return None
    return max(5, min(40, CONNECTION_BUDGET // workers - PER_WORKER_EXTRA))


def _cmd_serve(args: argparse.Namespace) -> int:
    import signal

    import uvicorn

    from app.logs import configure_logging

    settings = get_settings()
    host, port = args.host or settings.host, args.port or settings.port
    workers = serve_workers(settings, args.workers)
    if workers > 1 and not settings.redis_url and not settings.event_bus:
        # live events cross the workers through PostgreSQL (app/events/pg_bus.py)
        os.environ["CRM_EVENT_BUS"] = "postgres"
    if workers > 1:
        # the periodic background jobs run in one worker, the holder of PostgreSQL's
        # advisory lock (docs/architecture.md#one-leader-for-the-background-jobs)
        os.environ.setdefault("CRM_LEADER_ELECTION", "1")
    pool = worker_pool_size(workers, os.environ)
    if pool is not None:
        os.environ["CRM_DB_POOL_SIZE"] = str(pool)
    configure_logging(settings.log_format, settings.log_level)  # docs/architecture.md#logs
    print(serve_banner(settings, host, port), flush=True)
    if workers > 1:
        print(f"{workers} worker processes (--workers; the cores by default on PostgreSQL)",
              flush=True)
    # SIGTERM (docs/architecture.md#shutdown): uvicorn stops accepting, closes WebSockets
    # with 1012 (clients resume with `since` elsewhere), lets in-flight requests finish
    # within the grace period, then runs the lifespan's shutdown (outbox marks flushed, the
    # SQLite writer process closed after its queue). It then raises the signal again with
    # the handler found at start; this one makes a finished shutdown exit 0 instead of
    # dying of the signal (status 143, which orchestrators report as a failure), and so
    # does a SIGTERM before uvicorn has taken the signal over. With several workers
    # uvicorn's supervisor passes the signal to each, which drains the same way.
    signal.signal(signal.SIGTERM, _shut_down)
    uvicorn.run("schema.asgi:create_served_app", factory=True, host=host, port=port,
                log_config=None, access_log=False, log_level=settings.log_level.lower(),
                ws="websockets-sansio", workers=workers,
                timeout_graceful_shutdown=settings.shutdown_grace_seconds)
    return 0


def _shut_down(_signum: int, _frame: object) -> None:
    """SIGTERM outside uvicorn's handling: nothing (left) to drain (see _cmd_serve)."""
    raise SystemExit(0)


def _cmd_backup(args: argparse.Namespace) -> int:
    from app.persistence.backup import backup

    backup(get_settings().database_url, args.out)
    print(f"backed up to {args.out} ({args.out.stat().st_size} bytes)")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from app.persistence.backup import restore

    restore(get_settings().database_url, args.file)
    print(f"restored from {args.file}; run `crm migrate` if it predates this version")
    return 0


def _cmd_simulate_carriers(args: argparse.Namespace) -> int:
    import asyncio

    import httpx

    from app.demo.carrier_feed import simulate

    settings = get_settings()
    url = args.url or f"http://{settings.host}:{settings.port}"

    async def run() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60) as client:
            total = await simulate(_runner(), client, rounds=args.rounds,
                                   interval=args.interval, seed=args.seed,
                                   carrier_codes=args.carrier or None)
        print("total: " + (", ".join(f"{k} {v}" for k, v in sorted(total.items()))
                           or "no scans"))

    asyncio.run(run())
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="upgrade the database to the latest schema").set_defaults(
        fn=lambda _a: (migrate(get_settings().database_url), 0)[1])

    seed = sub.add_parser("seed-demo", help="load deterministic demo data")
    seed.add_argument("--if-empty", action="store_true", help="only when there are no customers")
    seed.add_argument("--today", type=_day, metavar="YYYY-MM-DD",
                      help="the day the demo's dates are relative to (default: "
                      "CRM_DEMO_TODAY, else today in UTC)")
    seed.set_defaults(fn=_cmd_seed)

    user = sub.add_parser("user", help="manage users").add_subparsers(dest="action",
                                                                       required=True)
    create = user.add_parser("create", help="create a user")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--role", required=True)
    create.add_argument("--name")
    create.add_argument("--customer-id", help="the customer's global ID (CUSTOMER users)")
    create.add_argument("--warehouse", action="append", default=[],
                        help="warehouse code (WAREHOUSE users); repeat for several")
    create.set_defaults(fn=_cmd_user_create)

    token = sub.add_parser("token", help="print an access token for a user")
    token.add_argument("--email", required=True)
    token.set_defaults(fn=_cmd_token)

    delays = sub.add_parser("check-delays", help="open DELAYED exceptions for parcels past "
                            "their estimated delivery")
    delays.add_argument("--today", type=date.fromisoformat, help="the business day, "
                        "YYYY-MM-DD (default: today in CRM_BUSINESS_TIMEZONE)")
    delays.set_defaults(fn=_cmd_check_delays)

    segments = sub.add_parser("segments", help="customer segments").add_subparsers(
        dest="action", required=True)
    segments.add_parser("recompute", help="recompute every customer's RFM scores and "
                        "segment now").set_defaults(fn=_cmd_segments_recompute)
    campaigns = sub.add_parser("campaigns", help="marketing campaigns").add_subparsers(
        dest="action", required=True)
    campaigns.add_parser("send", help="start due campaigns and queue their next batches "
                         "now").set_defaults(fn=_cmd_campaigns_send)
    checks = sub.add_parser("check-activities", help="alert overdue activities, make "
                            "contact plans' tasks, alert targets behind pace")
    checks.add_argument("--today", type=_day, help="check as of 00:00 UTC this day "
                        "(default: now)")
    checks.set_defaults(fn=_cmd_check_activities)
    expire = sub.add_parser("expire-quotes", help="expire open quotes past their validity")
    expire.add_argument("--today", type=date.fromisoformat, help="the business day, "
                        "YYYY-MM-DD (default: today in CRM_BUSINESS_TIMEZONE)")
    expire.set_defaults(fn=_cmd_expire_quotes)
    sub.add_parser("check-tickets", help="mark ticket SLA breaches and escalate (once "
                   "each)").set_defaults(fn=_cmd_check_tickets)
    remind = sub.add_parser("check-reminders", help="remind customers (and alert staff) of "
                            "orders due soon and not dispatched, once per order")
    remind.add_argument("--today", type=_day, help="check as of 00:00 UTC this day "
                        "(default: now)")
    remind.set_defaults(fn=_cmd_check_reminders)

    report = sub.add_parser("report", help="reports").add_subparsers(dest="action",
                                                                     required=True)
    weekly = report.add_parser("weekly", help="write the weekly management report (HTML, "
                               "charts inline) to a file")
    weekly.add_argument("--out", required=True, type=Path, metavar="FILE")
    weekly.add_argument("--week", metavar="YYYY-Www", help="the ISO week (default: the last "
                        "complete week in CRM_ANALYTICS_TIME_ZONE)")
    weekly.add_argument("--lang", choices=("zh", "en"), default="zh")
    weekly.set_defaults(fn=_cmd_report_weekly)

    rotate = sub.add_parser("rotate-data-key", help="encrypt personal data under "
                            "CRM_DATA_KEY's current key (plain text too), in batches; "
                            "resumable: run it again after a stop")
    rotate.add_argument("--batch-size", type=int, default=500, help="rows per transaction "
                        "(default 500)")
    rotate.add_argument("--max-batches", type=int, help="stop after this many batches that "
                        "wrote (spread the work over several runs)")
    rotate.set_defaults(fn=_cmd_rotate_data_key)
    sub.add_parser("deliver-webhooks", help="one pass of the outgoing webhooks: fan out the "
                   "events waiting, post the deliveries due").set_defaults(
        fn=_cmd_deliver_webhooks)

    serve = sub.add_parser("serve", help="serve the API (GraphiQL at /graphql)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, help="server processes (default: the number "
                       "of cores on PostgreSQL; 1, the only choice, on SQLite)")
    serve.set_defaults(fn=_cmd_serve)

    out = sub.add_parser("backup", help="back up the database to a file, while it serves "
                         "(SQLite: online backup; PostgreSQL: pg_dump custom format)")
    out.add_argument("--out", required=True, type=Path, metavar="FILE")
    out.set_defaults(fn=_cmd_backup)
    back = sub.add_parser("restore", help="replace the database's contents with a backup's "
                          "(stop the servers first)")
    back.add_argument("file", type=Path, metavar="FILE")
    back.set_defaults(fn=_cmd_restore)

    feed = sub.add_parser("simulate-carriers",
                          help="post the next tracking scans of shipments on their way to a "
                          "running server's carrier webhook, signed, as the carriers would")
    feed.add_argument("--url", help="the server (default http://CRM_HOST:CRM_PORT)")
    feed.add_argument("--rounds", type=int, default=1, help="rounds of scans (default 1)")
    feed.add_argument("--interval", type=float, default=5.0,
                      help="seconds between rounds (default 5)")
    feed.add_argument("--seed", type=int, default=7, help="the draws' seed (default 7)")
    feed.add_argument("--carrier", action="append", default=[],
                      help="only this carrier code; repeat for several")
    feed.set_defaults(fn=_cmd_simulate_carriers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from app.errors import DomainError
    from app.persistence.backup import BackupError

    args = _parser().parse_args(argv)
    try:
        return int(args.fn(args) or 0)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except DomainError as exc:
        for err in exc.errors:
            where = f" ({'.'.join(err.field)})" if err.field else ""
            print(f"error: {err.message}{where}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
