"""The municipality's register of processing activities (art. 30 AVG) for what casustafel
does, and which activity each log event belongs to (Logboek Dataverwerkingen:
`processing_activity_id` per event).

The activities are fixed by what the product does: every action the access log records maps
to one of them here, in one place. The privacy officer keeps the texts of the register
(purpose, legal ground, controller, categories, recipients, retention) in the application;
the seeded texts are a starting point from migration 0019, not legal advice.
"""

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from casustafel.extensions import db

# The controller (verwerkingsverantwoordelijke): "ieder voor zover het zijn bevoegdheden
# betreft" in the municipal privacy protocols; the same competent bodies as the powers list.
CONTROLLERS = {
    "burgemeester": "Burgemeester",
    "college": "College van burgemeester en wethouders",
    "raad": "Gemeenteraad",
    "burgemeester_en_college": "Burgemeester en college, ieder voor zover het zijn bevoegdheden betreft",
}

SIGNAALANALYSE = "signaalanalyse"
BRONNENONDERZOEK = "bronnenonderzoek"
CASUSOVERLEG = "casusoverleg"
AANPAK = "aanpak"
VERSTREKKING = "verstrekking"
RECHTEN_BETROKKENEN = "rechten_betrokkenen"
BEWAREN_VERNIETIGEN = "bewaren_vernietigen"
BEVEILIGING_VERANTWOORDING = "beveiliging_verantwoording"
BEHEER = "beheer"
MANAGEMENTINFORMATIE = "managementinformatie"

ACTIVITY_CODES = (SIGNAALANALYSE, BRONNENONDERZOEK, CASUSOVERLEG, AANPAK, VERSTREKKING, RECHTEN_BETROKKENEN,
                  BEWAREN_VERNIETIGEN, BEVEILIGING_VERANTWOORDING, BEHEER, MANAGEMENTINFORMATIE)

# The log's actions are "<object>.<verb>". An exact entry wins over the object's entry.
ACTION_ACTIVITIES = {
    "signal.legal_hold_set": BEWAREN_VERNIETIGEN,
    "signal.legal_hold_released": BEWAREN_VERNIETIGEN,
    "signal.monitoring_reminded": AANPAK,
    "signal.long_open_reminded": BEWAREN_VERNIETIGEN,
    "signal.open_justified": BEWAREN_VERNIETIGEN,
    "received_information.provided": VERSTREKKING,
    "received_information.deleted": BEWAREN_VERNIETIGEN,
}
OBJECT_ACTIVITIES = {
    # The model protocol's steps.
    "signal": SIGNAALANALYSE,
    # The coordinators' internal notes follow the signal whatever its step (workspace).
    "signal_note": SIGNAALANALYSE,
    # A coordinator's saved inbox filter: how they select signals to work on (no data of anyone).
    "saved_filter": SIGNAALANALYSE,
    "attachment": SIGNAALANALYSE,
    # The meldpunt mailbox: fetching e-mails as concepts, and the coordinator's review of them.
    "mail": SIGNAALANALYSE,
    "mail_concept": SIGNAALANALYSE,
    "feedback": SIGNAALANALYSE,
    "assessment": SIGNAALANALYSE,
    "source_query": BRONNENONDERZOEK,
    "received_information": BRONNENONDERZOEK,
    "privacy_check": BRONNENONDERZOEK,
    "meeting": CASUSOVERLEG,
    "agenda_item": CASUSOVERLEG,
    # The coordinator's standing groups of invitees (staff only, no data of anyone else).
    "invitee_group": CASUSOVERLEG,
    "case_plan": AANPAK,
    "action": AANPAK,
    "monitoring_period": AANPAK,
    "bibob_record": AANPAK,
    "case_system_link": AANPAK,
    "referral": VERSTREKKING,
    # What the product does besides.
    "subject_request": RECHTEN_BETROKKENEN,
    "informing": RECHTEN_BETROKKENEN,
    "processing_restriction": RECHTEN_BETROKKENEN,
    "recipient_notification": RECHTEN_BETROKKENEN,
    "retention": BEWAREN_VERNIETIGEN,
    "auth": BEVEILIGING_VERANTWOORDING,
    "audit": BEVEILIGING_VERANTWOORDING,
    "break_glass": BEVEILIGING_VERANTWOORDING,
    "access": BEVEILIGING_VERANTWOORDING,
    "security": BEVEILIGING_VERANTWOORDING,
    "keys": BEVEILIGING_VERANTWOORDING,
    "change": BEVEILIGING_VERANTWOORDING,
    "processing_activity": BEVEILIGING_VERANTWOORDING,
    "user": BEHEER,
    "department": BEHEER,
    "partner": BEHEER,
    "power": BEHEER,
    "legal_ground": BEHEER,
    "phenomenon": BEHEER,
    "indicator": BEHEER,
    "weighing_criterion": BEHEER,
    "source_register": BEHEER,
    "setting": BEHEER,
    "organisation": BEHEER,
    "report": MANAGEMENTINFORMATIE,
}
# Where the object's kind names the step: privacy check 1 / 2A / 2B, weging 1-3 / 4.
KIND_ACTIVITIES = {
    "privacy_check": {"1": BRONNENONDERZOEK, "2A": CASUSOVERLEG, "2B": VERSTREKKING},
    "assessment": {"intake": SIGNAALANALYSE, "weging": SIGNAALANALYSE, "vervolgstap": BRONNENONDERZOEK},
}
# A status change belongs to the step the signal leaves (a referral to the step it enters).
STATUS_ACTIVITIES = {
    "ingediend": SIGNAALANALYSE,
    "intake": SIGNAALANALYSE,
    "weging": SIGNAALANALYSE,
    "aanvulling_gevraagd": SIGNAALANALYSE,
    "bronnenonderzoek": BRONNENONDERZOEK,
    "geagendeerd": CASUSOVERLEG,
    "besproken": CASUSOVERLEG,
    "in_aanpak": AANPAK,
    "monitoring": AANPAK,
    "doorgezet": VERSTREKKING,
    "afgesloten": SIGNAALANALYSE,
}


