"""Command-line tasks: `flask --app casustafel <group> <command>`."""

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from casustafel import crypto
from casustafel.extensions import db
from casustafel.keys import key_checks_in_use

keys_cli = AppGroup("keys", help="Sleutelbeheer.")
users_cli = AppGroup("users", help="Gebruikers.")
mail_cli = AppGroup("mail", help="E-mailberichten (alleen ‘er is nieuws’, nooit inhoud).")


@keys_cli.command("init")
@click.option("--path", type=click.Path(dir_okay=False), help="Waar het sleutelbestand komt.")
def keys_init(path):
    """Create a new keyring file (mode 0400). Refuses when keys are already in use."""
    target = Path(path or current_app.config.get("CASUSTAFEL_KEYRING") or "")
    if not str(target):
        raise click.ClickException("Geen pad: zet CASUSTAFEL_KEYRING of geef --path.")
    if target.exists():
        raise click.ClickException(f"Er staat al een sleutelbestand op {target}; er wordt niets overschreven.")
    if key_checks_in_use():
        raise click.ClickException(
            "De database gebruikt al sleutels. Een nieuw sleutelbestand zou alle versleutelde "
            "gegevens onleesbaar maken; herstel het bestaande sleutelbestand."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    keyring = crypto.Keyring.generate()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
    with os.fdopen(fd, "w") as handle:
        handle.write(keyring.to_json())
    click.echo(f"Sleutelbestand aangemaakt: {target} (alleen-lezen voor de eigenaar).")
    click.echo("Bewaar een kopie apart van de databaseback-ups.")


def _keyring_file() -> Path:
    """The keyring file the keys commands change; refused when keys come from the environment."""
    if current_app.config.get("CASUSTAFEL_KEYRING_JSON"):
        raise click.ClickException(
            "De sleutels komen uit CASUSTAFEL_KEYRING_JSON; sleutelbeheer werkt alleen op een sleutelbestand."
        )
    path = current_app.config.get("CASUSTAFEL_KEYRING")
    if not path or not Path(path).exists():
        raise click.ClickException("Geen sleutelbestand: zet CASUSTAFEL_KEYRING of maak het met `keys init`.")
    return Path(path)


def _load_checked(path: Path) -> crypto.Keyring:
    """The keyring as it is on disk now, checked against the database's commitments."""
    from casustafel.keys import verify_keyring

    try:
        keyring = crypto.Keyring.load(path)
        verify_keyring(keyring)
    except crypto.KeyringError as error:
        raise click.ClickException(str(error)) from None
    return keyring


def _write(write, path: Path, keyring: crypto.Keyring) -> None:
    try:
        write(path, keyring)
    except OSError as error:
        raise click.ClickException(
            f"Sleutelbestand niet geschreven ({error.strerror}): de map {path.parent} moet schrijfbaar zijn; "
            "er is niets gewijzigd."
        ) from None


PURPOSE_OPTION = click.option("--purpose", required=True, type=click.Choice(crypto.PURPOSES),
                              help="Doel van de sleutel.")


def _log_key_event(action: str, purpose: str, kid: int, reason: str | None = None) -> None:
    from casustafel.audit.services import record

    record(None, action, object_type="key", object_id=f"{purpose}:{kid}", reason_code=reason,
           purpose="sleutelbeheer")
    db.session.commit()


@keys_cli.command("add")
@PURPOSE_OPTION
def keys_add(purpose):
    """Add a new key to the keyring file; it does not become primary."""
    from casustafel.keys import verify_keyring, write_keyring_file

    path = _keyring_file()
    keyring = _load_checked(path)
    kid = keyring.add_key(purpose)
    _write(write_keyring_file, path, keyring)  # first the file: a commitment without its key stops start-up
    verify_keyring(keyring)  # records the new key's commitment
    _log_key_event("keys.added", purpose, kid)
    click.echo(f"Sleutel toegevoegd: doel {purpose}, sleutel-id {kid} (nog niet primair).")
    click.echo("Verspreid het sleutelbestand naar elke server en herstart de applicatie, dan pas "
               f"`flask keys primary --purpose {purpose} --kid {kid}`.")


@keys_cli.command("primary")
@PURPOSE_OPTION
@click.option("--kid", required=True, type=click.IntRange(min=1), help="Sleutel-id die primair wordt.")
def keys_primary(purpose, kid):
    """Make an existing key the one new data of this purpose is written with."""
    from casustafel.keys import write_keyring_file

    path = _keyring_file()
    keyring = _load_checked(path)
    if kid not in keyring.kids(purpose):
        raise click.ClickException(f"Sleutel ontbreekt: doel {purpose!r}, sleutel-id {kid}")
    if keyring.primary_kid(purpose) == kid:
        click.echo(f"Sleutel-id {kid} is al primair voor doel {purpose}; niets gewijzigd.")
        return
    keyring.set_primary(purpose, kid)
    _write(write_keyring_file, path, keyring)
    _log_key_event("keys.primary_changed", purpose, kid)
    click.echo(f"Sleutel-id {kid} is nu primair voor doel {purpose}. Verspreid het sleutelbestand, "
               f"herstart de applicatie en draai `flask keys rotate --purpose {purpose}`.")


@keys_cli.command("rotate")
@PURPOSE_OPTION
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1),
              help="Rijen per transactie.")
