"""The domain's vocabularies."""

from __future__ import annotations

from enum import StrEnum


class OrganisationKind(StrEnum):
    MUNICIPALITY = "municipality"
    BUP_CLINIC = "bup_clinic"
    PPT_OFFICE = "ppt_office"
    SCHOOL_HEALTH_SERVICE = "school_health_service"
    GP_OFFICE = "gp_office"
    CHILD_WELFARE = "child_welfare"
    #: A DPS (distriktspsykiatrisk senter): the adult mental health clinic a young person moves to at 18.
    ADULT_MENTAL_HEALTH = "adult_mental_health"
    #: The organisation that runs the service; holds administrators only, never child data.
    OPERATOR = "operator"


#: The kinds a client may register through the API.
REGISTRABLE_ORGANISATION_KINDS = tuple(k.value for k in OrganisationKind if k is not OrganisationKind.OPERATOR)

#: The specialist clinics (BUP and DPS): they belong to a health trust, not to one municipality, and receive
#: referrals through their intake users (role `bup_intake`).
SPECIALIST_CLINIC_KINDS = (OrganisationKind.BUP_CLINIC, OrganisationKind.ADULT_MENTAL_HEALTH)


class Role(StrEnum):
    REFERRER = "referrer"
    BUP_INTAKE = "bup_intake"
    MUNICIPAL_COORDINATOR = "municipal_coordinator"
    MUNICIPAL_LEAD = "municipal_lead"
    #: The leader of a referring organisation (GP office, PPT, school health, child welfare): the top of the
    #: escalation ladder for the handovers that organisation owns.
    REFERRER_LEAD = "referrer_lead"
    ADMIN = "admin"
    AUDITOR = "auditor"


class Profession(StrEnum):
    """What a user is by training; decides the right to refer (henvisningsrett)."""

    DOCTOR = "doctor"
    PSYCHOLOGIST = "psychologist"
    CHILD_WELFARE_LEADER = "child_welfare_leader"
    PPT_ADVISER = "ppt_adviser"
    SCHOOL_NURSE = "school_nurse"
    OTHER = "other"


class ReferralStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    INFORMATION_REQUESTED = "information_requested"
    ACCEPTED = "accepted"
    IN_TREATMENT = "in_treatment"
    DISCHARGED = "discharged"
    REJECTED = "rejected"
    #: After an assessment conversation (vurderingssamtale) BUP found that the help belongs in the municipality.
    MUNICIPAL_LEVEL = "municipal_level"
    FORWARDED = "forwarded"
    WITHDRAWN = "withdrawn"
    #: Two referrals of one child became one: this one ended, merged into the other (`merged_into_id`).
    MERGED = "merged"
    #: BUP transferred the young person to adult mental health services (DPS); a new referral goes on there.
    TRANSFERRED_TO_DPS = "transferred_to_dps"


class ReferralAction(StrEnum):
    CREATE = "create"
    SUBMIT = "submit"
    REQUEST_INFORMATION = "request-information"
    SUPPLEMENT = "supplement"
    ACCEPT = "accept"
    REJECT = "reject"
    FORWARD = "forward"
    START_TREATMENT = "start-treatment"
    DISCHARGE = "discharge"
    WITHDRAW = "withdraw"
    RECEIVE_FORWARDED = "receive-forwarded"
    INVITE_CO_REFERRER = "invite-co-referrer"
    #: The referring side names (again) the people in the municipality around the child, after submission too.
    UPDATE_MUNICIPAL_CONTACTS = "update-municipal-contacts"
    CHANGE_CONSENT = "change-consent"
    #: BUP concludes after an assessment conversation that the help belongs in the municipality (not a rejection).
    MUNICIPAL_OUTCOME = "municipal-outcome"
    #: BUP sets the day it plans to discharge the child; the handover opens ahead of it.
    PLAN_DISCHARGE = "plan-discharge"
    #: BUP records that the epikrise it had not sent at discharge is sent now.
    RECORD_EPIKRISE = "record-epikrise"
    #: A second referrer's own draft ends and joins another open referral of the same child as co-referrer
    #: (the event on the referral joined, holding what the second referrer wrote).
    JOIN = "join"
    #: BUP makes two referrals of one child at its clinic one (the event on the referral kept, holding the other's).
    MERGE = "merge"
    #: The event on the referral that ended in a join or a merge: it now lives on in `merged_into_id`.
    MERGED_INTO = "merged-into"
    #: BUP transfers a young person turning 18 to adult mental health services (DPS), with the reason.
    TRANSFER_TO_DPS = "transfer-to-dps"
    #: The first event of the new referral at the DPS clinic.
    RECEIVE_DPS_TRANSFER = "receive-dps-transfer"
    #: The referring side names (or removes) the child welfare service (barnevern) as a partner on the referral.
    NAME_CHILD_WELFARE_PARTNER = "name-child-welfare-partner"
    #: The family has moved: the child's home municipality changes, and an open handover is transferred with it.
    MOVE = "move"
    #: The professional sent a letter to the child and guardians (services/family/letters.py).
    SEND_FAMILY_LETTER = "send-family-letter"


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class Priority(StrEnum):
    """BUP's priority when granting the right to care (the priority guide's severity)."""

    SEVERE = "severe"
    MODERATE = "moderate"
    MILD = "mild"


