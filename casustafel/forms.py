"""The base form: Dutch default messages from WTForms' own translations."""

from flask_wtf import FlaskForm


def strip_text(value):
    """WTForms filter: drop surrounding spaces from text, leave other values alone."""
    return value.strip() if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta:
        locales = ("nl_NL", "nl")
