"""Users, login, token refresh with rotation, logout."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session

from app.auth import repository as repo
from app.auth.models import RefreshToken, User, UserWarehouse
from app.auth.passwords import hash_password, verify_password
from app.auth.roles import Role
from app.auth.tokens import InvalidToken, hash_refresh_token, issue_access_token, new_refresh_token
from app.config import Settings
from app.errors import DomainError, ErrorCode, Validator
from app.inventory import repository as inventory
from app.notifications.templates import LANGUAGES
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,60}$")


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    expires_at: int
    refresh_token: str
    user: User


def check_customer_link(s: Session, role: str, customer_id: int | None) -> None:
    """A CUSTOMER user needs a customer, a CONSIGNOR user a customer that is a consignor
    (its portal's scope, docs/architecture.md#consignors); a named customer must exist."""
    if role in (Role.CUSTOMER.value, Role.CONSIGNOR.value) and customer_id is None:
        raise DomainError(f"a {role} user needs a customer", field=["customerId"])
    if customer_id is None:
        return
    from app.customers.models import Customer
    customer = s.get(Customer, customer_id)
    if customer is None:
        raise DomainError("customer not found", field=["customerId"], code=ErrorCode.NOT_FOUND)
    if role == Role.CONSIGNOR.value and not customer.is_consignor:
        raise DomainError("a CONSIGNOR user needs a customer that is a consignor",
                          field=["customerId"])


def create_user(
    uow: UnitOfWork, *, email: str, password: str, role: str, full_name: str = "",
    language: str = "zh", customer_id: int | None = None,
    warehouse_codes: list[str] | None = None,
) -> User:
    s = uow.session
    email = email.strip().lower()
    validate_profile(full_name, language)
    v = Validator()
    v.check(bool(EMAIL_RE.match(email)), "email", "a valid e-mail address is required")
    v.check(8 <= len(password) <= 256, "password", "password must be 8 to 256 characters")
    v.check(role in Role.__members__, "role", f"role must be one of {', '.join(Role.__members__)}")
    v.raise_if_any()
    check_customer_link(s, role, customer_id)
    if repo.user_by_email(s, email) is not None:
        raise DomainError("a user with this e-mail exists", field=["email"],
                          code=ErrorCode.DUPLICATE)
    user = User(email=email, password_hash=hash_password(password), role=role,
                full_name=full_name.strip(), language=language, customer_id=customer_id)
    s.add(user)
    s.flush()
    for code in warehouse_codes or []:
        wh = inventory.warehouse_by_code(s, code)
        if wh is None:
            raise DomainError(f"warehouse {code} not found", field=["warehouse"],
                              code=ErrorCode.NOT_FOUND)
        s.add(UserWarehouse(user_id=user.id, warehouse_id=wh.id))
    uow.audit("user.create", "User", user.id, after=snapshot(user))
    return user


def validate_profile(full_name: str | None, language: str | None) -> None:
    v = Validator()
    if full_name is not None:
        v.check(len(full_name.strip()) <= 200 and full_name.isprintable(), "fullName",
                "name is at most 200 printable characters")
    if language is not None:
        v.check(language in LANGUAGES, "language", f"language is one of {', '.join(LANGUAGES)}")
    v.raise_if_any()


def update_me(uow: UnitOfWork, *, full_name: str | None = None,
              language: str | None = None) -> User:
    """The caller's own profile: display name and the language of their notifications."""
    principal = uow.principal
    if principal is None or principal.is_system:
        raise DomainError("only a signed-in user has a profile")
    validate_profile(full_name, language)
    user = uow.session.get(User, principal.user_id)
    if user is None or not user.is_active:
        raise DomainError("user not found", code=ErrorCode.NOT_FOUND)
    before = snapshot(user)
    if full_name is not None:
        user.full_name = full_name.strip()
    if language is not None:
        user.language = language
    uow.session.add(user)
    uow.audit("user.update", "User", user.id, before=before, after=snapshot(user))
    return user


def access_token_for(settings: Settings, session: Session, user: User) -> tuple[str, int]:
    warehouses = repo.warehouse_ids(session, user.id) if user.role == Role.WAREHOUSE.value else None
    return issue_access_token(
        settings, user_id=user.id, role=user.role, customer_id=user.customer_id,
        warehouse_ids=warehouses,
    )


def _issue_pair(settings: Settings, uow: UnitOfWork, user: User, family: str) -> TokenPair:
    token, expires = access_token_for(settings, uow.session, user)
    refresh, refresh_hash = new_refresh_token()
    uow.session.add(RefreshToken(
        user_id=user.id, family=family, token_hash=refresh_hash,
        expires_at=utcnow() + timedelta(days=settings.refresh_token_days),
    ))
    return TokenPair(token, expires, refresh, user)


def login(uow: UnitOfWork, settings: Settings, email: str, password: str) -> TokenPair:
    user = repo.user_by_email(uow.session, email or "")
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.is_active:
        raise DomainError("wrong e-mail or password", code=ErrorCode.INVALID_CREDENTIALS)
    pair = _issue_pair(settings, uow, user, family=secrets.token_hex(16))
    uow.audit("user.login", "User", user.id)
    return pair


def refresh(uow: UnitOfWork, settings: Settings, refresh_token: str) -> TokenPair:
    """Rotate: the presented token is spent; presenting a spent one revokes its family."""
    s = uow.session
    row = repo.refresh_token_by_hash(s, hash_refresh_token(refresh_token or ""))
    if row is None:
        raise InvalidToken("invalid refresh token")
    now = utcnow()
    if row.rotated_at is not None or row.revoked_at is not None:
        for sibling in repo.tokens_of_family(s, row.family):
            sibling.revoked_at = sibling.revoked_at or now
        uow.audit("user.refresh_reuse", "User", row.user_id)
        error = InvalidToken("refresh token already used; sign in again")
        error.keep_writes = True
        raise error
    if row.expires_at <= now:
        raise InvalidToken("refresh token expired")
    user = repo.user_by_id(s, row.user_id)
    if user is None or not user.is_active:
        raise InvalidToken("invalid refresh token")
    row.rotated_at = now
    return _issue_pair(settings, uow, user, family=row.family)


def logout(uow: UnitOfWork, refresh_token: str) -> bool:
    s = uow.session
    row = repo.refresh_token_by_hash(s, hash_refresh_token(refresh_token or ""))
    if row is None or (uow.principal and row.user_id != uow.principal.user_id):
        return False
    now = utcnow()
    for sibling in repo.tokens_of_family(s, row.family):
        sibling.revoked_at = sibling.revoked_at or now
    uow.audit("user.logout", "User", row.user_id)
    return True


def get_user(session: Session, user_id: int) -> User | None:
    return repo.user_by_id(session, user_id)


def token_for_email(session: Session, settings: Settings, email: str) -> str:
    user = repo.user_by_email(session, email)
    if user is None:
        raise DomainError(f"no user with e-mail {email}", code=ErrorCode.NOT_FOUND)
    return access_token_for(settings, session, user)[0]
