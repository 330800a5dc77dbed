"""`flask actions remind`: a daily reminder to the owners of actions that are due or overdue,
and to the coordinators when the monitoring of a case has ended (model protocol step 4)."""


import click
from flask.cli import AppGroup

from casustafel import dates
from casustafel.actions.services import remind
from casustafel.extensions import db
from casustafel.signals.plan_services import remind as remind_monitoring
from casustafel.wording import counted

actions_cli = AppGroup("actions", help="Acties (interventies).")


@actions_cli.command("remind")
@click.option("--days", default=3, show_default=True, type=click.IntRange(min=0),
              help="Herinner aan acties die binnen zoveel dagen verlopen (en aan verlopen acties).")
def actions_remind(days):
    """Queue a reminder without content per owner; at most once a day per action. Tell the
    coordinators when a monitoring period has ended, at most once a day per case. Run from a timer."""
    today = dates.today()
    reminded, messages = remind(None, today, days)
    ended, notices = remind_monitoring(None, today)
    db.session.commit()
    click.echo(f"{counted(reminded, 'actie', 'acties')} herinnerd, "
               f"{counted(messages, 'bericht', 'berichten')} klaargezet.")
    click.echo(f"{counted(ended, 'zaak', 'zaken')} met afgelopen monitoring, "
               f"{counted(notices, 'bericht', 'berichten')} klaargezet.")
