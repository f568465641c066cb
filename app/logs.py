"""Logging: one line per record, JSON (CRM_LOG_FORMAT=json, production's default) or text,
each carrying the request id, the operation name and the principal id of the request it
was written for (docs/architecture.md#logs).

The GraphQL request path sets the three context variables (schema/asgi.py); worker
threads and tasks started inside a request inherit them. Records never carry a request's
variables, headers or tokens; as a last guard, anything shaped like a JWT or a bearer
credential is replaced before a line is written.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("crm_request_id",
                                                                        default=None)
OPERATION: contextvars.ContextVar[str | None] = contextvars.ContextVar("crm_operation",
                                                                       default=None)
PRINCIPAL_ID: contextvars.ContextVar[int | None] = contextvars.ContextVar("crm_principal_id",
                                                                          default=None)

_SECRETS = re.compile(r"eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*|(?i:bearer)\s+\S+")
TEXT_FORMAT = ("%(asctime)s %(levelname)s %(name)s [req=%(request_id)s op=%(operation)s "
               "principal=%(principal_id)s] %(message)s")


class RequestContext(logging.Filter):
    """Adds request_id, operation and principal_id (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.operation = OPERATION.get()
        record.principal_id = PRINCIPAL_ID.get()
        return True


def scrub(text: str) -> str:
    return _SECRETS.sub("[redacted]", text)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class JsonLines(JsonFormatter):
    """python-json-logger's formatter: time, level, logger, message, the request's fields,
    and any `extra=` given to the call."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s %(message)s %(request_id)s %(operation)s "
                         "%(principal_id)s", rename_fields={"levelname": "level",
                                                            "name": "logger"},
                         timestamp="time",
                         reserved_attrs=[*RESERVED_ATTRS, "color_message"])  # uvicorn's

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def formatter(kind: str) -> logging.Formatter:
    return JsonLines() if kind == "json" else TextFormatter(TEXT_FORMAT)


def configure_logging(kind: str, level: str = "INFO", stream: Any = None) -> logging.Handler:
    """One handler on the root logger (replacing any), uvicorn's loggers sent through it.
    uvicorn's access log stays off: it names client addresses; `crm.request` has one line
    per GraphQL operation instead."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(kind))
    handler.addFilter(RequestContext())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    for name, quiet in _QUIET.items():
        logging.getLogger(name).setLevel(quiet)
    return handler


# Loggers that would write what a request carries, whatever CRM_LOG_LEVEL says: SQL
# parameters (sqlalchemy, at INFO), provider URLs (httpx), and strawberry's copy of every
# GraphQL error with the query's source lines (inline arguments, a password among them);
# unexpected errors are logged by crm.graphql instead (schema/core/extensions.py), and
# errors are counted by code in the metrics.
_QUIET = {"sqlalchemy": logging.WARNING, "httpx": logging.WARNING, "httpcore": logging.WARNING,
          "strawberry.execution": logging.CRITICAL}


def bind(request_id: str | None, operation: str | None, principal_id: int | None
         ) -> tuple[contextvars.Token, ...]:
    return (REQUEST_ID.set(request_id), OPERATION.set(operation),
            PRINCIPAL_ID.set(principal_id))


def unbind(tokens: tuple[contextvars.Token, ...]) -> None:
    REQUEST_ID.reset(tokens[0])
    OPERATION.reset(tokens[1])
    PRINCIPAL_ID.reset(tokens[2])
