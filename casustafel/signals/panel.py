"""The workflow panel of the coordinator's workspace: the weighings, privacy checks and source
checks of a signal with the form for the next step (templates/signals/_workflow_panels.html),
and the plan of approach with the monitoring (templates/signals/_plan_panel.html), through
`template_helpers`, registered app-wide by the factory."""

from dataclasses import dataclass, field

from flask_login import current_user
from sqlalchemy import select

from casustafel import dates
from casustafel.extensions import db
from casustafel.models import (
    SHAREABLE_FIELDS,
    Assessment,
    Department,
    PrivacyCheck,
    SourceQuery,
    User,
    answered_criteria,
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
from casustafel.signals.plan_forms import CasePlanForm, ExtendMonitoringForm
from casustafel.signals.plan_services import (
    PLAN_STATUSES,
    Overdue,
    overdue,
    periods_of,
    plans_of,
    possible_directors,
)
from casustafel.signals.weighing import decided_handover, weging_2_details


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
    fields = SHAREABLE_FIELDS

    def outcome_label(self, assessment) -> str:
        return outcome_label(assessment.kind, assessment.outcome)

    @staticmethod
    def weging_2(assessment) -> list[tuple[str, str]]:
        return weging_2_details(assessment)

    @staticmethod
    def answers(assessment) -> list:
        """(question, answer) as asked, also for a criterion out of use since."""
        return answered_criteria(assessment)

    @property
    def pending_handover(self) -> str | None:
        """The handover weging 3 or 4 or the casustafel decided while the signal still waits
        for it (the referral form's kind), else None."""
        return decided_handover(self.signal)


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


@dataclass
class PlanPanel:
    """Step 4: every version of the plan of approach and every end date of the monitoring,
    what is overdue, and the forms."""

    signal: object
    plans: list = field(default_factory=list)  # newest first
    periods: list = field(default_factory=list)  # oldest first
    overdue: Overdue = field(default_factory=Overdue)
    plan_form: object = None
    extend_form: object = None

    @property
    def plan(self):
        return self.plans[0] if self.plans else None

    @property
    def period(self):
        return self.periods[-1] if self.periods else None


def plan_panel(signal) -> PlanPanel | None:
    """The plan panel for the coordinator's workspace; None for anyone else or before the case
    is in aanpak without anything recorded."""
    if not (current_user.is_authenticated and current_user.has_role(Role.COORDINATOR)
            and can_view_signal_content(current_user, signal)):
        return None
    panel = PlanPanel(signal=signal, plans=plans_of(signal), periods=periods_of(signal))
    if signal.status not in PLAN_STATUSES and not (panel.plans or panel.periods):
        return None
    panel.overdue = overdue(signal, panel.plan, panel.period, dates.today())
    if signal.status in PLAN_STATUSES:
        panel.plan_form = CasePlanForm(possible_directors(), panel.plan, formdata=None)
    if signal.status == "monitoring" and panel.period is not None:
        panel.extend_form = ExtendMonitoringForm(panel.period, formdata=None)
    return panel


def template_helpers():
    return {"workflow_panel": workflow_panel, "plan_panel": plan_panel}
