"""Screenshots of the main pages per role, from the demo data, for the README.

    .venv/bin/python scripts/screenshots.py            # writes docs/screenshots/<role>-<page>.png
    .venv/bin/python scripts/screenshots.py --out DIR

Makes a fresh demo instance in a temporary folder (keyring, `db upgrade`, `flask demo`, all
in-process, as ./demo.sh does), serves it on a free local port and photographs the first
screen (1280×800, device scale 1) of each page with Debian's Chromium through Playwright,
logged in with the demo accounts. The repository's instance/ folder and database are never
touched: the instance, its SQLite database and its attachments live in the temporary folder,
which is removed afterwards. Re-running gives the same pages with the same content except
what the demo cannot fix: its dates follow today, and references (SIG-…) and times come out
of fresh keys and the clock.
"""

import argparse
import logging
import os
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 30_000
# Dutch date fields (dd-mm-jjjj) need Debian's chromium-l10n as well: without its locale files
# Chromium falls back to en-US and shows mm/dd/yyyy.
LANGUAGE_ARGS = ["--lang=nl-NL"]
# Settings from the caller's environment that could point the app at another database,
# keyring, attachment folder or mail server; the demo instance must use none of them.
FOREIGN_SETTINGS = ("DATABASE_URL", "SECRET_KEY", "RATELIMIT_STORAGE_URI", "FLASK_APP")


@dataclass(frozen=True)
class Shot:
    name: str  # file name without .png: <role>-<page>
    path: str  # a path, or a format string filled with the demo ids below
    caption: str


# (account, shots) per role; captions are the README's.
ROLES = [
    ("voorzitter@casustafel.test", [
        Shot("coordinator-home", "/", "Coordinator: the worklist home"),
        Shot("coordinator-inbox", "/meldingen", "Coordinator: the inbox with search and saved filters"),
        Shot("coordinator-workspace", "/meldingen/{signal}", "Coordinator: the workspace of a signal well along"),
        Shot("coordinator-meeting", "/overleggen/{meeting}", "Coordinator: next week's meeting"),
        Shot("coordinator-chair", "/overleggen/{meeting}/voorzitten",
             "Coordinator: chairing the meeting from one screen"),
    ]),
    ("melder@casustafel.test", [
        Shot("reporter-meldpunt", "/meldpunt", "Reporter: the meldpunt form"),
        Shot("reporter-my-signals", "/mijn-meldingen", "Reporter: Mijn meldingen"),
    ]),
    ("deelnemer@casustafel.test", [
        Shot("member-agenda", "/overleggen/{meeting}/agenda", "Member: the agenda as check 2A allows it"),
    ]),
    ("privacy@casustafel.test", [
        Shot("privacy-log", "/logboek/", "Privacy officer: the log viewer"),
        Shot("privacy-anomalies", "/logboek/afwijkingen", "Privacy officer: anomalies in the log"),
    ]),
    ("beheer@casustafel.test", [
        Shot("admin-users", "/beheer/gebruikers", "Admin: users and roles"),
        Shot("admin-huisstijl", "/beheer/instellingen/huisstijl", "Admin: the municipality's own look and letterhead"),
    ]),
]


def isolate(instance: Path) -> None:
    """Point the app at the temporary instance. Must run before casustafel (config) is imported:
    config.py reads CASUSTAFEL_INSTANCE when it is first imported."""
    if "config" in sys.modules or "casustafel" in sys.modules:
        raise RuntimeError("casustafel was imported before the temporary instance was set")
    for name in list(os.environ):
        if name.startswith(("CASUSTAFEL_", "MAIL_")) or name in FOREIGN_SETTINGS:
            del os.environ[name]
    os.environ["CASUSTAFEL_ENV"] = "development"
    os.environ["CASUSTAFEL_INSTANCE"] = str(instance)
    sys.path.insert(0, str(ROOT))


def build_demo(instance: Path):
    """Keyring, schema and demo data in `instance`, as ./demo.sh does; return the app to serve
    and the ids the shots need: a signal well along (with a plan of approach) and the published
    meeting to come."""
    import flask_migrate
    from sqlalchemy import select

    from casustafel import create_app, crypto
    from casustafel.demo import load_demo
    from casustafel.extensions import db
    from casustafel.keys import write_keyring_file
    from casustafel.models import Meeting
    from casustafel.models.plan import CasePlan

    write_keyring_file(instance / "keyring.json", crypto.Keyring.generate())  # `flask keys init`
    setup = create_app()
    with setup.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))  # `flask db upgrade`
    app = create_app()  # a fresh start registers the keys in the new schema, as `flask demo` would
    with app.app_context():
        load_demo()
        ids = {
            "signal": db.session.scalar(select(CasePlan.signal_id).limit(1)),
            "meeting": db.session.scalar(select(Meeting.id).where(Meeting.status == "gepubliceerd")
                                         .order_by(Meeting.held_at.desc()).limit(1)),
        }
        db.session.remove()
    missing = [name for name, value in ids.items() if value is None]
    if missing:
        raise RuntimeError(f"the demo data has no {', '.join(missing)} to photograph")
    return app, ids


def serve(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots",
                        help="folder for the PNG files (default: docs/screenshots)")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium",
                        help="the Chromium to drive (default: Debian's chromium)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="casustafel-screenshots-") as folder:
        instance = Path(folder)
        isolate(instance)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        app, ids = build_demo(instance)
        server, origin = serve(app)
        try:
            take(origin, ids, args.out.resolve(), args.chromium)
        finally:
            server.shutdown()
    return 0


def take(origin: str, ids: dict, out: Path, chromium: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from casustafel.demo import DEMO_PASSWORD

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        from tests.browser.chromium import CHROMIUM_ARGS  # the browser tests' flags

        browser = playwright.chromium.launch(executable_path=chromium, args=[*CHROMIUM_ARGS, *LANGUAGE_ARGS])
        try:
            for email, shots in ROLES:
                context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, locale="nl-NL",
                                              timezone_id="Europe/Amsterdam", reduced_motion="reduce")
                page = context.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                log_in(page, origin, email, DEMO_PASSWORD)
                for shot in shots:
                    response = page.goto(origin + shot.path.format(**ids))
                    if response is None or response.status != 200 or "/inloggen" in page.url:
                        raise RuntimeError(f"{shot.name}: {shot.path} answered "
                                           f"{response.status if response else 'nothing'} at {page.url}")
                    page.evaluate("document.fonts.ready")
                    target = out / f"{shot.name}.png"
                    page.screenshot(path=str(target), full_page=False, animations="disabled", caret="hide")
                    written.append(target)
                    print(target, flush=True)
                context.close()
        finally:
            browser.close()
    return written


def log_in(page, origin: str, email: str, password: str) -> None:
    page.goto(origin + "/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(lambda url: "/inloggen" not in url)


if __name__ == "__main__":
    sys.exit(main())
