"""The workflow panel of the coordinator's workspace: the weighings, privacy checks and source
checks of a signal with the form for the next step (templates/signals/_workflow_panels.html,
through `template_helpers`, registered app-wide by the factory)."""

from dataclasses import dataclass, field

from flask_login import current_user
from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import (
    ASSESSMENT_CRITERIA,
    SHAREABLE_FIELDS,
    Assessment,
    Department,
    PrivacyCheck,
    SourceQuery,
    User,
)
from casustafel.models.registers import register_labels
from casustafel.models.roles import Role
from casustafel.permissions import can_view_signal_content, coordinator_records_privacy_checks
from casustafel.privacy.services import latest_decision, open_check
from casustafel.signals.assessment_forms import (
    KIND_LABELS,
    REQUEST_STATUSES,
    WEIGHING_STATUSES,
    PrivacyCheckRequestForm,
    SourceQueryForm,
    outcome_label,
    weighing_form,
)


@dataclass
class WorkflowPanel:
    """What the workspace shows of the workflow, and the forms for the next step."""

    signal: object
    assessments: list
    checks: list
    queries: list
    department_names: dict
    names: dict
    weighing_form: object = None
    request_form: object = None
    source_form: object = None
    check_1: object = None
    open_check_1: object = None
    decide_here: bool = False
    registers: dict = field(default_factory=dict)  # code → label, registers out of use too

    kinds = KIND_LABELS
    criteria = ASSESSMENT_CRITERIA
    fields = SHAREABLE_FIELDS

    def outcome_label(self, assessment) -> str:
        return outcome_label(assessment.kind, assessment.outcome)


def workflow_panel(signal) -> WorkflowPanel | None:
    """The panel for the coordinator's workspace; None for anyone else."""
    if not (current_user.is_authenticated and current_user.has_role(Role.COORDINATOR)
            and can_view_signal_content(current_user, signal)):
        return None
    by_signal = {"signal_id": signal.id}
    assessments = db.session.scalars(select(Assessment).filter_by(**by_signal).order_by(Assessment.assessed_at))
    checks = db.session.scalars(select(PrivacyCheck).filter_by(**by_signal).order_by(PrivacyCheck.requested_at))
    queries = db.session.scalars(select(SourceQuery).filter_by(**by_signal).order_by(SourceQuery.queried_at))
    queries = list(queries)
    user_ids = {q.queried_by_id for q in queries if q.queried_by_id}
    names = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all())
    departments = dict(db.session.execute(select(Department.id, Department.name)).all())
    panel = WorkflowPanel(signal=signal, assessments=list(assessments), checks=list(checks), queries=queries,
                          department_names=departments, names=names, registers=register_labels())
    kind = next((k for k, statuses in WEIGHING_STATUSES.items() if signal.status in statuses), None)
    if kind:
        panel.weighing_form = weighing_form(kind, formdata=None)
    panel.open_check_1 = open_check(signal, "1")
    panel.check_1 = latest_decision(signal, "1")
    if signal.status in REQUEST_STATUSES and panel.open_check_1 is None:
        panel.request_form = PrivacyCheckRequestForm(formdata=None)
    if signal.status == "bronnenonderzoek" and panel.check_1 is not None and panel.check_1.approved:
        panel.source_form = SourceQueryForm(panel.check_1, formdata=None)
    panel.decide_here = coordinator_records_privacy_checks()
    return panel


def template_helpers():
    return {"workflow_panel": workflow_panel}