class UnmappedActionError(KeyError):
    """A log action that belongs to no processing activity: add it to ACTION_ACTIVITIES."""


def activity_for(action: str, obj=None) -> str:
    """The processing activity of a log action; raise UnmappedActionError when there is none."""
    if action in ACTION_ACTIVITIES:
        return ACTION_ACTIVITIES[action]
    prefix = action.split(".", 1)[0]
    if prefix not in OBJECT_ACTIVITIES or "." not in action:
        raise UnmappedActionError(f"Logactie {action!r} hoort bij geen verwerkingsactiviteit")
    kinds = KIND_ACTIVITIES.get(prefix)
    kind = getattr(obj, "kind", None) if kinds and getattr(obj, "__tablename__", None) == prefix else None
    return kinds.get(kind, OBJECT_ACTIVITIES[prefix]) if kind else OBJECT_ACTIVITIES[prefix]


def activity_for_check(kind: str) -> str:
    return KIND_ACTIVITIES["privacy_check"].get(kind, BRONNENONDERZOEK)


def activity_for_status_change(from_status: str, to_status: str) -> str:
    if to_status == "doorgezet":
        return VERSTREKKING
    return STATUS_ACTIVITIES.get(from_status, SIGNAALANALYSE)


class ProcessingActivity(db.Model):
    """One processing activity in the register (art. 30(1) AVG). Holds no personal data."""

    __tablename__ = "processing_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    legal_ground: Mapped[str] = mapped_column(Text)
    criminal_data_basis: Mapped[str] = mapped_column(Text)
    controller: Mapped[str] = mapped_column(String(32))
    controller_note: Mapped[str] = mapped_column(Text)
    data_subjects: Mapped[str] = mapped_column(Text)
    data_categories: Mapped[str] = mapped_column(Text)
    recipients: Mapped[str] = mapped_column(Text)
    retention: Mapped[str] = mapped_column(Text)
    selection_list: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def controller_label(self) -> str:
        return CONTROLLERS.get(self.controller, self.controller)
