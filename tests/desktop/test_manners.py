"""Desktop manners, driven in the window's own page over DevTools: signed in without the token
anywhere a user could copy it, links to the system browser, folders to the file manager."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from tests.desktop.cdp import Page
from tests.desktop.conftest import wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recorder(folder: Path, name: str, log: Path) -> None:
    """An executable ``name`` that appends its arguments to ``log``: a stand-in browser."""
    script = folder / name
    script.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def window(hearth_factory, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    opened = tmp_path / "opened.txt"
    recorder(bin_dir, "fake-browser", opened)
    recorder(bin_dir, "xdg-open", opened)
    port = free_port()
    hearth = hearth_factory(
        env={
            "BROWSER": str(bin_dir / "fake-browser"),
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "QTWEBENGINE_REMOTE_DEBUGGING": f"127.0.0.1:{port}",
        }
    )
    hearth.start()
    hearth.wait_ready()
    page = Page(f"http://127.0.0.1:{port}", hearth.server()["url"])
    yield hearth, page, opened
    page.close()
    hearth.stop()


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_signed_in_without_the_token_in_the_address_or_cookies(window):
    hearth, page, _ = window
    token = hearth.server()["token"]
    assert page.evaluate("location.href") == hearth.server()["url"] + "/"
    assert token not in page.evaluate("document.cookie")  # HttpOnly
    assert token not in page.evaluate("document.documentElement.outerHTML")
    assert page.evaluate("fetch('/api/sessions').then(r => r.status)") == 200
    assert page.evaluate("document.documentElement.dataset.desktop") == "1"


def test_links_leaving_the_app_open_in_the_system_browser(window):
    hearth, page, opened = window
    page.evaluate(
        "(() => { const a = document.createElement('a'); a.id = 'ext';"
        " a.href = 'https://example.invalid/page'; a.textContent = 'a link';"
        " a.style = 'position:fixed;top:200px;left:500px;z-index:99999;font-size:30px';"
        " document.body.appendChild(a); })()"
    )
    page.click("#ext")
    wait_for(lambda: "https://example.invalid/page" in lines(opened), 20, "the browser")
    assert page.evaluate("location.href") == hearth.server()["url"] + "/"  # stayed in the app

    page.evaluate("window.open('https://example.invalid/popup')")
    wait_for(lambda: "https://example.invalid/popup" in lines(opened), 20, "the popup link")

    page.evaluate(  # only http(s) and mailto leave: never file: or javascript:
        "window.dispatchEvent(new CustomEvent('hearth:desktop',"
        " {detail: {action: 'open_link', url: 'file:///etc/passwd'}}))"
    )
    wait_for(lambda: "refused to open a link" in hearth.log, 20, "the refusal")
    assert not any("passwd" in line for line in lines(opened))


def test_open_data_folder_and_logs_reveal_them_in_the_file_manager(window):
    hearth, page, opened = window
    for action in ("open_data_folder", "open_logs"):
        detail = f"{{detail: {{action: '{action}'}}}}"
        page.evaluate(f"window.dispatchEvent(new CustomEvent('hearth:desktop', {detail}))")
    wait_for(lambda: len(lines(opened)) >= 2, 20, "the file manager")
    assert sorted(lines(opened)) == sorted([str(hearth.data), str(hearth.data / "logs")])


def test_menu_commands_reach_the_page(window):
    hearth, page, _ = window
    page.evaluate(
        "window.__seen = []; window.addEventListener('hearth:command',"
        " e => window.__seen.push(e.detail.command))"
    )
    (window_id,) = wait_for(lambda: hearth.windows("^Hearth$"), 30, "the window")
    # the menu bar's "Hearth" menu, top left; its first item is "New chat", then "Search"
    for count, presses in ((1, ["Down"]), (2, ["Down", "Down"])):
        hearth.x("xdotool", "mousemove", "--window", window_id, "20", "10", "click", "1")
        wait_for(
            lambda: (
                hearth.x("xdotool", "search", "--onlyvisible", "--class", "hearth").stdout.split()
                != [window_id]
            ),
            20,
            "the menu to open",
        )
        hearth.x("xdotool", "key", *presses, "Return")
        wait_for(lambda n=count: len(page.evaluate("window.__seen")) == n, 20, "the command")
    assert page.evaluate("window.__seen") == ["new-chat", "search"]


def test_the_keys_the_menu_shows_work_in_the_window(window):
    from desktop.window import MENU_COMMANDS

    hearth, page, _ = window
    (window_id,) = wait_for(lambda: hearth.windows("^Hearth$"), 30, "the window")
    session = hearth.api("POST", "/api/sessions", {"title": "Somewhere else"})
    done = {
        "new-chat": "location.hash === '#/new'",
        "search": "document.activeElement?.id === 'search'",
    }
    assert sorted(done) == sorted(command for _, _, command in MENU_COMMANDS)
    for label, keys, command in MENU_COMMANDS:
        page.evaluate(f"location.hash = '#/s/{session['id']}'; document.activeElement?.blur()")
        wait_for(lambda c=command: not page.evaluate(done[c]), 20, f"a page before {label}")
        hearth.x("xdotool", "windowfocus", "--sync", window_id)
        hearth.x("xdotool", "key", "--clearmodifiers", keys.lower())
        wait_for(lambda c=command: page.evaluate(done[c]), 20, f"{keys} to do {label}")


def upload(hearth, data: bytes, name: str, kind: str) -> str:
    import json
    import urllib.parse
    import urllib.request

    info = hearth.server()
    request = urllib.request.Request(
        info["url"] + "/api/attachments",
        data=data,
        method="POST",
        headers={
            "Authorization": f"Bearer {info['token']}",
            "Content-Type": kind,
            "X-Filename": urllib.parse.quote(name),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)["id"]


def test_a_document_opens_in_the_system_viewer_and_nothing_else_does(window):
    from tests.fakes import attachment_files as files

    hearth, page, opened = window
    pdf = files.pdf(["Minutes"])
    doc_id = upload(hearth, pdf, "minutes.desktop", "application/pdf")  # a misleading name
    svg_id = upload(hearth, b'<svg xmlns="http://www.w3.org/2000/svg"/>', "x.svg", "image/svg+xml")
    for attachment_id in (svg_id, doc_id):
        detail = f"{{detail: {{action: 'open_attachment', id: '{attachment_id}'}}}}"
        page.evaluate(f"window.dispatchEvent(new CustomEvent('hearth:desktop', {detail}))")
    (line,) = wait_for(lambda: lines(opened), 20, "the viewer")
    shown = Path(line)
    assert shown.suffix == ".pdf" and shown.read_bytes() == pdf
    assert shown.is_relative_to(hearth.data / "cache" / "opened")
    wait_for(lambda: "is not opened in a viewer" in hearth.log, 20, "the SVG's refusal")
    assert len(lines(opened)) == 1


def test_the_page_asks_the_window_without_pywebviews_private_bridge(window):
    """The page's asks go over HTTP: they work with pywebview's bridge gone from the page."""
    hearth, page, opened = window
    page.evaluate("delete window.pywebview; delete window.qt; 0")
    assert page.evaluate("typeof window.pywebview") == "undefined"
    page.click("#open-logs")  # a real click on the sidebar's button
    wait_for(lambda: lines(opened) == [str(hearth.data / "logs")], 20, "the logs folder")
    page.evaluate(
        "(() => { const a = document.createElement('a'); a.id = 'ext';"
        " a.href = 'https://example.invalid/bridgeless'; a.textContent = 'a link';"
        " a.style = 'position:fixed;top:200px;left:500px;z-index:99999;font-size:30px';"
        " document.body.appendChild(a); })()"
    )
    page.click("#ext")
    wait_for(lambda: "https://example.invalid/bridgeless" in lines(opened), 20, "the browser")
    assert page.evaluate("location.href") == hearth.server()["url"] + "/"


PICK = (
    "window.__picked = 'waiting'; import('/js/desktop.js').then(m => m.pickFolder())"
    ".then(p => { window.__picked = p; }, e => { window.__picked = 'error: ' + e.message; }); 0"
)


def picked(page):
    value = page.evaluate("window.__picked")
    return (value,) if value != "waiting" else None


def answer_picker(hearth, title: str, *typed: str) -> None:
    """Type into the open folder picker and press its key (Return or Escape); again if the keys
    came before the dialog took input (a loaded machine), until it is gone."""
    import time

    for _ in range(6):
        dialogs = hearth.windows(f"^{title}$")
        if not dialogs:
            return
        hearth.x("xdotool", "windowfocus", "--sync", dialogs[0])
        for text in typed[:-1]:
            hearth.x("xdotool", "key", "ctrl+a")
            hearth.x("xdotool", "type", "--delay", "10", text)
        hearth.x("xdotool", "key", typed[-1])
        deadline = time.monotonic() + 5
        while hearth.windows(f"^{title}$") and time.monotonic() < deadline:
            time.sleep(0.1)
    pytest.fail(f"the dialog {title!r} did not take the keys")


def test_pick_folder_opens_the_native_folder_picker(window, tmp_path):
    from desktop.dialogs import PICK_FOLDER_TITLE as TITLE

    hearth, page, _ = window
    folder = tmp_path / "a project"
    folder.mkdir()
    page.evaluate(PICK)
    wait_for(lambda: hearth.windows(f"^{TITLE}$"), 30, "the picker")
    # one picker at a time: a second ask while it is open is refused, in words
    second = "import('/js/desktop.js').then(m => m.pickFolder()).catch(e => e.message)"
    assert "already open" in page.evaluate(second)
    answer_picker(hearth, TITLE, str(folder), "Return")
    assert wait_for(lambda: picked(page), 30, "the chosen folder") == (str(folder.resolve()),)

    page.evaluate(PICK)  # cancelled: null
    wait_for(lambda: hearth.windows(f"^{TITLE}$"), 30, "the picker")
    answer_picker(hearth, TITLE, "Escape")
    assert wait_for(lambda: picked(page), 30, "the cancelled picker") == (None,)


def gutter_column(page, selector: str, path: Path) -> list[tuple[int, int, int]]:
    """The page's pixels down the middle of ``selector``'s vertical scrollbar (its top 24 px)."""
    import base64
    import re
    import subprocess

    right, top, gutter = page.evaluate(
        f"(() => {{ const e = document.querySelector({selector!r});"
        " const r = e.getBoundingClientRect();"
        " return [r.right, r.top, e.offsetWidth - e.clientWidth]; })()"
    )
    shot = page.call(
        "Page.captureScreenshot",
        format="png",
        clip={"x": right - gutter, "y": top, "width": gutter, "height": 24, "scale": 1},
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    text = subprocess.run(
        ["convert", str(path), "-crop", f"1x24+{gutter // 2}+0", "txt:-"],
        capture_output=True,
        text=True,
    ).stdout
    return [tuple(map(int, m)) for m in re.findall(r"\((\d+),(\d+),(\d+)", text)]


def test_scrollbars_are_thin_without_arrows_in_the_themes_colours(window, tmp_path):
    hearth, page, _ = window
    for number in range(40):
        hearth.api("POST", "/api/sessions", {"title": f"Conversation {number}"})
    page.evaluate("location.reload(); 0")
    wait_for(
        lambda: page.evaluate("document.querySelectorAll('#session-list li').length") >= 40,
        30,
        "a sidebar long enough to scroll",
    )
    gutter = "(() => { const e = document.querySelector('.session-scroll');"
    gutter += " return e.offsetWidth - e.clientWidth; })()"
    assert 0 < page.evaluate(gutter) <= 10  # the classic bar is 15 px
    luminance = {}
    for theme in ("light", "dark"):
        page.evaluate(f"document.documentElement.dataset.theme = '{theme}'; 0")
        pixels = gutter_column(page, ".session-scroll", tmp_path / f"gutter-{theme}.png")
        background, thumb = pixels[0], pixels[8]
        # no arrow button above the thumb: it starts near the top and runs on unbroken
        starts = next(row for row, pixel in enumerate(pixels) if pixel != background)
        assert starts <= 6 and thumb != background, pixels
        assert all(pixel == thumb for pixel in pixels[starts + 2 :]), pixels
        luminance[theme] = (sum(background), sum(thumb))
        hearth.screenshot(tmp_path / f"scrollbars-{theme}.png")
    assert luminance["light"][1] < luminance["light"][0]  # a darker thumb on light
    assert luminance["dark"][1] > luminance["dark"][0]  # a lighter one on dark
