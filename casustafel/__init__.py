"""casustafel: signals of ondermijning, from meldpunt to casustafel, with a log of who saw what."""

import os

from flask import Flask

from config import CONFIGS, INSTANCE_DIR


def create_app(config_class=None):
    from casustafel import (
        actions,
        admin,
        audit,
        auth,
        breakglass,
        cli,
        errors,
        keys,
        main,
        meetings,
        privacy,
        referrals,
        reports,
        retention,
        signals,
        storage,
        subject_requests,
        web,
    )
    from casustafel.extensions import csrf, db, limiter, login_manager, migrate
    from casustafel.main.views import healthz

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
    for feature in (main, auth, signals, meetings, actions, privacy, admin, audit, reports, referrals,
                    breakglass, retention, subject_requests):
        app.register_blueprint(feature.bp)
    app.add_url_rule("/healthz", "healthz", healthz)
    web.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app
