"""The access log in Dutch: one set of labels for actions, roles, purposes and object types.

The privacy officer's log viewer, its timelines and export, and the data-subject request page
all describe log events with these labels, so a label changed here changes everywhere.

Actions are "<object>.<verb>". ACTIONS lists every action casustafel logs, per object; the
label is the object's noun and the verb's participle ("signal.viewed" → "Melding ingezien"),
unless OVERRIDES says it better. A static scan of the code (tests/test_audit_labels.py) fails
when an action is logged that is not listed here, so no page ever falls back to a code.
"""

from casustafel.models.roles import ROLE_LABELS, Role

# object → (noun, plural): the noun starts a label, the plural names the object's group.
OBJECTS = {
    "access": ("Toegang", "toegang"),
    "action": ("Actie", "acties"),
    "agenda_item": ("Agendapunt", "agendapunten"),
    "assessment": ("Beoordeling", "beoordelingen (intake en weging)"),
    "attachment": ("Bijlage", "bijlagen"),
    "audit": ("Logboek", "het logboek"),
    "auth": ("Inloggen", "inloggen"),
    "bibob_record": ("Bibob-gegevens", "Bibob-gegevens"),
    "break_glass": ("Noodtoegang", "noodtoegang"),
    "case_plan": ("Plan van aanpak", "plannen van aanpak"),
    "case_system_link": ("Koppeling met het zaaksysteem", "koppelingen met het zaaksysteem"),
    "change": ("Wijziging", "wijzigingen"),
    "department": ("Afdeling", "afdelingen"),
    "feedback": ("Terugkoppeling", "terugkoppelingen"),
    "indicator": ("Indicator", "indicatoren"),
    "informing": ("Besluit over informeren van de betrokkene", "informeren van betrokkenen"),
    "invitee_group": ("Vaste groep deelnemers", "vaste groepen deelnemers"),
    "keys": ("Sleutel", "sleutels"),
    "legal_ground": ("Grondslag", "grondslagen"),
    "mail": ("Mailbox van het meldpunt", "de mailbox van het meldpunt"),
    "mail_concept": ("E-mail van het meldpunt", "e-mails van het meldpunt"),
    "meeting": ("Overleg", "overleggen"),
    "monitoring_period": ("Monitoringsperiode", "monitoringsperiodes"),
    "organisation": ("Huisstijl", "huisstijl en briefpapier"),
    "partner": ("Partner", "partners"),
    "phenomenon": ("Fenomeen", "fenomenen"),
    "power": ("Bevoegdheid", "bevoegdheden"),
    "privacy_check": ("Privacytoets", "privacytoetsen"),
    "processing_activity": ("Verwerkingsactiviteit", "verwerkingsactiviteiten"),
    "processing_restriction": ("Beperking van de verwerking", "beperkingen van de verwerking"),
    "received_information": ("Ontvangen informatie", "ontvangen informatie"),
    "recipient_notification": ("Kennisgeving aan ontvangers", "kennisgevingen aan ontvangers"),
    "referral": ("Verstrekking", "verstrekkingen"),
    "report": ("Rapportage", "rapportages"),
    "retention": ("Bewaartermijnen", "bewaartermijnen"),
    "saved_filter": ("Bewaard filter", "bewaarde filters"),
    "security": ("Beveiliging", "beveiliging"),
    "setting": ("Instelling", "instellingen"),
    "signal": ("Melding", "meldingen"),
    "signal_note": ("Interne notitie", "interne notities"),
    "source_query": ("Bronraadpleging", "bronraadplegingen"),
    "source_register": ("Bronregister", "bronregisters"),
    "subject_request": ("Verzoek van een betrokkene", "verzoeken van betrokkenen"),
    "user": ("Gebruiker", "gebruikers"),
    "weighing_criterion": ("Wegingscriterium", "wegingscriteria"),
}

