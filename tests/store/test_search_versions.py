"""Search over every version of every message, through the store's API: the matching message
is named (``hit_message_id``), title matches come first, pages follow one another without
gaps or repeats, and ``total`` says when it is only a lower bound."""

from __future__ import annotations

from core.store import search


def answered(store, session_id: str, question: str, answer: str, **how) -> None:
    run_id = store.begin_run(session_id, question, **how)["run"]["id"]
    store.finish_run(run_id, "completed", answer)


def test_text_only_in_a_version_that_is_not_shown_is_found_and_named(store):
    s = store.create_session(title="Soup")["id"]
    answered(store, s, "A soup for tonight?", "Try a saffron bouillabaisse.")
    question, old_answer = store.get_session(s)["messages"]
    run = store.begin_run(s, regenerate=old_answer["id"])["run"]["id"]
    store.finish_run(run, "completed", "Try a leek and potato soup.")
    assert "saffron" not in " ".join(m["content"] for m in store.get_session(s)["messages"])

    found = store.list_sessions(q="saffron")
    assert found["total"] == 1 and found["total_exact"] is True
    hit = found["sessions"][0]
    assert hit["id"] == s
    assert hit["hit_message_id"] == old_answer["id"]
    assert {"text": "saffron", "hit": True} in hit["snippet"]

    shown = store.show_path(s, hit["hit_message_id"])
    assert [m["content"] for m in shown["messages"]][-1] == "Try a saffron bouillabaisse."


def test_an_edited_question_is_found_in_both_versions(store):
    s = store.create_session(title="Garden")["id"]
    answered(store, s, "How do I prune roses?", "In late winter.")
    first = store.get_session(s)["messages"][0]
    answered(store, s, "How do I prune apple trees?", "In winter too.", edit=first["id"])
    roses = store.list_sessions(q="roses")["sessions"]
    assert [r["hit_message_id"] for r in roses] == [first["id"]]
    apples = store.list_sessions(q="apple")["sessions"]
    newest = store.get_session(s)["messages"][0]
    assert [r["hit_message_id"] for r in apples] == [newest["id"]]


def test_title_matches_come_first_and_name_no_message(store):
    in_text = store.create_session(title="Misc")
    store.append_message(in_text["id"], {"role": "user", "content": "A kayak question"})
    titled = store.create_session(title="Kayak trip")
    found = store.list_sessions(q="kayak")["sessions"]
    assert [f["id"] for f in found] == [titled["id"], in_text["id"]]
    assert found[0]["hit_message_id"] is None
    assert "".join(p["text"] for p in found[0]["snippet"]) == "Kayak trip"
    assert found[1]["hit_message_id"] is not None


def test_the_most_recent_match_comes_first(store):
    older = store.create_session(title="one")
    store.append_message(older["id"], {"role": "user", "content": "about tomatoes"})
    newer = store.create_session(title="two")
    store.append_message(newer["id"], {"role": "user", "content": "more tomatoes"})
    assert [f["id"] for f in store.list_sessions(q="tomato")["sessions"]] == [
        newer["id"],
        older["id"],
    ]
    store.append_message(older["id"], {"role": "assistant", "content": "Tomatoes again"})
    found = store.list_sessions(q="tomato")["sessions"]
    assert [f["id"] for f in found] == [older["id"], newer["id"]]
    assert "".join(p["text"] for p in found[0]["snippet"]) == "Tomatoes again"


def test_pages_cover_every_match_once_and_total_is_a_lower_bound_past_the_budget(
    store, monkeypatch
):
    ids = []
    for i in range(12):
        s = store.create_session(title=f"chat {i}")["id"]
        for _ in range(3):  # several hits per session: each session still appears once
            store.append_message(s, {"role": "user", "content": f"walnut number {i}"})
        ids.append(s)
    titled = store.create_session(title="Walnut cake")["id"]

    everything = store.list_sessions(q="walnut", limit=100)
    assert everything["total"] == 13 and everything["total_exact"] is True
    assert [f["id"] for f in everything["sessions"]] == [titled, *reversed(ids)]

    monkeypatch.setattr(search, "COUNT_BUDGET", 6)
    pages, offset = [], 0
    while True:
        page = store.list_sessions(q="walnut", limit=4, offset=offset)
        if not page["sessions"]:
            break
        pages.append(page)
        offset += 4
    seen = [f["id"] for p in pages for f in p["sessions"]]
    assert seen == [titled, *reversed(ids)]
    first = pages[0]
    assert first["total_exact"] is False
    assert 4 <= first["total"] < 13
    assert pages[-1]["total"] == 13 and pages[-1]["total_exact"] is True


def test_snippets_are_cut_around_the_match_and_are_plain_text(store):
    s = store.create_session(title="Dessert")["id"]
    words = " ".join(f"word{i}" for i in range(50))
    store.append_message(s, {"role": "user", "content": f"{words} <b>Crème</b> brûlée & {words}"})
    (hit,) = store.list_sessions(q="creme")["sessions"]
    text = "".join(p["text"] for p in hit["snippet"])
    assert text.startswith("…") and text.endswith("…")
    assert {"text": "Crème", "hit": True} in hit["snippet"]
    assert "<b>" in text  # the text as written: the UI draws it as text
    assert len(text) < 120


def test_a_query_with_no_words_finds_nothing(store):
    store.create_session(title="anything")
    assert store.list_sessions(q="  ?! ")["sessions"] == []
