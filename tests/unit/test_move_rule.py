"""Who may record that the family moved, from which states, and where to (the rule in workflows)."""

from __future__ import annotations

import pytest

from referral_service.domain.enums import ReferralStatus as S
from referral_service.errors import Conflict, Forbidden, InvalidData
from referral_service.workflows.referral_lifecycle import Party, check_move, check_new_home


@pytest.mark.parametrize("party", [Party.REFERRER, Party.CLINIC, Party.MUNICIPALITY])
def test_the_referring_side_bup_and_the_municipality_holding_the_task_may_record_a_move(party):
    check_move(status=S.REJECTED, parties=frozenset({party}))


def test_someone_who_takes_no_part_may_not():
    with pytest.raises(Forbidden):
        check_move(status=S.REJECTED, parties=frozenset())


@pytest.mark.parametrize("status", [S.DRAFT, S.FORWARDED])
def test_a_draft_is_edited_and_a_forwarded_referral_is_carried_on_elsewhere(status):
    with pytest.raises(Conflict):
        check_move(status=status, parties=frozenset({Party.REFERRER}))


def test_a_move_goes_somewhere_else():
    with pytest.raises(InvalidData) as refused:
        check_new_home(old_municipality="4627", new_municipality="4627")
    assert "home_municipality" in refused.value.errors
    check_new_home(old_municipality="4627", new_municipality="4601")


def test_the_new_municipality_is_told_where_the_family_came_from_and_when_to_acknowledge():
    from referral_service.domain.alert import Alert
    from referral_service.notify.alert_texts import alert_text

    alert = Alert(user_id="u", kind="handover_transferred_in", dedupe_key="k", data={
        "clinic": "BUP Bergen sentrum", "trigger": "rejected", "acknowledge_due": "2026-10-12",
        "from_municipality": "Askøy kommune", "to_municipality": "Bergen kommune"})
    assert alert_text(alert) == ("En familie har flyttet fra Askøy kommune til Bergen kommune: tilbakehenvisningen "
                                 "fra BUP Bergen sentrum (avslag) er overført til dere. Bekreft mottak innen "
                                 "12.10.2026.")
    gone = Alert(user_id="u", kind="handover_transferred_out", dedupe_key="k",
                 data={"to_municipality": "Bergen kommune"})
    assert alert_text(gone).startswith("En familie har flyttet til Bergen kommune")
