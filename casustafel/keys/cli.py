"""`flask keys …`: create the keyring, add and promote keys, rotate and check a rotation."""

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from casustafel import crypto, rotation
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.keys import key_checks_in_use, verify_keyring, write_keyring_file
from casustafel.models.base import keyring

keys_cli = AppGroup("keys", help="Sleutelbeheer.")


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

    record(None, action, object_type="key", object_id=f"{purpose}:{kid}", reason_code=reason,
           purpose="sleutelbeheer")
    db.session.commit()


@keys_cli.command("add")
@PURPOSE_OPTION
def keys_add(purpose):
    """Add a new key to the keyring file; it does not become primary."""

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
