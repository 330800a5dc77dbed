"""The register of processing activities (art. 30 AVG) for the privacy officer: the list, the
texts of one activity, the art. 30 export (CSV, PDF) and the DPIA annex (PDF). The register
holds no personal data; every view and download is logged all the same."""

from flask import Response, flash, redirect, request, url_for
from flask_login import current_user

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models import ProcessingActivity
from casustafel.models.roles import Role
from casustafel.permissions import can_keep_processing_register, role_required
from casustafel.privacy import annex
from casustafel.privacy.activity_forms import ActivityForm
from casustafel.web import render_logged
from casustafel.web.access import fresh_login_required, load_or_404, require
from casustafel.web.pdf import pdf_response
from casustafel.web.routes import Routes

routes = Routes()


def _register_policy(user, _activity) -> bool:
    return can_keep_processing_register(user)


@routes.route("/verwerkingen")
@role_required(Role.PRIVACY_OFFICER)
def activities():
    require(can_keep_processing_register)
    rows = annex.activities()
    record(current_user, "processing_activity.listed", object_type="processing_activity", purpose=annex.PURPOSE)
    return render_logged("privacy/activities.html", activities=rows)


@routes.route("/verwerkingen/<int:activity_id>", methods=["GET", "POST"])
@role_required(Role.PRIVACY_OFFICER)
def activity(activity_id):
    activity = load_or_404(ProcessingActivity, activity_id, _register_policy)
    form = ActivityForm(obj=activity)
    if form.validate_on_submit():
        if annex.update_activity(current_user, activity, form.text()):
            db.session.commit()
            flash(f"‘{activity.name}’ is bijgewerkt.", "success")
        else:
            flash("Er was niets gewijzigd.", "info")
        return redirect(url_for("privacy.activities"))
    status = 400 if request.method == "POST" else 200
    record(current_user, "processing_activity.viewed", activity, purpose=annex.PURPOSE)
    return render_logged("privacy/activity.html", activity=activity, form=form), status


@routes.route("/verwerkingen/register.csv")
@role_required(Role.PRIVACY_OFFICER)
@fresh_login_required
def art30_csv():
    require(can_keep_processing_register)
    content = annex.render_art30("csv")
    annex.log_export(current_user, "art30_csv")
    db.session.commit()
    response = Response(content, mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{annex.file_stem("register-art30")}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.route("/verwerkingen/register.pdf")
@role_required(Role.PRIVACY_OFFICER)
@fresh_login_required
def art30_pdf():
    require(can_keep_processing_register)
    content = annex.render_art30("pdf")
    annex.log_export(current_user, "art30_pdf")
    db.session.commit()
    return pdf_response(content, f"{annex.file_stem('register-art30')}.pdf")


@routes.route("/verwerkingen/dpia-bijlage.pdf")
@role_required(Role.PRIVACY_OFFICER)
@fresh_login_required
def dpia_pdf():
    require(can_keep_processing_register)
    content = annex.render_dpia("pdf")
    annex.log_export(current_user, "dpia_pdf")
    db.session.commit()
    return pdf_response(content, f"{annex.file_stem('dpia-bijlage')}.pdf")
