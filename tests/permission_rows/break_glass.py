"""Role × endpoint rows of this feature (see tests/permission_rows/__init__.py)."""

ROWS = {}
