"""All of the shipping domain's SQL, by concept: `shipments` (shipments, their lines and
tracking events, with the row scope) and `carriers` (carriers, their services, rate rules
and webhook secrets). Callers use `from app.shipping import repository as repo`."""

from app.shipping.repository import carriers, shipments
from app.shipping.repository.carriers import (
    CarrierSort,
    active_services,
    carrier_code_taken,
    carriers_by_ids,
    delete_rule,
    get_carrier,
    get_rule,
    get_service,
    list_carriers,
    rule_for_lane,
    rules_by_ids,
    rules_by_service,
    service_code_taken,
    services_by_carrier,
    services_by_ids,
    store_webhook_secret,
    webhook_secret,
    webhook_secret_rotations,
)
from app.shipping.repository.shipments import (
    ShipmentFilter,
    ShipmentSort,
    get_visible,
    latest_event,
    list_shipments,
    number_exists,
    scope,
    shipment_lines_by_shipment,
    shipment_rows_by_order,
    shipments_by_ids,
    shipments_by_order,
    shipped_quantities,
    tracking_event_by_external_id,
    tracking_events_by_shipment,
)

__all__ = [
    "CarrierSort", "ShipmentFilter", "ShipmentSort", "active_services", "carrier_code_taken",
    "carriers", "carriers_by_ids", "delete_rule", "get_carrier", "get_rule", "get_service",
    "get_visible", "latest_event", "list_carriers", "list_shipments", "number_exists",
    "rule_for_lane", "rules_by_ids", "rules_by_service", "scope", "service_code_taken",
    "services_by_carrier", "services_by_ids", "shipment_lines_by_shipment",
    "shipment_rows_by_order", "shipments", "shipments_by_ids", "shipments_by_order",
    "shipped_quantities", "store_webhook_secret", "tracking_event_by_external_id",
    "tracking_events_by_shipment", "webhook_secret", "webhook_secret_rotations",
]
