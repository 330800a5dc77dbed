"""`flask mail send` and `flask mail retry`: deliver the outbox from a timer."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from casustafel.extensions import db
from casustafel.notifications import deliver_pending, requeue_given_up
from casustafel.wording import counted

mail_cli = AppGroup("mail", help="E-mailberichten (alleen ‘er is nieuws’, nooit inhoud).")


def _messages(count: int) -> str:
    return counted(count, "bericht", "berichten")


@mail_cli.command("send")
@click.option("--limit", default=100, show_default=True)
def mail_send(limit):
    """Deliver queued notifications (SMTP when MAIL_SERVER is set); run from a timer.

    Exit 1 when the server could not be used or refused a message, so the timer's unit fails.
    """

    report = deliver_pending(limit)
    if report.logged:
        click.echo(f"{_messages(report.logged)} niet verstuurd maar gelogd: MAIL_SERVER is niet ingesteld.")
    else:
        click.echo(f"{_messages(report.sent)} verstuurd.")
    if report.stopped:
        click.echo(f"Gestopt: {report.stopped}.", err=True)
    if report.refused:
        click.echo(f"{_messages(report.refused)} geweigerd: {'; '.join(report.reasons)}.", err=True)
    if report.given_up:
        attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
        click.echo(f"{_messages(report.given_up)} opgegeven na {attempts} pogingen.", err=True)
    if report.left:
        left = counted(report.left, "bericht blijft", "berichten blijven")
        click.echo(f"{left} in de wachtrij voor de volgende run.")
    if report.given_up_total:
        waiting = counted(report.given_up_total, "opgegeven bericht wacht", "opgegeven berichten wachten")
        click.echo(f"{waiting} op `flask mail retry`.")
    if not report.ok:
        sys.exit(1)


@mail_cli.command("retry")
def mail_retry():
    """Put given-up notifications back in the queue with a fresh count of attempts."""

    count = requeue_given_up()
    db.session.commit()
    click.echo(f"{counted(count, 'opgegeven bericht', 'opgegeven berichten')} terug in de wachtrij.")
