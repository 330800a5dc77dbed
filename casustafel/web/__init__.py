"""Request-wide rules: request ids, the login gate, security headers, SQLite pragmas."""

import uuid
from urllib.parse import urlsplit

from flask import abort, current_app, g, render_template, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from casustafel import dates, wording
from casustafel.extensions import db
from casustafel.forms import INT32_MAX
from casustafel.models import VOCABULARIES
from casustafel.permissions import check_endpoint_declared, require_login

CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` in a URL: beyond a 32-bit id there is no such row, so 404 instead of an
    overflow in the database driver (`/lijsten/fenomeen/<30 digits>/wisselen`)."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT32_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def render_logged(template: str, **context) -> str:
    """Render a page, then commit the access-log events recorded for it: a page that fails to
    render leaves no event of a view that never happened, and a log write that fails returns
    no data. Rendering does not flush the pending event, so the chain head is locked only for
    the commit, not while the page renders."""
    with db.session.no_autoflush:
        html = render_template(template, **context)
    db.session.commit()
    return html


def init_url_map(app) -> None:
    """Converters, before any blueprint adds its rules."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def assign_request_id() -> None:
    g.request_id = str(uuid.uuid4())


def refuse_without_keyring() -> None:
    if current_app.extensions.get("casustafel_keyring") is None and request.endpoint not in (
        "healthz",
        "static",
    ):
        abort(503)


def content_security_policy() -> str:
    """CSP as above; with single sign-on the login and logout forms end in a redirect to the
    identity provider, which `form-action` must allow (its issuer's origin, nothing more)."""
    issuer = current_app.config.get("OIDC_ISSUER")
    if not issuer:
        return CSP
    parts = urlsplit(issuer)
    return f"{CSP} {parts.scheme}://{parts.netloc}"


def security_headers(response):
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if current_app.config.get("HSTS"):
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    # Nothing is cached but the stylesheets and what a view marks public itself (the
    # organisation's logo and theme: main/views.py).
    if request.endpoint != "static" and not response.headers.get("Cache-Control", "").startswith("public"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def init_app(app) -> None:
    hops = app.config.get("PROXY_FIX_HOPS", 0)
    if hops:
        # Client address and scheme from the proxy; never the Host (links use PUBLIC_URL).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.before_request(assign_request_id)
    app.before_request(refuse_without_keyring)
    app.before_request(require_login)
    app.before_request(check_endpoint_declared)
    app.after_request(security_headers)
    dates.init_app(app)
    wording.init_app(app)
    app.jinja_env.globals.update({vocabulary.__name__: vocabulary for vocabulary in VOCABULARIES})
    app.jinja_env.globals["current_user_roles"] = lambda: (
        current_user.roles if current_user.is_authenticated else set()
    )
    if not event.contains(Engine, "connect", _sqlite_pragmas):
        event.listen(Engine, "connect", _sqlite_pragmas)
    with app.app_context():
        db.engine  # noqa: B018 - create the engine now so the pragmas apply from the first query
