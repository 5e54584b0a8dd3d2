"""POST /api/v1/referrals/{id}/<action>: one operation per lifecycle action."""

from __future__ import annotations

from flask_smorest import Blueprint

from referral_service.api.context import current_actor, deps, if_match, unit_of_work
from referral_service.api.docs import authenticated, register_action
from referral_service.api.presenters import referral_payload
from referral_service.domain.enums import ReferralAction
from referral_service.schemas import referrals as s
from referral_service.services.referrals.actions import take_action

blp = Blueprint("referral_actions", __name__, description="Referral lifecycle actions")
authenticated(blp)

#: Each action's view name (its operationId, camelCased), summary and description in the OpenAPI document.
ACTION_DOCS: dict[ReferralAction, tuple[str, str, str]] = {
    ReferralAction.SUBMIT: (
        "submit_referral", "Submit the referral to the BUP clinic",
        "The referrer sends the draft (draft -> submitted); 422 lists what the law needs and is missing."),
    ReferralAction.REQUEST_INFORMATION: (
        "request_referral_information", "Ask the referrer for more information",
        "BUP's intake asks its `questions` (submitted -> information_requested); the referrer is alerted."),
    ReferralAction.SUPPLEMENT: (
        "supplement_referral", "Answer BUP's request for information",
        "The referrer adds `text` (information_requested -> submitted)."),
    ReferralAction.ACCEPT: (
        "accept_referral", "Accept the referral",
        "BUP's intake grants the right to care with the `care_start_due` deadline (submitted -> accepted)."),
    ReferralAction.REJECT: (
        "reject_referral", "Reject the referral",
        "BUP's intake rejects with a reason and advice to the municipality (submitted or information_requested "
        "-> rejected); a handover task goes to the child's home municipality."),
    ReferralAction.MUNICIPAL_OUTCOME: (
        "record_municipal_outcome", "Conclude that the help belongs in the municipality",
        "After an assessment conversation (submitted or information_requested -> municipal_level): not a "
        "rejection; the child is handed back with the advice, as after a rejection."),
    ReferralAction.FORWARD: (
        "forward_referral", "Forward the referral to another BUP clinic",
        "Creates a new submitted referral at `clinic_id`, linked to this one (submitted -> forwarded)."),
    ReferralAction.START_TREATMENT: (
        "start_treatment", "Record the start of treatment",
        "The first appointment (accepted -> in_treatment)."),
    ReferralAction.DISCHARGE: (
        "discharge_referral", "Discharge the child from BUP",
        "With a summary and follow-up recommendations (in_treatment -> discharged); the municipality gets a "
        "handover task, or the one opened by a planned discharge is completed."),
    ReferralAction.WITHDRAW: (
        "withdraw_referral", "Withdraw the referral",
        "The referrer or BUP's intake ends an open referral with a reason; after acceptance a handover task "
        "follows."),
    ReferralAction.PLAN_DISCHARGE: (
        "plan_discharge", "Plan the discharge",
        "BUP sets `planned_discharge_on` (in treatment); the handover opens some working days before the day."),
    ReferralAction.RECORD_EPIKRISE: (
        "record_epikrise", "Record that the epikrise was sent",
        "After a discharge without one; the handover task stops showing it as missing."),
    ReferralAction.TRANSFER_TO_DPS: (
        "transfer_referral_to_dps", "Transfer the young person to adult mental health care (DPS)",
        "Creates a new submitted referral at the DPS clinic, linked to this one; 409 before 17½ years."),
}

def _act(action: ReferralAction):
    def act(data: dict, *, referral_id: str):
        result = take_action(unit_of_work(), clock=deps().clock, deadlines=deps().deadlines, referrers=deps().referrers,
                             municipalities=deps().municipalities,
                             actor=current_actor(), referral_id=referral_id, action=action, data=data,
                             if_match=if_match())
        return referral_payload(result), {"ETag": result.etag}

    return act


for _action, _body in s.ACTION_BODIES.items():
    _name, _summary, _description = ACTION_DOCS[_action]
    register_action(blp, rule=f"/referrals/<referral_id>/{_action.value}", name=_name,
                    doc=f"{_summary}.\n\n{_description} Answers the referral with its new ETag.",
                    # An instance: given the class, webargs would build the schema (and its nested ones) per request.
                    body=_body() if _body else None, response=s.ReferralOut, act=_act(_action))
