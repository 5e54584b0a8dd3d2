"""Which roles each kind of organisation may hold: one table, checked when a user is created and when roles change.

A role gives access to children's data by where its holder works (BUP intake reads what is referred to its
clinic, a coordinator what concerns its municipality). A role at the wrong kind of organisation would open
data its holder has no need to know, so an administrator cannot give it there (issue 13: an administrator
made itself BUP by creating a `bup_intake` user at an organisation of another kind).
"""

from __future__ import annotations

from collections.abc import Iterable

from referral_service.domain.enums import OrganisationKind as K
from referral_service.domain.enums import Role as R

_REFERRING = frozenset({R.REFERRER, R.REFERRER_LEAD})

#: The roles a user may hold, by the kind of their organisation.
ROLES_BY_KIND: dict[str, frozenset[str]] = {
    # Specialist clinics receive referrals through their intake (DPS too: young people move on there at 18).
    K.BUP_CLINIC: frozenset({R.BUP_INTAKE}),
    K.ADULT_MENTAL_HEALTH: frozenset({R.BUP_INTAKE}),
    # The municipality takes the child back: its coordinators and their lead hold the handover tasks.
    K.MUNICIPALITY: frozenset({R.MUNICIPAL_COORDINATOR, R.MUNICIPAL_LEAD}),
    # The services that refer, and their leaders (top of the escalation ladder for the tasks they own).
    K.PPT_OFFICE: _REFERRING,
    K.SCHOOL_HEALTH_SERVICE: _REFERRING,
    K.GP_OFFICE: _REFERRING,
    K.CHILD_WELFARE: _REFERRING,
    # The organisation that runs the service holds no child data: administrators and auditors only.
    K.OPERATOR: frozenset({R.ADMIN, R.AUDITOR}),
}

#: Roles one person never holds together: the auditor checks what administrators do (and reads who read a child,
#: which an administrator must not), so an administrator cannot make itself its own auditor.
SEPARATE_DUTIES: tuple[frozenset[str], ...] = (frozenset({R.ADMIN, R.AUDITOR}),)

#: The codes of the refusals, for the channels to put in their own words (web/views/admin_forms.py).
ROLE_UNFIT = "role_unfit"
ROLES_SEPARATE = "roles_separate"


def roles_for_kind(kind: str) -> frozenset[str]:
    """The roles an organisation of this kind may hold (none for an unknown kind)."""
    return ROLES_BY_KIND.get(kind, frozenset())


def unfit_roles(kind: str, roles: Iterable[str]) -> list[str]:
    """The roles that do not fit the organisation's kind, in a stable order (empty: all fit)."""
    allowed = roles_for_kind(kind)
    return sorted({role for role in roles if role not in allowed})


def joined_duties(roles: Iterable[str]) -> list[str]:
    """The roles held together that must be held by different people (empty: none)."""
    held = set(roles)
    return sorted(next((pair for pair in SEPARATE_DUTIES if pair <= held), frozenset()))
