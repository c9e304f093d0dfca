"""Model lists are kept per provider, and no provider is asked for them while a run is live:
page loads, second tabs and the Settings view never reach a provider that is answering."""

from __future__ import annotations

import threading

import pytest

from tests.fakes import FakeOpenAIServer
from tests.server.conftest import HearthServer, sse_events


def listings(fake: FakeOpenAIServer) -> int:
    """How many times the fake was asked for its models."""
    return sum(1 for r in list(fake.requests) if r.method == "GET" and r.path.endswith("/models"))


@pytest.fixture
def own(tmp_path):
    """A server of its own, on a fake of its own, so that the fake's count is this test's."""
    started = []

    def start(models=None):
        fake = FakeOpenAIServer(models=models)
        hearth = HearthServer(tmp_path / f"data{len(started)}", fake)
        started.append((hearth, fake))
        return hearth, fake

    yield start
    for hearth, fake in started:
        hearth.close()
        fake.close()


class LiveRun:
    """A run held mid-answer by the fake until ``end()``."""

    def __init__(self, hearth: HearthServer, fake: FakeOpenAIServer) -> None:
        self.hearth = hearth
        self.hold = threading.Event()
        reply = fake.reply(text="a long answer, still coming", chunks=3, hold=self.hold)
        self.session = hearth.new_session()
        self.run_id = hearth.start_run(self.session["id"])
        assert reply.stalled.wait(10), "the run never reached the provider"
        assert self.run_id in hearth.client.get("/api/desktop/state").json()["live_runs"]

    def end(self) -> None:
        self.hold.set()
        events = self.hearth.events(self.run_id)
        assert events[-1].type == "run.completed", events[-1]


def test_a_list_is_asked_once_and_kept_until_refreshed(own):
    hearth, fake = own(models=["alpha", "beta"])
    first = hearth.client.get("/api/providers/env/models")
    assert first.status_code == 200, first.text
    assert first.json()["models"] == ["alpha", "beta"] and first.json()["stale"] is False
    for _ in range(5):  # page loads, other tabs
        again = hearth.client.get("/api/providers/env/models")
        assert again.json() == first.json()
    assert listings(fake) == 1

    fake.models = ["alpha", "beta", "gamma"]
    refreshed = hearth.client.get("/api/providers/env/models", params={"refresh": "1"})
    assert refreshed.json()["models"] == ["alpha", "beta", "gamma"]
    assert refreshed.json()["stale"] is False
    assert refreshed.json()["fetched_at"] >= first.json()["fetched_at"]
    assert listings(fake) == 2
    tested = hearth.client.post("/api/providers/env/test", json={})
    assert tested.json() == {"ok": True, "models": ["alpha", "beta", "gamma"]}
    assert listings(fake) == 3


def test_nothing_asks_a_provider_while_a_run_is_live(own):
    hearth, fake = own()
    with FakeOpenAIServer(models=["other-model"]) as other:
        added = hearth.client.post(
            "/api/providers", json={"name": "Other", "kind": "openai", "base_url": other.base_url}
        )
        other_id = added.json()["id"]

        # Nothing kept yet and a run live: a clear 409, and no provider hears of it.
        run = LiveRun(hearth, fake)
        for provider_id in ("env", other_id):
            for params in ({}, {"refresh": "1"}):
                busy = hearth.client.get(f"/api/providers/{provider_id}/models", params=params)
                assert busy.status_code == 409, busy.text
                assert busy.json()["error"]["code"] == "provider_busy"
                assert "run is answering" in busy.json()["error"]["message"]
            tested = hearth.client.post(f"/api/providers/{provider_id}/test", json={})
            assert tested.status_code == 409 and tested.json()["error"]["code"] == "provider_busy"
        assert hearth.client.get("/api/local-servers").status_code == 409
        assert listings(fake) == 0 and listings(other) == 0
        assert not fake.requests[-1].disconnected.is_set()  # the answer was not interrupted
        run.end()

        # No run live: asked once each, then kept.
        for provider_id in ("env", other_id):
            assert hearth.client.get(f"/api/providers/{provider_id}/models").status_code == 200
        assert listings(fake) == 1 and listings(other) == 1

        # A run live again: the kept lists answer; a refresh answers them marked stale.
        run = LiveRun(hearth, fake)
        for _ in range(10):
            kept = hearth.client.get(f"/api/providers/{other_id}/models").json()
            assert kept["models"] == ["other-model"] and kept["stale"] is False
        stale = hearth.client.get("/api/providers/env/models", params={"refresh": "1"}).json()
        assert stale["models"] == ["fake-model", "fake-model-large"] and stale["stale"] is True
        assert listings(fake) == 1 and listings(other) == 1
        run.end()
        fresh = hearth.client.get("/api/providers/env/models", params={"refresh": "1"}).json()
        assert fresh["stale"] is False and listings(fake) == 2


