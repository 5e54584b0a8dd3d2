"""After signing in (password or OpenID Connect) the user goes back where they were: only to a page of this site."""

from __future__ import annotations

import pytest

from referral_service.web.views.auth import _safe_next


@pytest.mark.parametrize("target", ["/henvisninger", "/henvisninger?side=2&fane=avsluttede", "/oversikt"])
def test_a_path_on_this_site_is_kept(target):
    assert _safe_next(target) == target


@pytest.mark.parametrize("target", [
    None, "", "henvisninger", "//evil.example", "/\\evil.example/login", "/\t/evil.example", "/\n/evil.example",
    "https://evil.example/", "/ /evil.example", "/\x7f/evil.example",
])
def test_anything_a_browser_could_read_as_another_host_is_refused(target):
    assert _safe_next(target) is None
