"""The inbox's "Dit filter bewaren" form: only a name. The filter itself comes along in hidden
fields with the inbox's own names and is validated by the inbox's filter form."""

from wtforms import StringField
from wtforms.validators import DataRequired, Length

from casustafel.forms import Form, strip_text
from casustafel.models.saved_filter import SAVED_FILTER_NAME_MAX
from casustafel.signals.saved_filter_services import NAME_MISSING


class SaveFilterForm(Form):
    name = StringField(
        "Naam van het filter",
        name="filternaam",  # not "naam": the search form on the same page has that field
        filters=[strip_text],
        validators=[DataRequired(NAME_MISSING),
                    Length(max=SAVED_FILTER_NAME_MAX, message=f"Gebruik hooguit {SAVED_FILTER_NAME_MAX} tekens.")],
    )
