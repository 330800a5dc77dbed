"""User management shared by the admin pages and the CLI. The caller commits."""

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from casustafel.audit import record
from casustafel.auth.passwords import hash_password
from casustafel.auth.sessions import revoke_all_sessions
from casustafel.extensions import db
from casustafel.models import User, UserRole
from casustafel.permissions import Role


class UserError(ValueError):
    """A refused change, with a Dutch message for the form field it concerns."""

    def __init__(self, message: str, field: str = "email"):
        super().__init__(message)
        self.field = field


# Roles that see signal content. An admin never does (DOMAIN.md §3), so no account holds
# both, and nobody grants themselves one.
CONTENT_ROLES = frozenset({Role.COORDINATOR, Role.PRIVACY_OFFICER})


def check_role_combination(actor, user, wanted: set) -> None:
    if Role.ADMIN in wanted and wanted & CONTENT_ROLES:
        raise UserError(
            "Een functioneel beheerder kan niet ook regisseur of privacyfunctionaris zijn: "
            "beheer en inhoud blijven gescheiden.",
            field="roles",
        )
    if actor is not None and user is not None and actor.id == user.id and (wanted - user.roles) & CONTENT_ROLES:
        raise UserError("U kunt uzelf geen rol geven waarmee u meldingen kunt inzien.", field="roles")


def temporary_password() -> str:
    return secrets.token_urlsafe(12)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().casefold()))


def create_user(actor, email: str, display_name: str, roles, password: str,
                department_id: int | None = None, must_change_password: bool = True) -> User:
    if find_user_by_email(email):
        raise UserError("Er bestaat al een account met dit e-mailadres.")
    check_role_combination(actor, None, {Role(r) for r in roles})
    user = User(
        email=email.strip().casefold(),
        display_name=display_name.strip(),
        department_id=department_id,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
    )
    user.roles = roles
    db.session.add(user)
    db.session.flush()
    record(actor, "user.created", user)
    return user


def active_admin_count() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(User)
        .join(UserRole)
        .where(User.active.is_(True), UserRole.role == Role.ADMIN.value)
    )


def set_roles(actor, user: User, roles) -> bool:
    """Change roles; end the user's sessions when they change. Keep at least one admin."""
    wanted = {Role(r) for r in roles}
    if wanted == user.roles:
        return False
    check_role_combination(actor, user, wanted)
    if Role.ADMIN in user.roles and Role.ADMIN not in wanted and user.active and active_admin_count() <= 1:
        raise UserError("Er moet minstens één actieve functioneel beheerder blijven.")
    user.roles = wanted
    flag_modified(user, "display_name")  # the user row itself gets a new version number
    revoke_all_sessions(user)
    record(actor, "user.roles_changed", user)
    return True


def set_active(actor, user: User, active: bool) -> None:
    if not active and Role.ADMIN in user.roles and active_admin_count() <= 1:
        raise UserError("Er moet minstens één actieve functioneel beheerder blijven.")
    user.active = active
    if not active:
        revoke_all_sessions(user)
    record(actor, "user.activated" if active else "user.deactivated", user)


def reset_second_factor(actor, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled = False
    user.totp_last_step = None
    revoke_all_sessions(user)
    record(actor, "user.second_factor_reset", user)


def reset_password(actor, user: User) -> str:
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    revoke_all_sessions(user)
    record(actor, "user.password_reset", user)
    return password