def test_a_provider_moved_elsewhere_is_asked_again(own):
    hearth, fake = own(models=["here"])
    added = hearth.client.post(
        "/api/providers", json={"name": "Moving", "kind": "openai", "base_url": fake.base_url}
    )
    pid = added.json()["id"]
    assert hearth.client.get(f"/api/providers/{pid}/models").json()["models"] == ["here"]
    with FakeOpenAIServer(models=["there"]) as elsewhere:
        moved = hearth.client.patch(f"/api/providers/{pid}", json={"base_url": elsewhere.base_url})
        assert moved.status_code == 200
        assert hearth.client.get(f"/api/providers/{pid}/models").json()["models"] == ["there"]
        assert listings(elsewhere) == 1
    assert hearth.client.get("/api/providers/nope/models").status_code == 404


def test_page_loads_during_a_run_send_nothing_to_the_provider(own):
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS

    hearth, fake = own()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(15000)
            page.goto(hearth.ready_line)
            page.wait_for_selector("body[data-ready=true]")
            picker = page.locator("#model-picker option[value='env/fake-model-large']")
            picker.wait_for(state="attached")  # the composer's picker lists the models
            assert listings(fake) == 1

            run = LiveRun(hearth, fake)
            for _ in range(3):  # reloads, and the conversation with the live run
                page.goto(f"{hearth.url}/#/s/{run.session['id']}")
                page.reload()
                page.wait_for_selector("body[data-ready=true]")
                picker.wait_for(state="attached")
            second_tab = browser.new_context().new_page()
            second_tab.goto(hearth.ready_line)
            second_tab.wait_for_selector("body[data-ready=true]")

            # Settings: "Refresh models" during the run says the list is kept, asks nobody.
            page.click("#open-settings")
            page.get_by_role("button", name="Refresh models").first.click()
            note = page.locator(".provider .test-result").first
            note.get_by_text("run is answering", exact=False).wait_for()
            assert listings(fake) == 1
            assert not fake.requests[-1].disconnected.is_set()
            run.end()

            fake.models = ["fake-model", "fake-model-large", "fake-model-new"]
            page.get_by_role("button", name="Refresh models").first.click()
            note.get_by_text("3 models", exact=False).wait_for()
            assert listings(fake) == 2
            page.keyboard.press("Escape")
            new_option = page.locator("#model-picker option[value='env/fake-model-new']")
            new_option.wait_for(state="attached")  # the composer picked up the new list
        finally:
            browser.close()


def test_events_of_a_held_run_still_arrive_after_listing_was_refused(own):
    """The refused listings did not disturb the run: its whole answer arrives."""
    hearth, fake = own()
    run = LiveRun(hearth, fake)
    assert hearth.client.get("/api/providers/env/models").status_code == 409
    run.hold.set()
    events = list(sse_events(hearth.client, run.run_id))
    text = "".join(e.data["text"] for e in events if e.type == "text.delta")
    assert text == "a long answer, still coming" and events[-1].type == "run.completed"
