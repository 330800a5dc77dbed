"""Demo data for a trial run: departments and one account per role. Never in production."""

from flask import current_app
from sqlalchemy import select

from casustafel.admin.services import create_user, find_user_by_email
from casustafel.extensions import db
from casustafel.models import Department
from casustafel.permissions import ROLE_LABELS, Role

DEMO_PASSWORD = "demo-casustafel-2026"  # printed demo login, refused in production  # noqa: S105  # nosec B105

DEPARTMENTS = [
    "Openbare orde en veiligheid",
    "Vergunningen, toezicht en handhaving",
    "Burgerzaken",
    "Belastingen",
    "Sociaal domein",
    "Juridische zaken",
]

ACCOUNTS = [
    ("melder@casustafel.test", "Mila Melder", ["reporter"], "Burgerzaken"),
    ("deelnemer@casustafel.test", "Daan Deelnemer", ["member"],
     "Vergunningen, toezicht en handhaving"),
    ("voorzitter@casustafel.test", "Vera Voorzitter", ["coordinator"],
     "Openbare orde en veiligheid"),
    ("privacy@casustafel.test", "Pim Privacy", ["privacy_officer"], "Juridische zaken"),
    ("beheer@casustafel.test", "Bo Beheer", ["admin"], None),
]


DEMO_SIGNALS = [
    {
        "phenomenon": "Hennepteelt",
        "description": "Bij een controle van de afvalinzameling viel op dat de ramen van de bovenwoning zijn "
        "afgeplakt en dat er een sterke hennepgeur hangt. Er komen 's avonds steeds andere auto's.",
        "subjects": [("persoon", "vermoedelijk_betrokkene", "Kees de Boer", "1979-05-14", None)],
        "location": ("3511 AB", "12", "A", "Voorbeeldstraat", "Voorbeeldstad"),
        "urgent": False,
    },
    {
        "phenomenon": "Woon- en adresfraude, overbewoning",
        "description": "Op één adres staan volgens de balie veertien personen en drie bedrijven ingeschreven. "
        "Het pand is een eengezinswoning.",
        "subjects": [("organisatie", "eigenaar", "Vastgoed Voorbeeld B.V.", None, "12345678")],
        "location": ("3511 AB", "12", "A", "Voorbeeldstraat", "Voorbeeldstad"),
        "urgent": False,
    },
]


def _demo_signals(reporter_email: str) -> None:
    """Two signals on the same address, so the coordinator sees linked signals."""
    from casustafel import linking
    from casustafel.audit import record
    from casustafel.models import Feedback, Location, Phenomenon, Signal, SignalEvent, Subject
    from casustafel.signals.services import next_reference

    reporter = find_user_by_email(reporter_email)
    if db.session.scalar(select(Signal).where(Signal.reporter_id == reporter.id).limit(1)):
        return
    for item in DEMO_SIGNALS:
        phenomenon = db.session.scalar(select(Phenomenon).where(Phenomenon.name == item["phenomenon"]))
        signal = Signal(reference=next_reference(), channel="meldpunt", status="ingediend",
                        urgent=item["urgent"], phenomenon_id=phenomenon.id if phenomenon else None,
                        reporter_id=reporter.id, registered_by_id=reporter.id,
                        reporter_department_id=reporter.department_id)
        signal.description = item["description"]
        for position, (kind, role, name, birth_date, kvk) in enumerate(item["subjects"]):
            subject = Subject(kind=kind, role=role, position=position)
            signal.subjects.append(subject)
            subject.name, subject.birth_date, subject.kvk_number = name, birth_date, kvk
            linking.index_subject(subject)
        postcode, number, addition, street, city = item["location"]
        location = Location(position=0)
        signal.locations.append(location)
        location.postcode, location.house_number, location.house_number_addition = postcode, number, addition
        location.street, location.city = street, city
        linking.index_location(location)
        db.session.add(signal)
        db.session.add(SignalEvent(signal=signal, actor_id=reporter.id, to_status="ingediend"))
        db.session.add(Feedback(signal=signal, code="ontvangen"))
        db.session.flush()
        record(reporter, "signal.created", signal, purpose="demo")


def load_demo() -> list[tuple[str, str, str]]:
    """Create what is missing (idempotent) and return (email, roles, password) per account."""
    if current_app.config.get("ENV_NAME") == "production":
        raise RuntimeError("Demo-gegevens zijn in productie niet toegestaan.")
    departments = {}
    for name in DEPARTMENTS:
        department = db.session.scalar(select(Department).where(Department.name == name))
        if department is None:
            department = Department(name=name)
            db.session.add(department)
            db.session.flush()
        departments[name] = department.id
    result = []
    for email, name, roles, department in ACCOUNTS:
        if find_user_by_email(email) is None:
            create_user(None, email, name, roles, DEMO_PASSWORD,
                        department_id=departments.get(department), must_change_password=False)
        result.append((email, ", ".join(ROLE_LABELS[Role(r)] for r in roles), DEMO_PASSWORD))
    db.session.flush()
    _demo_signals("melder@casustafel.test")
    db.session.commit()
    return result
