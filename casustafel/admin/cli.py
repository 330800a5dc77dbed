"""`flask users create`: accounts from the command line (the first admin; the operator acts
directly, without the second approval the admin pages ask for)."""

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from casustafel.admin.services import UserError, create_user
from casustafel.auth.passwords import policy_problem
from casustafel.extensions import db
from casustafel.models import Department

users_cli = AppGroup("users", help="Gebruikers.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", "display_name", required=True, help="Weergavenaam.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(["reporter", "member", "coordinator", "privacy_officer", "admin"]))
@click.option("--department", default=None, help="Naam van de afdeling (wordt aangemaakt).")
@click.option("--password-stdin", is_flag=True, help="Lees het wachtwoord van standaardinvoer.")
def users_create(email, display_name, roles, department, password_stdin):
    """Create an account; the password is prompted for or read from stdin."""

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


    department = db.session.scalar(select(Department).where(Department.name == name))
    if department is None:
        department = Department(name=name)
        db.session.add(department)
        db.session.flush()
    return department.id
