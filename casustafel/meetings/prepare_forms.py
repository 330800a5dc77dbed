"""Forms for preparing a meeting: standing groups of invitees and inviting a group. Choices
are filled by the view from the database, so a posted value outside them is refused."""

from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from casustafel.forms import Form, strip_text
from casustafel.meetings.prepare_services import GROUP_NAME_MAX


class GroupForm(Form):
    name = StringField(
        "Naam van de groep", filters=[strip_text],
        validators=[DataRequired("Vul een naam voor de groep in."),
                    Length(max=GROUP_NAME_MAX, message=f"Gebruik hooguit {GROUP_NAME_MAX} tekens.")],
        render_kw={"autocomplete": "off"},
    )


def _member_label(user) -> str:
    return user.display_name + (f" ({user.department.name})" if user.department else "")


class GroupMemberForm(Form):
    user_id = SelectField("Deelnemer", validators=[InputRequired("Kies een deelnemer.")])
    department_id = SelectField("Afdeling of discipline", validators=[Optional()])

    def fill(self, members, departments) -> None:
        self.user_id.choices = [SelectChoice("", "— kies een deelnemer —")] + [
            SelectChoice(str(u.id), _member_label(u)) for u in members
        ]
        self.department_id.choices = [SelectChoice("", "De afdeling van de deelnemer")] + [
            SelectChoice(str(d.id), d.name) for d in departments
        ]


class InviteGroupForm(Form):
    group_id = SelectField("Groep", validators=[InputRequired("Kies een groep.")])

    def fill(self, groups) -> None:
        self.group_id.choices = [SelectChoice("", "— kies een groep —")] + [
            SelectChoice(str(g.id), f"{g.name} ({len(g.members)} {'lid' if len(g.members) == 1 else 'leden'})")
            for g in groups
        ]
