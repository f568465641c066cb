"""The breaking-change guard: the contract (frontend-contract/schema.graphql) against the
last release's, failing on a breaking change that frontend-contract/CHANGELOG.md does not
list, and on a removal that was not deprecated in that release
(docs/conventions.md#breaking-changes).

The last release is the newest git tag `v<version>` (its schema.graphql), else, with no tag
(a fresh project, or a clone without tags), the newest frontend-contract/releases/<version>.graphql.
A change is listed when one of its schema coordinates (`Type`, `Type.field`,
`Type.field(arg:)`, `Enum.VALUE`) appears in backticks above the release's own heading.
`python -m schema.breaking` (CI: .ci/contract-client).
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from graphql import (
    BreakingChangeType,
    GraphQLEnumType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "frontend-contract"
TAG_GLOB = "v[0-9]*"
_COORDINATE = re.compile(r"@?[_A-Za-z]\w*(?:\.\w+)?(?:\(\w+:\))?")
_REMOVALS = {BreakingChangeType.FIELD_REMOVED, BreakingChangeType.VALUE_REMOVED_FROM_ENUM,
             BreakingChangeType.ARG_REMOVED}


@dataclass(frozen=True)
class Baseline:
    version: str
    source: str  # where it was read from, for the report
    sdl: str


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version))


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True,
                              check=False, timeout=30)
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def baseline(root: Path = ROOT) -> Baseline:
    tag = (_git(root, "describe", "--tags", "--abbrev=0", "--match", TAG_GLOB, "HEAD")
           or "").strip()
    if tag:
        sdl = _git(root, "show", f"{tag}:frontend-contract/schema.graphql")
        if sdl is not None:
            return Baseline(tag.removeprefix("v"), f"git tag {tag}", sdl)
    releases = sorted((root / "frontend-contract" / "releases").glob("*.graphql"),
                      key=lambda p: _version_key(p.stem))
    if not releases:
        raise SystemExit("no release to compare with: no tag v<version> and no "
                         "frontend-contract/releases/<version>.graphql")
    newest = releases[-1]
    return Baseline(newest.stem, str(newest.relative_to(root)),
                    newest.read_text(encoding="utf-8"))


def unreleased(changelog: str, version: str) -> str:
    """The CHANGELOG above the heading of `version`: what changed since that release."""
    heading = re.compile(rf"^##\s+\[?v?{re.escape(version)}\]?(\s|$)", re.MULTILINE)
    found = heading.search(changelog)
    return changelog[:found.start()] if found else changelog


def coordinates(description: str, old: GraphQLSchema) -> set[str]:
    """The schema coordinates a change's description names (graphql-core's wording)."""
    out = set()
    for token in _COORDINATE.findall(description):
        if "." in token or "(" in token or token.startswith("@") or token in old.type_map:
            out.add(token)
    return out


def _deprecated(old: GraphQLSchema, kind: BreakingChangeType, coordinate: str) -> bool:
    match = re.fullmatch(r"(\w+)\.(\w+)(?:\((\w+):\))?", coordinate)
    if not match:
        return False
    type_name, member, arg = match.groups()
    owner = old.type_map.get(type_name)
    if kind is BreakingChangeType.VALUE_REMOVED_FROM_ENUM:
        value = owner.values.get(member) if isinstance(owner, GraphQLEnumType) else None
        return bool(value and value.deprecation_reason)
    field = getattr(owner, "fields", {}).get(member)
    if field is None:
        return False
    if arg is not None:
        target = field.args.get(arg)
        return bool(target and target.deprecation_reason)
    return bool(field.deprecation_reason)


def check(old_sdl: str, new_sdl: str, changelog: str, version: str
          ) -> tuple[list[str], list[str]]:
    """(problems, dangerous changes worth a look) of the new schema against the old."""
    old, new = build_schema(old_sdl), build_schema(new_sdl)
    listed = set(re.findall(r"`([^`\n]+)`", unreleased(changelog, version)))
    problems = []
    for change in find_breaking_changes(old, new):
        names = coordinates(change.description, old)
        if change.type in _REMOVALS and not any(
                _deprecated(old, change.type, c) for c in names):
            problems.append(f"{change.description} It was not deprecated in {version}: "
                            "mark it @deprecated(reason:) in a release before removing it.")
        elif not names & listed:
            shown = ", ".join(f"`{c}`" for c in sorted(names)) or change.description
            problems.append(f"{change.description} Not listed in CHANGELOG.md since "
                            f"{version}: list {shown} there.")
    dangerous = [c.description for c in find_dangerous_changes(old, new)]
    return problems, dangerous


def main(argv: list[str]) -> int:
    base = baseline()
    current = (CONTRACT / "schema.graphql").read_text(encoding="utf-8")
    changelog_path = CONTRACT / "CHANGELOG.md"
    changelog = changelog_path.read_text(encoding="utf-8") if changelog_path.exists() else ""
    problems, dangerous = check(base.sdl, current, changelog, base.version)
    print(f"breaking-change guard: schema.graphql against {base.version} ({base.source})")
    if "--verbose" in argv:
        for line in dangerous:
            print(f"  dangerous (allowed): {line}")
    for line in problems:
        print(f"  BREAKING: {line}", file=sys.stderr)
    if problems:
        return 1
    print(f"  no unlisted breaking change ({len(dangerous)} dangerous, allowed)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