VERBS = {
    "activated": "geactiveerd",
    "added": "toegevoegd",
    "changed": "gewijzigd",
    "closed": "gesloten",
    "created": "aangemaakt",
    "deactivated": "gedeactiveerd",
    "deleted": "verwijderd",
    "denied": "geweigerd",
    "downloaded": "gedownload",
    "ended": "beëindigd",
    "exported": "geëxporteerd",
    "extended": "verlengd",
    "granted": "verleend",
    "lifted": "opgeheven",
    "provided": "verstrekt",
    "published": "gepubliceerd",
    "recorded": "vastgelegd",
    "refused": "geweigerd",
    "reopened": "heropend",
    "requested": "aangevraagd",
    "sent": "verstuurd",
    "set": "ingesteld",
    "started": "gestart",
    "updated": "gewijzigd",
    "uploaded": "meegestuurd",
    "viewed": "ingezien",
}

# Every action the code logs, per object (the verbs after the dot).
ACTIONS = {
    "access": "denied",
    "action": "created listed reminded updated viewed",
    "agenda_item": "added carried_over decided notes_recorded viewed removed moved",
    "assessment": "recorded",
    "attachment": "downloaded uploaded",
    "audit": "viewed timeline_viewed subject_lookup exported checkpoint_stored anomalies_viewed anomaly_viewed "
             "anomaly_reviewed",
    "auth": "login login_failed logout password_changed reauthenticated reauthenticate_failed second_factor_enrolled "
            "second_factor_failed second_factor_secret_issued sso_login sso_refused",
    "bibob_record": "recorded updated viewed",
    "break_glass": "granted refused ended reason_viewed signal_viewed",
    "case_plan": "recorded",
    "case_system_link": "added viewed",
    "change": "conflict",
    "department": "created",
    "feedback": "sent",
    "indicator": "created activated deactivated",
    "informing": "recorded review_due viewed",
    "invitee_group": "created updated deleted member_added member_removed",
    "keys": "added primary_changed rotated index_width_changed",
    "legal_ground": "created activated deactivated",
    "mail": "fetched",
    "mail_concept": "created listed discarded opened registered",
    "meeting": "listed own_listed viewed created updated member_invited member_uninvited published "
               "agenda_downloaded minutes_downloaded closed cancelled calendar_downloaded cutoff_reminded "
               "attendance_recorded",
    "monitoring_period": "started extended",
    "organisation": "changed",
    "partner": "created activated deactivated marked_internal marked_external",
    "phenomenon": "created activated deactivated",
    "power": "created activated deactivated",
    "privacy_check": "listed viewed requested decided reopened withdrawn",
    "processing_activity": "listed viewed updated exported",
    "processing_restriction": "set lifted",
    "received_information": "recorded viewed provided deleted exceptions_listed exception_requested "
                            "exception_viewed exception_decided",
    "recipient_notification": "recorded",
    "referral": "listed viewed created updated sent reminded package_downloaded register_exported",
    "report": "viewed exported yearly_downloaded",
    "retention": "viewed settings_changed run run_viewed long_open_viewed records_exported statement_exported",
    "saved_filter": "created deleted",
    "security": "decryption_failed",
    "setting": "changed",
    "signal": "created submit_refused own_listed status_viewed question_answered listed viewed linked_viewed "
              "status_changed change_refused summary_recorded question_asked legal_hold_set legal_hold_released "
              "open_justified long_open_reminded monitoring_reminded weighing_record_viewed "
              "weighing_record_downloaded case_summary_downloaded owner_changed owners_listed searched",
    "signal_note": "added",
    "source_query": "recorded",
    "source_register": "created updated activated deactivated",
    "subject_request": "listed created viewed searched decided extended carried_out objection_weighed exported "
                       "closed",
    "user": "listed viewed created updated activated deactivated activation_sent password_set password_reset "
            "roles_changed role_requested role_requests_listed role_approved role_refused second_factor_reset "
            "second_factor_reset_requested bulk_invited sso_provisioned sso_linked sso_blocked sso_unblocked "
            "sso_link_allowed",
    "weighing_criterion": "created activated deactivated",
}

