"""Typed domain errors. Expected failures are data: resolvers turn them into userErrors."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    CONFLICT = "CONFLICT"
    FORBIDDEN = "FORBIDDEN"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    CREDIT_LIMIT_EXCEEDED = "CREDIT_LIMIT_EXCEEDED"
    PRICE_MISMATCH = "PRICE_MISMATCH"
    APPROVAL_REQUIRED = "APPROVAL_REQUIRED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    QUANTITY_EXCEEDED = "QUANTITY_EXCEEDED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_TOKEN = "INVALID_TOKEN"
    THROTTLED = "THROTTLED"
    SYNC_TOKEN_EXPIRED = "SYNC_TOKEN_EXPIRED"


class DeadlineExceeded(Exception):
    """The request's time budget ran out (`CRM_REQUEST_TIMEOUT_MS`): raised by persistence
    before, during or at the end of a read or write (app/persistence/deadline.py); a write
    that raises it is rolled back whole. Not a DomainError: the API answers a GraphQL error
    with code TIMEOUT, for queries and mutations alike."""

    code = "TIMEOUT"

    def __init__(self, message: str = "the request's time budget ran out") -> None:
        super().__init__(message)
        self.message = message


class ServiceUnavailable(Exception):
    """The database cannot be reached (down, restarting, or no pool connection free within
    `CRM_DB_POOL_TIMEOUT_SECONDS`): raised by persistence (app/persistence/outage.py) for a
    read or a unit of work that could not run or finish. Nothing of a unit that raises it
    was committed, unless the connection broke during its COMMIT (then either all of it or
    none: retry with the same idempotency key). Not a DomainError: the API answers a
    GraphQL error with code SERVICE_UNAVAILABLE (docs/architecture.md#faults)."""

    code = "SERVICE_UNAVAILABLE"

    def __init__(self, message: str = "the database is unavailable; try again shortly"
                 ) -> None:
        super().__init__(message)
        self.message = message


class DomainError(Exception):
    """One expected failure; `field` is the input path it concerns."""

    code: ErrorCode = ErrorCode.INVALID
    # Commit what the unit of work wrote before failing (security records); rare.
    keep_writes: bool = False

    def __init__(
        self, message: str, *, field: list[str] | None = None, code: ErrorCode | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    @property
    def errors(self) -> list[DomainError]:
        return [self]

    def __reduce__(self) -> tuple:
        # Rebuilt from its state, not by calling __init__ again (subclasses take other
        # arguments): errors cross from the SQLite writer process pickled.
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(cls: type[DomainError], args: tuple, state: dict) -> DomainError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ValidationFailed(DomainError):
    """Several input problems reported together."""

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__(errors[0].message if errors else "invalid input", code=ErrorCode.INVALID)
        self._errors = errors

    @property
    def errors(self) -> list[DomainError]:
        return self._errors


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class Forbidden(DomainError):
    """The principal may not perform the operation at all (not a row-scope miss)."""

    code = ErrorCode.FORBIDDEN


class Conflict(DomainError):
    code = ErrorCode.CONFLICT


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION

    def __init__(self, entity: str, current: str, action: str) -> None:
        super().__init__(
            f"cannot {action} a {entity} in state {current}", field=None
        )
        self.current = current


class Validator:
    """Collects field errors so one response reports all of them."""

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def check(self, ok: bool, field: str | list[str], message: str) -> bool:
        if not ok:
            path = [field] if isinstance(field, str) else field
            self.errors.append(DomainError(message, field=path))
        return ok

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
