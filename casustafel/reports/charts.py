"""Server-rendered SVG bar charts: no JavaScript, no external library, nothing fetched.

Each chart is an `<svg role="img">` with a <title> and <desc>; the page shows the same
numbers in a table next to it, which is the accessible alternative. Labels and numbers are
escaped; colours are presentation attributes (no style attributes, so CSP stays strict).
"""

from itertools import count

from markupsafe import Markup

from casustafel.reports import services

WIDTH = 640
LABEL_WIDTH = 210
BAR_HEIGHT = 18
GAP = 8
PAD = 10
BAR_COLOUR = "#1d5b8f"  # 7:1 against white
TEXT_COLOUR = "#000000"
LABEL_MAX = 30

_ids = count(1)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def bar_chart(title: str, items: list[tuple[str, float | None]], unit: str = "meldingen") -> Markup:
    """A horizontal bar chart of (label, value) pairs, in the given order. A value None is a
    suppressed small cell: it shows "< 5" and no bar (a bar's length would give it away)."""
    n = next(_ids)
    height = PAD * 2 + max(len(items), 1) * (BAR_HEIGHT + GAP)
    known = [(label, v) for label, v in items if v is not None]
    top = max((v for _, v in known), default=0) or 1
    span = WIDTH - LABEL_WIDTH - 60
    if known:
        biggest = max(known, key=lambda i: i[1])
        summary = (f"Staafdiagram met {len(items)} groepen; de grootste is {biggest[0]} "
                   f"met {_number(biggest[1])} {unit}. Dezelfde cijfers staan in de tabel.")
    elif items:
        summary = f"Staafdiagram met {len(items)} groepen, elk met minder dan 5 {unit}."
    else:
        summary = "Geen gegevens in deze periode."
    parts = [
        Markup('<svg xmlns="http://www.w3.org/2000/svg" role="img" class="app-chart" '
               'viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
               'aria-labelledby="chart-{n}-title chart-{n}-desc">').format(w=WIDTH, h=height, n=n),
        Markup('<title id="chart-{}-title">{}</title>').format(n, title),
        Markup('<desc id="chart-{}-desc">{}</desc>').format(n, summary),
    ]
    for i, (label, value) in enumerate(items):
        y = PAD + i * (BAR_HEIGHT + GAP)
        width = round(span * value / top, 1) if value else 0
        if value is None:
            value = services.SUPPRESSED
        mid = y + BAR_HEIGHT * 0.75
        parts.append(Markup(
            '<text x="{lx}" y="{mid}" text-anchor="end" font-size="13" font-family="sans-serif" '
            'fill="{ink}">{label}</text>'
            '<rect x="{x}" y="{y}" width="{width}" height="{bh}" fill="{bar}"/>'
            '<text x="{vx}" y="{mid}" font-size="13" font-family="sans-serif" fill="{ink}">{value}</text>'
        ).format(lx=LABEL_WIDTH - 6, mid=mid, ink=TEXT_COLOUR, label=_short(label), x=LABEL_WIDTH, y=y,
                 width=width, bh=BAR_HEIGHT, bar=BAR_COLOUR, vx=LABEL_WIDTH + width + 6, value=_number(value)))
    if not items:
        parts.append(Markup('<text x="{}" y="{}" font-size="13" font-family="sans-serif" fill="{}">'
                            'Geen gegevens</text>').format(PAD, PAD + BAR_HEIGHT * 0.75, TEXT_COLOUR))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)  # format() and join() escape every label, title and number


def charts_for(report: services.Report) -> dict:
    def pairs(items):
        return [(i.label, None if i.suppressed else i.count) for i in items]

    return {
        "phenomena": bar_chart("Meldingen per fenomeen", pairs(report.phenomena)),
        "channels": bar_chart("Meldingen per kanaal", pairs(report.channels)),
        "departments": bar_chart("Meldingen per afdeling van de melder", pairs(report.departments)),
        "outcomes": bar_chart("Meldingen per uitkomst", pairs(report.outcomes)),
        "months": bar_chart("Meldingen per maand", pairs(report.months)),
        "lead_phenomena": bar_chart("Mediane doorlooptijd per fenomeen (dagen)",
                                    [(t.label, t.median) for t in report.lead_by_phenomenon], unit="dagen"),
        "referrals": bar_chart("Verstrekkingen per partner",
                               [(name, total) for name, _, total in report.referrals.rows], unit="verstrekkingen"),
    }
