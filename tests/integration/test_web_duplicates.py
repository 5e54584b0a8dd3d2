"""Two referrals for one child on the pages: the second referrer is warned after the child's step and can join
the first as medhenviser; BUP sees the two side by side on Vurder henvisning and can merge them."""

from __future__ import annotations

from tests.integration.test_duplicates import FIRST_WORDS, SECOND_WORDS, a_child, read, referral
from tests.integration.test_web_decisions import WebUser


def test_the_second_referrer_is_warned_after_the_childs_step_and_joins_the_first(app, world):
    child = a_child(world)
    first = referral(world, "gp", child, FIRST_WORDS)
    draft = referral(world, "nurse_askoy", child, SECOND_WORDS, submit=False)
    nurse = WebUser(app, "nurse_askoy")
    page = nurse.get(f"/henvisninger/{draft['id']}/steg/2")
    warning = page.by_id["annen-henvisning"]
    assert "Barnet har allerede en åpen henvisning" in warning
    assert world.orgs["bup"].name in warning and "fastlegekontor" in warning
    assert FIRST_WORDS["description"] not in page.html  # never the other referral's content
    assert "Bli med som medhenviser" in page.buttons

    done = nurse.submit("/bli-med", {})
    assert "Du er nå medhenviser på den andre henvisningen" in done.text()
    assert "Slått sammen med en annen henvisning" in done.text()
    assert read(world, "nurse_askoy", draft["id"])["merged_into_id"] == first["id"]


def test_a_child_with_no_other_open_referral_gives_no_warning(app, world):
    draft = referral(world, "nurse_askoy", a_child(world), SECOND_WORDS, submit=False)
    page = WebUser(app, "nurse_askoy").get(f"/henvisninger/{draft['id']}/steg/2")
    assert "annen-henvisning" not in page.by_id


def test_bup_sees_both_referrals_side_by_side_and_merges_them(app, world):
    child = a_child(world)
    first = referral(world, "gp", child, FIRST_WORDS)
    second = referral(world, "barnevern_askoy", child, SECOND_WORDS)
    bup = WebUser(app, "bup")
    page = bup.get(f"/inntak/{first['id']}")
    comparison = page.by_id["flere-henvisninger"]
    assert "Flere henvisninger for det samme barnet" in page.text()
    for shown in ("Frida Fastlege", "Berit Barnevern", "Depresjon", "Skolevegring"):
        assert shown in comparison
    assert f"/inntak/{second['id']}" in page.html

    merged = bup.submit("/sla-sammen", {})
    text = merged.text()
    assert "Henvisningene er slått sammen" in text
    assert "Fra henvisningen som ble slått sammen inn i denne" in text
    assert SECOND_WORDS["description"] in text and SECOND_WORDS["child_view"] in text
    assert read(world, "bup", second["id"])["status"] == "merged"
    assert "Flere henvisninger for det samme barnet" not in text
