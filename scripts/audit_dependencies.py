"""Audit the locked dependencies for known vulnerabilities with pip-audit.

    .venv/bin/python scripts/audit_dependencies.py [requirements files…]

Exit 1 when a locked package has a known vulnerability. When the advisory service cannot be
reached (a closed network, a mirror without PyPI's JSON API), say so plainly and exit 0: the
lock is still what it is, and CI does not fail on a network it does not have.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ("requirements.txt", "tests/requirements.txt")


def main(locks) -> int:
    command = [str(ROOT / ".venv/bin/pip-audit"), "--require-hashes", "--disable-pip", "--progress-spinner", "off",
               "--format", "json"]
    for lock in locks:
        command += ["-r", str(ROOT / lock)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        reason = (run.stderr.strip().splitlines() or ["geen antwoord"])[-1]
        print(f"Kwetsbaarheidscontrole niet uitgevoerd: de adviesdienst is niet bereikbaar ({reason[:200]}).")
        return 0
    dependencies = report.get("dependencies", [])
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        ids = ", ".join(v["id"] for v in dependency["vulns"])
        print(f"KWETSBAAR: {dependency['name']} {dependency['version']}: {ids}")
    if vulnerable:
        return 1
    if not audited:
        print(f"Kwetsbaarheidscontrole niet uitgevoerd: de adviesdienst gaf voor geen van de {len(dependencies)} "
              "pakketten antwoord (gesloten netwerk of een spiegel zonder adviesgegevens).")
        return 0
    skipped = len(dependencies) - len(audited)
    print(f"Kwetsbaarheidscontrole: {len(audited)} pakketten gecontroleerd, geen bekende kwetsbaarheden"
          + (f"; {skipped} niet te controleren." if skipped else "."))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or LOCKS))
