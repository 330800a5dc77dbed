#!/usr/bin/env bash
# Install everything and run the whole test suite: lint and security scan, then every test
# (browser tests included) on SQLite and again on PostgreSQL.
# PostgreSQL: TEST_DATABASE_URL, default the local server (user postgres, no password).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash scripts/setup.sh --tests

echo "== ruff, het importcontract en bandit"
.venv/bin/ruff check --config .ci/ruff.toml .
.venv/bin/lint-imports
.venv/bin/bandit -q -c .ci/bandit.yaml -r casustafel config.py
echo "== kwetsbaarheden in de vastgelegde afhankelijkheden"
.venv/bin/python scripts/audit_dependencies.py

echo "== tests op SQLite"
env -u TEST_DATABASE_URL .venv/bin/python -m pytest -q -p no:cacheprovider "$@"

echo "== tests op PostgreSQL"
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/casustafel_test}
.venv/bin/python scripts/ensure_database.py "$TEST_DATABASE_URL"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
