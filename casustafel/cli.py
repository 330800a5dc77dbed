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
audit_cli = AppGroup("audit", help="Logboek.")
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


@audit_cli.command("verify")
def audit_verify():
    """Recompute the hash chain; exit 1 and name the first broken entry when it fails."""
    from casustafel.audit.services import verify_chain
    from casustafel.models.base import keyring

    status = verify_chain(keyring())
    click.echo(status.message)
    if not status.ok:
        sys.exit(1)


@mail_cli.command("send")
@click.option("--limit", default=100, show_default=True)
def mail_send(limit):
    """Deliver queued notifications (SMTP when MAIL_SERVER is set); run from a timer."""
    from casustafel.notifications import deliver_pending

    sent = deliver_pending(limit)
    db.session.commit()
    click.echo(f"{sent} bericht(en) verstuurd.")


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
    for command in (keys_cli, users_cli, audit_cli, mail_cli, demo):
        app.cli.add_command(command)
    from casustafel.actions.cli import actions_cli  # the command lives with its feature
    app.cli.add_command(actions_cli)
    from casustafel.referrals.cli import referrals_cli
    app.cli.add_command(referrals_cli)
