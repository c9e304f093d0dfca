"""Search over HTTP with a real ``hearth serve``: every version is searched, the matching
message is named so a client can show its branch, and bad queries are refused in a sentence."""

from __future__ import annotations

import pytest


def turn(server, fake, session_id: str, text: str, **body) -> None:
    fake.reply(text=text)
    started = server.client.post(f"/api/sessions/{session_id}/runs", json=body)
    assert started.status_code == 202, started.text
    assert server.events(started.json()["run_id"])[-1].type == "run.completed"


def search(server, q: str, **params) -> dict:
    answer = server.client.get("/api/sessions", params={"q": q, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_version_that_is_not_shown_is_found_and_its_branch_can_be_shown(server, fake):
    s = server.new_session(title="Birds")["id"]
    turn(server, fake, s, "Puffins nest in burrows.", content="Where do puffins nest?")
    old = server.session(s)["messages"][1]
    turn(server, fake, s, "On cliffs, mostly.", regenerate=old["id"])

    found = search(server, "burrows")
    assert found["total"] == 1 and found["total_exact"] is True
    (hit,) = found["sessions"]
    assert hit["id"] == s and hit["hit_message_id"] == old["id"]
    assert {"text": "burrows", "hit": True} in hit["snippet"]

    shown = server.client.post(f"/api/sessions/{s}/path", json={"message_id": old["id"]})
    assert shown.status_code == 200, shown.text
    assert [m["content"] for m in shown.json()["messages"]] == [
        "Where do puffins nest?",
        "Puffins nest in burrows.",
    ]

    by_title = search(server, "birds")["sessions"]
    assert [(h["id"], h["hit_message_id"]) for h in by_title] == [(s, None)]


def test_pages_of_a_search(server):
    ids = []
    for i in range(5):
        ids.append(server.new_session(title=f"page test {i}")["id"])
    # titles match "page": newest updated first, paged without repeats
    first = search(server, "page test", limit=2)
    second = search(server, "page test", limit=2, offset=2)
    rest = search(server, "page test", limit=2, offset=4)
    got = [h["id"] for p in (first, second, rest) for h in p["sessions"]]
    assert got == list(reversed(ids))
    assert first["total"] == 5


@pytest.mark.parametrize("params", [{"q": "x" * 1001}, {"q": "x", "limit": "0"}])
def test_bad_searches_are_refused_in_a_sentence(server, params):
    answer = server.client.get("/api/sessions", params=params)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"]


def test_search_syntax_and_markup_are_plain_words(server):
    s = server.new_session(title='Quotes "and" NEAR( <b>tags</b>')["id"]
    for q in ['"', "NEAR(", "a OR", "-x", "title:x", "*"]:
        assert isinstance(search(server, q)["sessions"], list)
    (hit,) = search(server, "tags")["sessions"]
    assert hit["id"] == s
    assert "".join(p["text"] for p in hit["snippet"]) == 'Quotes "and" NEAR( <b>tags</b>'
