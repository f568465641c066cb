"""Consignors' delivery orders, freight agreements and billing, and delivery plans."""
