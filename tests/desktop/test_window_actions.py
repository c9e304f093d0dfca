"""The window's own actions behind POST /api/desktop/<action> (HearthWindow.actions(), no GUI
needed for these): a link goes to the system browser only when it is a plain http(s) or mailto
URL, and nothing a page sends makes the route fail with a 500."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from tests.conftest import ROOT

# Runs in a process of its own: the stdlib's webbrowser reads $BROWSER once per process.
SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import httpx
    from core.paths import Paths
    from desktop.window import HearthWindow
    from webui.app import create_app

    data, urls = sys.argv[1], json.loads(sys.argv[2])
    paths = Paths.resolve(data)
    actions = {}
    app = create_app(paths, token="t" * 24, hosts=("127.0.0.1:9",), env={}, desktop=actions)
    actions.update(HearthWindow(paths, "http://127.0.0.1:9", "t" * 24, time.time()).actions())
    answers = []
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://127.0.0.1:9",
                      headers={"Authorization": "Bearer " + "t" * 24}) as client:
        for url in urls:
            answer = client.post("/api/desktop/open_link", json={"url": url})
            answers.append([answer.status_code, answer.json()])
    app.close()
    print(json.dumps(answers))
    """
)


def open_links(tmp_path, urls: list[str]) -> tuple[list, list[str]]:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> {opened}\n')
    browser.chmod(0o755)
    env = {**os.environ, "BROWSER": str(browser), "PYTHONPATH": str(ROOT)}
    env.pop("HEARTH_BASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "data"), json.dumps(urls)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    seen = opened.read_text().splitlines() if opened.exists() else []
    return json.loads(done.stdout.strip().splitlines()[-1]), seen


def test_only_plain_web_and_mail_links_reach_the_browser(tmp_path):
    urls = [
        "https://example.org/a?b=c#d",
        "mailto:someone@example.org",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://example.org/\x00evil",
        "https://example.org/a b\n--new-window",
        "https://example.org/" + "a" * 20000,
    ]
    answers, seen = open_links(tmp_path, urls)
    assert [status for status, _ in answers] == [200] * len(urls), answers
    assert [body["opened"] for _, body in answers] == [True, True] + [False] * 5
    assert seen == urls[:2]
