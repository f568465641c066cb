"""Object types by GraphQL name: how a field returns objects of another domain's type.

A domain's types.py imports no other domain's schema modules at run time, so the domains
form no import cycle whichever way their relations point (`Order.customer` and
`Customer.orders`, `Order.shipments` and `Shipment.order`). A relation field to another
domain's type names the type lazily, for strawberry and type checkers alike:

    if TYPE_CHECKING:
        from schema.customers.types import Customer

    def customer(self, info) -> Annotated[Customer, strawberry.lazy("schema.customers.types")]:
        return info.context.loaders.one("customer_by_id", self._customer_id,
                                        object_type("Customer"))

reads its rows through a loader registered by name (schema/loading/loaders.py), and builds
the objects with the class `object_type` gives. Each types.py registers its node types
(`register_types`) when imported; schema/build.py imports every domain before the schema
is built, so every name is known before the first request.
"""

from __future__ import annotations

from typing import Any

_TYPES: dict[str, type] = {}


def register_types(*classes: type) -> None:
    """Make strawberry object types reachable by their GraphQL name."""
    for cls in classes:
        _TYPES[cls.__strawberry_definition__.name] = cls  # type: ignore[attr-defined]


def object_type(name: str) -> Any:
    """The registered object type called `name` in the schema (e.g. "Order")."""
    try:
        return _TYPES[name]
    except KeyError:
        raise LookupError(f"no object type {name!r} registered (schema/core/objects.py)"
                          ) from None
