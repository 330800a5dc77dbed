"""User management shared by the admin pages and the CLI. The caller commits.

Four eyes on content roles: on the admin pages, a content role (coordinator, privacy officer,
member) and a second-factor reset of an account that holds one become a request that takes
effect only when another person approves it. An admin never holds a content role and never
sees a usable credential: new accounts and password resets get a single-use activation link by
e-mail. The command line (the operator with the server's keys) acts directly.
"""

import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from casustafel import dates
from casustafel.audit_log import record
from casustafel.auth.activation import issue_activation
from casustafel.auth.passwords import hash_password
from casustafel.auth.sessions import revoke_all_sessions
from casustafel.extensions import db
from casustafel.models import RoleRequest, User, UserRole
from casustafel.models.roles import CONTENT_ROLES, Role  # with the roles: the SSO login needs them too
from casustafel.settings import get_setting


class UserError(ValueError):
    """A refused change, with a Dutch message for the form field it concerns."""

    def __init__(self, message: str, field: str = "email"):
        super().__init__(message)
        self.field = field



def check_role_combination(actor, user, wanted: set) -> None:
    if Role.ADMIN in wanted and wanted & CONTENT_ROLES:
        raise UserError(
            "Een functioneel beheerder kan niet ook regisseur, privacyfunctionaris of deelnemer zijn: "
            "beheer en inhoud blijven gescheiden.",
            field="roles",
        )
    if actor is not None and user is not None and actor.id == user.id and (wanted - user.roles) & CONTENT_ROLES:
        raise UserError("U kunt uzelf geen rol geven waarmee u meldingen kunt inzien.", field="roles")


def unusable_password() -> str:
    """A hash nobody knows the password of: the account waits for its activation link."""
    return hash_password(secrets.token_urlsafe(32))


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().casefold()))


