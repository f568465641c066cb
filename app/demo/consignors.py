"""Demo consignors (docs/architecture.md#consignors): two companies whose own goods the
company stores, with their products and goods received against their advance shipping
notices, written through the real services so the ledger carries the owner. They come on
top of the ordinary demo (200 customers, 100 products), which they leave unchanged."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from app.catalog import service as catalog
from app.customers import service as customers
from app.demo.deliveries import write_deliveries
from app.demo.repository import Ids, date_consignor_rows
from app.inventory import stock_service
from app.persistence.uow import UnitOfWork

# parcel facts like every demo product's, for carrier quotes: (kg, length, width, height cm)
TEE, HOODIE = ("0.25", "30", "25", "3"), ("0.60", "35", "30", "6")
POWER_BANK, CABLE = ("0.30", "15", "8", "3"), ("0.05", "12", "8", "2")
# (code, name, region, [(sku, name, price, parcel, [units per warehouse index])])
CONSIGNORS = (
    ("CSG-001", "杭州云织服饰有限公司 Yunzhi Apparel", "East", [
        ("YZ-TEE-M", "云织 纯棉T恤 白色 M", "79.00", TEE, [120, 40, 0]),
        ("YZ-TEE-L", "云织 纯棉T恤 白色 L", "79.00", TEE, [90, 0, 30]),
        ("YZ-HOOD-M", "云织 连帽卫衣 灰色 M", "199.00", HOODIE, [60, 20, 0]),
    ]),
    ("CSG-002", "Shenzhen Brightway Electronics Co., Ltd.", "South", [
        ("BW-PB-10K", "Brightway Power Bank 10000mAh", "129.00", POWER_BANK, [0, 50, 200]),
        ("BW-CBL-C", "Brightway USB-C Cable 1m", "29.00", CABLE, [150, 0, 300]),
    ]),
)


def write_consignors(uow: UnitOfWork, ids: Ids, now: datetime) -> dict[str, int]:
    """The consignors, their products and receipts (received three days before the demo's
    `now`); the counts written."""
    customer_ids: list[int] = []
    product_ids: list[int] = []
    receipts = 0
    for n, (code, name, region, goods) in enumerate(CONSIGNORS, start=1):
        consignor = customers.create_customer(uow, {
            "code": code, "name": name, "region": region, "is_consignor": True,
            "language": "en" if name.isascii() else "zh"})
        customer_ids.append(consignor.id)
        for sku, title, price, (kg, length, width, height), units in goods:
            product = catalog.create_product(uow, {
                "sku": sku, "name": title, "price": Decimal(price), "category": "寄售 Consigned",
                "consignor_id": consignor.id, "weight_kg": Decimal(kg),
                "length_cm": Decimal(length), "width_cm": Decimal(width),
                "height_cm": Decimal(height)})
            product_ids.append(product.id)
            for index, quantity in enumerate(units):
                if quantity:
                    stock_service.receive_stock(
                        uow, product.id, ids.warehouses[index], quantity, "consignor receipt",
                        consignor_id=consignor.id, asn=f"ASN-{code}-{n:02d}{index + 1:02d}")
                    receipts += 1
    date_consignor_rows(uow.session, customer_ids, product_ids, now - timedelta(days=3))
    codes = {code: pk for (code, *_), pk in zip(CONSIGNORS, customer_ids, strict=True)}
    ids.consignors = customer_ids
    return {"consignors": len(customer_ids), "consignor_products": len(product_ids),
            "consignor_receipts": receipts, **write_deliveries(uow, codes, now)}
