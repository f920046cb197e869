"""Audit pmkg's installed dependencies for known vulnerabilities, against a committed snapshot that works offline.

``pip-audit`` needs a vulnerability service: OSV (api.osv.dev) or PyPI's per-release JSON. Where neither answers it
"skips" every package and audits nothing, and a skipped check looks like a passed one. This tool splits the audit:

* ``refresh`` looks every dependency (the closure of ``pyproject.toml``'s dependencies and ``test`` extra, at the
  versions installed here) up in an advisory source and writes the result to ``security/dependency-audit.json``:
  per package its version and the advisories that affect it, with the source's name and date;

  - ``--source osv`` (the authority): OSV's batch query, where api.osv.dev is reachable;
  - ``--source safety-db --safety-db PATH``: PyUp's Safety DB (``pip download safety-db``; its last release holds
    advisories up to 2021-07-01, under CC BY-NC-SA 4.0, so only its verdicts are committed, not its data);
* ``check`` (offline; ``tests/test_dependency_audit.py`` runs it in CI) fails when an installed dependency is missing
  from the snapshot or installed at another version than the one audited (a new or changed pin must be audited
  again: nothing is skipped), or when the snapshot records an advisory for it. It prints what the audit covers: how
  many packages, which source, and the date of that source's data.

Usage::

    python tools/audit_dependencies.py check
    python tools/audit_dependencies.py refresh --source osv
    python tools/audit_dependencies.py refresh --source safety-db --safety-db PATH/insecure_full.json
    python tools/audit_dependencies.py requirements   # name==version lines, e.g. for pip-audit -r where online
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
import urllib.request
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = REPO / "security" / "dependency-audit.json"
OSV_BATCH = "https://api.osv.dev/v1/querybatch"
EXTRAS = ("test",)


def dependency_closure(pyproject: Path = REPO / "pyproject.toml", extras: Iterable[str] = EXTRAS) -> dict[str, str]:
    """name -> installed version for every distribution pmkg needs here (runtime and ``extras``), transitively.

    A requirement whose marker does not hold here (another platform or Python) is left out. A requirement that is
    not installed raises ``LookupError``: an environment without it cannot be audited.
    """
    project = tomllib.loads(pyproject.read_text())["project"]
    roots = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        roots += [Requirement(r) for r in project.get("optional-dependencies", {}).get(extra, [])]
    found: dict[str, str] = {}
    missing: list[str] = []
    pending: list[tuple[Requirement, str]] = [(r, "") for r in roots]
    seen_extras: set[tuple[str, str]] = set()
    while pending:
        requirement, extra = pending.pop()
        environment = {**default_environment(), "extra": extra}
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        name = canonicalize_name(requirement.name)
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            missing.append(str(requirement))
            continue
        wanted_extras = {""} | set(requirement.extras)
        new = [e for e in wanted_extras if (name, e) not in seen_extras]
        if not new:
            continue
        seen_extras.update((name, e) for e in new)
        found[name] = dist.version
        for line in dist.requires or []:
            child = Requirement(line)
            for e in new:
                pending.append((child, e))
    if missing:
        raise LookupError(
            f"not installed here, so not auditable: {', '.join(sorted(missing))}; pip install -e '.[test]'"
        )
    return dict(sorted(found.items()))


def affected_by_osv(record: dict[str, Any], name: str, version: str) -> bool:
    """Whether an OSV record lists ``name`` at ``version`` (its ``versions`` or an ECOSYSTEM range)."""
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI" or canonicalize_name(package.get("name", "")) != name:
            continue
        if version in affected.get("versions", []):
            return True
        for span in affected.get("ranges", []):
            if span.get("type") == "ECOSYSTEM" and _in_range(span.get("events", []), version):
                return True
    return False


def _in_range(events: list[dict[str, str]], version: str) -> bool:
    try:
        current = Version(version)
    except InvalidVersion:
        return False
    inside = False
    for event in sorted(events, key=lambda e: _event_version(e)):
        if "introduced" in event and current >= _event_version(event):
            inside = True
        if "fixed" in event and current >= _event_version(event):
            inside = False
        if "last_affected" in event and current > _event_version(event):
            inside = False
    return inside


def _event_version(event: dict[str, str]) -> Version:
    value = next(iter(event.values()))
    return Version("0") if value == "0" else Version(value)


def affected_by_safety(entries: list[dict[str, Any]], version: str) -> list[str]:
    """The Safety DB advisory ids among ``entries`` (one package's) whose specifier holds ``version``."""
    hits = []
    for entry in entries:
        for spec in entry.get("specs") or [entry.get("v", "")]:
            try:
                if spec and Version(version) in SpecifierSet(spec):
                    hits.append(entry.get("id") or entry.get("cve") or spec)
                    break
            except (InvalidSpecifier, InvalidVersion):
                continue
    return hits


def audit_with_safety_db(packages: dict[str, str], path: Path) -> tuple[dict[str, list[str]], str]:
    db = json.loads(path.read_text())
    stamp = db.get("$meta", {}).get("timestamp")
    by_name = {canonicalize_name(k): v for k, v in db.items() if k != "$meta"}
    found = {name: affected_by_safety(by_name.get(name, []), version) for name, version in packages.items()}
    date = datetime.fromtimestamp(stamp, UTC).date().isoformat() if stamp else "unknown"
    infos = path.parent.parent.glob("safety_db-*.dist-info")
    releases = [d.name.removeprefix("safety_db-").removesuffix(".dist-info") for d in infos]
    release = releases[0] if releases else ""
    return found, f"Safety DB (PyUp) {release or path.name}, advisories up to {date}"


def audit_with_osv(packages: dict[str, str], timeout: float = 30.0) -> tuple[dict[str, list[str]], str]:
    queries = [{"package": {"name": n, "ecosystem": "PyPI"}, "version": v} for n, v in packages.items()]
    request = urllib.request.Request(
        OSV_BATCH, data=json.dumps({"queries": queries}).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            results = json.load(response)["results"]
    except OSError as exc:
        raise SystemExit(
            f"error: OSV ({OSV_BATCH}) cannot be reached from here ({exc}). Refresh where it can, or use "
            "--source safety-db (stale data, stated as such in the snapshot)"
        ) from None
    found = {name: [v["id"] for v in result.get("vulns", [])] for name, result in zip(packages, results, strict=True)}
    return found, f"OSV (api.osv.dev), queried {datetime.now(UTC).date().isoformat()}"


def refresh(source: str, safety_db: Path | None, snapshot: Path = SNAPSHOT) -> dict[str, Any]:
    packages = dependency_closure()
    if source == "osv":
        found, described = audit_with_osv(packages)
    else:
        if safety_db is None:
            raise SystemExit("error: --source safety-db needs --safety-db PATH/insecure_full.json")
        found, described = audit_with_safety_db(packages, safety_db)
    document = {
        "source": described,
        "audited_at": datetime.now(UTC).date().isoformat(),
        "python": ".".join(map(str, sys.version_info[:2])),
        "packages": {name: {"version": packages[name], "advisories": found[name]} for name in packages},
    }
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    snapshot.write_text(json.dumps(document, indent=1) + "\n")
    return document


def check(snapshot: Path = SNAPSHOT, installed: dict[str, str] | None = None) -> list[str]:
    """The problems: pins not audited at their installed version, and pins with a known advisory. Empty is a pass."""
    document = json.loads(snapshot.read_text())
    audited = document["packages"]
    installed = dependency_closure() if installed is None else installed
    problems = []
    for name, version in installed.items():
        entry = audited.get(name)
        if entry is None:
            problems.append(f"{name} {version}: not in the audit snapshot (a new dependency): refresh the audit")
        elif entry["version"] != version:
            problems.append(f"{name} {version}: the snapshot audited {entry['version']}: refresh the audit")
        elif entry["advisories"]:
            problems.append(f"{name} {version}: known vulnerable ({', '.join(entry['advisories'])}): upgrade it")
    return problems


def coverage(snapshot: Path = SNAPSHOT) -> str:
    document = json.loads(snapshot.read_text())
    return (
        f"{len(document['packages'])} packages audited at their installed versions on {document['audited_at']} "
        f"against {document['source']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="offline: fail on an unaudited pin or a known-vulnerable one")
    fresh = commands.add_parser("refresh", help="look every dependency up again and write the snapshot")
    fresh.add_argument("--source", choices=("osv", "safety-db"), default="osv")
    fresh.add_argument("--safety-db", type=Path, help="insecure_full.json of the safety-db package")
    commands.add_parser("requirements", help="print name==version for every dependency")
    args = parser.parse_args(argv)
    if args.command == "requirements":
        print("\n".join(f"{n}=={v}" for n, v in dependency_closure().items()))
        return 0
    if args.command == "refresh":
        refresh(args.source, args.safety_db)
        print(coverage())
        return 0
    problems = check()
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    print(coverage())
    if problems:
        print(f"{len(problems)} problem(s); see docs/reliability-and-security.md#dependency-audit", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["affected_by_osv", "affected_by_safety", "check", "coverage", "dependency_closure"]
