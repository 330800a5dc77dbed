#!/usr/bin/env bash
# Install the third-party front-end assets (the NL Design System component CSS, the EUPL
# "voorbeeld" design tokens as the default theme, the Noto fonts the tokens name, axe-core for
# the browser tests) into static/vendor/, then check every file's licence
# (scripts/check_licences.py). static/vendor/ is not committed: this script rebuilds it.
# Nothing is loaded from a CDN: the app runs with CSP default-src 'self' on a closed network.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

assets=scripts/assets
modules=$assets/node_modules
vendor=static/vendor
stamp=$modules/.casustafel-lock.sha256

# npm ci wipes node_modules; only run it when the lock file changed since the last install.
lock_sum=$(sha256sum "$assets/package-lock.json" | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$lock_sum" ]]; then
    npm ci --prefix "$assets" --no-audit --no-fund
    echo "$lock_sum" >"$stamp"
fi

rm -rf "$vendor"

# install PACKAGE FOLDER FILE...: copy files of an npm package into static/vendor/FOLDER and
# note in FOLDER/PACKAGE.json where they came from (name, version, licence) for the check.
install() {
    local package=$1 folder=$2
    shift 2
    mkdir -p "$vendor/$folder"
    for file in "$@"; do
        cp "$modules/$package/$file" "$vendor/$folder/"
    done
    cp "$modules/$package/package.json" "$vendor/$folder/PACKAGE.json"
    for licence in LICENSE LICENSE.md LICENSE.txt; do
        if [[ -f $modules/$package/$licence ]]; then cp "$modules/$package/$licence" "$vendor/$folder/$licence"; fi
    done
}

# One bundle with every Utrecht component's CSS (EUPL-1.2).
install @utrecht/component-library-css utrecht dist/index.css
mv "$vendor/utrecht/index.css" "$vendor/utrecht/component-library.css"

# The default theme: NL Design System's EUPL example tokens on .voorbeeld-theme.
install @nl-design-system-unstable/voorbeeld-design-tokens voorbeeld dist/theme.css

# The tokens name "Noto Sans" for text and "Noto Serif" for headings: serve them ourselves,
# regular, italic and bold, as one stylesheet per family next to its woff2 files.
fonts() {
    local family=$1
    shift
    local package=@fontsource/$family folder=fonts/$family
    install "$package" "$folder"
    mkdir -p "$vendor/$folder/files"
    for css in "$@"; do
        cat "$modules/$package/$css" >>"$vendor/$folder/$family.css"
        grep -o 'files/[^)]*\.woff2' "$modules/$package/$css" | while read -r file; do
            cp "$modules/$package/$file" "$vendor/$folder/$file"
        done
    done
}
fonts noto-sans 400.css 400-italic.css 700.css
fonts noto-serif 400.css 700.css

# Not linked from any page: the browser tests inject it.
install axe-core axe axe.min.js

python3 scripts/check_licences.py "$vendor"
echo "assets installed in $vendor/"
