"""Rows of the role × endpoint table, one module per feature, merged by test_permissions.

Each module defines
    ROWS = {endpoint: (method, url template, expected status per role)}
and, when its URLs use placeholders of its own, a function
    prepare(url: str, *, signal, target) -> dict[str, str]
returning the values for those placeholders ({signal} and {user} are filled already).
`signal` is a signal reported by `target` (another user), created when the URL names one
of the placeholders in NEEDS_SIGNAL.
"""

import importlib

MODULES = ("audit_log", "break_glass", "retention", "subject_requests")
loaded = [importlib.import_module(f"tests.permission_rows.{name}") for name in MODULES]

ROWS = {}
NEEDS_SIGNAL = set()
for module in loaded:
    overlap = set(ROWS) & set(module.ROWS)
    assert not overlap, f"endpoints in two row modules: {overlap}"
    ROWS.update(module.ROWS)
    NEEDS_SIGNAL.update(getattr(module, "NEEDS_SIGNAL", ()))


def prepare(url: str, *, signal, target) -> dict:
    values = {}
    for module in loaded:
        if hasattr(module, "prepare"):
            values.update(module.prepare(url, signal=signal, target=target))
    return values
