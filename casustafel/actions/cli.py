"""`flask actions remind`: a daily reminder to the owners of actions that are due or overdue."""


import click
from flask.cli import AppGroup

from casustafel import dates
from casustafel.actions.services import remind
from casustafel.extensions import db

actions_cli = AppGroup("actions", help="Acties (interventies).")


@actions_cli.command("remind")
@click.option("--days", default=3, show_default=True, type=click.IntRange(min=0),
              help="Herinner aan acties die binnen zoveel dagen verlopen (en aan verlopen acties).")
def actions_remind(days):
    """Queue a reminder without content per owner; at most once a day per action. Run from a timer."""
    reminded, messages = remind(None, dates.today(), days)
    db.session.commit()
    click.echo(f"{reminded} actie(s) herinnerd, {messages} bericht(en) klaargezet.")
