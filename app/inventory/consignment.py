"""Consignors' goods in the warehouse (docs/architecture.md#consignors).

A product belongs to one owner, fixed at creation: a consignor (a customer flagged
`is_consignor`) or the company (None). Its stock levels and every movement of them carry
that owner, so the ledger balances per owner. Orders take only their owner's goods (the
rule is in app/orders/pricing.py `owner_mismatch` and in the allocation's stock read,
app/orders/repository/lines.py); here, the receipt of a consignor's goods: it names the
consignor and the advance shipping notice (ASN) the consignor sent ahead of them.
"""

from __future__ import annotations

from app.catalog.models import Product
from app.customers import repository as customers
from app.errors import DomainError, ErrorCode, NotFound
from app.persistence.uow import UnitOfWork


def check_receipt_owner(uow: UnitOfWork, product: Product, consignor_id: int | None,
                        asn: str) -> None:
    """The receipt names the product's owner: its consignor with an ASN, or, for the
    company's own goods, neither. A wrong owner is refused before anything is written."""
    if consignor_id is not None:
        consignor = customers.get_visible(uow.session, uow.principal, consignor_id)
        if consignor is None:
            raise NotFound("consignor not found", field=["consignorId"])
        if not consignor.is_consignor:
            raise DomainError(f"customer {consignor.code} is not a consignor",
                              field=["consignorId"])
        if product.consignor_id != consignor.id:
            whose = ("the company's own goods" if product.consignor_id is None
                     else "another consignor's goods")
            raise DomainError(f"{product.sku} is {whose}, not consignor {consignor.code}'s: "
                              "receive it under its owner", field=["consignorId"],
                              code=ErrorCode.CONFLICT)
        if not asn:
            raise DomainError("a consignor's goods arrive against its advance shipping "
                              "notice: asnReference is required", field=["asnReference"])
        return
    if product.consignor_id is not None:
        raise DomainError(f"{product.sku} is a consignor's goods: name the consignor "
                          "(consignorId) and its advance shipping notice (asnReference)",
                          field=["consignorId"])
    if asn:
        raise DomainError("asnReference is a consignor's document: give consignorId too",
                          field=["asnReference"])
