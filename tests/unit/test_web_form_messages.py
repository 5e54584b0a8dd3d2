"""The web's forms read posts with the API's own schemas and say what was refused in Norwegian."""

from __future__ import annotations

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from referral_service.errors import InvalidData
from referral_service.schemas.handovers import STEP_BODIES
from referral_service.schemas.referrals import ACTION_BODIES
from referral_service.web.forms import decisions
from referral_service.web.forms.messages import (
    DATE_HINT,
    EMAIL,
    MUNICIPALITY,
    NOT_AN_OPTION,
    REASONS,
    too_long,
)
from referral_service.web.forms.period import ENDS_BEFORE_IT_STARTS, NOT_A_DATE, asked_period
from referral_service.web.forms.referral import parse_step
from referral_service.workflows.gaps import Gap


def test_a_decision_form_loads_what_the_api_would_load():
    filled = decisions.REJECT.parse({"reason_code": "wrong_service", "explanation": " Feil sted. ",
                                     "municipal_advice": "Kommunepsykolog."})
    assert filled.valid
    assert filled.data == {"reason_code": "wrong_service", "explanation": "Feil sted.",
                           "municipal_advice": "Kommunepsykolog."}


def test_an_empty_required_field_gets_the_forms_own_words():
    filled = decisions.REJECT.parse({"reason_code": "", "explanation": "  ", "municipal_advice": "Råd."})
    assert filled.errors == {"reason_code": ["Velg en begrunnelse for avslaget."],
                             "explanation": ["Skriv en forklaring til henviser og familien."]}
    assert filled.values["explanation"] == "  "  # what was typed is shown again


def test_a_choice_outside_the_schemas_list_is_not_an_option():
    filled = decisions.REJECT.parse({"reason_code": "because", "explanation": "x", "municipal_advice": "y"})
    assert filled.errors == {"reason_code": [NOT_AN_OPTION]}


def test_too_long_a_text_says_the_schemas_limit():
    filled = decisions.CLOSE.parse({"outcome": "x" * 10_001})
    assert filled.errors == {"outcome": [too_long(10_000)]}
    assert too_long(10_000) == "Teksten er for lang. Den kan ha høyst 10 000 tegn."


@pytest.mark.parametrize("typed", ["17.03.2027", "2027-03-17"])
def test_a_date_is_read_as_typed_or_from_the_date_picker(typed):
    filled = decisions.PLAN.parse({"first_contact_on": typed, "plan": "Ringer."})
    assert filled.valid and filled.data["first_contact_on"].isoformat() == "2027-03-17"


@pytest.mark.parametrize("typed", ["31.02.2027", "i morgen"])
def test_a_date_that_is_none_gets_the_date_hint(typed):
    assert decisions.PLAN.parse({"first_contact_on": typed, "plan": "Ringer."}).errors == {
        "first_contact_on": [DATE_HINT]}


def test_the_schemas_own_rule_is_said_by_its_code():
    both = decisions.ASSIGN.parse({"assignee_user_id": "u1", "service": "Helsestasjon"})
    neither = decisions.ASSIGN.parse({"assignee_user_id": "", "service": ""})
    for filled in (both, neither):
        assert filled.errors == {"assignee_user_id": ["Velg én person, eller skriv navnet på én tjeneste."]}


def test_a_flag_is_a_boolean_the_schema_requires():
    filled = decisions.DISCHARGE.parse({"summary": "Bedre.", "follow_up_recommendations": "Samtaler."})
    assert filled.valid and filled.data["epikrise_sent"] is False


def test_every_form_field_is_a_field_of_its_actions_body_and_required_as_the_schema_says():
    for form in [*decisions.DECISIONS.values(), *decisions.HANDOVER_STEPS.values(), decisions.ANSWER,
                 decisions.WITHDRAW]:
        body = ACTION_BODIES.get(form.action) or STEP_BODIES.get(form.action)
        declared = body().fields if body else {}
        assert {f.body_key for f in form.fields} <= set(declared), form.action
        assert all(f.required == declared[f.body_key].required for f in form.fields), form.action


def test_the_referral_steps_speak_norwegian_from_the_schemas_verdicts():
    posted = MultiDict({"child.given_name": "Ola", "child.family_name": "", "child.home_municipality": "46",
                        "child.guardians.0.name": "Mor", "child.guardians.0.email": "ikke-en-adresse",
                        "clinic_id": "c1"})
    parsed = parse_step(1, posted, identity=None, creating=False)  # no number typed: the identity rules are not read
    assert parsed.errors == {"child.family_name": ["Skriv barnets etternavn."],
                             "child.home_municipality": [MUNICIPALITY],
                             "child.guardians.0.email": [EMAIL]}


def test_an_empty_answer_is_told_only_that_it_is_empty():
    assert decisions.ANSWER.parse(MultiDict({"text": " "})).errors == {"text": ["Skriv svaret til BUP."]}


def test_every_reason_the_rules_give_has_norwegian_words():
    for code in Gap:
        assert REASONS[code].endswith("."), code


def test_the_period_is_read_from_the_page_and_refused_in_norwegian():
    today = date(2026, 12, 2)
    assert asked_period({"fra": "01.01.2026", "til": "2026-06-30"}, today=today).first == date(2026, 1, 1)
    for args, field, words in (({"fra": "32.01.2026"}, "fra", NOT_A_DATE),
                               ({"fra": "02.02.2026", "til": "01.02.2026"}, "til", ENDS_BEFORE_IT_STARTS)):
        with pytest.raises(InvalidData) as refused:
            asked_period(args, today=today)
        assert refused.value.errors == {field: [words]}
