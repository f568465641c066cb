"""Campaigns in the graph: the list, one campaign, its stats, and the workflow mutations
(docs/architecture.md#campaigns)."""
