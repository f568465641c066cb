"""Benchmarks: `make bench` / `make bench-quick` (not collected by pytest)."""