# Where noun + participle is not what a person would say.
OVERRIDES = {
    "access.denied": "Toegang geweigerd",
    "agenda_item.added": "Melding geagendeerd",
    "action.reminded": "Herinnering over actie verstuurd",
    "agenda_item.carried_over": "Agendapunt doorgeschoven naar een volgend overleg",
    "agenda_item.decided": "Besluit over agendapunt vastgelegd",
    "agenda_item.notes_recorded": "Aantekeningen bij agendapunt vastgelegd",
    "agenda_item.removed": "Melding van de agenda gehaald",
    "agenda_item.moved": "Agendapunt verplaatst",
    "invitee_group.member_added": "Deelnemer aan vaste groep toegevoegd",
    "invitee_group.member_removed": "Deelnemer uit vaste groep gehaald",
    "meeting.cutoff_reminded": "Herinnering gestuurd: agenda sluit binnenkort",
    "privacy_check.withdrawn": "Privacytoets ingetrokken (melding van de agenda gehaald)",
    "assessment.recorded": "Intake of weging vastgelegd",
    "attachment.uploaded": "Bijlage meegestuurd",
    "audit.viewed": "Logboek bekeken",
    "audit.timeline_viewed": "Tijdlijn in het logboek bekeken",
    "audit.subject_lookup": "Logboek doorzocht op een betrokkene",
    "audit.exported": "Logboek geëxporteerd",
    "audit.checkpoint_stored": "Controlepunt van het logboek vastgelegd",
    "audit.anomalies_viewed": "Afwijkingen in het logboek bekeken",
    "audit.anomaly_viewed": "Afwijking in het logboek ingezien",
    "audit.anomaly_reviewed": "Afwijking in het logboek beoordeeld",
    "auth.login": "Ingelogd",
    "auth.login_failed": "Inloggen mislukt",
    "auth.logout": "Uitgelogd",
    "auth.password_changed": "Eigen wachtwoord gewijzigd",
    "auth.reauthenticated": "Wachtwoord opnieuw bevestigd",
    "auth.reauthenticate_failed": "Wachtwoord bevestigen mislukt",
    "auth.second_factor_enrolled": "Tweede factor ingesteld",
    "auth.second_factor_failed": "Code van de tweede factor onjuist",
    "auth.second_factor_secret_issued": "Geheim voor de tweede factor uitgegeven",  # nosec B105 - a label, no secret
    "auth.sso_login": "Ingelogd met gemeenteaccount",
    "auth.sso_refused": "Inloggen met gemeenteaccount geweigerd",
    "bibob_record.recorded": "Bibob-gegevens vastgelegd",
    "break_glass.reason_viewed": "Reden van noodtoegang ingezien",
    "break_glass.signal_viewed": "Melding ingezien met noodtoegang",
    "case_system_link.added": "Koppeling met het zaaksysteem gelegd",
    "change.conflict": "Gelijktijdige wijziging tegengehouden",
    "informing.recorded": "Besluit over informeren van de betrokkene vastgelegd",
    "informing.review_due": "Herinnering: besluit over informeren herbeoordelen",
    "keys.added": "Sleutel toegevoegd",
    "keys.primary_changed": "Primaire sleutel gewisseld",
    "keys.rotated": "Gegevens opnieuw versleuteld met nieuwe sleutel",
    "keys.index_width_changed": "Blinde indexen herberekend op nieuwe breedte",
    "mail.fetched": "Mailbox van het meldpunt opgehaald",
    "mail_concept.created": "E-mail van het meldpunt opgehaald en bewaard",
    "mail_concept.listed": "E-mails van het meldpunt bekeken",
    "mail_concept.discarded": "E-mail van het meldpunt verwijderd",
    "mail_concept.opened": "E-mail van het meldpunt geopend om te registreren",
    "mail_concept.registered": "Melding geregistreerd uit e-mail van het meldpunt",
    "meeting.own_listed": "Eigen overleggen bekeken",
    "meeting.member_invited": "Deelnemer uitgenodigd voor overleg",
    "meeting.member_uninvited": "Uitnodiging voor overleg ingetrokken",
    "meeting.published": "Agenda van overleg gepubliceerd",
    "meeting.agenda_downloaded": "Agenda van overleg gedownload",
    "meeting.minutes_downloaded": "Verslag van overleg gedownload",
    "meeting.cancelled": "Overleg afgezegd",
    "meeting.calendar_downloaded": "Agenda-uitnodiging (.ics) van overleg gedownload",
    "meeting.attendance_recorded": "Aanwezigheid bij overleg vastgelegd",
    "partner.marked_internal": "Partner aangemerkt als intern",
    "partner.marked_external": "Partner aangemerkt als extern",
    "privacy_check.decided": "Besluit over privacytoets vastgelegd",
    "processing_activity.exported": "Verwerkingsregister geëxporteerd",
    "received_information.exceptions_listed": "Uitzonderingen op ontvangen informatie bekeken",
    "received_information.exception_requested": "Uitzondering op ontvangen informatie aangevraagd",
    "received_information.exception_viewed": "Uitzondering op ontvangen informatie ingezien",
    "received_information.exception_decided": "Besluit over uitzondering op ontvangen informatie vastgelegd",
    "referral.reminded": "Herinnering over verstrekking verstuurd",
    "referral.package_downloaded": "Verstrekkingspakket gedownload",
    "referral.register_exported": "Register van verstrekkingen geëxporteerd",
    "report.yearly_downloaded": "Jaarverslag gedownload",
    "retention.viewed": "Bewaartermijnen ingezien",
    "retention.settings_changed": "Bewaartermijnen gewijzigd",
    "retention.run": "Vernietigingsronde uitgevoerd",
    "retention.run_viewed": "Vernietigingsronde ingezien",
    "retention.long_open_viewed": "Lang openstaande meldingen bekeken",
    "retention.records_exported": "Vernietigingsregister geëxporteerd",
    "retention.statement_exported": "Verklaring van vernietiging geëxporteerd",
    "saved_filter.created": "Filter bewaard",
    "saved_filter.deleted": "Bewaard filter verwijderd",
    "security.decryption_failed": "Ontsleutelen mislukt",
    # The acts of reporting (shielded in the log viewer: queries.SHIELDED_ACTIONS).
    "signal.created": "Melding gedaan",
    "signal.submit_refused": "Meldformulier met fouten verstuurd",
    "signal.question_answered": "Vraag beantwoord",
    "signal.status_viewed": "Status bekeken in Mijn meldingen",
    "signal.own_listed": "Mijn meldingen bekeken",
    "signal.linked_viewed": "Gekoppelde meldingen ingezien",
    "signal.status_changed": "Status van melding gewijzigd",
    "signal.change_refused": "Wijziging van melding geweigerd",
    "signal.summary_recorded": "Samenvatting van melding vastgelegd",
    "signal.question_asked": "Vraag aan de melder gesteld",
    "signal.legal_hold_set": "Bewaarplicht (legal hold) ingesteld",
    "signal.legal_hold_released": "Bewaarplicht (legal hold) opgeheven",
    "signal.open_justified": "Openhouden van melding gemotiveerd",
    "signal.long_open_reminded": "Herinnering: melding lang open",
    "signal.monitoring_reminded": "Herinnering: monitoring loopt af",
    "signal.weighing_record_viewed": "Wegingsverslag ingezien",
    "signal.weighing_record_downloaded": "Wegingsverslag gedownload",
    "signal.case_summary_downloaded": "Zaakoverzicht gedownload",
    "signal.owner_changed": "Regisseur van melding gewijzigd",
    "signal.owners_listed": "Overdracht van meldingen bekeken",
    "signal.searched": "Meldingen doorzocht",
    "source_query.recorded": "Bronraadpleging vastgelegd",
    "subject_request.searched": "Gezocht naar de betrokkene van een verzoek",
    "subject_request.decided": "Besluit over verzoek van een betrokkene vastgelegd",
    "subject_request.carried_out": "Verzoek van een betrokkene uitgevoerd",
    "subject_request.objection_weighed": "Bezwaar van een betrokkene gewogen",
    "subject_request.closed": "Verzoek van een betrokkene afgehandeld",
    "user.activation_sent": "Activeringslink verstuurd",
    "user.bulk_invited": "Gebruikers uitgenodigd met een CSV-bestand",
    "user.password_set": "Wachtwoord ingesteld",
    "user.password_reset": "Wachtwoord hersteld",
    "user.roles_changed": "Rollen van gebruiker gewijzigd",
    "user.role_requested": "Rol aangevraagd",
    "user.role_requests_listed": "Rolaanvragen bekeken",
    "user.role_approved": "Rolaanvraag goedgekeurd",
    "user.role_refused": "Rolaanvraag afgewezen",
    "user.second_factor_reset": "Tweede factor opnieuw ingesteld",
    "user.second_factor_reset_requested": "Nieuwe tweede factor aangevraagd",
    "user.sso_provisioned": "Account aangemaakt bij eerste login met gemeenteaccount",
    "user.sso_linked": "Account gekoppeld aan gemeenteaccount",
    "user.sso_blocked": "Inloggen met gemeenteaccount geblokkeerd",
    "user.sso_unblocked": "Inloggen met gemeenteaccount weer toegestaan",
    "user.sso_link_allowed": "Koppeling met gemeenteaccount toegestaan",
}

