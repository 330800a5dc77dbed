#!/usr/bin/env bash
# Install what casustafel needs on a fresh Debian machine: Python packages in .venv,
# the NL Design System assets in static/vendor/ and, with --tests, the test tools and
# Debian's chromium for the browser tests. Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
if [[ ! -x .venv/bin/python ]]; then
    "$python" -m venv .venv
fi
requirements=requirements.txt
[[ ${1:-} == --tests ]] && requirements=tests/requirements.txt
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"

bash scripts/assets.sh >/dev/null

if [[ ${1:-} == --tests ]] && ! command -v chromium >/dev/null; then
    echo "chromium ontbreekt: installeren via apt-get (nodig voor de browsertests)"
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
