"""Settings and first run, on a server that starts with no provider at all."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import Served, open_page, shoot
from tests.ui.test_a11y import assert_clean

SECRET = "sk-test-NEVER-SHOWN-4f9c2a"


@pytest.fixture(scope="module")
def bare_server(tmp_path_factory):
    """A server with no provider at all (the built-in model turned off): the first-run path."""
    served = Served(tmp_path_factory.mktemp("ui-bare"), {"HEARTH_NO_BUILTIN_MODEL": "1"})
    yield served
    served.close()


class _Models(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = json.dumps(
            {"object": "list", "data": [{"id": "local-model", "object": "model"}]}
        ).encode()
        self.send_response(200 if self.path.startswith("/v1/models") else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def lm_studio():
    """Something answering like LM Studio on its usual port, if that port is free."""
    try:
        server = ThreadingHTTPServer(("127.0.0.1", 1234), _Models)
    except OSError:
        pytest.skip("port 1234 is taken on this machine")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_first_run_offers_local_server_and_composer_says_why(browser, bare_server, lm_studio):
    page = open_page(browser, bare_server)
    panel = page.locator("#first-run")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Welcome to Hearth", use_inner_text=True)
    expect(page.locator("#composer-input")).to_be_disabled()
    reason = page.locator("#composer-reason")
    expect(reason).to_contain_text("No model provider is set up", use_inner_text=True)
    expect(reason.get_by_role("link", name="Open settings")).to_be_visible()
    shoot(page, "first-run-light")
    use = panel.get_by_role("button", name="Use LM Studio")
    use.wait_for()
    use.click()
    page.wait_for_selector("#first-run", state="hidden")
    expect(page.locator("#composer-input")).to_be_enabled()
    providers = bare_server.api.get("/api/providers").json()["providers"]
    assert [p["name"] for p in providers] == ["LM Studio"]
    assert providers[0]["default_model"] == "local-model"
    bare_server.api.delete(f"/api/providers/{providers[0]['id']}")
    page.context.close()


def test_saved_key_never_comes_back(browser, bare_server, fake):
    page = open_page(browser, bare_server)
    bodies = []

    def record(response):
        if "/api/" in response.url and "/events" not in response.url:
            try:
                bodies.append(response.text())
            except Exception:  # a body that is gone (redirect, aborted)
                pass

    page.on("response", record)
    page.locator("#composer-reason").get_by_role("link", name="Open settings").click()
    dialog = page.locator("#settings-dialog")
    form = dialog.locator("form.add-provider")
    form.get_by_label("Service").select_option("OpenAI-compatible")
    form.get_by_label("Name").fill("Fake cloud")
    form.get_by_label("Base URL").fill(fake.base_url)
    form.get_by_label("API key").fill(SECRET)
    form.get_by_label("Default model").fill("fake-model")
    form.get_by_role("button", name="Add provider").click()
    provider = dialog.locator("li.provider", has_text="Fake cloud")
    provider.wait_for()
    expect(provider).to_contain_text("Key saved", use_inner_text=True)
    provider.get_by_role("button", name="Test connection").click()
    provider.locator(".test-result.ok").wait_for()
    expect(provider.locator(".test-result")).to_contain_text("Connected", use_inner_text=True)
    # The key is in no field, no attribute, no text of the page, and in no API answer.
    for value in page.locator("input").evaluate_all("els => els.map(e => e.value)"):
        assert SECRET not in value
    assert SECRET not in page.content()
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.click("#open-settings")
    page.locator("#settings-dialog li.provider", has_text="Fake cloud").wait_for()
    assert SECRET not in page.content()
    assert bodies and all(SECRET not in body for body in bodies)
    # The provider works: the composer is enabled and a message gets an answer.
    page.locator("#settings-dialog").get_by_role("button", name="Close").click()
    fake.reply(text="Hello through the saved key.")
    page.fill("#composer-input", "Hi")
    page.keyboard.press("Enter")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    assert fake.model_requests[-1].headers["authorization"] == f"Bearer {SECRET}"
    assert SECRET not in page.content()
    page.context.close()


def test_settings_persist_and_theme_applies(browser, bare_server):
    page = open_page(browser, bare_server)
    page.click("#open-settings")
    dialog = page.locator("#settings-dialog")
    dialog.get_by_label("System prompt").fill("Answer like a pirate.")
    dialog.get_by_label("Approvals").select_option("allow_all")
    dialog.get_by_label("Theme").select_option("dark")
    dialog.get_by_role("button", name="Save settings").click()
    dialog.locator(".test-result.ok:has-text('Saved')").wait_for()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    shoot(page, "settings-dark")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.click("#open-settings")
    expect(dialog.get_by_label("System prompt")).to_have_value("Answer like a pirate.")
    expect(dialog.get_by_label("Approvals")).to_have_value("allow_all")
    settings = bare_server.api.get("/api/settings").json()
    assert settings["theme"] == "dark" and settings["approvals"] == "allow_all"
    dialog.get_by_label("Theme").select_option("light")
    dialog.get_by_role("button", name="Save settings").click()
    dialog.locator(".test-result.ok:has-text('Saved')").wait_for()
    shoot(page, "settings-light")
    page.context.close()


def test_a_picked_theme_is_kept_without_save(browser, bare_server):
    """Dark picked and the dialog closed (no Save): a reload still shows Dark."""
    page = open_page(browser, bare_server)
    page.click("#open-settings")
    dialog = page.locator("#settings-dialog")
    kept = lambda r: r.url.endswith("/api/settings") and r.request.method == "PATCH"  # noqa: E731
    with page.expect_response(kept):
        dialog.get_by_label("Theme").select_option("dark")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    dialog.get_by_role("button", name="Close").click()
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert bare_server.api.get("/api/settings").json()["theme"] == "dark"
    bare_server.api.patch("/api/settings", json={"theme": "system"})
    page.context.close()


@pytest.fixture(scope="module")
def broken_settings_server(tmp_path_factory):
    """A data folder (its name holds markup, to show the sentence is text) whose settings file
    is not JSON."""
    data = tmp_path_factory.mktemp("ui-<b>bold-")
    (data / "config").mkdir()
    (data / "config" / "settings.json").write_text("{ broken", encoding="utf-8")
    served = Served(data, {})
    yield served
    served.close()


def test_unreadable_settings_file_is_shown_until_saved(browser, broken_settings_server):
    served = broken_settings_server
    problem = served.api.get("/api/settings").json()["problem"]
    assert problem and "could not be read" in problem and "<b>bold" in problem
    page = open_page(browser, served)
    patches = []
    page.on(
        "request",
        lambda r: (
            patches.append(r.post_data_json)
            if r.method == "PATCH" and r.url.endswith("/api/settings")
            else None
        ),
    )
    settings_button = page.locator("#open-settings")
    settings_button.locator(".problem-marker").wait_for()
    expect(settings_button).to_have_attribute("title", problem)
    settings_button.click()
    dialog = page.locator("#settings-dialog")
    notice = dialog.locator(".settings-problem")
    notice.wait_for()
    expect(notice).to_contain_text(problem, use_inner_text=True)
    expect(dialog.locator("b")).to_have_count(0)  # the sentence went in as text
    shoot(page, "settings-problem")
    assert_clean(page, "settings with a problem")
    # Dismiss folds it away, not for good: a button brings it back.
    notice.get_by_role("button", name="Dismiss").click()
    notice.wait_for(state="detached")
    dialog.get_by_role("button", name="Show the settings file problem").click()
    notice.wait_for()
    expect(notice).to_contain_text(problem, use_inner_text=True)
    # Closing and opening Settings again still shows it, and so does a reload.
    dialog.get_by_role("button", name="Close").click()
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.click("#open-settings")
    notice.wait_for()
    # Saving writes a good file (the broken one is kept aside): the notice and marker go.
    dialog.get_by_label("System prompt").fill("Be brief.")
    dialog.get_by_role("button", name="Save settings").click()
    dialog.locator(".test-result.ok:has-text('Saved')").wait_for()
    notice.wait_for(state="detached")
    expect(dialog.get_by_role("button", name="Show the settings file problem")).to_have_count(0)
    expect(settings_button.locator(".problem-marker")).to_have_count(0)
    page.wait_for_function("() => !document.querySelector('#open-settings').hasAttribute('title')")
    assert patches and all("problem" not in body for body in patches)
    assert served.api.get("/api/settings").json()["problem"] is None
    config = served.api.get("/api/settings").json()
    assert config["system_prompt"] == "Be brief."
    page.context.close()


def test_the_built_in_model_card_has_no_url_key_or_connection_test(browser, server):
    """Settings shows the built-in model as what it is and leads to the Models page."""
    page = open_page(browser, server)
    page.click("#open-settings")
    dialog = page.locator("#settings-dialog")
    card = dialog.locator("li.provider", has_text="Built-in model")
    expect(card).to_contain_text("no network and no account")
    expect(card.get_by_label("API key")).to_have_count(0)
    expect(card.get_by_role("button", name="Test connection")).to_have_count(0)
    expect(card).not_to_contain_text("(default URL)")
    card.get_by_role("button", name="Open Models").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#models-dialog")).to_be_visible()
    page.context.close()