# The type of the object an event is about (its table), as a short word in the Object column.
OBJECT_TYPES = {
    "action": "Actie",
    "agenda_item": "Agendapunt",
    "anomaly": "Afwijking",
    "anomaly_review": "Beoordeling van een afwijking",
    "assessment": "Beoordeling",
    "attachment": "Bijlage",
    "audit_event": "Logboek",
    "bibob_record": "Bibob-gegevens",
    "blind_index_width": "Breedte blinde indexen",
    "break_glass": "Noodtoegang",
    "case_plan": "Plan van aanpak",
    "case_system_link": "Koppeling zaaksysteem",
    "department": "Afdeling",
    "destruction_record": "Vernietiging",
    "feedback": "Terugkoppeling",
    "indicator": "Indicator",
    "informing_decision": "Besluit over informeren",
    "invitee_group": "Vaste groep deelnemers",
    "key": "Sleutel",
    "legal_ground": "Grondslag",
    "location": "Adres of pand",
    "mail": "Mailbox",
    "mail_concept": "E-mail van het meldpunt",
    "meeting": "Overleg",
    "monitoring_period": "Monitoringsperiode",
    "open_justification": "Motivering openhouden",
    "organisation": "Huisstijl en briefpapier",
    "partner": "Partner",
    "phenomenon": "Fenomeen",
    "power": "Bevoegdheid",
    "privacy_check": "Privacytoets",
    "processing_activity": "Verwerkingsactiviteit",
    "processing_restriction": "Beperking van de verwerking",
    "received_information": "Ontvangen informatie",
    "received_information_exception": "Uitzondering ontvangen informatie",
    "recipient_notification": "Kennisgeving aan ontvangers",
    "referral": "Verstrekking",
    "report": "Rapportage",
    "retention": "Bewaartermijnen",
    "retention_run": "Vernietigingsronde",
    "saved_filter": "Bewaard filter",
    "role_request": "Rolaanvraag",
    "setting": "Instelling",
    "signal": "Melding",
    "signal_note": "Interne notitie",
    "source_query": "Bronraadpleging",
    "source_register": "Bronregister",
    "subject": "Betrokkene",
    "subject_request": "Verzoek betrokkene",
    "user_account": "Gebruiker",
    "weighing_criterion": "Wegingscriterium",
}

