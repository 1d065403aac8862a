"""pip-audit of the locked set (constraints.txt) against PyPI's vulnerability data.

pip-audit asks PyPI for each pinned release's record (/pypi/<name>/<version>/json). The
index this project's machines reach serves only each project's record (/pypi/<name>/json),
whose "vulnerabilities" are those of the latest release; pip-audit alone then skips every
package and still says "No known vulnerabilities found". So this runs pip-audit's own
auditor with one change: where the release's record is missing and the pin *is* the latest
release, the project's record answers. Anything that cannot be audited fails the run, unless
it is held back below the latest release for a reason written in HELD_BACK, or a newer
release came out less than GRACE_DAYS ago (the pin is told to move, and the run goes on: CI
should not fail on the day a dependency publishes; a pin a month behind fails it). A network
failure fails it too. Nothing is cached: every run asks PyPI.

    .venv/bin/python .ci/pip_audit_locked.py constraints.txt
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from packaging.utils import canonicalize_name
from packaging.version import Version
from pip_audit._audit import AuditOptions, Auditor
from pip_audit._dependency_source import RequirementSource
from pip_audit._service import PyPIService
from pip_audit._service.interface import ServiceError

PYPI = "https://pypi.org/pypi"
TIMEOUT = 30
# How long a pin may stay behind a newer release before the run fails for it.
GRACE_DAYS = 30
# Pins older than the latest release, which this index cannot audit, and why they stay.
HELD_BACK = {
    "redis": "limits[redis] (Flask-Limiter's Redis storage) requires redis<8",
    "deprecated": "Deprecated 3 (needed by limits) requires Python 3.12; Debian 12 has 3.11",
    "jsonschema-rs": "schemathesis 4.32.5, its latest release, requires jsonschema-rs<0.61",
}


class ProjectRecordFallback:
    """A requests session that, for a release record the index does not serve, answers with
    the project's record when the pin is the latest release (so its vulnerabilities apply)."""

    def __init__(self) -> None:
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "marks-pip-audit"
        self.how: dict[str, str] = {}  # canonical name -> how it was audited
        self.latest: dict[str, str] = {}
        # canonical name -> when the first release after the pin came out (None: unknown)
        self.newer_since: dict[str, datetime | None] = {}

    def get(self, url: str, timeout: float | None = None) -> requests.Response:
        response = self.http.get(url, timeout=timeout or TIMEOUT)
        name, version = url.removeprefix(PYPI + "/").removesuffix("/json").split("/")
        if response.status_code != 404:
            self.how[name] = "release record"
            return response
        project = self.http.get(f"{PYPI}/{name}/json", timeout=timeout or TIMEOUT)
        if project.status_code != 200:
            return response  # unknown to PyPI: skipped, and so a failure below
        record = project.json()
        latest = record["info"]["version"]
        self.latest[name] = latest
        if Version(latest) != Version(version):
            self.newer_since[name] = _first_release_after(record, Version(version))
            return response
        self.how[name] = "project record (the pin is the latest release)"
        return project


class LockedSetService(PyPIService):
    def __init__(self) -> None:
        super().__init__(timeout=TIMEOUT)
        self.session = ProjectRecordFallback()


def main(constraints: Path) -> int:
    service = LockedSetService()
    source = RequirementSource([constraints], no_deps=True, disable_pip=True)
    vulnerable: list[str] = []
    unaudited: list[str] = []
    held: list[str] = []
    recent: list[str] = []  # behind a release younger than GRACE_DAYS
    audited = 0
    now = datetime.now(UTC)
    try:
        results = list(Auditor(service, options=AuditOptions()).audit(source))
    except (requests.RequestException, ServiceError) as error:
        print(f"pip-audit could not ask PyPI, so nothing was audited: {error}")
        return 2
    for spec, vulns in results:
        name = canonicalize_name(spec.name)
        if spec.is_skipped():
            pinned = _pinned_version(constraints, name)
            latest = service.session.latest.get(name, "?")
            line = f"{name} {pinned} (latest {latest})"
            since = service.session.newer_since.get(name)
            if name in HELD_BACK:
                held.append(line)
            elif since is not None and now - since < timedelta(days=GRACE_DAYS):
                recent.append(f"{line}: a newer release since {since:%-d %B %Y}")
            else:
                unaudited.append(line)
            continue
        audited += 1
        for vuln in vulns:
            fixes = ", ".join(str(v) for v in vuln.fix_versions) or "none"
            vulnerable.append(f"{name} {spec.version}: {vuln.id} (fixed in {fixes})")

    print(f"pip-audit of {constraints}: {audited} packages audited against PyPI")
    for way in sorted(set(service.session.how.values())):
        count = sum(1 for how in service.session.how.values() if how == way)
        print(f"  {count} through the {way}")
    for line in held:
        print(f"  not audited here: {line}: held back, {HELD_BACK[line.split()[0]]}")
    for line in recent:
        print(f"  not audited yet: {line}; pin the latest release within {GRACE_DAYS} days")
    for line in unaudited:
        print(f"  NOT AUDITED: {line}: pin the latest release, or audit where PyPI serves it")
    for line in vulnerable:
        print(f"  VULNERABLE: {line}")
    if audited == 0 or unaudited or vulnerable:
        return 1
    print("No known vulnerabilities found")
    return 0


def _first_release_after(record: dict, pinned: Version) -> datetime | None:
    """When the first final release newer than the pin was uploaded, from the project's record
    (None if the record does not say)."""
    times = [
        datetime.fromisoformat(files[0]["upload_time_iso_8601"].replace("Z", "+00:00"))
        for version, files in record.get("releases", {}).items()
        if files and _is_final_after(version, pinned) and not files[0].get("yanked")
    ]
    return min(times, default=None)


def _is_final_after(version: str, pinned: Version) -> bool:
    try:
        parsed = Version(version)
    except ValueError:  # not a PEP 440 version: not one pip would pick
        return False
    return parsed > pinned and not parsed.is_prerelease and not parsed.is_devrelease


def _pinned_version(constraints: Path, name: str) -> str:
    for line in constraints.read_text().splitlines():
        package, _, version = line.partition("==")
        if canonicalize_name(package.strip()) == name:
            return version.strip()
    return "?"


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "constraints.txt")))
