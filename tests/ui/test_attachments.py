"""Attachments in a real browser: a pasted image becomes a chip with a thumbnail, goes with the
message to the model as an image part, shows in the conversation and enlarges; a document
added by the Attach button is a chip that downloads; a chip can be removed before sending."""

from __future__ import annotations

import base64
import re

from playwright.sync_api import expect

from tests.fakes import attachment_files as files
from tests.ui.conftest import shoot

PASTE_IMAGE = """
async (b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], "image.png", { type: "image/png" }));
  const input = document.querySelector("#composer-input");
  input.focus();
  input.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true,
                                                    cancelable: true }));
}
"""


def test_a_pasted_image_goes_with_the_message_and_shows_in_the_conversation(page, fake):
    image = files.png(8, 8)
    page.evaluate(PASTE_IMAGE, base64.b64encode(image).decode())
    chip = page.locator(".attachment-tray .attachment-chip")
    expect(chip).to_have_count(1)
    expect(chip.locator(".attachment-name")).to_contain_text("pasted-")
    expect(chip.locator("img.attachment-thumb")).to_be_visible()
    expect(chip.locator(".attachment-size")).to_have_text(f"{len(image)} B")
    shoot(page, "attachments-composer")

    fake.reply(text="A small red square.")
    page.fill("#composer-input", "What is this?")
    page.keyboard.press("Enter")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    expect(page.locator(".attachment-tray .attachment-chip")).to_have_count(0)

    parts = fake.last_body["messages"][-1]["content"]
    assert (
        parts[0]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(image).decode()
    )
    assert parts[-1] == {"type": "text", "text": "What is this?"}

    shown = page.locator(".turn.user .message-attachments img")
    expect(shown).to_have_count(1)
    page.wait_for_function(
        "() => document.querySelector('.turn.user .message-attachments img').naturalWidth === 8"
    )
    # After a reload the stored message shows it too; a click enlarges it.
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.locator(".turn.user .attachment-image").click()
    expect(page.locator("dialog.attachment-viewer img")).to_be_visible()
    shoot(page, "attachments-enlarged")
    page.keyboard.press("Escape")
    expect(page.locator("dialog.attachment-viewer")).to_have_count(0)


def test_a_document_by_the_button_is_a_download_chip_and_a_chip_can_be_removed(
    page, fake, tmp_path
):
    doc = tmp_path / "notes.pdf"
    doc.write_bytes(files.pdf(["Meeting notes"]))
    other = tmp_path / "drop.txt"
    other.write_text("not this one")
    with page.expect_file_chooser() as chooser:
        page.locator(".composer .attach").click()
    chooser.value.set_files([str(doc), str(other)])
    chips = page.locator(".attachment-tray .attachment-chip:not(.uploading)")
    expect(chips).to_have_count(2)
    page.get_by_role("button", name="Remove drop.txt").click()
    expect(chips).to_have_count(1)

    fake.reply(text="Notes read.")
    page.locator("#send").click()  # no text: the file alone is the message
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    user = fake.last_body["messages"][-1]["content"]
    assert len(user) == 1 and "Meeting notes" in user[0]["text"]

    link = page.locator(".turn.user a.attachment-file")
    expect(link).to_have_attribute("download", "notes.pdf")
    with page.expect_download() as download:
        link.click()
    assert open(download.value.path(), "rb").read() == doc.read_bytes()


DROP_FILES = """
() => {
  const data = new DataTransfer();
  data.items.add(new File(["a,b\\n1,2\\n"], "table.csv", { type: "text/csv" }));
  data.items.add(new File(["# Notes"], "notes.md", { type: "text/markdown" }));
  const form = document.querySelector("#composer");
  form.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true,
                                                 cancelable: true }));
  const marked = form.classList.contains("dropping");
  form.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true,
                                             cancelable: true }));
  return marked;
}
"""


def test_files_dropped_on_the_composer_become_chips(page, fake):
    assert page.evaluate(DROP_FILES) is True
    chips = page.locator(".attachment-tray .attachment-chip:not(.uploading)")
    expect(chips).to_have_count(2)
    expect(chips.locator(".attachment-name")).to_have_text(["table.csv", "notes.md"])
    expect(page.locator("#composer")).not_to_have_class(re.compile(r"\bdropping\b"))
    fake.reply(text="Read both.")
    page.fill("#composer-input", "Summarise")
    page.keyboard.press("Enter")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    texts = [p["text"] for p in fake.last_body["messages"][-1]["content"]]
    assert "a,b" in texts[0] and "# Notes" in texts[1] and texts[2] == "Summarise"
    expect(page.locator(".turn.user a.attachment-file")).to_have_count(2)
