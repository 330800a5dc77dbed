"""The register of processing activities (art. 30 AVG) and the DPIA annex, both generated
from the configuration: the register's texts, the models (which columns are encrypted), the
roles on every endpoint, the retention settings and the privacy-check settings. Nothing here
is written by hand twice: a new encrypted column, role or term shows up by itself.

The services take the actor explicitly and never commit (the view or the command does).
"""

from dataclasses import dataclass
from datetime import date

from flask import current_app, render_template
from sqlalchemy import select

from casustafel import dates
from casustafel.audit_log import record
from casustafel.exports import to_csv
from casustafel.extensions import db
from casustafel.models import PRIVACY_CHECK_KINDS, ProcessingActivity
from casustafel.models.base import Encrypted
from casustafel.models.roles import ROLE_LABELS, Role
from casustafel.retention.services import CATEGORIES, CATEGORY_TERM, TERMS
from casustafel.settings import get_setting
from casustafel.web.pdf import render_pdf

PURPOSE = "verantwoording"
EDITABLE = ("name", "purpose", "legal_ground", "criminal_data_basis", "controller", "controller_note",
            "data_subjects", "data_categories", "recipients", "retention", "selection_list")

NO_TRANSFER = "Geen: casustafel verstrekt niet aan ontvangers buiten de Europese Economische Ruimte."
SECURITY_SUMMARY = ("Versleuteling per veld (AES-256-GCM) van persoonsgegevens en vrije tekst, blinde indexen, "
                    "versleutelde bijlagen; rollen op basis van need-to-know met vier ogen; tweede factor; "
                    "onveranderbaar logboek met hashketen; noodtoegang met reden. Zie de DPIA-bijlage.")

# The columns of art. 30(1) AVG, in the order of the article, plus what a municipality adds.
ART30_COLUMNS = (
    ("code", "Code"),
    ("name", "Verwerkingsactiviteit"),
    ("controller_label", "Verwerkingsverantwoordelijke (art. 30 lid 1 sub a)"),
    ("controller_note", "Toelichting verantwoordelijke"),
    ("purpose", "Doel (sub b)"),
    ("legal_ground", "Grondslag (art. 6 AVG en wet)"),
    ("criminal_data_basis", "Strafrechtelijke gegevens (art. 10 AVG / UAVG)"),
    ("data_subjects", "Categorieën betrokkenen (sub c)"),
    ("data_categories", "Categorieën persoonsgegevens (sub c)"),
    ("recipients", "Categorieën ontvangers (sub d)"),
    ("transfer", "Doorgifte aan derde landen (sub e)"),
    ("retention", "Bewaartermijn (sub f)"),
    ("selection_list", "Selectielijst"),
    ("security", "Beveiligingsmaatregelen (sub g)"),
)

# The path of a signal through the product (DOMAIN “The life of a signal”) and the activity,
# gate and roles of each step.
FLOW = (
    ("Intake (weging 1 en 2)", "signaalanalyse", "—", "Melder (eigen melding), regisseur"),
    ("Weging (weging 3)", "signaalanalyse", "—", "Regisseur"),
    ("Bronnenonderzoek en weging 4", "bronnenonderzoek", "Privacytoets 1", "Regisseur, privacyfunctionaris"),
    ("Casusoverleg", "casusoverleg", "Privacytoets 2A", "Regisseur, uitgenodigde deelnemers (velden volgens 2A)"),
    ("Aanpak en monitoring", "aanpak", "Privacytoets 2B voor gegevens naar een afdeling",
     "Regisseur, eigenaar van een actie"),
    ("Verstrekking", "verstrekking", "Privacytoets 2B", "Regisseur; de ontvanger het pakket"),
    ("Vernietiging", "bewaren_vernietigen", "Bewaarplicht (legal hold) schort op", "Privacyfunctionaris"),
)

