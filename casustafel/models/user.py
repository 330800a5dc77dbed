"""Accounts: users, their roles and department, and their revocable sessions."""

import uuid
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, Uuid, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casustafel.dates import utcnow
from casustafel.extensions import db
from casustafel.models.base import Encrypted, new_uuid
from casustafel.models.roles import Role


class Department(db.Model):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    active: Mapped[bool] = mapped_column(default=True)


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    totp_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    totp_last_step: Mapped[int | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)
    # Single sign-on (casustafel/auth/oidc.py): the identity at the municipality's provider this
    # account belongs to, never found by e-mail address alone; an admin's local block of SSO
    # logins; until when an existing account may be linked once by its e-mail address.
    oidc_issuer: Mapped[str | None] = mapped_column(String(255))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    sso_blocked: Mapped[bool] = mapped_column(default=False)
    sso_link_until: Mapped[datetime | None] = mapped_column()

    department: Mapped[Department | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_user_account_oidc_issuer_oidc_subject"),
    )

    totp_secret = Encrypted()

    @property
    def uses_sso(self) -> bool:
        return self.oidc_subject is not None

    @property
    def roles(self) -> set[Role]:
        return {Role(r.role) for r in self.role_rows}

    @roles.setter
    def roles(self, roles) -> None:
        wanted = {Role(r) for r in roles}
        self.role_rows = [r for r in self.role_rows if Role(r.role) in wanted] + [
            UserRole(role=r.value) for r in wanted - self.roles
        ]

    def has_role(self, *roles) -> bool:
        return bool(self.roles & {Role(r) for r in roles})

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        """Return the session token, not the user id, so a session can be revoked alone."""
        return self.current_session_token

    # Set at login and by the user loader: this request's session token and row.
    current_session_token = None
    current_session = None


class UserSession(db.Model):
    """One login. The cookie holds a random token; the database only its SHA-256."""

    __tablename__ = "user_session"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    authenticated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    # True between the password and the second factor: such a row never logs anyone in.
    second_factor_pending: Mapped[bool] = mapped_column(default=False)
    # A session started through single sign-on: the provider's ID token, for the logout there.
    sso_id_token_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    user: Mapped[User] = relationship()

    sso_id_token = Encrypted()


# What a second person approves before it takes effect (four eyes on content roles).
ROLE_REQUEST_KINDS = {"role": "Rol toekennen", "second_factor_reset": "Tweede factor herstellen"}
ROLE_REQUEST_STATUSES = {"open": "Wacht op goedkeuring", "approved": "Goedgekeurd", "refused": "Afgewezen"}


class RoleRequest(db.Model):
    """A content role asked for an account (or a second-factor reset of such an account): it
    takes effect only when someone other than the requester approves it."""

    __tablename__ = "role_request"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="role")
    role: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def kind_label(self) -> str:
        return ROLE_REQUEST_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return ROLE_REQUEST_STATUSES.get(self.status, self.status)


class ActivationToken(db.Model):
    """A single-use link to set a password (a new account, or a reset): only its SHA-256 is
    kept, so nobody, the admin included, ever sees a usable credential of another account."""

    __tablename__ = "activation_token"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))  # activate, reset
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class KeyCheck(db.Model):
    """A commitment to each key ever used, so start-up can detect a wrong or missing key."""

    __tablename__ = "key_check"

    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    kid: Mapped[int] = mapped_column(primary_key=True)
    check_value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def active_with_role(role: Role) -> list[User]:
    """The active users holding a role, by name: who gets a content-free reminder, who can be chosen."""
    return list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == role.value, User.active.is_(True))
        .order_by(User.display_name)
    ))
