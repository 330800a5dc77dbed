"""The base form: Dutch default messages from WTForms' own translations."""

from flask_wtf import FlaskForm


class Form(FlaskForm):
    class Meta:
        locales = ("nl_NL", "nl")
