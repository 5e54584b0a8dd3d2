"""Request paths in the logs: identity-number-shaped runs of digits are masked, nothing else."""

from referral_service.log_paths import MASK, path_for_log


def test_eleven_digits_are_masked_with_or_without_a_space():
    assert path_for_log("/api/v1/referrals/05041287654") == f"/api/v1/referrals/{MASK}"
    assert path_for_log("/fhir/Patient/050412%2087654/x") == f"/fhir/Patient/{MASK}/x"
    assert path_for_log("/fhir/Patient/050412 87654") == f"/fhir/Patient/{MASK}"


def test_ids_and_other_numbers_are_kept():
    for path in ("/api/v1/referrals/0b5e8f2c-1d2a-4c57-9a41-123456789012", "/fhir/Task/1234567890",
                 "/fhir/Task/123456789012", "/health", None, ""):
        assert path_for_log(path) == path