def keys_rotate(purpose, batch_size):
    """Re-encrypt, re-index or re-wrap everything onto the primary key; resumable, idempotent."""
    from casustafel import rotation
    from casustafel.models.base import keyring

    ring = keyring()
    try:
        result = rotation.rotate(ring, purpose, batch_size=batch_size, progress=click.echo)
    except rotation.RotationError as error:
        raise click.ClickException(str(error)) from None
    _log_key_event("keys.rotated", purpose, result.primary, None if result.complete else "onvolledig")
    click.echo(f"Klaar: doel {purpose}, primaire sleutel-id {result.primary}: {result.changed} gewijzigd, "
               f"{result.scanned} rijen gelezen, {result.skipped} overgeslagen (tussentijds gewijzigd).")
    for where in result.unreadable:
        click.echo(f"Niet te ontsleutelen: {where}", err=True)
    if not result.complete:
        click.echo("Nog niet alles is omgezet: draai de opdracht opnieuw.", err=True)
        sys.exit(1)


def _kid_label(kid) -> str:
    return "onleesbaar/onbekend" if kid is None else f"sleutel-id {kid}"


@keys_cli.command("status")
def keys_status():
    """Rows per purpose per key id (enc/file: values, bidx: rows, audit: log events)."""
    from casustafel import rotation
    from casustafel.models.base import keyring

    ring = keyring()
    for purpose, counts in rotation.status(ring).items():
        kids = ", ".join(str(k) for k in ring.kids(purpose))
        click.echo(f"{purpose} (primair {ring.primary_kid(purpose)}; in sleutelbestand: {kids})")
        for kid, count in sorted(counts.items(), key=lambda item: (item[0] is None, item[0] or 0)):
            click.echo(f"  {_kid_label(kid)}: {count}")
        if not counts:
            click.echo("  geen gegevens")


