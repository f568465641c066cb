"""Reports people look at: the weekly management report (docs/architecture.md#reports)."""
