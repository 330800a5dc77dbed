"""Check that every file under static/vendor/ comes from a package whose licence is allowed.

scripts/assets.sh copies each npm package into a folder of static/vendor/ together with the
package's own package.json (as PACKAGE.json). A file is covered by the nearest PACKAGE.json
above it; its licence is the package's SPDX expression. The build fails, naming the package,
its version and its licence, when a file has no recorded package or a licence outside
ALLOWED: a municipality installs what casustafel ships, so no proprietary brand asset (such as
a municipality's own design tokens, "All rights reserved") may slip in.

    python3 scripts/check_licences.py [static/vendor]

Standard library only: it runs before the virtualenv exists.
"""

import json
import re
import sys
from pathlib import Path

# Open licences that allow every municipality to install and change what we ship.
ALLOWED = {
    "EUPL-1.1", "EUPL-1.2",  # NL Design System components and tokens
    "MIT", "ISC", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "0BSD", "CC0-1.0",
    "MPL-2.0",  # axe-core
    "OFL-1.1",  # the Noto fonts
}
MANIFEST = "PACKAGE.json"
# What assets.sh copies next to a package's files: its manifest and its licence text.
ABOUT_FILES = {MANIFEST, "LICENSE", "LICENSE.md", "LICENSE.txt"}


def licence_of(manifest: dict) -> str:
    """The package's licence as written in its package.json ("" when it names none)."""
    licence = manifest.get("license")
    if isinstance(licence, dict):
        licence = licence.get("type")
    if licence is None and isinstance(manifest.get("licenses"), list):
        licence = " OR ".join(str(item.get("type", "")) for item in manifest["licenses"] if isinstance(item, dict))
    return str(licence or "").strip()


def allowed(expression: str) -> bool:
    """An SPDX expression is allowed when every AND-part has an allowed OR-choice.

    "SEE LICENSE IN …", "UNLICENSED" and anything unknown are not allowed."""
    if not expression or expression.upper().startswith("SEE LICENSE") or expression == "UNLICENSED":
        return False
    flat = expression.replace("(", " ").replace(")", " ")
    for part in re.split(r"\s+AND\s+", flat):
        choices = [choice.strip().removesuffix("+") for choice in re.split(r"\s+OR\s+", part)]
        if not any(choice in ALLOWED or choice.removesuffix("-only").removesuffix("-or-later") in ALLOWED
                   for choice in choices):
            return False
    return True


def problems(vendor: Path) -> list[str]:
    """One line per package (or stray file) that may not be shipped."""
    found = []
    packages = {}
    for path in sorted(vendor.rglob("*")):
        if not path.is_file():
            continue
        folder = next((parent for parent in path.parents if (parent / MANIFEST).is_file()), None)
        if folder is None or not folder.is_relative_to(vendor):
            found.append(f"{path}: no package recorded (no {MANIFEST} above it), so its licence is unknown")
            continue
        packages.setdefault(folder, []).append(path)
    for folder, files in packages.items():
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            found.append(f"{folder / MANIFEST}: unreadable ({error})")
            continue
        licence = licence_of(manifest)
        if not allowed(licence):
            shipped = [path for path in files if path.name not in ABOUT_FILES]
            name = f"{manifest.get('name', '?')} {manifest.get('version', '?')}"
            found.append(f"{folder}: {name} has licence {licence or '(none)'!r}, not on the allowlist "
                         f"({len(shipped)} file(s), e.g. {shipped[0] if shipped else folder})")
    return found


def main(argv: list[str]) -> int:
    vendor = Path(argv[1] if len(argv) > 1 else "static/vendor")
    if not vendor.is_dir():
        print(f"{vendor}: not found; run scripts/assets.sh first", file=sys.stderr)
        return 2
    found = problems(vendor)
    for line in found:
        print(f"licence check: {line}", file=sys.stderr)
    if found:
        print(f"licence check: FAILED; allowed: {', '.join(sorted(ALLOWED))}", file=sys.stderr)
        return 1
    count = sum(1 for path in vendor.rglob("*") if path.is_file())
    print(f"licence check: {count} files under {vendor}, every one from a package with an allowed licence")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
