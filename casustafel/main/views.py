"""Start page per role, and /healthz for the load balancer."""

from flask import jsonify, render_template
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from casustafel.extensions import db
from casustafel.main import bp


@bp.route("/")
def home():
    return render_template("main/home.html", user=current_user)


def healthz():
    """Report only whether the database answers: no versions, no counts."""
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
