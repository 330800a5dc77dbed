"""The seeded legal grounds for referrals, as tests choose and read them."""

from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import LegalGround

RIEC_GROUND = "wgs_riec"
RIEC_GROUND_TEXT = ("Delen met het RIEC — Wet gegevensverwerking door samenwerkingsverbanden (WGS, Stb. 2024, 198) "
                    "en Besluit gegevensverwerking door samenwerkingsverbanden (BGS, Stb. 2024, 380)")
# The label the application showed for the RIEC ground before the list (issue 18).
FORMER_RIEC_TEXT = "Art. 6 lid 1 sub e AVG en het RIEC-convenant"


def legal_ground(code: str) -> LegalGround:
    return db.session.scalar(select(LegalGround).where(LegalGround.code == code))
