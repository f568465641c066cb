"""Domain, services and persistence of the order-to-delivery system (no GraphQL here)."""
