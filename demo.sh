#!/usr/bin/env bash
# Install everything and run casustafel with demo data on SQLite at http://127.0.0.1:5000.
# The demo accounts (one per role) and their password are printed before the server starts.
# CASUSTAFEL_DEMO_SSO=1 also starts a local OpenID Connect provider (scripts/demo_sso_provider.py)
# and logs in with it: the button "Inloggen met uw gemeenteaccount" on the login page.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash scripts/setup.sh
export FLASK_APP=casustafel CASUSTAFEL_ENV=development
unset DATABASE_URL
[[ -f instance/keyring.json ]] || .venv/bin/flask keys init
.venv/bin/flask db upgrade
.venv/bin/flask demo
if [[ ${CASUSTAFEL_DEMO_SSO:-0} == 1 ]]; then
    # The provider is a test tool: install the test lock (no browser) for it.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
    sso_port=${CASUSTAFEL_DEMO_SSO_PORT:-5001}
    export OIDC_ISSUER="http://localhost:$sso_port" OIDC_CLIENT_ID=casustafel-demo
    # The client secret comes from a file, as in production; the demo provider accepts any.
    [[ -f instance/demo-oidc-secret ]] || .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(32))" \
        > instance/demo-oidc-secret
    export OIDC_CLIENT_SECRET_FILE="$PWD/instance/demo-oidc-secret"
    export OIDC_GROUP_ROLE_MAP="casustafel-regie=coordinator"
    .venv/bin/python scripts/demo_sso_provider.py "$sso_port" &
    provider=$!
    trap 'kill "$provider" 2>/dev/null' EXIT
    .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
    exit
fi
exec .venv/bin/flask run --host 127.0.0.1 --port "${PORT:-5000}"
