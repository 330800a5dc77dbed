"""The privacy officer's view of the access log: metadata only, never content.

Filters (user, signal reference, data subject, action, result, period), keyset pages,
timelines per signal and per user, and the CSV export (fresh login, logged).
"""

import uuid

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from casustafel import dates
from casustafel.audit import checkpoints, labels, queries, review
from casustafel.audit.common import PURPOSE
from casustafel.audit.forms import LogFilterForm, action_choices
from casustafel.audit_log import record
from casustafel.exports import to_csv
from casustafel.extensions import db
from casustafel.forms import Form
from casustafel.models import Signal, User
from casustafel.models.activity import activity_for
from casustafel.models.roles import Role
from casustafel.permissions import can_read_audit_log, can_review_audit_log, role_required
from casustafel.web import render_logged
from casustafel.web.access import fresh_login_required, require
from casustafel.web.routes import register_routes

bp = Blueprint("audit", __name__, url_prefix="/logboek")
register_routes(bp, review)

EXPORT_LIMIT = 100_000
# The codes first, for machines (the columns keep their places); the Dutch labels after them.
EXPORT_HEADER = ["Tijd (UTC)", "Gebruiker", "Rol", "Handeling", "Objecttype", "Object", "Betrokkenen",
                 "Doel", "Verwerkingsactiviteit", "Resultaat", "Reden", "Verzoek", "Herkomst", "Aantal",
                 "Handeling (omschrijving)", "Rol (omschrijving)", "Doel (omschrijving)"]
SHIELDED_ACTOR = "melder (afgeschermd)"
TIMELINE_SIZE = 100


def _filter_form() -> tuple[LogFilterForm, queries.LogFilter, list[Signal], str | None]:
    """The filter form and the filter it validly gives; an invalid field filters nothing."""
    form = LogFilterForm(request.args)
    form.handeling.choices = action_choices(request.args.get("handeling"))
    users = db.session.scalars(select(User).order_by(User.display_name)).all()
    form.gebruiker.choices = [SelectChoice("", "Alle gebruikers")] + [SelectChoice(str(u.id), u.display_name)
                                                                      for u in users]
    form.validate()
    ok = {name: getattr(form, name).data if not getattr(form, name).errors else None
          for name in ("gebruiker", "kenmerk", "handeling", "resultaat", "van", "tot")}
    f = queries.LogFilter(action=ok["handeling"] or None, result=ok["resultaat"] or None,
                          date_from=ok["van"], date_until=ok["tot"])
    if ok["gebruiker"]:
        f.actor_id = uuid.UUID(ok["gebruiker"])
    notice, signals = None, []
    object_sets = []
    if ok["kenmerk"]:
        signal = queries.signal_by_reference(ok["kenmerk"])
        if signal is None:
            notice = "Er is geen melding met dit kenmerk."
            object_sets.append(set())
        else:
            object_sets.append(set(queries.signal_object_ids([signal.id])))
    subject_ids = request.args.getlist("betrokkene")[:50]
    if subject_ids:
        ids, signals = queries.subject_object_ids(subject_ids)
        object_sets.append(set(ids))
    if object_sets:
        f.object_ids = sorted(set.intersection(*object_sets))
    return form, f, signals, notice


def _args(**drop) -> dict:
    """The current query arguments minus paging, for links to other pages and the export."""
    args = request.args.to_dict(flat=False)
    for name in ("voor", "na", *drop):
        args.pop(name, None)
    return {k: v for k, v in args.items() if any(v)}


@bp.route("/")
@role_required(Role.PRIVACY_OFFICER)
def log():
    require(can_read_audit_log)
    form, f, subject_signals, notice = _filter_form()
    status, since = checkpoints.verify_since_newest()
    events, next_before = queries.page(f, before=queries.decode_cursor(request.args.get("voor")))
    actors = queries.actors_for(events)
    record(current_user, "audit.viewed", object_type="audit_event", purpose=PURPOSE)
    return render_logged(
        "audit/log.html", form=form, events=events, actors=actors, references=queries.references_for(events),
        users=queries.users_for(events), labels=labels, status=status,
        since=since, next_before=queries.encode_cursor(next_before), first_page="voor" in request.args, args=_args(),
        shielded_total=queries.shielded_total(f),
        subject_signals=subject_signals, notice=notice, queries=queries, checkpoint_form=Form(),
    )


