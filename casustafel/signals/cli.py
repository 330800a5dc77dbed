"""`flask import signals FILE.xlsx|FILE.csv --mapping MAPPING.toml [--dry-run] [--skip-invalid] [--as EMAIL]`:
take over the municipality's existing register (signals/importing.py). `flask mail fetch`: the
meldpunt mailbox as a channel (signals/mailbox.py; registered in the `mail` group by cli.py)."""

import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from casustafel.extensions import db
from casustafel.models import User
from casustafel.models.roles import Role
from casustafel.models.user import active_with_role
from casustafel.signals import importing, mailbox
from casustafel.wording import counted

import_cli = AppGroup("import", help="Gegevens overnemen uit een bestaand register.")


def _actor(email: str | None) -> User:
    if email:
        user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().casefold()))
        if user is None or not user.active:
            raise click.ClickException(f"Geen actieve gebruiker met e-mailadres {email}.")
        if not user.has_role(Role.COORDINATOR):
            raise click.ClickException(f"{email} is geen regisseur; alleen een regisseur neemt meldingen over.")
        return user
    coordinators = active_with_role(Role.COORDINATOR)
    if len(coordinators) != 1:
        raise click.ClickException("Geef met --as het e-mailadres van de regisseur op namens wie de meldingen "
                                   "worden overgenomen.")
    return coordinators[0]


@import_cli.command("signals")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--mapping", "mapping_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Koppeling van kolommen en waarden (TOML), zie docs/examples/import-mapping.toml.")
@click.option("--dry-run", is_flag=True, help="Alleen controleren en per rij tonen wat er zou gebeuren.")
@click.option("--skip-invalid", is_flag=True, help="Goede rijen overnemen en foute rijen overslaan (en tonen).")
@click.option("--as", "email", metavar="EMAIL", help="De regisseur namens wie de meldingen worden overgenomen.")
@click.option("--progress-every", default=500, show_default=True, type=click.IntRange(min=1),
              help="Voortgang na elk zoveel aangemaakte meldingen.")
def import_signals(source, mapping_path, dry_run, skip_invalid, email, progress_every):
    """Take over signals from a spreadsheet (.xlsx or .csv), all rows or none."""
    try:
        mapping = importing.load_mapping(mapping_path)
        actor = _actor(email)
        plan = importing.plan_import(source, mapping)
    except importing.MappingError as exc:
        raise click.ClickException(str(exc)) from None

    for outcome in plan.outcomes:
        for message in outcome.errors:
            click.echo(message)
        if not dry_run or not outcome.valid:
            continue
        if outcome.existing:
            click.echo(f"rij {outcome.number}: staat al in casustafel (eerder overgenomen); overgeslagen")
        elif outcome.same_as is not None:
            click.echo(f"rij {outcome.number}: gelijk aan rij {outcome.same_as}; overgeslagen")
        else:
            click.echo(f"rij {outcome.number}: {importing.describe(outcome.row)}")

    if plan.unmapped:
        what = "de kolom" if len(plan.unmapped) == 1 else "de kolommen"
        names = ", ".join(f"'{name}'" for name in plan.unmapped)
        click.echo(f"Niet in de koppeling, dus niet overgenomen: {what} {names}.")
    only, first = plan.unmapped_only
    if only:
        click.echo(f"{counted(only, 'rij heeft', 'rijen hebben')} alleen waarden in kolommen buiten de koppeling en "
                   f"{'is' if only == 1 else 'zijn'} overgeslagen (de eerste is rij {first}).")
    rows, new, invalid, skipped = len(plan.outcomes), len(plan.new), len(plan.invalid), len(plan.skipped)
    counts = f"{counted(rows, 'rij', 'rijen')}: {new} nieuw, {skipped} al overgenomen of dubbel, {invalid} met fouten."
    if dry_run:
        click.echo(f"Proefrun, niets opgeslagen. {counts}")
        if invalid and not skip_invalid:
            raise SystemExit(1)
        return
    if invalid and not skip_invalid:
        db.session.rollback()
        click.echo(f"Niets overgenomen: {invalid} {'rij heeft' if invalid == 1 else 'rijen hebben'} fouten. "
                   "Verbeter het bestand of de koppeling, of gebruik --skip-invalid.", err=True)
        raise SystemExit(1)
    try:
        importing.apply(actor, plan, progress=click.echo, every=progress_every)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise click.ClickException("Niets overgenomen: een andere import nam tegelijk dezelfde rijen over. "
                                   "Start de import opnieuw; wat al is overgenomen, wordt overgeslagen.") from None
    except BaseException:
        db.session.rollback()
        raise
    skipped_rows = "De foute rij is" if invalid == 1 else f"De {invalid} foute rijen zijn"
    click.echo(f"Klaar. {counts}" + (f" {skipped_rows} overgeslagen." if invalid else ""))


def _size(size: int) -> str:
    return f"{size / (1024 * 1024):n} MB" if size >= 1024 * 1024 else f"{size // 1024} kB"


@click.command("fetch")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(min=1),
              help="Hoogstens zoveel e-mails per run; de rest volgt de volgende run.")
@with_appcontext
def mail_fetch(limit):
    """Make every e-mail in the meldpunt mailbox a concept, then move it to the processed folder.

    Run from a timer. Exit 1 when the mailbox could not be used or an e-mail failed.
    """
    config = current_app.config
    try:
        result = mailbox.fetch(config, current_app.extensions["casustafel_store"], limit=limit)
    except mailbox.MailboxError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    folder = config.get("MAIL_FETCH_PROCESSED_FOLDER") or "Verwerkt"
    line = (f"{counted(result.new, 'nieuwe e-mail', 'nieuwe e-mails')} opgehaald, {result.already_known} al bekend, "
            f"{result.moved} verplaatst naar {folder}, {result.failed} mislukt.")
    click.echo(line)
    if result.too_large:
        click.echo(f"{counted(result.too_large, 'e-mail is', 'e-mails zijn')} groter dan "
                   f"{_size(config.get('MAIL_FETCH_MAX_BYTES') or 0)}: "
                   f"alleen afzender, onderwerp en datum staan in casustafel; de e-mail zelf staat in de map "
                   f"{folder} van de mailbox.")
    if result.reasons:
        click.echo("Mislukt: " + "; ".join(result.reasons) + ".", err=True)
    if not result.ok:
        sys.exit(1)
