"""`flask rights remind`: a daily reminder to the coordinators when the review date of a deferred
informing of a subject (art. 41 UAVG) has come."""

import click
from flask.cli import AppGroup

from casustafel import dates
from casustafel.extensions import db
from casustafel.signals.informing_services import remind_deferrals
from casustafel.wording import counted

rights_cli = AppGroup("rights", help="Rechten van betrokkenen.")


@rights_cli.command("remind")
def rights_remind():
    """Queue a content-free reminder to the coordinators; at most once a day per deferral. Run from a timer."""
    due, messages = remind_deferrals(None, dates.today())
    db.session.commit()
    click.echo(f"Uitgesteld informeren toe aan herbeoordeling: {counted(due, 'betrokkene', 'betrokkenen')}, "
               f"{counted(messages, 'bericht', 'berichten')} klaargezet.")
