"""The period filter: a GET form (no CSRF token, nothing changes)."""

from datetime import date

from wtforms.validators import InputRequired, ValidationError

from casustafel.forms import DateField, FilterForm

MAX_DAYS = 366 * 10
START_MESSAGE = "Vul een geldige begindatum in, bijvoorbeeld 01-01-2025."
END_MESSAGE = "Vul een geldige einddatum in, bijvoorbeeld 31-12-2025."


class PeriodForm(FilterForm):
    start = DateField("Van", invalid_value_message=START_MESSAGE, validators=[InputRequired(START_MESSAGE)])
    end = DateField("Tot en met", invalid_value_message=END_MESSAGE, validators=[InputRequired(END_MESSAGE)])

    def validate_end(self, field):
        if self.start.data and field.data:
            if field.data < self.start.data:
                raise ValidationError("De einddatum ligt vóór de begindatum. Kies een latere einddatum.")
            if (field.data - self.start.data).days > MAX_DAYS:
                raise ValidationError("Kies een periode van hooguit tien jaar.")


def default_period(today: date) -> tuple[date, date]:
    return date(today.year, 1, 1), date(today.year, 12, 31)
