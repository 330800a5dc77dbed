"""The period filter: a GET form (no CSRF token, nothing changes)."""

from datetime import date

from wtforms.validators import DataRequired, ValidationError

from casustafel.forms import DateField, FilterForm

MAX_DAYS = 366 * 10


class PeriodForm(FilterForm):
    start = DateField("Van", validators=[DataRequired("Vul een geldige begindatum in, bijvoorbeeld 01-01-2025.")])
    end = DateField("Tot en met", validators=[DataRequired("Vul een geldige einddatum in, bijvoorbeeld 31-12-2025.")])

    def validate_end(self, field):
        if self.start.data and field.data:
            if field.data < self.start.data:
                raise ValidationError("De einddatum ligt vóór de begindatum. Kies een latere einddatum.")
            if (field.data - self.start.data).days > MAX_DAYS:
                raise ValidationError("Kies een periode van hooguit tien jaar.")


def default_period(today: date) -> tuple[date, date]:
    return date(today.year, 1, 1), date(today.year, 12, 31)
