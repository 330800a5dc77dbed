#!/usr/bin/env bash
# Install everything and run the whole test suite: lint and security scan, then every test
# (browser tests included) on SQLite and on PostgreSQL, side by side.
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

# The two passes run side by side (one per core) and each writes its own log; both are shown
# in full at the end, and the run fails if either fails.
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/casustafel_test}
.venv/bin/python scripts/ensure_database.py "$TEST_DATABASE_URL"
logs=$(mktemp -d)
echo "== tests op SQLite en op PostgreSQL, tegelijk (logs in $logs)"
env -u TEST_DATABASE_URL .venv/bin/python -m pytest -q -p no:cacheprovider "$@" > "$logs/sqlite.log" 2>&1 &
sqlite=$!
# The accessibility crawl under the second theme (colours only, which no database changes) runs
# in the SQLite pass alone: the PostgreSQL pass is the longer one, and CI stays under 30 minutes.
.venv/bin/python -m pytest -q -p no:cacheprovider -k "not gemeente-groen" "$@" > "$logs/postgresql.log" 2>&1 &
postgresql=$!
sqlite_rc=0
postgresql_rc=0
wait "$sqlite" || sqlite_rc=$?
wait "$postgresql" || postgresql_rc=$?
echo "== tests op SQLite"
cat "$logs/sqlite.log"
echo "== tests op PostgreSQL"
cat "$logs/postgresql.log"
echo "== uitkomst: SQLite $sqlite_rc, PostgreSQL $postgresql_rc"
[ "$sqlite_rc" -eq 0 ] && [ "$postgresql_rc" -eq 0 ]
