""""Lagre utkast" on a step with errors: what is valid is saved, the refused fields and rows are left out."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from referral_service.services.views import ChildDetails
from referral_service.web.forms.referral import in_words, parse_step, valid_part

SAVED_CHILD = ChildDetails(id="c1", given_name="Ola", family_name="Testesen", birth_date=None,  # type: ignore[arg-type]
                           home_municipality="4601", guardians=[{"name": "Far Testesen"}])


def step_one(**changes: str) -> MultiDict:
    fields = {"child.national_id": "", "child.given_name": "Kari", "child.family_name": "Testesen",
              "child.home_municipality": "4601", "child.guardians.0.name": "Mor Testesen",
              "child.guardians.1.name": "", "child.guardians.1.phone": "", "clinic_id": "bup-1", **changes}
    return MultiDict(fields)


def test_a_saved_draft_keeps_its_own_value_of_a_required_field_left_empty():
    parsed = parse_step(1, step_one(**{"child.family_name": ""}), identity=None, creating=False)
    part = valid_part(parsed, current=SAVED_CHILD)
    assert part.left_out == ["barnets etternavn"]
    assert part.parsed is not None
    child = part.parsed.data["child"]
    assert (child["given_name"], child["family_name"]) == ("Kari", "Testesen")


def test_a_half_filled_guardian_row_is_left_out_and_the_others_saved():
    parsed = parse_step(1, step_one(**{"child.guardians.1.phone": "41111111"}), identity=None, creating=False)
    part = valid_part(parsed, current=SAVED_CHILD)
    assert part.left_out == ["foresatt 2"]
    assert [g["name"] for g in part.parsed.data["child"]["guardians"]] == ["Mor Testesen"]


def test_a_new_draft_is_not_made_without_the_clinic():
    parsed = parse_step(1, step_one(clinic_id=""), identity=None, creating=False)
    assert valid_part(parsed, current=None).parsed is None


def test_a_refused_choice_is_left_out_and_the_rest_of_the_step_saved():
    parsed = parse_step(2, MultiDict({"urgency": "kanskje", "description": "Sover dårlig."}), identity=None,
                        creating=False)
    part = valid_part(parsed, current=SAVED_CHILD)
    assert part.left_out == ["hvor mye det haster"]
    assert "urgency" not in part.parsed.data and part.parsed.data["description"] == "Sover dårlig."


def test_the_parts_left_out_are_listed_as_a_sentence_says_them():
    assert in_words(["a"]) == "a"
    assert in_words(["a", "b", "c"]) == "a, b og c"
