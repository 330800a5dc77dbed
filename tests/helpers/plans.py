"""A plan of approach for tests that take a case into monitoring (model protocol step 4)."""

from datetime import timedelta

from casustafel import dates
from casustafel.extensions import db
from casustafel.models import CasePlan


def add_plan(signal, actor=None) -> CasePlan:
    """The first plan of approach of a case, as the coordinator's form records it."""
    plan = CasePlan(signal_id=signal.id, number=1, review_on=dates.today() + timedelta(days=30),
                    recorded_by_id=getattr(actor, "id", None), director_id=getattr(actor, "id", None))
    plan.goal, plan.interventions = "Pand sluiten (13b).", "Integrale controle; stopgesprek."
    db.session.add(plan)
    db.session.flush()
    return plan
