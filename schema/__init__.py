"""The GraphQL layer: types, inputs, resolvers, loaders, permissions and the ASGI app.

Every domain folder (`schema/<domain>/`) has the same files, each only where it has content:

* `types.py`: object types with their field resolvers, their enums, the loaders and
  look-ahead relations those fields read through, and the domain's node look-ups. It
  imports no other domain's schema modules at run time: a field of another domain's type
  is declared `Annotated[X, strawberry.lazy("schema.<domain>.types")]` (X imported under
  `if TYPE_CHECKING:`) and builds its objects with `object_type("X")`
  (schema/core/objects.py), so no import cycle can form between domains.
* `inputs.py`: input types, filters and the sort enums used as arguments, and their
  translation into service arguments (global IDs decoded there).
* `queries.py`: the domain's `XQuery` class.
* `mutations.py`: the domain's `XMutation` class and its payload types
  (`{ <object>, userErrors }`); a domain with many mutations makes it a `mutations/`
  package, one module per workflow, each with its payloads. `types.py` and `queries.py`
  likewise become `types/` and `queries/` packages by concept when they outgrow a screen
  (schema/shipping/), their `__init__.py` re-exporting the names.
* `subscriptions.py`: a domain's own subscription fields; the cross-domain machinery
  (transport, fan-out, event payloads) is schema/subscriptions/.

inputs.py, queries.py and mutations.py may import any domain's types and inputs; only
schema/build.py imports queries and mutations (and another domain's mutations, for a
permission they share, e.g. payments' `finance_only`). tests/schema/test_layout.py keeps
these rules.
"""