ROLE_SCOPES = {
    Role.REPORTER: "Meldt signalen; ziet alleen status en terugkoppeling van de eigen meldingen.",
    Role.MEMBER: "Ziet alleen de agendapunten van overleggen waarvoor uitgenodigd, alleen de velden die "
                 "privacytoets 2A toestaat, van publicatie tot sluiting; en de eigen acties.",
    Role.COORDINATOR: "De hele werkstroom: intake, weging, bronnenonderzoek, overleggen, acties, verstrekkingen; "
                      "de enige rol die de melder ziet.",
    Role.PRIVACY_OFFICER: "Privacytoetsen (inhoud alleen zolang de toets openstaat), logboek, bewaartermijnen, "
                          "verzoeken van betrokkenen, register van verwerkingen; geen andere inhoud.",
    Role.ADMIN: "Gebruikers, rollen, lijsten en instellingen; geen inhoud van meldingen.",
}

FEATURE_LABELS = {
    "main": "Startpagina",
    "auth": "Inloggen en account",
    "signals": "Meldingen en werkdossier",
    "meetings": "Overleggen",
    "actions": "Acties",
    "privacy": "Privacytoetsen en register",
    "admin": "Beheer",
    "audit": "Logboek",
    "reports": "Cijfers",
    "referrals": "Verstrekkingen",
    "breakglass": "Noodtoegang",
    "retention": "Bewaartermijnen",
    "subject_requests": "Verzoeken van betrokkenen",
}

CHECKS = (
    ("Privacytoets 1", PRIVACY_CHECK_KINDS["1"]),
    ("Privacytoets 2A", PRIVACY_CHECK_KINDS["2A"]),
    ("Privacytoets 2B", PRIVACY_CHECK_KINDS["2B"]),
    ("Vier ogen", "Een inhoudelijke rol (regisseur, privacyfunctionaris, deelnemer) wordt pas actief na "
                  "goedkeuring door een tweede persoon; een beheerder heeft nooit een inhoudelijke rol."),
    ("Noodtoegang (break-glass)", "Inzage buiten de rol alleen met opnieuw inloggen en een reden, zichtbaar "
                                  "als waarschuwing, vastgelegd en gemeld aan de privacyfunctionaris."),
)


class ActivityError(ValueError):
    """A change to the register that cannot be saved; the message says why, in Dutch."""


@dataclass
class ActivityText:
    """The texts of one activity as the privacy officer submits them."""

    name: str
    purpose: str
    legal_ground: str
    criminal_data_basis: str
    controller: str
    controller_note: str
    data_subjects: str
    data_categories: str
    recipients: str
    retention: str
    selection_list: str


def activities() -> list[ProcessingActivity]:
    return list(db.session.scalars(select(ProcessingActivity).order_by(ProcessingActivity.position,
                                                                       ProcessingActivity.id)))


def update_activity(actor, activity: ProcessingActivity, text: ActivityText) -> bool:
    """Save the texts; log which fields changed (names only). False when nothing changed."""
    changed = [name for name in EDITABLE if getattr(activity, name) != getattr(text, name)]
    if not changed:
        return False
    for name in changed:
        setattr(activity, name, getattr(text, name))
    record(actor, "processing_activity.updated", activity, purpose=PURPOSE, reason_code=",".join(changed)[:64])
    return True


# --- art. 30 ----------------------------------------------------------------------------------


def art30_rows() -> list[dict]:
    rows = []
    for activity in activities():
        row = {name: getattr(activity, name) for name, _ in ART30_COLUMNS if hasattr(activity, name)}
        row["transfer"], row["security"] = NO_TRANSFER, SECURITY_SUMMARY
        rows.append(row)
    return rows


def art30_csv() -> bytes:
    return to_csv([label for _, label in ART30_COLUMNS],
                  [[row[name] for name, _ in ART30_COLUMNS] for row in art30_rows()])


def log_export(actor, what: str) -> None:
    record(actor, "processing_activity.exported", object_type="processing_activity", purpose=PURPOSE,
           reason_code=what)


# --- DPIA annex -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedColumn:
    table: str
    attribute: str
    column: str


def encrypted_columns() -> list[EncryptedColumn]:
    """Every Encrypted() attribute of every model, found in the models themselves."""
    found = []
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        for klass in cls.__mro__:
            for name, attr in vars(klass).items():
                if isinstance(attr, Encrypted):
                    found.append(EncryptedColumn(cls.__tablename__, name, attr.column))
    return sorted(set(found), key=lambda c: (c.table, c.attribute))