PURPOSE_LABELS = {
    "melding": "Registratie van een melding",
    "migratie": "Overname uit het bestaande register (migratie)",
    "casustafel": "Weging en bespreking aan de casustafel",
    "privacytoets": "Privacytoets",
    "verstrekking": "Verstrekking aan een partner",
    "bibob": "Wet Bibob",
    "bewaartermijn": "Bewaartermijnen",
    "bewaartermijnen": "Bewaartermijnen",
    "noodtoegang": "Noodtoegang",
    "toezicht": "Toezicht door de privacyfunctionaris",
    "inzageverzoek": "Verzoek van een betrokkene",
    "datalek": "Onderzoek naar een (mogelijk) datalek",
    "klacht": "Klacht over onrechtmatige inzage",
    "rechten_betrokkene": "Behandeling van een verzoek van een betrokkene",
    "managementinformatie": "Managementinformatie",
    "verantwoording": "Verantwoording",
    "sleutelbeheer": "Sleutelbeheer",
    "beheer": "Beheer",
}

RESULT_LABELS = {"success": "gelukt", "denied": "geweigerd", "failed": "mislukt"}


def known_actions() -> dict[str, list[str]]:
    """Every action casustafel logs, per object, in the order of ACTIONS."""
    return {obj: [f"{obj}.{verb}" for verb in verbs.split()] for obj, verbs in ACTIONS.items()}


