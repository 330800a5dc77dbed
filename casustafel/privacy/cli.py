"""`flask privacy art30 --out FILE` and `flask privacy dpia --out FILE`: the register of
processing activities and the DPIA annex from the configuration, for the lead or the FG who
works outside the browser. The format follows the file's extension; each run is logged."""

from pathlib import Path

import click
from flask.cli import AppGroup

from casustafel.extensions import db
from casustafel.privacy import annex

privacy_cli = AppGroup("privacy", help="Register van verwerkingen en DPIA-bijlage.")

OUT = click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                   help="Bestand om te schrijven (.pdf, .html of voor het register ook .csv).")


def _write(out: Path, content: bytes, what: str) -> None:
    try:
        out.write_bytes(content)
    except OSError as error:
        raise click.ClickException(f"{out} is niet geschreven ({error.strerror}).") from None
    annex.log_export(None, what)
    db.session.commit()
    click.echo(f"{out} geschreven ({len(content)} bytes).")


def _format(out: Path, allowed: tuple[str, ...]) -> str:
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in allowed:
        raise click.ClickException(f"Kies een bestand dat eindigt op {', '.join('.' + a for a in allowed)}.")
    return fmt


@privacy_cli.command("art30")
@OUT
def art30(out):
    """Write the register of processing activities (art. 30 AVG)."""
    fmt = _format(out, ("pdf", "html", "csv"))
    _write(out, annex.render_art30(fmt), f"art30_cli_{fmt}")


@privacy_cli.command("dpia")
@OUT
def dpia(out):
    """Write the DPIA annex generated from the configuration."""
    fmt = _format(out, ("pdf", "html"))
    _write(out, annex.render_dpia(fmt), f"dpia_cli_{fmt}")
