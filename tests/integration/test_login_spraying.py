"""Password spraying: many e-mail addresses tried from one network address lock that address."""

from __future__ import annotations

from referral_service.bootstrap import dependencies
from referral_service.demo import DEMO_PASSWORD
from referral_service.services.admin.auth import ADDRESS_LIMIT_FACTOR


def token_request(world, email: str, password: str, address: str):
    return world.client.post("/api/v1/auth/token", json={"email": email, "password": password},
                             environ_base={"REMOTE_ADDR": address})


def test_failures_over_many_addresses_from_one_place_lock_that_place_only(world, app):
    limit = dependencies(app).logins.max_failed_logins * ADDRESS_LIMIT_FACTOR
    answers = [token_request(world, f"person{i}@nowhere.example", "wrong-password", "127.0.0.7").status_code
               for i in range(limit)]
    assert answers[:-1] == [401] * (limit - 1) and answers[-1] == 429
    locked = token_request(world, "fastlege@askoy.example", DEMO_PASSWORD, "127.0.0.7")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert token_request(world, "fastlege@askoy.example", DEMO_PASSWORD, "127.0.0.8").status_code == 200
