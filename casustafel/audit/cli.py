"""`flask audit verify`, `flask audit checkpoint` and `flask audit anomalies-rebuild`."""

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from casustafel.audit import anomaly_counts, checkpoints
from casustafel.audit_log import verify_chain
from casustafel.extensions import db
from casustafel.models.base import keyring

audit_cli = AppGroup("audit", help="Logboek.")


@audit_cli.command("verify")
@click.option("--checkpoint", "checkpoint_arg", default=None, metavar="BESTAND|SEQ:MAC",
              help="Controlepunt van buiten de applicatie: een bestand van `audit checkpoint` of seq:mac.")
def audit_verify(checkpoint_arg):
    """Recompute the hash chain; exit 1 and name the first broken entry when it fails.

    With --checkpoint the chain must still reach that point with the same MAC, which
    detects removal of the newest entries even when the head was rewritten.
    """
    checkpoint = None
    if checkpoint_arg:
        path = Path(checkpoint_arg)
        try:
            text = path.read_text(encoding="utf-8") if path.is_file() else checkpoint_arg
            checkpoint = checkpoints.parse(text)
        except (OSError, ValueError, KeyError) as error:
            raise click.ClickException(f"Het controlepunt is niet te lezen: {error}") from error
    status = verify_chain(keyring(), checkpoint=checkpoint)
    click.echo(status.message)
    if checkpoint is not None and status.ok:
        click.echo(f"Controlepunt {checkpoint[0]} klopt.")
    if not status.ok:
        sys.exit(1)
    if status.last_seq:
        checkpoints.store(None, status, "verify")
        db.session.commit()


@audit_cli.command("checkpoint")
@click.option("--output", type=click.Path(dir_okay=False), default=None,
              help="Voeg de regel toe aan dit bestand (bewaar het buiten de applicatie).")
def audit_checkpoint(output):
    """Verify the chain after the newest stored checkpoint, store a new one and print it as one
    JSON line {seq, mac, created_at}; keep that line outside the application."""
    status, _ = checkpoints.verify_since_newest(None, "cli")
    if not status.ok:
        db.session.rollback()
        click.echo(status.message, err=True)
        sys.exit(1)
    newest = checkpoints.newest() if status.last_seq else None
    if newest is None:
        raise click.ClickException("Het logboek is leeg: er is nog geen controlepunt te maken.")
    db.session.commit()
    line = checkpoints.as_line(newest)
    if output:
        with open(output, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    click.echo(line)


@audit_cli.command("anomalies-rebuild")
def audit_anomalies_rebuild():
    """Count the anomaly counters anew from the whole log (a derived cache; the page also
    rebuilds it by itself when it is missing). Run after a restore, or to count a large log
    ahead of the first view."""
    counted = anomaly_counts.rebuild()
    db.session.commit()
    click.echo(f"Afwijkingen opnieuw geteld over {counted} regels van het logboek.")
