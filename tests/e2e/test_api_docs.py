"""The API documentation renders in a real browser without any outside network."""

from __future__ import annotations

from urllib.parse import urlparse


def test_api_docs_render_every_operation_using_only_local_assets(browser, base_url):
    page = browser.new_page()
    requested_hosts: set[str] = set()
    failed: list[str] = []
    page.on("request", lambda request: requested_hosts.add(urlparse(request.url).netloc))
    page.on("requestfailed", lambda request: failed.append(request.url))
    # Anything not on our own server is refused, as the network here would.
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base_url)
               else route.abort())
    page.goto(f"{base_url}/api/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/referrals/{referral_id}/reject" in [p.replace("\u200b", "") for p in paths]
    assert "/api/v1/handovers/{handover_id}/acknowledge" in [p.replace("\u200b", "") for p in paths]
    assert requested_hosts == {urlparse(base_url).netloc}
    assert failed == []
    page.close()
