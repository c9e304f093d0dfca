"""An empty chat greets the user with the model that will answer and what it can do here; on
the built-in model it offers to connect a better one, names the model in words ("SmolLM2 135M
Instruct (built-in)", not its file) and says "Starting the built-in model…" while the runtime
loads; with no model at all the first-run panel speaks instead. In a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import Served, open_page, shoot

BUILTIN_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def builtin_only(tmp_path_factory):
    """Nothing configured: the built-in model answers (a few words, to be quick)."""
    served = Served(tmp_path_factory.mktemp("ui-builtin"), {"HEARTH_LOCAL_MAX_TOKENS": "6"})
    yield served
    served.close()


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    served = Served(tmp_path_factory.mktemp("ui-bare"), {"HEARTH_NO_BUILTIN_MODEL": "1"})
    yield served
    served.close()


def test_a_new_chat_greets_with_its_model_and_what_it_can_do(page, server, tmp_path):
    empty = page.locator("#messages .empty")
    expect(empty.get_by_role("heading", name="How can I help?")).to_be_visible()
    expect(empty).to_contain_text("Answering: fake-model")
    expect(empty).to_contain_text("change files in workspace")
    expect(empty.get_by_role("button", name="Connect a model…")).to_have_count(0)
    page.locator("#model-picker").select_option("env/fake-model-large")
    expect(empty).to_contain_text("Answering: fake-model-large")
    page.get_by_role("switch", name="Tools").click()
    expect(page.locator("#messages .empty")).to_contain_text("Chat only")
    page.get_by_role("switch", name="Tools").click()
    server.api.patch("/api/settings", json={"last_model": None, "last_tools_enabled": None})

    made = server.new_session(title="Empty one", workspace=str(tmp_path))
    page.goto(server.url + f"/#/s/{made['id']}")
    expect(page.locator("#messages .empty")).to_contain_text(f"change files in {tmp_path.name}")


def test_on_the_built_in_model_the_chat_offers_a_better_one_and_names_it(browser, builtin_only):
    page = open_page(browser, builtin_only)
    empty = page.locator("#messages .empty")
    expect(empty).to_contain_text("Answering: SmolLM2 135M Instruct (built-in)")
    picker = page.locator("#model-picker")
    expect(picker.locator("option", has_text="SmolLM2 135M Instruct (built-in)")).to_have_count(1)
    default = picker.locator("option", has_text="Default (SmolLM2 135M Instruct, built-in)")
    expect(default).to_have_count(1)
    expect(picker.locator("option", has_text=".gguf")).to_have_count(0)
    expect(empty).to_contain_text("This small model only chats")
    shoot(page, "empty-builtin")
    empty.get_by_role("button", name="Download a model…").click()
    models = page.locator("#models-dialog")
    expect(models.locator(f'[data-file="{BUILTIN_FILE}"] strong')).to_have_text(
        "SmolLM2 135M Instruct"
    )
    models.get_by_role("button", name="Close").click()
    empty.get_by_role("button", name="Connect a model…").click()
    expect(page.locator("#settings-dialog")).to_be_visible()
    page.context.close()


def test_the_chat_says_the_built_in_model_is_starting(browser, builtin_only):
    page = open_page(browser, builtin_only)
    # Every sentence the live turn's foot shows, as it shows them.
    page.evaluate(
        """() => {
        window.seen = [];
        new MutationObserver(() => {
          for (const el of document.querySelectorAll('.model-starting')) {
            if (!window.seen.includes(el.textContent)) window.seen.push(el.textContent);
          }
        }).observe(document.getElementById('messages'), { childList: true, subtree: true });
    }"""
    )
    box = page.get_by_role("textbox", name="Message Hearth")
    box.fill("Say hello.")
    box.press("Enter")
    page.wait_for_function("() => window.seen.length > 0", timeout=60000)
    assert page.evaluate("window.seen") == ["Starting the built-in model…"]
    expect(page.locator("#stop")).to_be_hidden(timeout=240000)  # the answer ended
    expect(page.locator("#messages .turn.assistant").last).not_to_be_empty()
    expect(page.locator(".model-starting")).to_have_count(0)
    page.context.close()


def test_with_no_model_at_all_the_first_run_panel_speaks(browser, bare):
    page = open_page(browser, bare)
    expect(page.locator("#first-run")).to_be_visible()
    expect(page.locator("#messages .empty")).to_have_count(0)
    page.context.close()
