"""Finding a data subject in the log, and the anomalies with their sign-off.

The subject lookup goes through the blind indexes (casustafel.linking.find_entities); the
lookup is logged with its purpose, never with what was searched for.
"""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from casustafel import dates, linking
from casustafel.audit import anomalies
from casustafel.audit.common import PURPOSE
from casustafel.audit.forms import PURPOSES, AnomalyFilterForm, ReviewForm, SubjectLookupForm
from casustafel.audit.queries import subject_object_ids
from casustafel.audit_log import record
from casustafel.breakglass import services as breakglass
from casustafel.extensions import db
from casustafel.models import AuditEvent, Signal, User
from casustafel.models.roles import ROLE_LABELS, Role
from casustafel.permissions import can_review_audit_log, role_required
from casustafel.web import render_logged
from casustafel.web.access import require
from casustafel.web.routes import Routes

routes = Routes()

ANOMALY_LIMIT = 500


@routes.route("/betrokkene", methods=["GET", "POST"])
@role_required(Role.PRIVACY_OFFICER)
def subject_lookup():
    require(can_review_audit_log)
    form = SubjectLookupForm()
    found = signals = None
    if form.validate_on_submit():
        entities = linking.find_entities(form.soort.data, *form.values())
        found = [str(e.id) for e in entities]
        _, signals = subject_object_ids(found)
        record(current_user, "audit.subject_lookup", object_type="subject", purpose=form.doel.data,
               reason_code=form.soort.data, subjects=found or None)
        form = SubjectLookupForm(formdata=None, doel=form.doel.data)  # keep no search values on the page
    return render_logged("audit/subject_lookup.html", form=form, found=found, signals=signals,
                           purposes=PURPOSES)


def _period_filter():
    form = AnomalyFilterForm(request.args)
    form.validate()
    date_from = form.van.data if not form.van.errors else None
    date_until = form.tot.data if not form.tot.errors else None
    return form, date_from, date_until


@routes.route("/afwijkingen")
@role_required(Role.PRIVACY_OFFICER)
def anomaly_list():
    require(can_review_audit_log)
    form, date_from, date_until = _period_filter()
    first, last = anomalies.period_days(date_from, date_until)
    start, end = dates.day_window(first, last)
    found = anomalies.detect(start, end)
    counts = anomalies.counts_by_kind(found)
    if form.soort.data and not form.soort.errors:
        found = [a for a in found if a.kind == form.soort.data]
    if form.status.data == "open":
        found = [a for a in found if a.review is None]
    elif form.status.data == "beoordeeld":
        found = [a for a in found if a.review is not None]
    shown = found[:ANOMALY_LIMIT]
    users = _users(shown)
    record(current_user, "audit.anomalies_viewed", object_type="audit_event", purpose=PURPOSE)
    return render_logged("audit/anomalies.html", form=form, anomalies=shown, total=len(found), counts=counts,
                           kinds=anomalies.KINDS, outcomes=anomalies.OUTCOMES, users=users, first=first,
                           last=last, limit=ANOMALY_LIMIT)


def _users(items) -> dict:
    ids = {a.actor_id for a in items if a.actor_id} | {a.review.reviewed_by_id for a in items if a.review}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


@routes.route("/afwijkingen/<anomaly_key>", methods=["GET", "POST"])
@role_required(Role.PRIVACY_OFFICER)
def anomaly(anomaly_key):
    require(can_review_audit_log)
    item = anomalies.find(anomaly_key)
    if item is None:
        abort(404)
    form = ReviewForm()
    if item.review is None and form.validate_on_submit():
        anomalies.review(current_user, item, form.outcome.data, form.comment.data)
        try:
            db.session.commit()
        except IntegrityError:  # signed off by someone else a moment ago
            db.session.rollback()
            flash("Deze afwijking is intussen al beoordeeld.", "info")
            return redirect(url_for("audit.anomaly", anomaly_key=item.key))
        flash("De beoordeling is vastgelegd.", "success")
        return redirect(url_for("audit.anomaly", anomaly_key=item.key))
    signal = grant = reads = None
    if item.object_id and item.kind == "break_glass":
        signal = db.session.scalar(select(Signal).where(Signal.id == _uuid_or_none(item.object_id)))
        grant = breakglass.grant_for_event(item.actor_id, _uuid_or_none(item.object_id), item.first_at)
        reads = breakglass.reads_under(grant) if grant else []
        if grant is not None and grant.reason:
            record(current_user, "break_glass.reason_viewed", object_type="break_glass", object_id=grant.id,
                   purpose=PURPOSE)
    account = role_event = None
    if item.kind == "rollen":
        role_event = db.session.get(AuditEvent, int(item.key.split(":")[1]))
        account = db.session.get(User, _uuid_or_none(item.object_id)) if item.object_id else None
    record(current_user, "audit.anomaly_viewed", object_type="anomaly", object_id=item.key, purpose=PURPOSE)
    return render_logged("audit/anomaly.html", item=item, form=form, users=_users([item]),
                         outcomes=anomalies.OUTCOMES, signal=signal, grant=grant, reads=reads, account=account,
                         role_event=role_event, role_labels=ROLE_LABELS)


def _uuid_or_none(value):
    import uuid

    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        return None
