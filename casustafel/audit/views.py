"""The privacy officer's view of the access log: metadata only, never content."""

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from casustafel.audit import bp
from casustafel.audit.services import record, verify_chain
from casustafel.extensions import db
from casustafel.models import AuditEvent, User
from casustafel.models.base import keyring
from casustafel.permissions import Role, role_required

PAGE_SIZE = 50


@bp.route("/")
@role_required(Role.PRIVACY_OFFICER)
def log():
    page = min(max(request.args.get("pagina", 1, type=int), 1), 100_000)
    status = verify_chain(keyring())
    total = db.session.scalar(select(func.count()).select_from(AuditEvent))
    events = db.session.scalars(
        select(AuditEvent)
        .order_by(AuditEvent.seq.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    # Who reported a signal is for the coordinator only (DOMAIN.md §3): events recorded in
    # the reporter role show neither the name nor the origin here.
    actor_ids = {e.actor_id for e in events if e.actor_id and e.actor_role != Role.REPORTER.value}
    actors = {
        u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))
    } if actor_ids else {}
    record(current_user, "audit.viewed", object_type="audit_event", purpose="toezicht")
    db.session.commit()
    return render_template(
        "audit/log.html",
        events=events,
        actors=actors,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        status=status,
    )
