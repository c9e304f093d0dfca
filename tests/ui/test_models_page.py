"""The models page in Chromium (download a suggestion with its progress bar, use it for new
chats), and model setup that never traps (a provider's models are a list to pick from; one
listed model is used by itself; a new chat starts with the model last picked)."""

from __future__ import annotations

import pytest

from tests.fakes import FakeOpenAIServer
from tests.fakes.hub_server import FakeHub, gguf_bytes
from tests.ui.conftest import Served, fake_env

SUGGESTED_REPO = "bartowski/Qwen2.5-0.5B-Instruct-GGUF"
SUGGESTED_FILE = "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"


@pytest.fixture(scope="module")
def hub():
    with FakeHub() as hub:
        hub.chunk = 16 * 1024
        yield hub


@pytest.fixture(scope="module")
def server(fake, hub, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("ui-models")
    (data_dir / "models").mkdir()
    (data_dir / "models" / "Mine-Q8_0.gguf").write_bytes(gguf_bytes("Mine", file_type=7, size=8192))
    served = Served(data_dir, {**fake_env(fake), "HEARTH_HF_ENDPOINT": hub.url})
    yield served
    served.close()


def test_download_a_suggestion_with_progress_and_use_it(page, server, hub):
    hub.add(SUGGESTED_REPO, SUGGESTED_FILE, gguf_bytes("Qwen2.5 0.5B Instruct", size=600_000))
    hold = hub.hold_next(after=200_000)

    page.click("#open-models")
    mine = page.locator("#local-models li[data-file='Mine-Q8_0.gguf']")
    mine.wait_for()
    assert "Q8_0" in mine.inner_text() and "Needs about" in mine.inner_text()
    assert "Memory free now" in page.inner_text("#models-memory")

    page.click("button:has-text('Download Qwen2.5 0.5B Instruct')")
    row = page.locator(f"#downloads li[data-file='{SUGGESTED_FILE}']")
    page.wait_for_function(
        "() => { const bar = document.querySelector('#downloads progress');"
        " return bar && Number(bar.value) > 0; }"
    )
    assert "of 600.0 KB" in row.inner_text()
    assert row.locator("button:has-text('Cancel')").is_visible()
    hold.release.set()

    page.locator(f"#downloads li[data-status=done][data-file='{SUGGESTED_FILE}']").wait_for()
    assert "verified" in row.inner_text()
    downloaded = page.locator(f"#local-models li[data-file='{SUGGESTED_FILE}']")
    downloaded.wait_for()
    downloaded.locator("button:has-text('Use for new chats')").click()
    downloaded.locator(".badge:has-text('Used for new chats')").wait_for()
    settings = server.api.get("/api/settings").json()
    assert settings["local_model"] == SUGGESTED_FILE


def test_models_are_picked_from_a_list_and_one_model_is_used_by_itself(page, server):
    with FakeOpenAIServer(models=["org/only-model"]) as one, FakeOpenAIServer() as several:
        page.click("#open-settings")
        add = page.locator("form.add-provider")
        add.locator("select").select_option("OpenAI-compatible")
        add.locator("input[type=text]").first.fill("Solo")
        add.locator("input[type=url]").fill(one.base_url)
        add.locator("button[type=submit]").click()
        solo = page.locator("li.provider", has_text="Solo")
        page.wait_for_function(
            "() => [...document.querySelectorAll('li.provider select.model-choice')]"
            ".some((s) => s.value === 'org/only-model')"
        )
        assert solo.locator("select.model-choice option:checked").inner_text() == "only-model"

        add.locator("select").select_option("OpenAI-compatible")
        add.locator("input[type=text]").first.fill("Pair")
        add.locator("input[type=url]").fill(several.base_url)
        add.locator("button[type=submit]").click()
        pair = page.locator("li.provider", has_text="Pair")
        listed = pair.locator("select.model-choice option[value='fake-model-large']")
        listed.wait_for(state="attached")
        assert pair.locator("select.model-choice").input_value() == ""
        pair.locator("button:has-text('Test connection')").click()
        pair.locator(".test-result:has-text('Pick the default model')").wait_for()
        pair.locator("select.model-choice").select_option("fake-model-large")
        pair.locator(".test-result:has-text('use fake-model-large')").wait_for()
        providers = {p["name"]: p for p in server.api.get("/api/providers").json()["providers"]}
        assert providers["Solo"]["default_model"] == "org/only-model"
        assert providers["Pair"]["default_model"] == "fake-model-large"
        page.locator("#settings-dialog button:has-text('Close')").click()

        # A new chat starts with the model picked last, also after a reload.
        choice = f"{providers['Pair']['id']}/fake-model"
        page.locator(f"#model-picker option[value='{choice}']").wait_for(state="attached")
        page.select_option("#model-picker", choice)
        remembered = "async (v) => (await (await fetch('/api/settings')).json()).last_model === v"
        page.wait_for_function(remembered, arg=choice)
        page.reload()
        page.wait_for_selector("body[data-ready=true]")
        page.wait_for_function(
            "(v) => document.querySelector('#model-picker').value === v", arg=choice
        )
        for provider in ("Solo", "Pair"):
            server.api.delete(f"/api/providers/{providers[provider]['id']}")
        server.api.patch("/api/settings", json={"last_model": None})
