"""All models, imported here so Alembic and the app see the whole schema."""

from casustafel.models.audit import AuditEvent, AuditHead
from casustafel.models.catalogue import INDICATOR_GROUPS, Indicator, Phenomenon
from casustafel.models.signal import (
    CHANNELS,
    FEEDBACK_MESSAGES,
    STATUSES,
    SUBJECT_KINDS,
    SUBJECT_ROLES,
    Attachment,
    Feedback,
    InformationRequest,
    Location,
    Notification,
    ReferenceCounter,
    Signal,
    SignalEvent,
    Subject,
)
from casustafel.models.user import Department, KeyCheck, User, UserRole, UserSession

__all__ = [
    "CHANNELS",
    "FEEDBACK_MESSAGES",
    "INDICATOR_GROUPS",
    "STATUSES",
    "SUBJECT_KINDS",
    "SUBJECT_ROLES",
    "Attachment",
    "AuditEvent",
    "AuditHead",
    "Department",
    "Feedback",
    "Indicator",
    "InformationRequest",
    "KeyCheck",
    "Location",
    "Notification",
    "Phenomenon",
    "ReferenceCounter",
    "Signal",
    "SignalEvent",
    "Subject",
    "User",
    "UserRole",
    "UserSession",
]