def blind_index_columns() -> list[tuple[str, str]]:
    return sorted((t.name, c.name) for t in db.metadata.sorted_tables for c in t.columns if c.name.endswith("_bidx"))


def encrypted_file_columns() -> list[tuple[str, str]]:
    """Files stored encrypted: the tables that keep a wrapped per-file key."""
    return sorted((t.name, c.name) for t in db.metadata.sorted_tables for c in t.columns
                  if c.name.endswith("wrapped_key"))


def role_matrix() -> tuple[list[Role], list[tuple[str, dict[Role, int], int]]]:
    """Per feature: how many of its pages each role may open, from the roles on every endpoint."""
    per_feature: dict[str, dict[Role, int]] = {}
    totals: dict[str, int] = {}
    for endpoint, view in current_app.view_functions.items():
        roles = getattr(view, "allowed_roles", None)
        if not roles or "." not in endpoint:
            continue
        feature = endpoint.split(".", 1)[0]
        totals[feature] = totals.get(feature, 0) + 1
        counts = per_feature.setdefault(feature, {})
        for role in roles:
            counts[Role(role)] = counts.get(Role(role), 0) + 1
    roles = list(Role)
    rows = [(FEATURE_LABELS.get(f, f), per_feature[f], totals[f])
            for f in sorted(per_feature, key=lambda f: FEATURE_LABELS.get(f, f))]
    return roles, rows


def retention_terms() -> list[tuple[str, str]]:
    """Each retention category with the term now set (months), the log terms included."""
    terms = [(CATEGORIES[c], f"{get_setting(key)} maanden") for c, key in CATEGORY_TERM.items()]
    for key in ("retention_access_log_months", "retention_security_log_months"):
        terms.append((TERMS[key][0], f"{get_setting(key)} maanden"))
    return terms


def check_settings() -> list[tuple[str, str]]:
    by_coordinator = get_setting("privacy_checks_by_coordinator") == "1"
    by_officer = get_setting("role_approval_by_privacy_officer") == "1"
    return [
        ("Wie legt de privacytoetsen vast", "de regisseur (kleine gemeente); de privacyfunctionaris ziet elk besluit "
         "en kan het heropenen" if by_coordinator else "de privacyfunctionaris"),
        ("Wie keurt inhoudelijke rollen goed", "de privacyfunctionaris (gemeente met één beheerder)" if by_officer
         else "een tweede beheerder"),
    ]


def dpia_context() -> dict:
    registered = {a.code: a for a in activities()}
    roles, matrix = role_matrix()
    return {
        "activities": list(registered.values()),
        "flow": [(step, registered.get(code), gate, who) for step, code, gate, who in FLOW],
        "roles": roles, "role_labels": ROLE_LABELS, "role_scopes": ROLE_SCOPES, "matrix": matrix,
        "encrypted": encrypted_columns(), "blind_indexes": blind_index_columns(),
        "encrypted_files": encrypted_file_columns(),
        "terms": retention_terms(), "checks": CHECKS, "check_settings": check_settings(),
        "made_on": dates.today(),
    }


def file_stem(kind: str, on: date | None = None) -> str:
    return f"{kind}-casustafel-{(on or dates.today()):%Y-%m-%d}"


def render_art30(fmt: str) -> bytes:
    """The register as CSV, HTML or PDF."""
    if fmt == "csv":
        return art30_csv()
    context = {"rows": art30_rows(), "columns": ART30_COLUMNS, "made_on": dates.today()}
    if fmt == "html":
        return render_template("privacy/art30_pdf.html", **context).encode()
    return render_pdf("privacy/art30_pdf.html", **context)


def render_dpia(fmt: str) -> bytes:
    """The DPIA annex as HTML or PDF."""
    if fmt == "html":
        return render_template("privacy/dpia_pdf.html", **dpia_context()).encode()
    return render_pdf("privacy/dpia_pdf.html", **dpia_context())
