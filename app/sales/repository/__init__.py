"""SQL for leads, opportunities, pipeline stages and the funnel, with the caller's row
scope (SALES: their own; docs/architecture.md#leads-and-the-sales-funnel)."""

from app.sales.repository.funnel import FunnelGroup, FunnelRow, StageFlow, funnel_rows, stage_flow
from app.sales.repository.leads import (
    LeadFilter,
    LeadSort,
    customer_duplicates,
    get_visible_lead,
    lead_duplicates,
    lead_rows_by_ids,
    list_leads,
    lock_lead,
    owned_by,
    scope_leads,
)
from app.sales.repository.opportunities import (
    OpportunityFilter,
    OpportunitySort,
    active_stages,
    attach_customer,
    close_stay,
    first_open_stage,
    get_visible_opportunity,
    history_by_opportunity,
    lines_by_opportunity,
    lines_of,
    list_opportunities,
    lock_opportunity,
    opportunities_by_lead,
    opportunity_rows_by_ids,
    replace_lines,
    scope_opportunities,
    stage_by_id,
    stages,
    stages_by_ids,
)

__all__ = [
    "FunnelGroup", "FunnelRow", "LeadFilter", "LeadSort", "OpportunityFilter",
    "OpportunitySort", "StageFlow", "active_stages", "attach_customer", "close_stay",
    "customer_duplicates",
    "first_open_stage", "funnel_rows", "get_visible_lead", "get_visible_opportunity",
    "history_by_opportunity", "lead_duplicates", "lead_rows_by_ids", "lines_by_opportunity",
    "lines_of", "list_leads", "list_opportunities", "lock_lead", "lock_opportunity",
    "opportunities_by_lead", "opportunity_rows_by_ids", "owned_by", "replace_lines",
    "scope_leads", "scope_opportunities", "stage_by_id", "stage_flow", "stages",
    "stages_by_ids",
]
