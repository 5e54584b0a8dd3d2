"""The one ownership rule: who owns a handover, by consent and by who can act."""

from __future__ import annotations

import pytest

from referral_service.domain.enums import HandoverAddressee, OwnerReason
from referral_service.workflows.handover_owner import Candidate, choose_owner

MUNICIPALITY = Candidate("askoy", can_act=True)
NOT_CONNECTED = Candidate("askoy", can_act=False)
REFERRER = Candidate("legesenter", can_act=True)
REFERRER_GONE = Candidate("legesenter", can_act=False)
CO_REFERRER = Candidate("helsestasjon", can_act=True)


def test_with_municipal_consent_the_connected_municipality_owns_it():
    owner = choose_owner(municipal_consent=True, municipality=MUNICIPALITY, referrer=REFERRER)
    assert (owner.owner_org_id, owner.addressed_to, owner.reason) == (
        "askoy", HandoverAddressee.MUNICIPALITY, OwnerReason.MUNICIPAL_CONSENT)


def test_without_municipal_consent_the_referrer_owns_it_even_when_the_municipality_could_act():
    owner = choose_owner(municipal_consent=False, municipality=MUNICIPALITY, referrer=REFERRER)
    assert (owner.owner_org_id, owner.addressed_to, owner.reason) == (
        "legesenter", HandoverAddressee.REFERRER, OwnerReason.NO_MUNICIPAL_CONSENT)


@pytest.mark.parametrize("municipality", [None, NOT_CONNECTED])
def test_a_municipality_without_anyone_to_act_is_not_connected_and_the_referrer_owns_it(municipality):
    owner = choose_owner(municipal_consent=True, municipality=municipality, referrer=REFERRER)
    assert (owner.owner_org_id, owner.reason) == ("legesenter", OwnerReason.MUNICIPALITY_NOT_CONNECTED)
    assert owner.municipality_not_connected


def test_a_referrer_nobody_can_act_for_passes_it_to_a_co_referrer():
    owner = choose_owner(municipal_consent=False, municipality=None, referrer=REFERRER_GONE,
                         co_referrers=[Candidate("ppt", can_act=False), CO_REFERRER])
    assert owner.owner_org_id == "helsestasjon"


def test_when_nobody_can_act_there_is_no_owner_and_someone_must_be_found():
    owner = choose_owner(municipal_consent=True, municipality=NOT_CONNECTED, referrer=REFERRER_GONE)
    assert owner.owner_org_id is None and owner.addressed_to == HandoverAddressee.REFERRER
