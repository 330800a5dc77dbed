"""Single sign-on with the municipality's account (OpenID Connect): an account is tied to one
identity at one provider (issuer + subject, unique together, never the e-mail address alone);
an admin can block an account's SSO logins, or allow an existing local account to be linked by
its e-mail address until a moment; a session started through SSO keeps the provider's ID token
(encrypted) for the logout at the provider.

Revision ID: 0031
Revises: 0030
"""
import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("oidc_issuer", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("sso_blocked", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("sso_link_until", sa.DateTime(), nullable=True))
        batch.create_unique_constraint("uq_user_account_oidc_issuer_oidc_subject", ["oidc_issuer", "oidc_subject"])
    with op.batch_alter_table("user_session") as batch:
        batch.add_column(sa.Column("sso_id_token_enc", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("user_session") as batch:
        batch.drop_column("sso_id_token_enc")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_constraint("uq_user_account_oidc_issuer_oidc_subject", type_="unique")
        batch.drop_column("sso_link_until")
        batch.drop_column("sso_blocked")
        batch.drop_column("oidc_subject")
        batch.drop_column("oidc_issuer")
