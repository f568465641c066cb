"""Users, their warehouse assignments and refresh tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.persistence.columns import timestamp_field
from app.persistence.crypto import encrypted_field, lookup_field


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    # personal data: encrypted when CRM_DATA_KEY is set, signed in with by keyed hash
    # (docs/architecture.md#personal-data-at-rest)
    email: str = encrypted_field(254, unique=True, index=True)
    email_hash: str | None = lookup_field("email", "email", unique=True)
    full_name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=32)
    # No FK: customer.owner_id already points here, and a cycle breaks table ordering.
    customer_id: int | None = Field(default=None, index=True)
    is_active: bool = True
    # the language of this user's notifications (staff alerts): zh or en
    language: str = Field(default="zh", max_length=8)
    created_at: datetime = timestamp_field()


class UserWarehouse(SQLModel, table=True):
    __tablename__ = "user_warehouse"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    warehouse_id: int = Field(foreign_key="warehouse.id", primary_key=True)


class RefreshToken(SQLModel, table=True):
    """A rotating refresh token; a reused (already rotated) token revokes its family."""

    __tablename__ = "refresh_token"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    family: str = Field(max_length=64, index=True)
    token_hash: str = Field(max_length=128)
    expires_at: datetime = timestamp_field()
    created_at: datetime = timestamp_field()
    rotated_at: datetime | None = timestamp_field(nullable=True)
    revoked_at: datetime | None = timestamp_field(nullable=True)
