"""Deterministic demo data for `crm seed-demo` (see app/demo/service.py)."""
