"""The context meter in a real browser: used / window with what takes the space, a warning
near the threshold, and Compact now, whose summary shows as a marked block after the turns."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.ui.conftest import shoot


def send(page, text: str) -> None:
    page.fill("#composer-input", text)
    page.keyboard.press("Enter")


def test_the_meter_warns_and_compact_now_adds_a_summary_block(page, server, fake):
    server.api.patch("/api/settings", json={"context_windows": {"fake-model": 4_000}})
    for n in range(3):
        fake.reply(text=f"Answer {n}: " + "the owl watched the field all night. " * 30)
        send(page, f"Question {n} about owls")
        page.wait_for_selector(f".turn.assistant[data-status=completed] >> text=Answer {n}")

    meter = page.locator("#context-meter")
    expect(meter).to_be_visible()
    expect(meter.locator(".context-label")).to_contain_text("/ 4.0k")
    expect(meter).to_have_class("menu context-meter warn")
    meter.locator("summary").click()
    expect(meter.locator(".context-parts")).to_contain_text("System prompt and tools")
    expect(meter.locator(".context-parts")).to_contain_text("Messages")
    expect(meter.locator(".context-note")).to_contain_text("Nearly full")
    shoot(page, "context-meter-open")

    fake.reply(text="The user asked about owls twice; each answer described an owl at night.")
    page.click("#compact-now")
    block = page.locator(".summary-block[data-status=complete]")
    expect(block).to_contain_text("owl at night")
    expect(block).to_contain_text("Summary of the earlier turns")
    # the summary comes after the turns it covers, and every original is still shown
    expect(page.locator(".turn.user")).to_have_count(3)
    order = page.evaluate(
        "[...document.querySelectorAll('#messages > *')].map(e =>"
        " e.classList.contains('summary-block') ? 'S' : e.classList.contains('user') ? 'U' : 'A'"
        ").join('')"
    )
    assert order == "UAUAUAS", order
    expect(meter).not_to_have_class("menu context-meter warn")
    shoot(page, "context-summary-block")


def test_the_models_window_and_the_threshold_are_set_from_the_meter(page, server, fake):
    fake.reply(text="Hello.")
    send(page, "hi")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    meter = page.locator("#context-meter")
    meter.locator("summary").click()
    page.fill("#context-window-input", "50000")
    page.fill("#context-threshold-input", "70")
    page.click(".context-form button[type=submit]")
    expect(meter.locator(".context-label")).to_contain_text("/ 50k")
    settings = server.api.get("/api/settings").json()
    assert settings["context_windows"]["fake-model"] == 50_000
    assert settings["context_threshold"] == 0.7
    server.api.patch("/api/settings", json={"context_windows": {}, "context_threshold": 0.8})


def test_whether_a_model_takes_images_is_set_from_the_meter(page, server, fake):
    fake.reply(text="Hello.")
    send(page, "hi")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    meter = page.locator("#context-meter")
    meter.locator("summary").click()
    page.select_option("#context-images-input", "no")
    page.click(".context-form button[type=submit]")
    expect(page.locator(".toast").last).to_contain_text("Saved")
    assert server.api.get("/api/settings").json()["model_images"] == {"fake-model": False}
    # A message with an image to that model is now named and refused before sending.
    from urllib.parse import quote

    from tests.fakes import attachment_files as files

    image = server.api.post(
        "/api/attachments",
        content=files.png(),
        headers={"Content-Type": "image/png", "X-Filename": quote("dot.png")},
    ).json()
    session = server.new_session()
    refused = server.api.post(
        f"/api/sessions/{session['id']}/runs",
        json={"content": "What is this?", "attachments": [image["id"]]},
    )
    assert refused.status_code == 400 and "fake-model" in refused.json()["error"]["message"]
    server.api.patch("/api/settings", json={"model_images": {}})
