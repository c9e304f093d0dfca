"""Chat titles through a real ``hearth serve``: the first line at once, then the model's own
title after the first answer, never over the user's, and never in the way of a run."""

from __future__ import annotations

import threading

from tests.fakes import Failure, FakeAnthropicServer, Reply
from tests.server.conftest import wait_for

SETTLED = ("model", "fallback")


def answered(server, fake, session_id: str, question: str, answer: str = "Sure.") -> list:
    fake.reply(text=answer)
    events = server.events(server.start_run(session_id, question))
    assert events[-1].type == "run.completed", events[-1]
    return events


def settled(server, session_id: str) -> dict:
    return wait_for(lambda: _if_settled(server.session(session_id)))


def _if_settled(session: dict) -> dict | None:
    return session if session["title_source"] in SETTLED else None


def test_the_first_line_at_once_then_the_models_title_in_plain_text(server, fake):
    sid = server.new_session()["id"]
    assert server.session(sid)["title"] == "" and server.session(sid)["title_source"] is None
    fake.title(Reply(text='**"Sourdough starter care."**'))
    question = "## How do I keep a **sourdough** starter alive?\n\nIt smells of `acetone`."
    hold = threading.Event()
    fake.reply(text="Feed it daily.", hold=hold, hold_after=1)
    run_id = server.start_run(sid, question)

    during = server.session(sid)
    assert during["title"] == "How do I keep a sourdough starter alive?"
    assert during["title_source"] == "first_message"
    hold.set()
    assert server.events(run_id)[-1].type == "run.completed"

    session = settled(server, sid)
    assert session["title"] == "Sourdough starter care"
    assert session["title_source"] == "model"
    listed = server.client.get("/api/sessions").json()["sessions"]
    assert next(s for s in listed if s["id"] == sid)["title"] == "Sourdough starter care"
    asked = fake.title_requests[-1].json
    assert asked["max_tokens"] == 20 and not asked.get("tools")
    assert "sourdough" in str(asked["messages"]) and "Feed it daily." in str(asked["messages"])
    assert "Markdown" in asked["messages"][0]["content"]  # the title system prompt

    asked_before = len(fake.title_requests)
    answered(server, fake, sid, "And in summer?")  # titled once: not asked again
    other = server.new_session()["id"]
    fake.title(Reply(text="Another chat"))
    answered(server, fake, other, "Something else")
    assert settled(server, other)["title"] == "Another chat"
    assert len(fake.title_requests) == asked_before + 1  # the other chat's only
    assert server.session(sid)["title"] == "Sourdough starter care"


def test_a_provider_error_or_junk_keeps_the_first_line(server, fake):
    for script in (
        Failure(401, "bad key"),
        Reply(text="Sure! Here is a good title for this conversation about baking bread at home"),
        Reply(text="<think>The user wants"),
    ):
        sid = server.new_session()["id"]
        fake.title(script)
        answered(server, fake, sid, "- [Bread](https://example.com/bread) at *home*, please")
        session = settled(server, sid)
        assert session["title"] == "Bread at home, please"
        assert session["title_source"] == "fallback"


def test_a_title_the_user_set_is_never_replaced(server, fake):
    named = server.new_session(title="My own name")["id"]
    assert server.session(named)["title_source"] == "user"
    answered(server, fake, named, "Hello there")
    sid = server.new_session()["id"]
    fake.title(Reply(text="Model title"))
    answered(server, fake, sid, "Hello again")
    assert settled(server, sid)["title"] == "Model title"
    renamed = server.client.patch(f"/api/sessions/{sid}", json={"title": "Renamed by me"})
    assert renamed.status_code == 200 and renamed.json()["title_source"] == "user"
    answered(server, fake, sid, "More")
    assert server.session(named)["title"] == "My own name"
    assert server.session(sid)["title"] == "Renamed by me"
    # (a rename while the model is being asked: tests/agent/test_titles.py)


def test_a_title_request_that_hangs_blocks_nothing(server, fake):
    sid = server.new_session()["id"]
    hold = threading.Event()
    script = fake.title(Reply(text="Late title", hold=hold, hold_before_headers=True))
    first = answered(server, fake, sid, "First question")
    assert first[-1].type == "run.completed"  # the end came while the title was pending
    assert script.stalled.wait(10)
    assert server.session(sid)["title_source"] == "titling"

    second = answered(server, fake, sid, "Second question", "Second answer.")
    assert second[-1].type == "run.completed"
    other = server.new_session()["id"]
    answered(server, fake, other, "Meanwhile, elsewhere")
    assert server.session(sid)["title"] == "First question"

    hold.set()
    assert settled(server, sid)["title"] == "Late title"


def test_the_anthropic_wire_names_chats_too(server):
    with FakeAnthropicServer() as claude:
        added = server.client.post(
            "/api/providers",
            json={
                "name": "Claude",
                "kind": "anthropic",
                "base_url": claude.base_url,
                "api_key": "-",
            },
        )
        assert added.status_code == 201, added.text
        sid = server.new_session(model=f"{added.json()['id']}/fake-model")["id"]
        claude.title(Reply(text="“Voyage à Rome.”"))
        answered(server, claude, sid, "Je pars à Rome en mai : que voir ?")
        assert settled(server, sid)["title"] == "Voyage à Rome"
        asked = claude.title_requests[-1].json
        assert asked["max_tokens"] == 20 and not asked.get("tools")
        assert "language the user wrote in" in str(asked["system"])


def test_the_same_chat_imported_twice_is_told_apart(server):
    exported = {
        "format": "hearth.session",
        "version": 1,
        "session": {"title": "Weekend plans"},
        "messages": [{"role": "user", "content": "Plans?"}],
    }
    sid = server.new_session(title="Weekend plans")["id"]
    first = server.client.post("/api/sessions/import", json=exported).json()
    second = server.client.post("/api/sessions/import", json=exported).json()
    assert server.session(sid)["title"] == "Weekend plans"
    assert [first["title"], second["title"]] == ["Weekend plans (2)", "Weekend plans (3)"]


def test_a_title_cut_by_a_crash_is_asked_for_again_after_the_restart(start_server, fake, tmp_path):
    server = start_server(tmp_path / "data")
    sid = server.new_session()["id"]
    hold = threading.Event()
    script = fake.title(Reply(text="Never arrives", hold=hold, hold_before_headers=True))
    answered(server, fake, sid, "First question")
    assert script.stalled.wait(10)
    assert server.session(sid)["title_source"] == "titling"
    server.kill()  # mid-title: nothing settles it
    hold.set()

    again = start_server(tmp_path / "data")
    session = again.session(sid)
    assert session["title"] == "First question"
    assert session["title_source"] == "first_message"  # not 'titling' for ever
    fake.title(Reply(text="Asked again"))
    answered(again, fake, sid, "Second question")
    assert settled(again, sid)["title"] == "Asked again"
