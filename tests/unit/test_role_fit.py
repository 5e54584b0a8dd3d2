"""The role-fit table: every kind of organisation has its roles, and no role fits everywhere."""

from __future__ import annotations

from referral_service.domain.enums import OrganisationKind, Role
from referral_service.workflows.role_fit import ROLES_BY_KIND, unfit_roles


def test_every_kind_has_roles_and_every_role_a_kind():
    assert set(ROLES_BY_KIND) == set(OrganisationKind)
    assert set().union(*ROLES_BY_KIND.values()) == set(Role)


def test_intake_only_at_the_specialist_clinics():
    kinds = {kind for kind, roles in ROLES_BY_KIND.items() if Role.BUP_INTAKE in roles}
    assert kinds == {OrganisationKind.BUP_CLINIC, OrganisationKind.ADULT_MENTAL_HEALTH}


def test_the_operator_holds_no_role_that_reads_child_data():
    assert ROLES_BY_KIND[OrganisationKind.OPERATOR] == {Role.ADMIN, Role.AUDITOR}
    assert all(Role.ADMIN not in roles for kind, roles in ROLES_BY_KIND.items() if kind != OrganisationKind.OPERATOR)


def test_unfit_roles_names_each_misfit_once_in_order():
    assert unfit_roles("municipality", ["referrer", "bup_intake", "municipal_lead", "referrer"]) == [
        "bup_intake", "referrer"]
    assert unfit_roles("gp_office", ["referrer", "referrer_lead"]) == []
    assert unfit_roles("hospital", ["referrer"]) == ["referrer"]
