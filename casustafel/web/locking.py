"""Optimistic locking, one way: the version a form was made from, the conflict answer, and a
commit that turns a concurrent save into that answer instead of an error.

Rows carry a version column (SQLAlchemy's version_id_col). A form carries the version the user
saw: a form from before someone else's change is refused with a clear Dutch message and what
was typed stays on the page; two saves at the same moment are caught by the versioned UPDATE
(StaleDataError) and get the same answer. Nothing is lost and both attempts are logged.
"""

from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from casustafel.extensions import db
from casustafel.forms import AnyValue, Form


def conflict_message(what: str) -> str:
    """The answer to a save that came after someone else's: `what` is e.g. "deze melding"."""
    return (f"Iemand anders heeft {what} intussen gewijzigd. Uw wijziging is niet opgeslagen; uw invoer "
            "staat hieronder nog. Bekijk de nieuwe stand en sla opnieuw op als u uw wijziging wilt bewaren.")


class VersionedForm(Form):
    """A form that carries the version of the row it changes."""

    version = HiddenField(validators=[AnyValue()])

    def for_row(self, row):
        """Fill in the row's current version unless the post brought one."""
        if not self.version.data:
            self.version.data = str(row.version)
        return self

    def is_stale(self, row) -> bool:
        return bool(self.version.data) and self.version.data != str(row.version)


def commit_or_conflict() -> bool:
    """Commit; False (after a rollback) when someone else saved the same row in between."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return False
    return True
