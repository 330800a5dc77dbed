"""`flask meetings remind-cutoff`: a daily reminder to the chair when a meeting's agenda closes
within two days and items still wait for privacy check 2A. Run from a timer."""

import click
from flask.cli import AppGroup

from casustafel import dates
from casustafel.extensions import db
from casustafel.meetings.preparation import remind_cutoff
from casustafel.wording import counted

meetings_cli = AppGroup("meetings", help="Casustafels (overleggen).")


@meetings_cli.command("remind-cutoff")
def meetings_remind_cutoff():
    """Queue one message without content per meeting whose agenda closes today, tomorrow or the
    day after while check 2A still waits: to its chair, else to every coordinator. Once per meeting."""
    meetings, messages = remind_cutoff(None, dates.today())
    db.session.commit()
    click.echo(f"{counted(meetings, 'overleg', 'overleggen')} herinnerd, "
               f"{counted(messages, 'bericht', 'berichten')} klaargezet.")
