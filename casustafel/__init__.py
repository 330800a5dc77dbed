"""casustafel: signals of ondermijning, from meldpunt to casustafel, with a log of who saw what."""

import os

from flask import Flask

from config import CONFIGS, INSTANCE_DIR


def create_app(config_class=None):
    # Imported here, not at the top: every module of the package runs this file first, and the
    # features import the package's shared modules, so the factory is the only place that may
    # know them all.
    from casustafel import cli, errors, keys, organisation, storage, web
    from casustafel.actions.views import bp as actions
    from casustafel.admin.views import bp as admin
    from casustafel.audit.views import bp as audit
    from casustafel.auth.views import bp as auth
    from casustafel.bibob.views import bp as bibob
    from casustafel.breakglass.common import template_helpers as break_glass_helpers
    from casustafel.breakglass.views import bp as breakglass
    from casustafel.extensions import csrf, db, limiter, login_manager, migrate
    from casustafel.main.views import bp as main
    from casustafel.main.views import healthz
    from casustafel.meetings.views import bp as meetings
    from casustafel.privacy.views import bp as privacy
    from casustafel.referrals.common import template_helpers as referral_helpers
    from casustafel.referrals.views import bp as referrals
    from casustafel.reports.views import bp as reports
    from casustafel.retention.views import bp as retention
    from casustafel.signals.panel import template_helpers as signals_panel
    from casustafel.signals.views import bp as signals
    from casustafel.subject_requests.views import bp as subject_requests

    # Production unless told otherwise: a forgotten setting must not mean a weaker app.
    config_class = config_class or CONFIGS[os.environ.get("CASUSTAFEL_ENV", "production")]
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_path=str(INSTANCE_DIR),
    )
    app.config.from_object(config_class)
    os.makedirs(app.instance_path, exist_ok=True)
    if hasattr(config_class, "check"):
        config_class.check(app.config)
    for ext in (db, csrf, login_manager, limiter):
        ext.init_app(app)
    migrate.init_app(app, db)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in om verder te gaan."
    login_manager.session_protection = None  # our own revocable sessions replace it
    keys.init_app(app)
    storage.init_app(app)
    web.init_url_map(app)
    for blueprint in (main, auth, signals, meetings, actions, privacy, admin, audit, reports, referrals,
                      breakglass, retention, subject_requests, bibob):
        app.register_blueprint(blueprint)
    app.add_url_rule("/healthz", "healthz", healthz)
    web.init_app(app)
    # Helpers one feature's templates offer to every page (the workspace shows referrals and the
    # workflow panel, every page the break-glass banner), without importing each other.
    for template_helpers in (signals_panel, referral_helpers, break_glass_helpers, organisation.template_helpers):
        app.context_processor(template_helpers)
    errors.init_app(app)
    cli.init_app(app)
    return app
