"""How the browser tests and scripts/screenshots.py start Debian's Chromium (no other imports,
so the screenshot script can use it before it sets up its own environment)."""

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
