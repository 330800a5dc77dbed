"""Demo data for a trial run: departments and one account per role. Never in production."""

from flask import current_app
from sqlalchemy import select

from casustafel.admin.services import create_user, find_user_by_email
from casustafel.extensions import db
from casustafel.models import Department

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
        result.append((email, ", ".join(roles), DEMO_PASSWORD))
    db.session.commit()
    return result
