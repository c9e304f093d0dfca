"""Folder paths a person types (a chat's workspace, the default workspace) are checked in
words: one the system cannot even look up (a name too long) is a 400, never a 500."""

from __future__ import annotations

import pytest

TOO_LONG_NAME = "/" + "a" * 300  # one name over the 255 bytes a file system allows
TOO_LONG_PATH = "/a" * 3000  # a whole path over PATH_MAX


@pytest.mark.parametrize("path", [TOO_LONG_NAME, TOO_LONG_PATH])
def test_a_workspace_path_too_long_to_look_up_is_refused_in_words(server, path):
    sid = server.new_session()["id"]
    answer = server.client.patch(f"/api/sessions/{sid}", json={"workspace": path})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "invalid_input"
    assert server.session(sid)["workspace"] is None


@pytest.mark.parametrize("path", [TOO_LONG_NAME, TOO_LONG_PATH])
def test_a_default_workspace_too_long_to_look_up_is_refused_in_words(server, path):
    before = server.client.get("/api/settings").json()
    answer = server.client.patch("/api/settings", json={"default_workspace": path})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "invalid_input"
    after = server.client.get("/api/settings").json()
    assert after["default_workspace"] == before["default_workspace"]


def test_a_typed_home_folder_is_still_taken(server, tmp_path):
    sid = server.new_session()["id"]
    answer = server.client.patch(f"/api/sessions/{sid}", json={"workspace": str(tmp_path)})
    assert answer.status_code == 200, answer.text
    missing = server.client.patch(
        f"/api/sessions/{sid}", json={"workspace": str(tmp_path / "gone")}
    )
    assert missing.status_code == 400 and "not there" in missing.json()["error"]["message"]
