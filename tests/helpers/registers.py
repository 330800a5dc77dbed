"""Privacy check 1's A, B and C per register, for the tests that decide a check 1."""

ABC = {
    "a": "Wet basisregistratie personen, artikel 3.2 — grondslag van de verzameling",
    "b": "Verenigbaar: toezicht op openbare orde ligt in het verlengde van het oorspronkelijke doel (6 lid 4 AVG).",
    "c": "Noodzakelijk om het signaal te wegen; eerst hit / no hit, een lichter middel is er niet.",
}


def assessments(*codes) -> dict:
    """The service's register_assessments for these registers."""
    return {code: {part: f"{text} ({code})" for part, text in ABC.items()} for code in codes}


def assessment_form(*codes) -> dict:
    """The decision form's A, B and C fields for these registers."""
    return {f"{part}_{code}": text for code, parts in assessments(*codes).items() for part, text in parts.items()}


def fill_abc(page, register_label: str) -> None:
    """In a browser: fill B and C of check 1 for this register (A comes filled from the list)."""
    group = page.get_by_role("group", name=register_label, exact=True)
    group.get_by_label("B. Verenigbaarheid", exact=False).fill(ABC["b"])
    group.get_by_label("C. Noodzaak", exact=False).fill(ABC["c"])
