"""The REST API under /api/v1: thin blueprints that parse, call a service and dump."""

from __future__ import annotations

from flask_smorest import Api

from referral_service.api.admin import blp as admin_blp
from referral_service.api.alerts import blp as alerts_blp
from referral_service.api.audit import blp as audit_blp
from referral_service.api.auth import blp as auth_blp
from referral_service.api.check_ins import blp as check_ins_blp
from referral_service.api.handovers import blp as handovers_blp
from referral_service.api.referral_actions import blp as referral_actions_blp
from referral_service.api.referrals import blp as referrals_blp


def register_api(api: Api) -> None:
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for blueprint in (auth_blp, admin_blp, referrals_blp, referral_actions_blp, handovers_blp, alerts_blp, audit_blp,
                      check_ins_blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
