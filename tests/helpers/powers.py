"""The seeded municipal powers, for tests that record weging 2 or decide check 2B."""

from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import Power


def power(legal_basis: str = "Opiumwet art. 13b") -> Power:
    return db.session.scalar(select(Power).where(Power.legal_basis == legal_basis))


def power_ids(*legal_bases: str) -> list[int]:
    """Ids for decide_privacy_check(powers=…); the 13b power unless others are named."""
    return [power(basis).id for basis in legal_bases or ("Opiumwet art. 13b",)]
