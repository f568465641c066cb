"""Converting a qualified lead: its customer, the customer's primary contact and, if asked,
an opportunity, all in the caller's one unit of work: a step failing rolls every step back
(docs/architecture.md#leads-and-the-sales-funnel)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from app.customers import service as customers
from app.customers.models import Contact, Customer, CustomerKind
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.sales import duplicates
from app.sales import repository as repo
from app.sales.duplicates import Duplicate
from app.sales.models import Lead, Opportunity
from app.sales.opportunities import OpportunityDraft, create_opportunity
from app.sales.service import load_lead, move_lead
from app.sales.workflow import LeadAction, authorize_lead
from app.sync import capture as sync_capture


@dataclass(frozen=True)
class ConversionRequest:
    lead_id: int
    customer_name: str | None = None  # default: the lead's company, else its name
    opportunity: OpportunityDraft | None = None


@dataclass
class Conversion:
    lead: Lead
    customer: Customer
    contact: Contact
    opportunity: Opportunity | None
    warnings: list[Duplicate]


def _customer_data(lead: Lead, name: str | None) -> dict[str, Any]:
    return {"name": (name or "").strip() or lead.company or lead.name,
            "kind": (CustomerKind.COMPANY if lead.company else CustomerKind.PERSON).value,
            "email": lead.email, "phone": lead.phone, "owner_id": lead.owner_id,
            "notes": lead.notes}


def convert_lead(uow: UnitOfWork, request: ConversionRequest) -> Conversion:
    lead = load_lead(uow, request.lead_id)
    authorize_lead(LeadAction.CONVERT, lead.status, uow.principal)
    # what the new customer resembles, read before it exists (it would match itself)
    warnings = [d for d in duplicates.find(uow.session, uow.principal, lead.email, lead.phone,
                                           lead.company, except_ids=[lead.id])
                if d.kind == "CUSTOMER"]
    before = snapshot(lead)
    customer = customers.create_customer(uow, _customer_data(lead, request.customer_name))
    contact = customers.add_contact(uow, customer.id, {
        "name": lead.name, "title": lead.title, "email": lead.email, "phone": lead.phone,
        "is_primary": True})
    # no audit record names them: the delta sync is told (docs/architecture.md#delta-sync)
    sync_capture.touch(uow, "Opportunity", repo.attach_customer(uow.session, lead.id,
                                                                customer.id))
    opportunity = None
    if request.opportunity is not None:
        opportunity = create_opportunity(uow, replace(
            request.opportunity, customer_id=customer.id, lead_id=lead.id,
            owner_id=request.opportunity.owner_id or lead.owner_id))
    lead.customer_id = customer.id
    lead.opportunity_id = opportunity.id if opportunity is not None else None
    lead.converted_at = utcnow()
    move_lead(uow, lead, LeadAction.CONVERT, before, customer_id=customer.id,
              opportunity_id=lead.opportunity_id)
    return Conversion(lead, customer, contact, opportunity, warnings)
