"""frontend-contract/PERMISSIONS.md, generated from the policy table by `make schema` and
held to it by the drift check (`make schema-check`)."""

from __future__ import annotations

from schema.policy.rules import CALLERS, Access, FieldRule, Rule
from schema.policy.table import FIELDS, OPERATIONS

_MARK = {Access.ALLOWED: "yes", Access.SCOPED: "scoped", Access.MASKED: "masked",
         Access.DENIED: "-"}
_KINDS = ("Query", "Mutation", "Subscription")


def _short(caller: str) -> str:
    return {"CUSTOMER_SERVICE": "CS", "WAREHOUSE": "WH", "LOGISTICS": "LOG", "MARKETING": "MKT",
            "ANONYMOUS": "anon"}.get(caller, caller)


def _table(entries: dict[str, Rule | FieldRule], title: str) -> list[str]:
    lines = [f"| {title} | rule | " + " | ".join(_short(c) for c in CALLERS) + " |",
             "|---|---|" + "---|" * len(CALLERS)]
    for name, rule in sorted(entries.items()):
        label = rule.label if isinstance(rule, Rule) else rule.text
        cells = [_MARK[rule.outcome(c)[0]] for c in CALLERS]
        lines.append(f"| `{name}` | {label} | " + " | ".join(cells) + " |")
    return lines


def _scopes() -> list[str]:
    """How each row-scoped or masked cell is scoped, once per distinct wording."""
    seen: dict[tuple[str, str], list[str]] = {}
    for entries in (OPERATIONS, FIELDS):
        for name, rule in entries.items():
            for caller in CALLERS:
                access, how = rule.outcome(caller)
                if access in (Access.SCOPED, Access.MASKED) and how:
                    seen.setdefault((caller, how), []).append(name)
    lines = ["| caller | scope | where |", "|---|---|---|"]
    for (caller, how), names in sorted(seen.items()):
        where = ", ".join(f"`{n}`" for n in sorted(names)[:6])
        more = len(names) - 6
        lines.append(f"| {caller} | {how} | {where}{f' and {more} more' if more > 0 else ''} |")
    return lines


def render() -> str:
    out = [
        "# Permissions",
        "",
        "Generated from `schema/policy/table.py` by `make schema`; do not edit. Roles and the",
        "permissions they hold: `app/auth/roles.py`. The signed-in caller's own operations:",
        "`me { allowedOperations }`. How the three layers work: docs/architecture.md",
        "(\"The policy table\").",
        "",
        "`yes` allowed; `scoped` allowed on the caller's rows only (a row outside answers",
        "exactly like a missing one); `masked` shown masked; `-` denied (`FORBIDDEN`, or",
        "`UNAUTHENTICATED` for an anonymous caller; a refused mutation is audited with outcome",
        "`DENIED`). CS = CUSTOMER_SERVICE, WH = WAREHOUSE, LOG = LOGISTICS, MKT = MARKETING.",
        "",
    ]
    for kind in _KINDS:
        entries = {k.partition(".")[2]: v for k, v in OPERATIONS.items()
                   if k.startswith(kind + ".")}
        out += [f"## {kind}", "", *_table(entries, kind.lower()), ""]
    out += ["## Guarded fields", "",
            "A denied field is `null` with a `FORBIDDEN` error at its path; the rest of the",
            "response arrives.", "", *_table(FIELDS, "field"), "",
            "## Row scopes and masks", "", *_scopes(), ""]
    return "\n".join(out)
