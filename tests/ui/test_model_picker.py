"""The chat's model picker never waits on a slow provider: it shows each provider's default
model at once and every list as it arrives, in a real browser."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.server.test_shutdown_hung_provider import SilentServer
from tests.ui.conftest import open_page


def test_a_provider_that_never_answers_does_not_empty_the_picker(browser, server):
    silent = SilentServer()
    added = server.api.post(
        "/api/providers",
        json={
            "name": "Slow box",
            "kind": "openai",
            "base_url": f"http://127.0.0.1:{silent.port}/v1",
            "default_model": "slow-default",
        },
    )
    assert added.status_code == 201, added.text
    page = open_page(browser, server)
    try:
        picker = page.locator("#model-picker")
        # The fake provider's whole list, while the slow one is still being asked.
        expect(picker.locator("option", has_text="fake-model-large")).to_have_count(1, timeout=6000)
        expect(picker.locator("option", has_text="slow-default")).to_have_count(1)
        assert silent.accepted.is_set()  # it really was asked, and is still hanging
    finally:
        page.context.close()
        server.api.delete(f"/api/providers/{added.json()['id']}")
        silent.close()
