"""Password spraying: many wrong passwords from one network address slow that address down, but never stop another
account's correct password from it (a municipality's office behind one shared address)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from referral_service.bootstrap import dependencies
from referral_service.demo import DEMO_PASSWORD
from referral_service.services.admin.auth import ADDRESS_LIMIT_FACTOR


def token_request(world, email: str, password: str, address: str):
    return world.client.post("/api/v1/auth/token", json={"email": email, "password": password},
                             environ_base={"REMOTE_ADDR": address})


def test_fifty_wrong_passwords_from_one_address_slow_it_down_but_let_a_correct_password_in(world, app, clock):
    """Must show 6 (issue 13), through the API: 50 wrong passwords from one address (many e-mail addresses), then
    another account's correct password from the same address gets in: at once for a colleague who signed in from
    there before, after a short wait for one who never did. Meanwhile no guess from there is tried, and wrong ones
    wait longer and longer."""
    clock.set(datetime.now(UTC).replace(microsecond=0))
    assert token_request(world, "fastlege@askoy.example", DEMO_PASSWORD, "127.0.0.7").status_code == 200
    limit = dependencies(app).logins.max_failed_logins * ADDRESS_LIMIT_FACTOR
    answers = [token_request(world, f"person{i}@nowhere.example", "wrong-password", "127.0.0.7").status_code
               for i in range(limit)]
    assert answers[:-1] == [401] * (limit - 1) and answers[-1] == 429
    assert token_request(world, "fastlege@askoy.example", DEMO_PASSWORD, "127.0.0.7").status_code == 200

    # While the address waits, an account not seen there is refused before its password is looked at.
    newcomer = token_request(world, "helsesykepleier@bergen.example", DEMO_PASSWORD, "127.0.0.7")
    assert newcomer.status_code == 429 and int(newcomer.headers["Retry-After"]) <= 61
    waits = []
    for attempt in range(3):
        clock.advance(timedelta(seconds=61))  # each wrong password is tried only once the wait is over
        slowed = token_request(world, f"igjen{attempt}@nowhere.example", "wrong-password", "127.0.0.7")
        assert slowed.status_code == 429
        waits.append(int(slowed.headers["Retry-After"]))
    assert waits == sorted(waits) and waits[0] < waits[-1] <= 61
    assert token_request(world, "fastlege@askoy.example", DEMO_PASSWORD, "127.0.0.7").status_code == 200
    clock.advance(timedelta(seconds=waits[-1]))
    assert token_request(world, "helsesykepleier@bergen.example", DEMO_PASSWORD, "127.0.0.7").status_code == 200
    assert token_request(world, "fastlege@askoy.example", DEMO_PASSWORD, "127.0.0.8").status_code == 200


def test_fifty_wrong_passwords_for_one_account_lock_that_account_only(world, app):
    """Must show 6 with the guesses aimed at one account: it locks (per account, as before); another account's
    correct password from the same address still gets in."""
    answers = [token_request(world, "fastlege@askoy.example", f"feil-{i}", "127.0.0.9").status_code
               for i in range(50)]
    assert 429 in answers
    assert token_request(world, "fastlege@askoy.example", DEMO_PASSWORD, "127.0.0.9").status_code == 429
    assert token_request(world, "helsesykepleier@bergen.example", DEMO_PASSWORD, "127.0.0.9").status_code == 200
