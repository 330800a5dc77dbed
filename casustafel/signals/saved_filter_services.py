"""Saved inbox filters ("mijn werkvoorraad"): a coordinator names the inbox's current filter and
applies it again later with one link.

A saved filter holds only the inbox's GET filters (models/saved_filter.SAVED_FILTER_KEYS),
already validated by the inbox's own form; never the search, which is a POST because what is
typed about a person or an address must not go into a URL, a log or a stored filter. Each
filter belongs to one user and is found for nobody else. Saving and deleting are logged with
the filter's id only: its name is typed by the user and stays out of the log.
"""

from sqlalchemy import select

from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.forms import FieldError, checked_text
from casustafel.models import SavedFilter
from casustafel.models.saved_filter import SAVED_FILTER_NAME_MAX, filter_arguments

MAX_PER_USER = 20
SORT_KEY = "sorteren"
NAME_MISSING = "Geef het filter een naam."
NAME_TAKEN = "U hebt al een filter met deze naam. Kies een andere naam, of verwijder eerst het oude filter."
TOO_MANY = (f"U kunt hooguit {MAX_PER_USER} filters bewaren. Verwijder eerst een bewaard filter dat u niet meer "
            "gebruikt.")
NOTHING_CHOSEN = ("Er is nog geen filter gekozen. Kies eerst een of meer filters en klik op ‘Toon meldingen’; "
                  "bewaar daarna het filter.")


class SavedFilterError(FieldError):
    """A refused saved filter, with a Dutch message next to the name field."""

    def __init__(self, message: str, field: str | None = "name"):
        super().__init__(message, field)


def saved_filters(user) -> list[SavedFilter]:
    """The user's own saved filters, by name."""
    rows = db.session.scalars(select(SavedFilter).where(SavedFilter.user_id == user.id)).all()
    return sorted(rows, key=lambda f: (f.name.casefold(), f.name))


def owns(user, saved: SavedFilter) -> bool:
    """Whether `saved` is the user's own: everyone else gets a 404 for it."""
    return saved.user_id == user.id


def save_filter(actor, name: str | None, params: dict) -> SavedFilter:
    """Store the inbox filter `params` under `name` for `actor`. Unknown keys are dropped; a
    name that is empty, too long or already used by the actor, a filter without any choice
    besides sorting, or more than MAX_PER_USER filters raise SavedFilterError."""
    name = checked_text(name, SavedFilterError, missing=NAME_MISSING, maximum=SAVED_FILTER_NAME_MAX)
    arguments = filter_arguments(params)
    if not set(arguments) - {SORT_KEY}:
        raise SavedFilterError(NOTHING_CHOSEN)
    own = saved_filters(actor)
    if any(f.name.casefold() == name.casefold() for f in own):
        raise SavedFilterError(NAME_TAKEN)
    if len(own) >= MAX_PER_USER:
        raise SavedFilterError(TOO_MANY)
    saved = SavedFilter(user_id=actor.id, name=name, params=arguments)
    db.session.add(saved)
    db.session.flush()
    record(actor, "saved_filter.created", saved, purpose="casustafel")
    return saved


def delete_filter(actor, saved: SavedFilter) -> None:
    """Remove one of the actor's saved filters (the caller checked that it is theirs)."""
    record(actor, "saved_filter.deleted", saved, purpose="casustafel")
    db.session.delete(saved)
