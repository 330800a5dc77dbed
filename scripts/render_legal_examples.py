"""Render the legal documents of an instance (the demo, as in docs/examples/issue-18/) to a folder:
the register of processing activities (art. 30, PDF and CSV), the DPIA annex, every data-subject
answer letter and every sent referral package. Nothing is logged or changed: read-only.

    CASUSTAFEL_ENV=development CASUSTAFEL_INSTANCE=/tmp/demo .venv/bin/python scripts/render_legal_examples.py OUT
    pdftoppm -r 70 -png OUT/antwoord-AVG-2026-0001.pdf OUT/antwoord      # pages as images
"""

import sys
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from casustafel import create_app
from casustafel.extensions import db
from casustafel.models import Referral, ReferralStatus, SubjectRequest, User
from casustafel.privacy import annex
from casustafel.referrals.pdf import render_package
from casustafel.subject_requests import package, services


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    app = create_app()
    with app.app_context(), app.test_request_context():
        (out / "register-art30.pdf").write_bytes(annex.render_art30("pdf"))
        (out / "register-art30.csv").write_bytes(annex.render_art30("csv"))
        (out / "dpia-bijlage.pdf").write_bytes(annex.render_dpia("pdf"))
        officer = db.session.scalar(select(User).where(User.email == "privacy@casustafel.test"))
        for request in db.session.scalars(select(SubjectRequest).where(SubjectRequest.restriction.is_not(None))):
            findings = services.lookup(officer, request)
            (out / f"antwoord-{request.number}.pdf").write_bytes(package.render(package.build(request, findings)))
        for referral in db.session.scalars(select(Referral).where(Referral.status != ReferralStatus.CONCEPT)):
            (out / f"pakket-{referral.partner.name}.pdf").write_bytes(
                render_package(referral, referral.sent_categories or []))
        db.session.rollback()  # the lookups log; this script only reads
    for path in sorted(out.iterdir()):
        print(path)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/examples/issue-18"))