class ConsentGiver(StrEnum):
    GUARDIAN = "guardian"
    CHILD = "child"
    CHILD_WELFARE = "child_welfare"


class ShareWith(StrEnum):
    BUP = "bup"
    MUNICIPALITY = "municipality"
    SCHOOL = "school"
    #: The child welfare service (barnevern), when it is a partner on the referral by consent.
    CHILD_WELFARE = "child_welfare"


class ReasonCode(StrEnum):
    """Structured referral reasons (henvisningsgrunn)."""

    ANXIETY = "anxiety"
    DEPRESSION = "depression"
    SELF_HARM = "self_harm"
    SUICIDAL_THOUGHTS = "suicidal_thoughts"
    EATING_DISORDER = "eating_disorder"
    ADHD_ASSESSMENT = "adhd_assessment"
    AUTISM_ASSESSMENT = "autism_assessment"
    TRAUMA = "trauma"
    BEHAVIOUR = "behaviour"
    SCHOOL_REFUSAL = "school_refusal"
    PSYCHOSIS = "psychosis"
    OTHER = "other"
    #: Pårørende: the child of a parent with mental illness or substance use (helsepersonelloven § 10 a).
    PARENT_ILLNESS = "parent_mental_illness_or_substance_use"


class RejectionReason(StrEnum):
    """Why BUP rejects (avslagsgrunn)."""

    NOT_SPECIALIST_NEED = "not_specialist_need"
    INSUFFICIENT_INFORMATION = "insufficient_information"
    MUNICIPAL_MEASURES_NOT_TRIED = "municipal_measures_not_tried"
    WRONG_SERVICE = "wrong_service"
    OTHER = "other"


class HandoverTrigger(StrEnum):
    """Why the child is handed back to the municipality (the tilbakehenvisning's cause)."""

    REJECTED = "rejected"
    MUNICIPAL_LEVEL = "municipal_level"
    DISCHARGED = "discharged"
    WITHDRAWN = "withdrawn"


class HandoverStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    FOLLOW_UP_PLANNED = "follow_up_planned"
    CLOSED = "closed"


class HandoverAddressee(StrEnum):
    """Who a handover task is addressed to: the municipality with consent, otherwise the referrer side."""

    MUNICIPALITY = "municipality"
    REFERRER = "referrer"


class HandoverOutcome(StrEnum):
    """How a handover task ended; the free-text `outcome` says it in the coordinator's words."""

    #: The municipality follows the child up (the task is done; the help goes on).
    FOLLOWED_UP = "followed_up"
    #: The municipal help has ended; a check-in with the family is scheduled.
    HELP_ENDED = "help_ended"
    #: The family did not want municipal help.
    DECLINED = "declined"
    #: The child moved; the task goes on in the new home municipality (set by the service, never chosen).
    TRANSFERRED = "transferred"


#: The outcomes a coordinator may choose when closing a task.
CHOSEN_HANDOVER_OUTCOMES = tuple(o.value for o in HandoverOutcome if o is not HandoverOutcome.TRANSFERRED)


class OwnerReason(StrEnum):
    """Why a handover's owner holds it (workflows/handover_owner.py); the task's page says it in words."""

    MUNICIPAL_CONSENT = "municipal_consent"
    NO_MUNICIPAL_CONSENT = "no_municipal_consent"
    MUNICIPALITY_NOT_CONNECTED = "municipality_not_connected"


class CheckInStatus(StrEnum):
    """A check-in with the family after the municipal help ended: planned until its outcome is recorded."""

    PLANNED = "planned"
    DONE = "done"
    #: Called off by the owner with a reason (e.g. the child is referred again); never silently.
    CANCELLED = "cancelled"


class CheckInOutcome(StrEnum):
    """What the check-in found; each code has one next step (workflows/check_ins.py)."""

    DOING_WELL = "doing_well"
    NEEDS_HELP_AGAIN = "needs_help_again"
    NOT_REACHED = "not_reached"
class ChildWelfareBasis(StrEnum):
    """Why the child welfare service (barnevern) is a partner on a referral and hears BUP's decisions."""

    #: Those who consent for the child agreed to share with the child welfare service.
    CONSENT = "consent"
    #: The duty to inform the child welfare service (opplysningsplikt: barnevernsloven § 13-2,
    #: helsepersonelloven § 33); it needs no consent.
    LEGAL_DUTY = "legal_duty"
