"""userErrors: expected failures as data on every mutation payload."""

from __future__ import annotations

import strawberry

from app.errors import DomainError, ErrorCode

UserErrorCode = strawberry.enum(ErrorCode, name="UserErrorCode",
                                description="Machine-readable reason of a userError.")


@strawberry.type(description="An expected failure: which input field, why, and a code.")
class UserError:
    field: list[str] | None
    message: str
    code: UserErrorCode  # type: ignore[valid-type]
    retry_after_seconds: int | None = strawberry.field(
        default=None, description="THROTTLED: seconds before trying again.")


def user_errors(exc: DomainError) -> list[UserError]:
    return [UserError(field=e.field, message=e.message, code=e.code) for e in exc.errors]
