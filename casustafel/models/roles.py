"""The roles a user can hold (README “Roles”), with their Dutch labels."""

from enum import StrEnum


class Role(StrEnum):
    REPORTER = "reporter"
    MEMBER = "member"
    COORDINATOR = "coordinator"
    PRIVACY_OFFICER = "privacy_officer"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.REPORTER: "Medewerker (melder)",
    Role.MEMBER: "Deelnemer casustafel",
    Role.COORDINATOR: "Regisseur / voorzitter",
    Role.PRIVACY_OFFICER: "Privacyfunctionaris",
    Role.ADMIN: "Functioneel beheerder",
}


# Roles that see signal content. An admin never does (README “Roles”), so no account holds
# both, nobody grants themselves one, and granting one takes a second person.
CONTENT_ROLES = frozenset({Role.COORDINATOR, Role.PRIVACY_OFFICER, Role.MEMBER})
