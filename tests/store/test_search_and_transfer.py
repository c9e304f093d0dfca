import json

import pytest

from core.errors import InvalidInput


def fill(store):
    bread = store.create_session(title="Bread baking")
    store.append_message(bread["id"], {"role": "user", "content": "My sourdough is too dense."})
    store.append_message(
        bread["id"],
        {"role": "assistant", "content": "Let the dough rise longer; feed the starter."},
    )
    trip = store.create_session(title="Holiday plans")
    store.append_message(trip["id"], {"role": "user", "content": "Trains from Lisbon to Porto?"})
    store.append_message(
        trip["id"], {"role": "tool", "name": "fetch_url", "tool_call_id": "c", "content": "dough"}
    )
    return bread, trip


def test_search_finds_message_text_and_titles_with_snippets(store):
    bread, trip = fill(store)
    found = store.list_sessions(q="sourdough")
    assert found["total"] == 1
    hit = found["sessions"][0]
    assert hit["id"] == bread["id"]
    assert {"text": "sourdough", "hit": True} in hit["snippet"]
    assert "".join(p["text"] for p in hit["snippet"]) == "My sourdough is too dense."
    by_title = store.list_sessions(q="holiday")
    assert [s["id"] for s in by_title["sessions"]] == [trip["id"]]


def test_search_uses_prefixes_all_words_and_ignores_tool_output(store):
    bread, trip = fill(store)
    assert [s["id"] for s in store.list_sessions(q="sour")["sessions"]] == [bread["id"]]
    assert store.list_sessions(q="lisbon porto")["total"] == 1
    assert store.list_sessions(q="lisbon sourdough")["total"] == 0
    # "dough" is only in the trip's tool output, which is not indexed
    assert [s["id"] for s in store.list_sessions(q="dough")["sessions"]] == [bread["id"]]


def test_search_ranks_better_matches_first(store):
    weak = store.create_session(title="misc")
    store.append_message(weak["id"], {"role": "user", "content": "kayak " + "filler " * 200})
    strong = store.create_session(title="Kayak trip")
    store.append_message(strong["id"], {"role": "user", "content": "kayak kayak kayak"})
    ids = [s["id"] for s in store.list_sessions(q="kayak")["sessions"]]
    assert ids == [strong["id"], weak["id"]]


@pytest.mark.parametrize("q", ['"', "AND", "NEAR(", "*", "a OR", "-x", "')--", "title:x"])
def test_search_syntax_in_user_text_is_harmless(store, q):
    fill(store)
    result = store.list_sessions(q=q)
    assert isinstance(result["sessions"], list)


def test_deleted_sessions_leave_the_index(store):
    bread, _ = fill(store)
    store.delete_session(bread["id"])
    assert store.list_sessions(q="sourdough")["total"] == 0
    assert store.list_sessions(q="bread")["total"] == 0


def test_renamed_sessions_are_found_by_their_new_title(store):
    bread, _ = fill(store)
    store.update_session(bread["id"], title="Pizza night")
    assert store.list_sessions(q="pizza")["total"] == 1
    assert store.list_sessions(q="baking")["total"] == 0


def test_export_markdown(store):
    s = store.create_session(title="Fences")
    store.append_message(s["id"], {"role": "user", "content": "Show ``` in code"})
    store.append_message(
        s["id"],
        {
            "role": "assistant",
            "content": "Calling a tool",
            "tool_calls": [{"id": "c1", "name": "read_file", "arguments": '{"path": "x"}'}],
        },
    )
    store.append_message(
        s["id"], {"role": "tool", "tool_call_id": "c1", "name": "read_file", "content": "a ``` b"}
    )
    md = store.export_markdown(s["id"])
    assert md.startswith("# Fences\n")
    assert "## You\n\nShow ``` in code" in md
    assert "**Tool call** `read_file`" in md
    assert "## Tool result: read_file\n\n````\na ``` b\n````" in md


def test_export_json_then_import_is_a_faithful_copy(store):
    bread, _ = fill(store)
    store.update_session(bread["id"], pinned=True)
    exported = store.export_json(bread["id"])
    text = json.dumps(exported)
    imported = store.import_json(text)
    assert imported["id"] != bread["id"]
    original = store.get_session(bread["id"])
    assert imported["title"] == f"{original['title']} (2)"  # told apart from the original
    for key in ("created_at", "updated_at", "pinned"):
        assert imported[key] == original[key]
    strip = lambda ms: [(m["role"], m["content"], m["created_at"]) for m in ms]  # noqa: E731
    assert strip(imported["messages"]) == strip(original["messages"])
    assert {m["id"] for m in imported["messages"]}.isdisjoint(m["id"] for m in original["messages"])


@pytest.mark.parametrize(
    "bad",
    [
        "not json",
        "[]",
        json.dumps({"format": "other"}),
        json.dumps({"format": "hearth.session", "version": 99, "session": {}, "messages": []}),
        json.dumps({"format": "hearth.session", "version": 1, "session": {}, "messages": [1]}),
        json.dumps(
            {
                "format": "hearth.session",
                "version": 1,
                "session": {},
                "messages": [{"role": "user", "content": "ok"}, {"role": "robot", "content": ""}],
            }
        ),
        json.dumps(
            {
                "format": "hearth.session",
                "version": 1,
                "session": {"created_at": "yesterday"},
                "messages": [],
            }
        ),
    ],
)
def test_bad_imports_are_refused_and_store_nothing(store, bad):
    with pytest.raises(InvalidInput):
        store.import_json(bad)
    assert store.list_sessions()["total"] == 0
