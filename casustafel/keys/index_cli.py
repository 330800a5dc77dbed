"""`flask blind-index …`: the width of the blind indexes: plan it, show it, change it.

docs/security.md "Blind-index leakage": set CASUSTAFEL_BLIND_INDEX_EXPECTED_VALUES (or
CASUSTAFEL_BLIND_INDEX_BITS), then `flask blind-index rewidth` recomputes every index.
"""

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from casustafel import crypto, linking, rotation
from casustafel.audit_log import record
from casustafel.extensions import db
from casustafel.models.base import keyring

index_cli = AppGroup("blind-index", help="Breedte van de blinde indexen.")


@index_cli.command("plan")
@click.option("--expected-values", type=click.IntRange(min=1),
              help="Verwacht aantal waarden (standaard: de configuratie).")
def index_plan(expected_values):
    """The safe range of widths and the chosen one for an expected number of values."""
    values = expected_values or current_app.config["BLIND_INDEX_EXPECTED_VALUES"]
    try:
        low, high = crypto.safe_range(values)
    except crypto.BlindIndexPlanError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{values} verwachte waarden: veilig {low}–{high} bits; gekozen {high} bits "
               f"(≈ {crypto.coincidences(values, high):.1f} kandidaten per zoekwaarde om te ontsleutelen).")
    for bits in (low, high):
        click.echo(f"  {bits} bits: {crypto.coincidences(values, bits):.1f} samenvallende waarden per waarde")


@index_cli.command("status")
def index_status():
    """The installation's width, the configured one and the indexed rows per width."""
    state = linking.width_state()
    click.echo(f"Database: {state.bits} bits" + (f" (omzetting van {state.previous_bits} bits loopt nog)"
                                                  if state.previous_bits is not None else ""))
    click.echo(f"Configuratie: {current_app.config['BLIND_INDEX_BITS']} bits "
               f"({current_app.config['BLIND_INDEX_EXPECTED_VALUES']} verwachte waarden)")
    for bits, count in sorted(rotation.width_status().items(), key=lambda item: (item[0] is None, item[0] or 0)):
        click.echo(f"  {'zonder breedte' if bits is None else f'{bits} bits'}: {count} rijen")


@index_cli.command("rewidth")
@click.option("--batch-size", default=rotation.DEFAULT_BATCH_SIZE, show_default=True, type=click.IntRange(min=1),
              help="Rijen per transactie.")
def index_rewidth(batch_size):
    """Recompute every blind index at the configured width; resumable, idempotent."""
    bits = current_app.config["BLIND_INDEX_BITS"]
    try:
        change = rotation.rewidth(keyring(), bits, batch_size=batch_size, progress=click.echo)
    except rotation.RotationError as error:
        raise click.ClickException(str(error)) from None
    result = change.result
    complete = change.complete
    counts = (f"gelezen {result.scanned} gewijzigd {result.changed} overgeslagen {result.skipped} "
              f"onleesbaar {len(result.unreadable)}")
    record(None, "keys.index_width_changed", object_type="blind_index_width",
           object_id=f"{change.previous}->{change.bits}" + ("" if complete else " onvolledig"),
           reason_code=counts[:64], purpose="sleutelbeheer")
    db.session.commit()
    click.echo(f"Klaar: blinde indexen van {change.previous} naar {change.bits} bits: {result.changed} indexen "
               f"herberekend, {result.scanned} rijen gelezen, {result.skipped} overgeslagen (tussentijds gewijzigd).")
    for where in result.unreadable:
        click.echo(f"Niet te ontsleutelen: {where}", err=True)
    if not complete:
        click.echo("Nog niet alles is omgezet: draai de opdracht opnieuw. Tot dan zoekt de applicatie op beide "
                   "breedtes.", err=True)
        sys.exit(1)
