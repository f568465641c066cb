"""The breaking-change guard (schema/breaking.py): a removed field fails it until the
CHANGELOG lists it, and only once a release deprecated it; the baseline is the newest tag
v<version>, else the newest frontend-contract/releases/<version>.graphql."""

from __future__ import annotations

import subprocess
from pathlib import Path

from schema import breaking

OLD = '''type Query {
  customer(id: ID!): Customer
  legacyCode: String @deprecated(reason: "Use customer.code.")
  fax: String
}
type Customer { id: ID! code: String! }
enum Tier { GOLD SILVER @deprecated(reason: "Merged into GOLD.") }
'''
WITHOUT_LEGACY = OLD.replace('  legacyCode: String @deprecated(reason: "Use customer.code.")\n',
                             "")
CHANGELOG = """# Changelog

## Unreleased

{entries}

## 1.0.0

- `Query.fax` listed under an older release does not count.
"""


def _problems(new: str, entries: str = "") -> list[str]:
    return breaking.check(OLD, new, CHANGELOG.format(entries=entries), "1.0.0")[0]


def test_a_removed_field_fails_until_the_changelog_lists_it():
    [problem] = _problems(WITHOUT_LEGACY)
    assert "Query.legacyCode was removed" in problem and "`Query.legacyCode`" in problem
    assert _problems(WITHOUT_LEGACY, "- **Breaking** `Query.legacyCode` removed.") == []
    assert _problems(OLD) == []


def test_a_removal_without_deprecation_fails_even_when_listed():
    new = OLD.replace("  fax: String\n", "")
    [problem] = _problems(new, "- `Query.fax` removed.")
    assert "not deprecated in 1.0.0" in problem
    enum = OLD.replace(' SILVER @deprecated(reason: "Merged into GOLD.")', "")
    assert _problems(enum, "- `Tier.SILVER` removed.") == []


def test_other_breaking_changes_need_listing_and_safe_ones_do_not():
    stricter = OLD.replace("customer(id: ID!)", "customer(id: ID!, region: String!)")
    assert len(_problems(stricter)) == 1
    assert _problems(stricter, "- `Query.customer(region:)` is required.") == []
    relaxed = OLD.replace("customer(id: ID!)", "customer(id: ID, region: String = null)")
    problems, dangerous = breaking.check(OLD, relaxed, "", "1.0.0")
    assert problems == [] and dangerous == [
        "An optional argument Query.customer(region:) was added."]


def test_the_repository_contract_passes_against_its_baseline():
    base = breaking.baseline()
    changelog = (breaking.CONTRACT / "CHANGELOG.md").read_text(encoding="utf-8")
    current = (breaking.CONTRACT / "schema.graphql").read_text(encoding="utf-8")
    assert breaking.check(base.sdl, current, changelog, base.version)[0] == []


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   cwd=root, check=True, capture_output=True)


def test_the_baseline_is_the_tag_when_there_is_one(tmp_path):
    releases = tmp_path / "frontend-contract" / "releases"
    releases.mkdir(parents=True)
    (releases / "0.9.0.graphql").write_text("type Query { a: Int }\n")
    (releases / "0.10.0.graphql").write_text("type Query { b: Int }\n")
    _git(tmp_path, "init", "-q")
    assert breaking.baseline(tmp_path).version == "0.10.0"  # version order, not text order
    (tmp_path / "frontend-contract" / "schema.graphql").write_text("type Query { c: Int }\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "release")
    _git(tmp_path, "tag", "v1.2.0")
    tagged = breaking.baseline(tmp_path)
    assert (tagged.version, tagged.source, tagged.sdl) == (
        "1.2.0", "git tag v1.2.0", "type Query { c: Int }\n")
