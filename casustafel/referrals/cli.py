"""`flask referrals remind`: a daily reminder to coordinators when a partner's feedback is overdue."""


import click
from flask.cli import AppGroup

from casustafel import dates
from casustafel.extensions import db
from casustafel.referrals.services import remind
from casustafel.wording import counted

referrals_cli = AppGroup("referrals", help="Verstrekkingen aan partners.")


@referrals_cli.command("remind")
def referrals_remind():
    """Queue a content-free reminder to the coordinators; at most once a day per referral. Run from a timer."""
    reminded, messages = remind(None, dates.today())
    db.session.commit()
    click.echo(f"{counted(reminded, 'verstrekking', 'verstrekkingen')} met verlopen terugkoppeling, "
               f"{counted(messages, 'bericht', 'berichten')} klaargezet.")