@bp.route("/controlepunt", methods=["POST"])
@role_required(Role.PRIVACY_OFFICER)
def checkpoint():
    """Verify the chain and store a checkpoint now (the daily timer does the same)."""
    require(can_review_audit_log)
    if not Form().validate_on_submit():
        abort(400)
    status, _ = checkpoints.verify_since_newest(current_user, "viewer")
    if status.ok:
        record(current_user, "audit.checkpoint_stored", object_type="audit_event", purpose=PURPOSE)
        db.session.commit()
        flash("Keten gecontroleerd en controlepunt vastgelegd.", "success")
    else:
        db.session.rollback()
        flash(f"Geen controlepunt vastgelegd: het logboek is niet intact ({status.message}).", "error")
    return redirect(url_for("audit.log"))


@bp.route("/export.csv")
@role_required(Role.PRIVACY_OFFICER)
@fresh_login_required
def export():
    require(can_review_audit_log)
    _, f, _, _ = _filter_form()
    rows, before = [], None
    while len(rows) < EXPORT_LIMIT:
        events, before = queries.page(f, before=before, size=5000)
        actors = queries.actors_for(events)
        rows += [
            [e.occurred_at.strftime("%Y-%m-%d %H:%M:%S"), queries.actor_label(e, actors), e.actor_role or "",
             e.action, e.object_type or "", e.object_id or "", e.subject_pseudonyms or "", e.purpose or "",
             e.processing_activity or "", labels.result_label(e.result), e.reason_code or "",
             e.request_id or "", e.origin or "", 1,
             labels.action_label(e.action), labels.role_label(e.actor_role) if e.actor_role else "",
             labels.purpose_label(e.purpose) if e.purpose else ""]
            for e in events
        ]
        if before is None:
            break
    # The acts of reporting last, per day and object: no time of day, no place among the rest.
    rows += [[day.isoformat(), SHIELDED_ACTOR, "", action, "", object_id or "", "", queries.SHIELDED_PURPOSE,
              activity_for(action), "", "", "", "", count,
              labels.action_label(action), "", labels.purpose_label(queries.SHIELDED_PURPOSE)]
             for day, action, object_id, count in queries.shielded_counts(f)]
    record(current_user, "audit.exported", object_type="audit_event", purpose=PURPOSE, reason_code="csv")
    db.session.commit()
    response = Response(to_csv(EXPORT_HEADER, rows[:EXPORT_LIMIT]), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="logboek-{dates.today():%Y-%m-%d}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/melding/<reference>")
@role_required(Role.PRIVACY_OFFICER)
def signal_timeline(reference):
    require(can_review_audit_log)
    signal = queries.signal_by_reference(reference) if len(reference) <= 16 else None
    if signal is None:
        abort(404)
    f = queries.LogFilter(object_ids=queries.signal_object_ids([signal.id]))
    after = queries.decode_cursor(request.args.get("na"))
    events, next_after = queries.page(f, after=after, newest_first=False, size=TIMELINE_SIZE)
    actors = queries.actors_for(events)
    record(current_user, "audit.timeline_viewed", signal, purpose=PURPOSE)
    return render_logged(
        "audit/timeline.html", title=f"Tijdlijn van melding {signal.reference}", events=events, actors=actors,
        references=dict.fromkeys(f.object_ids, signal.reference),
        users=queries.users_for(events), labels=labels, queries=queries,
        shielded=queries.shielded_counts(f) if after is None else [],
        next_url=url_for("audit.signal_timeline", reference=signal.reference,
                         na=queries.encode_cursor(next_after)) if next_after else None,
        log_url=url_for("audit.log", kenmerk=signal.reference),
        record_url=None if signal.destroyed_at else url_for("signals.weighing_record_page", signal_id=signal.id),
    )


@bp.route("/gebruiker/<uuid:user_id>")
@role_required(Role.PRIVACY_OFFICER)
def user_timeline(user_id):
    require(can_review_audit_log)
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = LogFilterForm(request.args)
    form.gebruiker.choices = [SelectChoice("", "")]
    form.handeling.choices = action_choices(None)
    form.validate()
    f = queries.LogFilter(involving_user=user.id, date_from=form.van.data if not form.van.errors else None,
                          date_until=form.tot.data if not form.tot.errors else None)
    events, next_after = queries.page(f, after=queries.decode_cursor(request.args.get("na")), newest_first=False,
                                      size=TIMELINE_SIZE)
    actors = queries.actors_for(events)
    record(current_user, "audit.timeline_viewed", user, purpose=PURPOSE)
    period = {k: v for k, v in (("van", request.args.get("van")), ("tot", request.args.get("tot"))) if v}
    return render_logged(
        "audit/timeline.html", title=f"Tijdlijn van {user.display_name}", events=events, actors=actors,
        references=queries.references_for(events), users=queries.users_for(events), labels=labels,
        queries=queries, period_form=form, user=user,
        next_url=url_for("audit.user_timeline", user_id=user.id, na=queries.encode_cursor(next_after),
                         **period) if next_after else None,
        log_url=url_for("audit.log", gebruiker=user.id, **period),
    )

