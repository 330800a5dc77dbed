"""All models, imported here so Alembic and the app see the whole schema."""

from casustafel.models.audit import AuditEvent, AuditHead
from casustafel.models.user import Department, KeyCheck, User, UserRole, UserSession

__all__ = [
    "AuditEvent",
    "AuditHead",
    "Department",
    "KeyCheck",
    "User",
    "UserRole",
    "UserSession",
]
