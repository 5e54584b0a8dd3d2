"""The equity table's small-number suppression: counts below the threshold are hidden, and so is a total
that would let a hidden count be computed back."""

from __future__ import annotations

from referral_service.workflows.partners import child_welfare_may_be_told, interpreter_problems
from referral_service.workflows.statistics import suppress_group, suppress_table, suppressed_count, suppressed_share


def test_a_count_below_the_threshold_is_hidden_and_zero_is_shown():
    group = suppress_group(total=12, parts={"so": 0, "ar": 3, "ti": 9}, threshold=5)
    assert "ar" in group.hidden_parts
    assert "so" not in group.hidden_parts and "ti" not in group.hidden_parts


def test_a_total_that_would_reveal_the_one_hidden_part_is_hidden_too():
    group = suppress_group(total=12, parts={"ar": 3, "ti": 9}, threshold=5)
    assert group.total_hidden  # 12 − 9 would give the 3 back


def test_two_hidden_parts_keep_the_total_shown():
    group = suppress_group(total=15, parts={"ar": 3, "so": 2, "ti": 10}, threshold=5)
    assert group.hidden_parts == {"ar", "so"}
    assert not group.total_hidden  # 15 − 10 = 5 says nothing about either


def test_a_small_total_is_hidden():
    assert suppress_group(total=4, parts={"ar": 4}, threshold=5).total_hidden


def test_the_threshold_is_a_setting():
    assert suppress_group(total=20, parts={"ar": 3, "so": 17}, threshold=3).hidden_parts == frozenset()


def test_an_unpublished_remainder_that_is_not_zero_protects_a_hidden_part():
    # Received 20 = rejected 3 + accepted 10 + undecided 7 (never shown): 20 − 10 is not 3.
    group = suppress_group(total=20, parts={"rejected": 3, "accepted": 10, "undecided": 7}, threshold=5,
                           unpublished=frozenset({"undecided"}))
    assert group.hidden_parts == {"rejected"}
    assert not group.total_hidden


def test_an_unpublished_remainder_of_zero_does_not_protect_it():
    # Everything decided: received 20 − accepted 17 would give the 3 rejected back.
    group = suppress_group(total=20, parts={"rejected": 3, "accepted": 17, "undecided": 0}, threshold=5,
                           unpublished=frozenset({"undecided"}))
    assert group.total_hidden


def test_a_part_hidden_by_another_rule_counts_as_unknown():
    group = suppress_group(total=30, parts={"ar": 10, "so": 20}, threshold=5, hidden=frozenset({"ar"}))
    assert group.total_hidden and group.hidden_parts == {"ar"}


def test_a_hidden_count_says_below_the_threshold_and_a_hidden_share_says_nothing():
    assert suppressed_count(3, hidden=True, threshold=5).text == "<5"
    assert suppressed_count(7, hidden=False, threshold=5).text == "7"
    assert suppressed_count(12, hidden=True, threshold=5).text == ":"  # hidden so that a small one stays hidden
    assert suppressed_share(3, 12, hidden=True).value is None
    assert suppressed_share(6, 12, hidden=False).text == "50,0 %"


def test_the_child_welfare_partner_is_told_on_the_duty_to_inform_or_within_consent():
    assert child_welfare_may_be_told(basis="legal_duty", share_with=[])
    assert child_welfare_may_be_told(basis="consent", share_with=["bup", "child_welfare"])
    assert not child_welfare_may_be_told(basis="consent", share_with=["bup", "municipality"])
    assert not child_welfare_may_be_told(basis=None, share_with=["child_welfare"])


def test_an_interpreter_need_names_a_language_from_the_list():
    assert interpreter_problems({"needed": True, "language": "so"}) == {}
    assert "interpreter.language" in interpreter_problems({"needed": True, "language": None})
    assert "interpreter.language" in interpreter_problems({"needed": True, "language": "xx"})
    assert "interpreter.language" in interpreter_problems({"needed": False, "language": "so"})
    assert interpreter_problems({"needed": False, "language": None}) == {}


def test_a_hidden_total_whose_parts_are_all_known_gets_a_part_hidden():
    # The total is hidden by another group's rule; 10 + 20 would add it up again.
    group = suppress_group(total=30, parts={"ar": 10, "so": 20}, threshold=5, total_hidden=True)
    assert group.hidden_parts == {"ar"}


def test_the_table_hides_what_one_group_would_give_back_through_another():
    # One language's rejected count is small; everything decided. The languages' rejected counts add up to the
    # interpreter row's, and its received = rejected + accepted: both totals must go.
    counts = {
        "interpreter": {"received": 30, "rejected": 13, "accepted": 17, "undecided": 0},
        "so": {"received": 20, "rejected": 10, "accepted": 10, "undecided": 0},
        "ar": {"received": 10, "rejected": 3, "accepted": 7, "undecided": 0},
    }
    hidden = suppress_table(counts, threshold=5, row_total="received", row_parts=("rejected", "accepted", "undecided"),
                            unpublished=frozenset({"undecided"}),
                            column_groups=(("interpreter", ("so", "ar")),))
    assert ("ar", "rejected") in hidden
    assert ("ar", "received") in hidden  # 10 − 7 would give the 3 back
    assert ("interpreter", "rejected") in hidden  # 13 − 10 would
    assert ("interpreter", "received") in hidden  # 30 − 17 would give the 13, and 13 − 10 the 3
    # Whatever is still shown, no hidden cell can be worked out from it by one subtraction.
    shown = {cell for row in counts for cell in ((row, c) for c in ("received", "rejected", "accepted"))} - hidden
    assert ("so", "received") in shown and ("so", "rejected") in shown


def test_a_table_with_no_small_numbers_hides_nothing():
    counts = {"interpreter": {"received": 30, "rejected": 10, "accepted": 15, "undecided": 5},
              "so": {"received": 30, "rejected": 10, "accepted": 15, "undecided": 5}}
    assert suppress_table(counts, threshold=5, row_total="received", row_parts=("rejected", "accepted", "undecided"),
                          unpublished=frozenset({"undecided"}), column_groups=(("interpreter", ("so",)),)) == set()
