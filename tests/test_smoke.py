from sqlalchemy import select

from casustafel.extensions import db
from casustafel.models import AuditEvent


def test_login_and_home(client, make_user, login_as):
    user = make_user("reporter")
    login_as(user)
    response = client.get("/")
    assert "Welkom" in response.get_data(as_text=True)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "auth.login" in actions
