"""Forms of step 4 of the model protocol: the plan of approach and extending the monitoring.
Each form lists exactly the fields the coordinator may set."""

from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from casustafel.forms import DateField, Form, not_in_past, row_number, strip_text
from casustafel.signals.plan_services import (
    MAX_REASON,
    MAX_TEXT,
    NEED_DIRECTOR,
    NEED_GOAL,
    NEED_INTERVENTIONS,
    NEED_REASON,
    NEED_REVIEW,
    PlanInput,
)

TOO_LONG = f"Gebruik hooguit {MAX_TEXT} tekens."


class CasePlanForm(Form):
    goal = TextAreaField(
        "Doel van de aanpak", filters=[strip_text],
        validators=[DataRequired(NEED_GOAL), Length(max=MAX_TEXT, message=TOO_LONG)],
    )
    interventions = TextAreaField(
        "Interventies", filters=[strip_text],
        validators=[DataRequired(NEED_INTERVENTIONS), Length(max=MAX_TEXT, message=TOO_LONG)],
    )
    director_id = SelectField("Casusregisseur", validators=[InputRequired(NEED_DIRECTOR)],
                              invalid_choice_message=NEED_DIRECTOR)
    review_on = DateField("Evaluatiedatum", validators=[InputRequired(NEED_REVIEW), not_in_past])
    based_on = HiddenField()  # the version shown: a plan recorded meanwhile refuses this one

    def __init__(self, directors, plan=None, **kwargs):
        super().__init__(prefix="plan", **kwargs)
        self.director_id.choices = [SelectChoice("", "— kies de casusregisseur —")] + [
            SelectChoice(str(u.id), u.display_name) for u in directors
        ]
        if self.based_on.data is None:
            self.based_on.data = str(plan.number if plan is not None else 0)
        if plan is not None and kwargs.get("formdata", True) is None:  # revising: start from the plan
            self.goal.data, self.interventions.data = plan.goal, plan.interventions
            self.director_id.data = str(plan.director_id) if plan.director_id else ""

    @property
    def based_on_number(self) -> int | None:
        """The version the form was based on; anything unreadable counts as none (no check)."""
        return row_number(self.based_on.data or "")

    def to_input(self, director_id) -> PlanInput:
        return PlanInput(goal=self.goal.data, interventions=self.interventions.data, director_id=director_id,
                         review_on=self.review_on.data)


class ExtendMonitoringForm(Form):
    ends_on = DateField("Nieuwe einddatum van de monitoring",
                        validators=[InputRequired("Vul de nieuwe einddatum van de monitoring in."), not_in_past])
    reason = TextAreaField(
        "Reden van de verlenging", filters=[strip_text],
        validators=[DataRequired(NEED_REASON),
                    Length(max=MAX_REASON, message=f"Gebruik hooguit {MAX_REASON} tekens.")],
    )

    def __init__(self, period, **kwargs):
        super().__init__(prefix="monitoring", **kwargs)
        self.period = period

    def validate_ends_on(self, field):
        if field.data and self.period is not None and field.data <= self.period.ends_on:
            raise ValidationError(f"Kies een datum na de huidige einddatum ({self.period.ends_on:%d-%m-%Y}).")