@keys_cli.command("verify-rotation")
@PURPOSE_OPTION
def keys_verify_rotation(purpose):
    """Exit 1 when any row of this purpose still uses a non-primary key (audit: a missing key)."""
    from casustafel import rotation
    from casustafel.models.base import keyring

    ring = keyring()
    remaining = rotation.rows_on_old_keys(ring, purpose)
    if remaining:
        click.echo(f"Doel {purpose}: {remaining} nog niet op primaire sleutel-id {ring.primary_kid(purpose)}"
                   if purpose != "audit" else
                   f"Doel audit: {remaining} logboekregels met een sleutel die niet in het sleutelbestand staat")
        sys.exit(1)
    if purpose == "audit":
        click.echo("Doel audit: elke logboekregel is te controleren met een sleutel uit het sleutelbestand "
                   "(oude regels houden hun eigen sleutel).")
    else:
        click.echo(f"Doel {purpose}: alles gebruikt primaire sleutel-id {ring.primary_kid(purpose)}.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", "display_name", required=True, help="Weergavenaam.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["reporter", "member", "coordinator", "privacy_officer", "admin"]))
@click.option("--department", default=None, help="Naam van de afdeling (wordt aangemaakt).")
@click.option("--password-stdin", is_flag=True, help="Lees het wachtwoord van standaardinvoer.")
def users_create(email, display_name, roles, department, password_stdin):
    """Create an account; the password is prompted for or read from stdin."""
    from casustafel.admin.services import UserError, create_user
    from casustafel.auth.passwords import policy_problem

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Wachtwoord", hide_input=True, confirmation_prompt=True)
    problem = policy_problem(password, email)
    if problem:
        raise click.ClickException(problem)
    department_id = _department_id(department) if department else None
    try:
        user = create_user(None, email, display_name, roles, password,
                           department_id=department_id, must_change_password=False)
    except UserError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Account aangemaakt voor {user.email} met rol(len): {', '.join(roles)}.")


def _department_id(name: str) -> int:
    from sqlalchemy import select

    from casustafel.models import Department

    department = db.session.scalar(select(Department).where(Department.name == name))
    if department is None:
        department = Department(name=name)
        db.session.add(department)
        db.session.flush()
    return department.id


@mail_cli.command("send")
@click.option("--limit", default=100, show_default=True)
def mail_send(limit):
    """Deliver queued notifications (SMTP when MAIL_SERVER is set); run from a timer.

    Exit 1 when the server could not be used or refused a message, so the timer's unit fails.
    """
    from casustafel.notifications import deliver_pending

    report = deliver_pending(limit)
    if report.logged:
        click.echo(f"{report.logged} bericht(en) niet verstuurd maar gelogd: MAIL_SERVER is niet ingesteld.")
    else:
        click.echo(f"{report.sent} bericht(en) verstuurd.")
    if report.stopped:
        click.echo(f"Gestopt: {report.stopped}.", err=True)
    if report.refused:
        click.echo(f"{report.refused} bericht(en) geweigerd: {'; '.join(report.reasons)}.", err=True)
    if report.given_up:
        attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
        click.echo(f"{report.given_up} bericht(en) opgegeven na {attempts} pogingen.", err=True)
    if report.left:
        click.echo(f"{report.left} bericht(en) blijven in de wachtrij voor de volgende run.")
    if report.given_up_total:
        click.echo(f"{report.given_up_total} opgegeven bericht(en) wachten op `flask mail retry`.")
    if not report.ok:
        sys.exit(1)


@mail_cli.command("retry")
def mail_retry():
    """Put given-up notifications back in the queue with a fresh count of attempts."""
    from casustafel.notifications import requeue_given_up

    count = requeue_given_up()
    db.session.commit()
    click.echo(f"{count} opgegeven bericht(en) terug in de wachtrij.")


@click.command("demo")
def demo():
    """Fill an empty database with demo data and one account per role; print the logins."""
    from casustafel.demo import load_demo

    accounts = load_demo()
    click.echo("\nDemo-accounts (alleen voor proefomgevingen):")
    for email, role, password in accounts:
        click.echo(f"  {role:<28} {email:<32} wachtwoord: {password}")
    click.echo()


def init_app(app) -> None:
    for command in (keys_cli, users_cli, mail_cli, demo):
        app.cli.add_command(command)
    from casustafel.audit.cli import audit_cli  # verify and checkpoint live with the log
    app.cli.add_command(audit_cli)
    from casustafel.actions.cli import actions_cli  # the command lives with its feature
    app.cli.add_command(actions_cli)
    from casustafel.referrals.cli import referrals_cli
    app.cli.add_command(referrals_cli)
    from casustafel.retention.cli import retention_cli
    app.cli.add_command(retention_cli)
