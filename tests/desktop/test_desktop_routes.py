"""The page asks the window for things over HTTP (POST /api/desktop/<action>): the window's
actions are plain callables the app was given; ``hearth serve`` has none and says so."""

from __future__ import annotations

import httpx
import pytest

from core.errors import InvalidInput
from core.paths import Paths
from tests.server.conftest import HearthServer
from webui.app import create_app

TOKEN = "desktop-token-0123456789"
HOST = "127.0.0.1:8765"


def test_hearth_serve_answers_desktop_actions_with_a_clear_404(tmp_path):
    server = HearthServer(tmp_path / "data", fake=None)
    try:
        for action in ("pick_folder", "open_logs", "no_such_thing"):
            answer = server.client.post(f"/api/desktop/{action}", json={})
            assert answer.status_code == 404, answer.text
            error = answer.json()["error"]
            assert error["code"] == "not_in_window"
            assert "only in the desktop window" in error["message"]
        assert server.client.get("/api/desktop/state").json() == {"live_runs": []}
    finally:
        server.close()


@pytest.fixture
def window_app(tmp_path):
    asked: list[tuple[str, dict]] = []

    def pick_folder(body: dict) -> dict:
        asked.append(("pick_folder", body))
        return {"path": "/home/someone/project"}

    def open_link(body: dict) -> dict:
        if not isinstance(body.get("url"), str):
            raise InvalidInput("url must be text.")
        asked.append(("open_link", body))
        return {"opened": True}

    actions: dict = {}
    app = create_app(
        Paths.resolve(tmp_path / "data"), token=TOKEN, hosts=(HOST,), env={}, desktop=actions
    )
    # the window fills the mapping once it exists, after the app was built
    actions.update(pick_folder=pick_folder, open_link=open_link)
    with httpx.Client(
        transport=httpx.WSGITransport(app=app),
        base_url=f"http://{HOST}",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as client:
        yield client, asked
    app.close()


def test_the_window_actions_answer_with_what_they_return(window_app):
    client, asked = window_app
    answer = client.post("/api/desktop/pick_folder")  # no body at all is an empty one
    assert answer.status_code == 200
    assert answer.json() == {"path": "/home/someone/project"}
    answer = client.post("/api/desktop/open_link", json={"url": "https://example.org/"})
    assert answer.json() == {"opened": True}
    assert asked == [("pick_folder", {}), ("open_link", {"url": "https://example.org/"})]


def test_window_actions_are_checked_like_every_route(window_app):
    client, asked = window_app
    unknown = client.post("/api/desktop/format_disk", json={})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_action"
    bad = client.post("/api/desktop/open_link", json={"url": 3})
    assert bad.status_code == 400 and "url" in bad.json()["error"]["message"]
    not_json = client.post(
        "/api/desktop/open_link", content="url=x", headers={"Content-Type": "text/plain"}
    )
    assert not_json.status_code == 400
    foreign = client.post(
        "/api/desktop/pick_folder", json={}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    anonymous = client.post("/api/desktop/pick_folder", json={}, headers={"Authorization": ""})
    assert anonymous.status_code == 401
    assert client.get("/api/desktop/pick_folder").status_code == 405
    assert asked == []
