"""docs/security.md cannot silently rot.

Every pytest node id cited in backticks (`tests/...py::test_name`) must name a file that
exists and defines that test; every section table cites at least one; a row that admits to
having no test must point at an entry under "Gaps"; each fault R1-R11 has its row; and every
module path cited under casustafel/, migrations/, templates/ or docs/ exists.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "security.md"

# One table per section of docs/security.md, plus the fault tests and the ASVS/BIO2 items.
TABLE_SECTIONS = (
    "Field encryption",
    "Accounts and sessions",
    "Access control",
    "Input, output, headers",
    "Access log",
    "Proving it (test patterns)",
    "Fault tests (R1–R11)",
    "ASVS 5.0 and BIO2 items",
)

NODE_ID = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")
GAP_REF = re.compile(r"\bG(\d+)\b")
GAP_DEF = re.compile(r"^- \*\*G(\d+)\.", re.M)
NO_TEST = re.compile(r"\b(?:no (?:pytest )?tests?|geen test|not tested|not fuzzed|no pytest node)\b", re.I)
# A file (with an extension) or a folder (trailing slash); `casustafel/v1` is the AAD label.
MODULE_PATH = re.compile(r"`((?:casustafel|migrations|templates|docs)/[\w./-]*(?:\.\w+|/))`")


def sections(text: str) -> dict[str, str]:
    """Level-2 heading -> body up to the next level-2 heading."""
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {title.strip(): body for title, body in zip(parts[1::2], parts[2::2], strict=True)}


def table_rows(body: str) -> list[str]:
    """Data rows of the markdown tables in a section (header and separator rows left out)."""
    rows = [line for line in body.splitlines() if line.startswith("|")]
    return [row for i, row in enumerate(rows) if not re.fullmatch(r"\|[\s|:-]+\|", row)
            and not (i + 1 < len(rows) and re.fullmatch(r"\|[\s|:-]+\|", rows[i + 1]))]


def defines_test(path: Path, name: str) -> bool:
    return bool(re.search(rf"^\s*(?:async\s+)?def {name}\(", path.read_text(encoding="utf-8"), re.M))


def problems(text: str, root: Path) -> list[str]:
    """Everything wrong with a checklist text; empty when it is sound."""
    found = []
    parts = sections(text)
    for title in (*TABLE_SECTIONS, "Threat model", "Gaps"):
        if title not in parts:
            found.append(f"section missing: {title}")
    for file, name in sorted(set(NODE_ID.findall(text))):
        path = root / file
        if not path.is_file():
            found.append(f"no such test file: {file}")
        elif not defines_test(path, name):
            found.append(f"{file} has no def {name}")
    gaps = set(GAP_DEF.findall(parts.get("Gaps", "")))
    for title in TABLE_SECTIONS:
        rows = table_rows(parts.get(title, ""))
        if not rows:
            found.append(f"{title}: no table rows")
        elif not any(NODE_ID.search(row) for row in rows):
            found.append(f"{title}: no node id in its table")
        for row in rows:
            if NO_TEST.search(row) and not (set(GAP_REF.findall(row)) & gaps):
                found.append(f"{title}: a row without a test names no entry under Gaps: {row[:80]}")
            for number in set(GAP_REF.findall(row)) - gaps:
                found.append(f"{title}: G{number} is not under Gaps")
    faults = {row.split("|")[1].strip(): row for row in table_rows(parts.get("Fault tests (R1–R11)", ""))}
    for n in range(1, 12):
        row = faults.get(f"R{n}")
        if row is None or not NODE_ID.search(row):
            found.append(f"fault R{n}: no row with a node id")
    for path in sorted(set(MODULE_PATH.findall(text))):
        if not (root / path).exists():
            found.append(f"no such path: {path}")
    return found


def test_the_checklist_names_only_tests_that_exist_and_every_section_has_one():
    assert DOC.is_file()
    assert problems(DOC.read_text(encoding="utf-8"), ROOT) == []


def test_the_checklist_cites_a_good_share_of_the_suite():
    ids = set(NODE_ID.findall(DOC.read_text(encoding="utf-8")))
    assert len(ids) >= 150
    assert {file for file, _ in ids} >= {
        "tests/test_crypto.py", "tests/test_keys.py", "tests/test_auth.py", "tests/test_permissions.py",
        "tests/test_audit.py", "tests/test_faults.py", "tests/test_rotation_kill.py",
        "tests/test_backup_restore.py", "tests/test_production_smoke.py", "tests/test_migrations.py",
    }


GOOD = """## Threat model
text
{tables}
## Gaps
- **G1. Something.** Needed: a test.
"""


SOUND_ROW = "| r | `casustafel/crypto/keyring.py` | `tests/test_crypto.py::test_crypto_module_imports_no_flask` |"


def _doc(**rows):
    tables = []
    for title in TABLE_SECTIONS:
        if title == "Fault tests (R1–R11)":
            body = "\n".join(f"| R{n} | f | `tests/test_crypto.py::test_nonces_are_unique_over_1000_encryptions` |"
                             for n in range(1, 12))
        else:
            body = rows.get(title, SOUND_ROW)
        tables.append(f"## {title}\n\n| a | b | c |\n|---|---|---|\n{body}\n")
    return GOOD.format(tables="\n".join(tables))


def test_the_checker_accepts_a_sound_checklist():
    assert problems(_doc(), ROOT) == []


@pytest.mark.parametrize(
    ("row", "complaint"),
    [
        ("| r | m | `tests/test_crypto.py::test_that_was_renamed` |", "has no def test_that_was_renamed"),
        ("| r | m | `tests/test_gone.py::test_anything` |", "no such test file"),
        ("| r | m | nothing cited |", "no node id in its table"),
        ("| r | m | `tests/test_crypto.py::test_crypto_module_imports_no_flask`; part has no test |",
         "names no entry under Gaps"),
        ("| r | m | `tests/test_crypto.py::test_crypto_module_imports_no_flask` (see Gaps, G7) |",
         "G7 is not under Gaps"),
        ("| r | `casustafel/nowhere.py` | `tests/test_crypto.py::test_crypto_module_imports_no_flask` |",
         "no such path: casustafel/nowhere.py"),
    ],
)
def test_the_checker_refuses_a_rotten_row(row, complaint):
    found = problems(_doc(**{"Access control": row}), ROOT)
    assert any(complaint in problem for problem in found), found


def test_the_checker_refuses_a_missing_section_and_fault_row():
    text = _doc().replace("## Access log", "## Logging").replace("| R7 |", "| R77 |")
    found = problems(text, ROOT)
    assert "section missing: Access log" in found
    assert "fault R7: no row with a node id" in found
