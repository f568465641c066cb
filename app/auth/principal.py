"""Who is calling, and the row scope and field policy that follow from it."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.auth.roles import ROLE_PERMISSIONS, Perm, Role

_CONTACT_HIDDEN = {Role.WAREHOUSE, Role.LOGISTICS}
_FINANCIAL = {Role.FINANCE, Role.MANAGER, Role.ADMIN}
_SHIPPERS = {Role.WAREHOUSE, Role.LOGISTICS}
# signed in for a customer (its own record and what hangs off it), not staff
_CUSTOMER_ROLES = {Role.CUSTOMER, Role.CONSIGNOR}


@dataclass(frozen=True)
class Principal:
    user_id: int
    role: Role
    customer_id: int | None = None
    warehouse_ids: frozenset[int] = field(default_factory=frozenset)
    expires_at: int | None = None  # token expiry, epoch seconds

    @property
    def permissions(self) -> frozenset[Perm]:
        return ROLE_PERMISSIONS[self.role]

    def can(self, perm: Perm) -> bool:
        return perm in ROLE_PERMISSIONS[self.role]

    # Row scope -------------------------------------------------------------
    @property
    def owner_scope(self) -> int | None:
        """SALES see the customers they own (and those customers' orders)."""
        return self.user_id if self.role is Role.SALES else None

    @property
    def customer_scope(self) -> int | None:
        """CUSTOMER and CONSIGNOR users see only their own customer record and what hangs
        off it."""
        if self.role in _CUSTOMER_ROLES:
            return self.customer_id if self.customer_id is not None else -1
        return None

    @property
    def consignor_scope(self) -> int | None:
        """A CONSIGNOR sees only its own goods: rows whose consignor_id is its customer
        (docs/architecture.md#consignors)."""
        return self.customer_scope if self.role is Role.CONSIGNOR else None

    @property
    def warehouse_scope(self) -> frozenset[int] | None:
        return self.warehouse_ids if self.role is Role.WAREHOUSE else None

    # Field policy ----------------------------------------------------------
    def contact_access(self) -> str:
        """'full', 'masked' (analysts, marketing; a consignor reads its consignees' contact
        data masked) or 'none' (warehouse and logistics staff)."""
        if self.role in _CONTACT_HIDDEN:
            return "none"
        if self.role in (Role.ANALYST, Role.MARKETING, Role.CONSIGNOR):
            return "masked"
        return "full"

    def sees_ship_to(self) -> bool:
        """Shipping staff see the address they ship to (contact data otherwise)."""
        return self.role in _SHIPPERS

    def can_see_cost(self) -> bool:
        return self.role in _FINANCIAL

    def can_see_credit(self, owner_id: int | None) -> bool:
        return self.role in _FINANCIAL or (self.role is Role.SALES and owner_id == self.user_id)

    @property
    def is_staff(self) -> bool:
        return self.role not in _CUSTOMER_ROLES

    @property
    def is_system(self) -> bool:
        return self.user_id <= 0


# The CLI, demo seeding and background jobs act as this principal (no user row).
SYSTEM = Principal(user_id=0, role=Role.ADMIN)


def mask(value: str | None) -> str | None:
    """Keep the first three and last four characters: 13812345678 -> 138****5678."""
    if value is None:
        return None
    if "@" in value:
        name, _, domain = value.partition("@")
        return (name[:1] + "***@" + domain) if name else "***@" + domain
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "****" + value[-4:]