def create_user(actor, email: str, display_name: str, roles, password: str | None,
                department_id: int | None = None, must_change_password: bool = True,
                password_hash: str | None = None) -> User:
    """An account with these roles as given (the command line, the demo, the tests; the admin
    pages go through invite_user). Without a password the account waits for activation
    (`password_hash`: an unusable hash made once for many accounts, bulk_services)."""
    if find_user_by_email(email):
        raise UserError("Er bestaat al een account met dit e-mailadres.")
    check_role_combination(actor, None, {Role(r) for r in roles})
    user = User(
        email=email.strip().casefold(),
        display_name=display_name.strip(),
        department_id=department_id,
        password_hash=hash_password(password) if password else password_hash or unusable_password(),
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


def set_roles(actor, user: User, roles) -> tuple[bool, list[RoleRequest]]:
    """Change roles; end the user's sessions when they change. Keep at least one admin.

    From the admin pages (an actor) a content role is not granted but requested: it waits for a
    second person. Taking a role away needs nobody. Return whether roles changed now and the
    requests made."""
    wanted = {Role(r) for r in roles}
    check_role_combination(actor, user, wanted)
    requested = []
    if actor is not None:
        for role in sorted(wanted - user.roles & CONTENT_ROLES):
            requested.append(request_role(actor, user, role))
        wanted -= (wanted - user.roles) & CONTENT_ROLES
    if wanted == user.roles:
        return False, requested
    if Role.ADMIN in user.roles and Role.ADMIN not in wanted and user.active and active_admin_count() <= 1:
        raise UserError("Er moet minstens één actieve functioneel beheerder blijven.")
    user.roles = wanted
    flag_modified(user, "display_name")  # the user row itself gets a new version number
    revoke_all_sessions(user)
    record(actor, "user.roles_changed", user)
    return True, requested


# --- four eyes ----------------------------------------------------------------------------


def open_requests(user: User | None = None) -> list[RoleRequest]:
    stmt = select(RoleRequest).where(RoleRequest.status == "open")
    if user is not None:
        stmt = stmt.where(RoleRequest.user_id == user.id)
    return list(db.session.scalars(stmt.order_by(RoleRequest.requested_at)))


def request_role(actor, user: User, role: Role) -> RoleRequest:
    existing = db.session.scalar(select(RoleRequest).where(
        RoleRequest.user_id == user.id, RoleRequest.kind == "role", RoleRequest.role == role.value,
        RoleRequest.status == "open"))
    if existing is not None:
        return existing
    request = RoleRequest(user_id=user.id, kind="role", role=role.value, requested_by_id=actor.id)
    db.session.add(request)
    db.session.flush()
    record(actor, "user.role_requested", user, reason_code=role.value, purpose="beheer")
    return request


def may_decide(actor, request: RoleRequest) -> bool:
    """Someone other than the requester and the account itself: another admin, or a privacy
    officer where the municipality lets the privacy officer approve (one admin)."""
    if request.status != "open" or actor.id in (request.requested_by_id, request.user_id):
        return False
    if actor.has_role(Role.ADMIN):
        return True
    return actor.has_role(Role.PRIVACY_OFFICER) and get_setting("role_approval_by_privacy_officer") == "1"


def decide_request(actor, request: RoleRequest, approve: bool) -> None:
    if not may_decide(actor, request):
        raise UserError("Deze aanvraag kunt u niet beoordelen: een tweede persoon beslist.", field="request")
    user = request.user
    if approve and request.kind == "role":
        role = Role(request.role)
        check_role_combination(None, user, user.roles | {role})
        user.roles = user.roles | {role}
        flag_modified(user, "display_name")
        revoke_all_sessions(user)
    elif approve:
        _reset_second_factor(user)
    request.status = "approved" if approve else "refused"
    request.decided_by_id, request.decided_at = actor.id, dates.utcnow()
    record(actor, "user.role_approved" if approve else "user.role_refused", user,
           reason_code=request.role or request.kind, purpose="beheer")


def invite_user(actor, email: str, display_name: str, roles, department_id: int | None = None,
                password_hash: str | None = None) -> tuple[User, list[RoleRequest]]:
    """An account made on the admin pages: no password anyone knows, the activation link by
    e-mail, and content roles as requests for a second person."""
    wanted = {Role(r) for r in roles}
    check_role_combination(actor, None, wanted)
    user = create_user(actor, email, display_name, wanted - CONTENT_ROLES, None, department_id=department_id,
                       must_change_password=False, password_hash=password_hash)
    requested = [request_role(actor, user, role) for role in sorted(wanted & CONTENT_ROLES)]
    issue_activation(actor, user, "activate")
    return user, requested


def set_active(actor, user: User, active: bool) -> None:
    if not active and Role.ADMIN in user.roles and active_admin_count() <= 1:
        raise UserError("Er moet minstens één actieve functioneel beheerder blijven.")
    user.active = active
    if not active:
        revoke_all_sessions(user)
    record(actor, "user.activated" if active else "user.deactivated", user)


def _reset_second_factor(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled = False
    user.totp_last_step = None
    revoke_all_sessions(user)


def reset_second_factor(actor, user: User) -> RoleRequest | None:
    """Reset at once, or (an account with a content role, from the admin pages) ask a second
    person: a new second factor on such an account would let the admin take it over."""
    if actor is not None and user.roles & CONTENT_ROLES:
        existing = db.session.scalar(select(RoleRequest).where(
            RoleRequest.user_id == user.id, RoleRequest.kind == "second_factor_reset", RoleRequest.status == "open"))
        if existing is not None:
            return existing
        request = RoleRequest(user_id=user.id, kind="second_factor_reset", requested_by_id=actor.id)
        db.session.add(request)
        db.session.flush()
        record(actor, "user.second_factor_reset_requested", user, purpose="beheer")
        return request
    _reset_second_factor(user)
    record(actor, "user.second_factor_reset", user)
    return None


def reset_password(actor, user: User) -> None:
    """The old password stops working; the user chooses a new one through a link by e-mail."""
    user.password_hash = unusable_password()
    user.must_change_password = False
    revoke_all_sessions(user)
    record(actor, "user.password_reset", user)
    issue_activation(actor, user, "reset")


# --- single sign-on ------------------------------------------------------------------------

SSO_LINK_WINDOW_HOURS = 72


def set_sso_blocked(actor, user: User, blocked: bool) -> None:
    """Refuse (or allow again) this account's logins with the municipality's account; a block
    ends its sessions at once. A password login, where the account has one, is not affected."""
    if user.sso_blocked == blocked:
        return
    user.sso_blocked = blocked
    if blocked:
        revoke_all_sessions(user)
    record(actor, "user.sso_blocked" if blocked else "user.sso_unblocked", user, purpose="beheer")


def allow_sso_link(actor, user: User) -> None:
    """Let the next login with the municipality's account that carries this account's e-mail
    address link to it, within 72 hours (never automatically: docs/security.md)."""
    if user.oidc_subject is not None:
        raise UserError("Dit account is al gekoppeld aan een gemeenteaccount.", field="sso")
    user.sso_link_until = dates.utcnow() + timedelta(hours=SSO_LINK_WINDOW_HOURS)
    record(actor, "user.sso_link_allowed", user, purpose="beheer")
