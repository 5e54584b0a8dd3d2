"""Every table, imported in one place so that metadata and migrations see them all."""

from referral_service.domain.access_log import AccessLogEntry, AccessLogHead
from referral_service.domain.alert import Alert
from referral_service.domain.child import Child
from referral_service.domain.handover import DeadlineMark, Handover, HandoverEvent, RepairReport
from referral_service.domain.login_throttle import LoginThrottle
from referral_service.domain.organisation import ApiToken, Organisation, ReferralRightGrant, User
from referral_service.domain.outbox import OutboxMessage
from referral_service.domain.referral import (
    Consent,
    CoReferrer,
    IdempotencyRecord,
    MunicipalContact,
    Referral,
    ReferralEvent,
)

__all__ = [
    "AccessLogEntry",
    "AccessLogHead",
    "Alert",
    "DeadlineMark",
    "Handover",
    "HandoverEvent",
    "RepairReport",
    "ApiToken",
    "Child",
    "Consent",
    "CoReferrer",
    "IdempotencyRecord",
    "LoginThrottle",
    "MunicipalContact",
    "Organisation",
    "OutboxMessage",
    "Referral",
    "ReferralEvent",
    "ReferralRightGrant",
    "User",
]
