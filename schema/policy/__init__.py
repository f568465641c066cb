"""The policy table (table.py) in its vocabulary (rules.py), applied to the root fields when
the schema is built (apply.py) and printed as frontend-contract/PERMISSIONS.md
(document.py). docs/architecture.md#the-policy-table."""
