"""`make audit-deps`: pip-audit over the installed environment with PyPI's advisory data,
the advisories of `.ci/pip-audit-accepted.txt` ignored (docs/architecture.md#dependency-audit).

pip-audit's PyPI service asks `https://pypi.org/pypi/<name>/<version>/json` for every
distribution. Where that document is not served (this machine's registry access answers 404
for every per-version document and serves the project's, `/pypi/<name>/json`), pip-audit skips
every dependency and still says "No known vulnerabilities found". So a skipped dependency is
looked up here in its project document, whose `vulnerabilities` are those of the latest
release: they are the installed version's when it is the latest; otherwise the dependency is
reported as not audited. Without any network the audit says so and passes (it cannot judge).

    python -m tests.deps.audit
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from importlib.metadata import distributions
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from app.config import PROJECT_ROOT

ACCEPTED = PROJECT_ROOT / ".ci" / "pip-audit-accepted.txt"
PYPI = "https://pypi.org/pypi/{}/json"


class Offline(Exception):
    pass


def accepted() -> dict[str, tuple[str, str]]:
    """advisory id -> (package, the test that proves the mitigation)."""
    out = {}
    for line in ACCEPTED.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            advisory, package, _why, test = (part.strip() for part in line.split(" | "))
            out[advisory] = (package, test)
    return out


def missing_tests(ids: dict[str, tuple[str, str]]) -> list[str]:
    """Accepted advisories whose proving test is not where the list says."""
    missing = []
    for advisory, (_package, test) in ids.items():
        path, _, name = test.partition("::")
        source = PROJECT_ROOT / path
        if not name or not source.is_file() or f"def {name}(" not in source.read_text():
            missing.append(f"{advisory}: {test}")
    return missing


def pip_audit(ids: dict) -> dict:
    cmd = [str(Path(sys.executable).parent / "pip-audit"), "-s", "pypi", "--skip-editable",
           "--format", "json", "--progress-spinner", "off"]
    for advisory in ids:
        cmd += ["--ignore-vuln", advisory]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    try:
        return json.loads(result.stdout)
    except ValueError:
        reachable()  # raises Offline when it is the network
        raise SystemExit(f"pip-audit failed ({result.returncode}): "
                         f"{result.stderr[-2000:]}") from None


def reachable() -> None:
    try:
        urllib.request.urlopen(PYPI.format("pip"), timeout=20).close()
    except urllib.error.HTTPError:
        return
    except OSError as exc:
        raise Offline(str(exc)) from None


def project_document(name: str) -> dict | None:
    try:
        with urllib.request.urlopen(PYPI.format(name), timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise
    except OSError as exc:
        raise Offline(str(exc)) from None


def _same(installed: str, latest: str) -> bool:
    try:
        return Version(installed) == Version(latest)
    except InvalidVersion:
        return installed == latest


def from_project_documents(names: list[str], versions: dict[str, str], ids: dict,
                           findings: list[str], unaudited: list[str]) -> int:
    """Audit skipped dependencies whose installed version is the latest release; returns how
    many were audited so."""
    audited = 0
    for name in names:
        installed = versions.get(canonicalize_name(name), "?")
        document = project_document(name)
        if document is None:
            unaudited.append(f"{name} {installed}: not on PyPI")
            continue
        latest = document["info"]["version"]
        if not _same(installed, latest):
            unaudited.append(f"{name} {installed}: PyPI describes only the latest, {latest}")
            continue
        audited += 1
        for vuln in document.get("vulnerabilities") or ():
            if vuln.get("withdrawn"):
                continue
            if {vuln["id"], *(vuln.get("aliases") or ())} & ids.keys():
                continue
            findings.append(f"{name} {installed}: {vuln['id']} "
                            f"(aliases {', '.join(vuln.get('aliases') or ()) or '-'}; "
                            f"fixed in {', '.join(vuln.get('fixed_in') or ()) or 'no release'})")
    return audited


def main() -> int:
    ids = accepted()
    missing = missing_tests(ids)
    for line in missing:
        print(f"accepted advisory without its test: {line}")
    versions = {canonicalize_name(d.metadata["Name"]): d.version for d in distributions()}
    try:
        report = pip_audit(ids)
        findings: list[str] = []
        skipped: list[str] = []
        own = 0
        for dep in report["dependencies"]:
            if "editable" in dep.get("skip_reason", ""):  # this project itself
                own += 1
                continue
            if "skip_reason" in dep:
                skipped.append(dep["name"])
            for vuln in dep.get("vulns", ()):
                findings.append(f"{dep['name']} {dep['version']}: {vuln['id']} "
                                f"(fixed in {', '.join(vuln['fix_versions']) or 'no release'})")
        unaudited: list[str] = []
        by_documents = from_project_documents(skipped, versions, ids, findings, unaudited)
    except Offline as exc:
        print(f"audit-deps: PyPI's advisory data cannot be reached ({exc}): "
              "the dependencies were NOT audited")
        return 1 if missing else 0
    total = len(report["dependencies"]) - own
    print(f"audit-deps: {total} distributions: {total - len(skipped)} audited by pip-audit "
          f"(per-version documents), {by_documents} by their project document (the latest "
          f"release), {len(unaudited)} not audited")
    for line in unaudited:
        print(f"  not audited: {line}")
    print(f"accepted (.ci/pip-audit-accepted.txt): {', '.join(ids) or 'none'}")
    for line in findings:
        print(f"VULNERABLE: {line}")
    if not findings:
        print("no known vulnerabilities besides the accepted ones")
    return 1 if findings or missing else 0


if __name__ == "__main__":
    sys.exit(main())