def explicit_label(action: str) -> str | None:
    """The label of an action ACTIONS lists, or None (then action_label falls back)."""
    obj, _, verb = action.partition(".")
    if verb not in ACTIONS.get(obj, "").split():
        return None
    if action in OVERRIDES:
        return OVERRIDES[action]
    if obj in OBJECTS and verb in VERBS:
        return f"{OBJECTS[obj][0]} {VERBS[verb]}"
    if verb == "listed" and obj in OBJECTS:
        return f"Overzicht {OBJECTS[obj][1]} bekeken"
    return None


def action_label(action: str | None) -> str:
    """A plain Dutch description of a log action. An action nobody listed yet still reads as
    Dutch where its parts are known ("Melding gewijzigd of verwerkt"), never as its code."""
    if not action:
        return "—"
    label = explicit_label(action)
    if label:
        return label
    obj, _, verb = action.partition(".")
    if obj in OBJECTS and not verb:  # a prefix: every action of one object
        return object_group_label(obj)
    noun = OBJECTS.get(obj, ("Gegevens",))[0]
    return f"{noun} {VERBS.get(verb, 'gewijzigd of verwerkt')}"


def object_group_label(obj: str) -> str:
    """The option that filters on every action of one object."""
    return f"Alle gebeurtenissen over {OBJECTS[obj][1]}"


def action_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """(group label, [(value, label), ...]) per object, alphabetical by noun: for the filter."""
    groups = []
    for obj, actions in sorted(known_actions().items(), key=lambda item: OBJECTS[item[0]][0].casefold()):
        options = [(f"{obj}.", object_group_label(obj))]
        options += sorted(((a, action_label(a)) for a in actions), key=lambda o: o[1].casefold())
        groups.append((OBJECTS[obj][0], options))
    return groups


def role_label(code: str | None) -> str:
    try:
        return ROLE_LABELS[Role(code)] if code else "—"
    except ValueError:
        return code


def purpose_label(code: str | None) -> str:
    return PURPOSE_LABELS.get(code or "", code or "Niet vastgelegd")


def object_type_label(code: str | None) -> str:
    if not code:
        return ""
    return OBJECT_TYPES.get(code, OBJECTS.get(code, ("Overig",))[0])


def result_label(code: str | None) -> str:
    return RESULT_LABELS.get(code or "", code or "")
