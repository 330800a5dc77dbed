#!/usr/bin/env bash
# Install everything and run casustafel with demo data on SQLite at http://127.0.0.1:5000.
# The demo accounts (one per role) and their password are printed before the server starts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash scripts/setup.sh
export FLASK_APP=casustafel CASUSTAFEL_ENV=development
unset DATABASE_URL
[[ -f instance/keyring.json ]] || .venv/bin/flask keys init
.venv/bin/flask db upgrade
.venv/bin/flask demo
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
