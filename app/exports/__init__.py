"""Bulk exports: a list's rows, as its API answers them, written to a file by a background
job and downloaded from a signed, expiring link (docs/architecture.md#exports)."""
