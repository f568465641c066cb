"""Field-level rules shared by every type: contact data, costs, credit (the field layer of
docs/architecture.md#permissions)."""

from __future__ import annotations

from typing import Any

from app.auth.principal import mask
from schema.core.permissions import current_principal, forbidden

CONTACT_RULE = ("contact data: hidden from WAREHOUSE and LOGISTICS, masked for ANALYST "
                "(138****5678)")
COST_RULE = "cost and margin: FINANCE, MANAGER and ADMIN only"
CREDIT_RULE = "credit: FINANCE, MANAGER, ADMIN, and the owning SALES rep (read)"
SHIP_TO_RULE = ("ship-to contact data: visible to staff who ship it (WAREHOUSE, LOGISTICS), "
                "masked for ANALYST (138****5678)")
ACCOUNT_RULE = ("account details: the account itself and users:manage; others see an "
                "account by fullName only")
ACTIVITY_TEXT_RULE = ("free text about people (activity notes and outcome, timeline "
                      "details): masked for ANALYST (***), hidden from WAREHOUSE and LOGISTICS")
SURVEY_COMMENT_RULE = ("a customer's survey comment (personal data): masked for ANALYST (***), "
                       "for surveys:read holders otherwise")
WAREHOUSE_ADDRESS_RULE = "warehouse address: WAREHOUSE staff read their own warehouses' only"


def contact_value(info: Any, value: str | None) -> str | None:
    access = current_principal(info).contact_access()
    if access == "full":
        return value
    if access == "masked":
        return mask(value)
    raise forbidden("contact data is hidden for your role")


def activity_text(info: Any, value: str | None) -> str | None:
    """Free text may name people: ANALYST reads that there is some, not what it says."""
    access = current_principal(info).contact_access()
    if access == "full":
        return value
    if access == "masked":
        return "***" if value else value
    raise forbidden("activity text is hidden for your role")


def survey_comment(info: Any, value: str | None) -> str | None:
    """What a customer wrote may name people: ANALYST reads that there is some."""
    access = current_principal(info).contact_access()
    if access == "full":
        return value
    if access == "masked":
        return "***" if value else value
    raise forbidden("survey comments are hidden for your role")


def ship_to_value(info: Any, value: str | None) -> str | None:
    """Like contact_value, but shipping staff see the address they ship to."""
    if current_principal(info).sees_ship_to():
        return value
    return contact_value(info, value)


def cost_value(info: Any, value: Any) -> Any:
    if not current_principal(info).can_see_cost():
        raise forbidden("cost data is restricted to FINANCE, MANAGER and ADMIN")
    return value


def credit_value(info: Any, owner_id: int | None, value: Any) -> Any:
    if not current_principal(info).can_see_credit(owner_id):
        raise forbidden("credit data is restricted to FINANCE, MANAGER, ADMIN and the owner")
    return value
