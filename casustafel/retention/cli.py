"""`flask retention run [--dry-run] [--batch-size N]`: destroy what is past its term. Run from a timer."""

import click
from flask.cli import AppGroup

from casustafel.dates import utcnow
from casustafel.retention.destruction import run_retention

retention_cli = AppGroup("retention", help="Bewaartermijnen en vernietiging.")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Alleen tonen wat zou worden vernietigd.")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(min=1, max=10_000),
              help="Meldingen per transactie; een afgebroken run gaat de volgende keer verder.")
def retention_run(dry_run, batch_size):
    """Destroy content past its retention term; keep tombstones and destruction records."""
    result = run_retention(None, utcnow(), dry_run=dry_run, origin="cli", batch_size=batch_size,
                           progress=click.echo)
    click.echo(f"Run {result.run.id}{' (proefrun, niets vernietigd)' if dry_run else ''}.")
