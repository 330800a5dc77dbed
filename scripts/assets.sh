#!/usr/bin/env bash
# Install the third-party front-end assets (NL Design System / Utrecht CSS, design tokens,
# the Noto Sans font they name, axe-core for the browser tests) into static/vendor/.
# Run from the repository root. static/vendor/ is not committed: this script rebuilds it.
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
mkdir -p "$vendor/utrecht" "$vendor/fonts/noto-sans/files" "$vendor/axe"

# One bundle with every Utrecht component's CSS.
cp "$modules/@utrecht/component-library-css/dist/index.css" "$vendor/utrecht/component-library.css"
# Defines the custom properties on .utrecht-theme (plus opt-in media-query variants).
cp "$modules/@utrecht/design-tokens/dist/index.css" "$vendor/utrecht/design-tokens.css"
cp "$modules/@utrecht/design-tokens/LICENSE.md" "$vendor/utrecht/DESIGN-TOKENS-LICENSE.md"

# The tokens name "Noto Sans Variable" as the sans-serif font: serve it ourselves.
font=$modules/@fontsource-variable/noto-sans
for css in wght.css wght-italic.css; do
    cp "$font/$css" "$vendor/fonts/noto-sans/$css"
    grep -o 'files/[^)]*\.woff2' "$font/$css" | while read -r file; do
        cp "$font/$file" "$vendor/fonts/noto-sans/$file"
    done
done
cp "$font/LICENSE" "$vendor/fonts/noto-sans/LICENSE"

# Not linked from any page: the browser tests inject it.
cp "$modules/axe-core/axe.min.js" "$vendor/axe/axe.min.js"

echo "assets installed in $vendor/"
