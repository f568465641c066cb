"""Column types shared by every domain's tables."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Numeric, TypeDecorator
from sqlmodel import Field, SQLModel

# Deterministic constraint names, so migrations match on SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC: identical on SQLite and PostgreSQL."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    def bind_processor(self, dialect: Any) -> Any:
        """On SQLite, one step to the text SQLAlchemy's DATETIME stores
        (`YYYY-MM-DD HH:MM:SS.ffffff`) instead of two Python layers: every row the write
        path inserts carries timestamps (about 45 per order placed and approved)."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            zone = value.tzinfo
            if zone is None:
                return value.isoformat(" ", "microseconds")
            if zone is not UTC:
                value = value.astimezone(UTC)
            return value.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"

        return process

    def process_result_value(self, value: datetime | None, _dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


MONEY = Numeric(14, 2, asdecimal=True)


def money_field(**kw: Any) -> Any:
    return Field(default=Decimal("0"), sa_type=MONEY, **kw)


def timestamp_field(nullable: bool = False, **kw: Any) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True, **kw)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, **kw)


def json_field(**kw: Any) -> Any:
    return Field(default=None, sa_type=JSON(none_as_null=True), nullable=True, **kw)


# Weights (kg) and lengths (cm) of products and carrier limits: two decimals, up to 10^8.
MEASURE = Numeric(10, 2, asdecimal=True)


def measure_field(nullable: bool = False, **kw: Any) -> Any:
    """A weight or length; `nullable` for a limit that may be absent (no limit)."""
    if nullable:
        return Field(default=None, sa_type=MEASURE, nullable=True, **kw)
    return Field(default=Decimal("0"), sa_type=MEASURE, sa_column_kwargs={"server_default": "0"},
                 **kw)
