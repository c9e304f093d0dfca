"""A ChatGPT data export becomes Hearth sessions: its tree of messages kept as versions, the
branch it showed shown, what nobody saw skipped, odd files handled or refused whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import InvalidInput
from core.store.importers import ImportedChat, ImportedMessage, import_export
from tests.fakes.chat_exports import (
    T0,
    gpt_conversation,
    gpt_message,
    simple_gpt,
    write_json,
    zip_bytes,
)


def imported(store, tmp_path: Path, conversations, name: str = "conversations.json") -> dict:
    return import_export(store, write_json(tmp_path / name, conversations))


def tree(store, session_id: str) -> dict[str, dict]:
    """Every stored message of the session by content: its role, parent's content, time."""
    with store.db.read() as conn:
        rows = conn.execute(
            "SELECT m.content, m.role, m.created_at, m.reasoning, p.content AS parent"
            " FROM messages m LEFT JOIN messages p ON p.id = m.parent_id"
            " WHERE m.session_id = ? ORDER BY m.seq",
            (session_id,),
        ).fetchall()
    return {r["content"]: dict(r) for r in rows}


def shown(store, session_id: str) -> list[str]:
    return [m["content"] for m in store.get_session(session_id)["messages"]]


def test_a_plain_conversation_keeps_title_times_model_and_text(store, tmp_path):
    result = imported(store, tmp_path, [simple_gpt("Soup", turns=2)])
    assert result["imported"] == 1 and result["skipped"] == 0 and result["format"] == "chatgpt"
    session = store.get_session(result["session_ids"][0])
    assert session["title"] == "Soup"
    assert session["created_at"] == "2023-11-14T22:13:20.000000Z"
    assert session["updated_at"] == "2023-11-14T22:13:22.000000Z"
    assert session["model"] == "gpt-4o"
    assert [m["role"] for m in session["messages"]] == ["user", "assistant"] * 2
    assert shown(store, session["id"]) == [
        "Soup question 0",
        "Soup answer 0",
        "Soup question 1",
        "Soup answer 1",
    ]
    # Never a workspace or a system prompt from a file, and nothing to review either.
    assert session["workspace"] is None and session["system_prompt"] is None
    assert session["import_review"] is None


def test_regenerated_answers_and_edited_questions_become_versions(store, tmp_path):
    nodes = {
        "root": (None, None),
        "q1": ("root", gpt_message("user", "First question", at=T0 + 1)),
        "a1-old": ("q1", gpt_message("assistant", "Old answer", at=T0 + 2)),
        "a1-new": ("q1", gpt_message("assistant", "New answer", at=T0 + 3)),
        "q2-old": ("a1-new", gpt_message("user", "Follow-up", at=T0 + 4)),
        "a2-old": ("q2-old", gpt_message("assistant", "Reply to follow-up", at=T0 + 5)),
        "q2-new": ("a1-new", gpt_message("user", "Edited follow-up", at=T0 + 6)),
        "a2-new": ("q2-new", gpt_message("assistant", "Reply to the edit", at=T0 + 7)),
    }
    result = imported(store, tmp_path, [gpt_conversation(nodes, current="a2-old")])
    sid = result["session_ids"][0]
    # current_node is the shown path, though it is not the newest branch.
    assert shown(store, sid) == ["First question", "New answer", "Follow-up", "Reply to follow-up"]
    versions = [
        {"index": m["version"]["index"], "count": m["version"]["count"]}
        for m in store.get_session(sid)["messages"]
    ]
    assert versions == [
        {"index": 1, "count": 1},
        {"index": 2, "count": 2},
        {"index": 1, "count": 2},
        {"index": 1, "count": 1},
    ]
    stored = tree(store, sid)
    assert len(stored) == 7
    assert stored["Old answer"]["parent"] == "First question"
    assert stored["Edited follow-up"]["parent"] == "New answer"
    assert stored["Reply to the edit"]["parent"] == "Edited follow-up"
    assert stored["First question"]["parent"] is None


def test_hidden_nodes_are_skipped_and_their_children_relinked(store, tmp_path):
    thoughts = {
        "content_type": "thoughts",
        "thoughts": [{"summary": "Weighing", "content": "Soup or salad?"}],
        "source_analysis_msg_id": "x",
    }
    recap = {"content_type": "reasoning_recap", "content": "Thought for 4 seconds"}
    context = {"content_type": "user_editable_context", "user_profile": "I cook."}
    nodes = {
        "root": (None, None),
        "sys": ("root", gpt_message("system", "You are ChatGPT.", at=T0)),
        "ctx": ("sys", gpt_message("user", content=context, at=T0, hidden=True)),
        "q": ("ctx", gpt_message("user", "Lunch idea?", at=T0 + 1)),
        "hid": ("q", gpt_message("assistant", "secret", at=T0 + 2, hidden=True)),
        "think": ("hid", gpt_message("assistant", content=thoughts, at=T0 + 3)),
        "recap": ("think", gpt_message("assistant", content=recap, at=T0 + 4)),
        "a": ("recap", gpt_message("assistant", "A lentil soup.", at=T0 + 5)),
    }
    result = imported(store, tmp_path, [gpt_conversation(nodes, current="a")])
    sid = result["session_ids"][0]
    assert shown(store, sid) == ["Lunch idea?", "A lentil soup."]
    stored = tree(store, sid)
    assert set(stored) == {"Lunch idea?", "A lentil soup."}
    assert stored["A lentil soup."]["parent"] == "Lunch idea?"
    assert stored["A lentil soup."]["reasoning"] == "Weighing\n\nSoup or salad?"
    assert store.get_session(sid)["messages"][1]["reasoning"] == "Weighing\n\nSoup or salad?"


def test_a_cycle_is_cut_and_nothing_is_lost(store, tmp_path):
    nodes = {
        "root": (None, None),
        "q": ("root", gpt_message("user", "Normal question", at=T0 + 1)),
        "a": ("q", gpt_message("assistant", "Normal answer", at=T0 + 2)),
        # x and y are each other's parent: a node that is its own ancestor
        "x": ("y", gpt_message("user", "Looped question", at=T0 + 3)),
        "y": ("x", gpt_message("assistant", "Looped answer", at=T0 + 4)),
        "self": ("self", gpt_message("user", "My own parent", at=T0 + 5)),
    }
    result = imported(store, tmp_path, [gpt_conversation(nodes, current="a")])
    sid = result["session_ids"][0]
    assert shown(store, sid) == ["Normal question", "Normal answer"]
    stored = tree(store, sid)
    assert stored["Looped question"]["parent"] is None  # the cycle cut at its oldest node
    assert stored["Looped answer"]["parent"] == "Looped question"
    assert stored["My own parent"]["parent"] is None


def test_a_child_older_than_its_parent_takes_the_parents_time(store, tmp_path):
    nodes = {
        "root": (None, None),
        "q": ("root", gpt_message("user", "Question", at=T0 + 100)),
        "a": ("q", gpt_message("assistant", "Answer from the past", at=T0 + 5)),
        "q2": ("a", gpt_message("user", "No time at all", at=None)),
    }
    result = imported(store, tmp_path, [gpt_conversation(nodes, current="q2")])
    messages = store.get_session(result["session_ids"][0])["messages"]
    times = [m["created_at"] for m in messages]
    assert times == sorted(times)
    assert times[1] == times[0] == "2023-11-14T22:15:00.000000Z"
    assert times[2] == times[1]


def test_nulls_and_odd_values_are_survived(store, tmp_path):
    nodes = {
        "root": (None, None),
        "q": ("root", gpt_message("user", "Still here", at=None)),
        "n1": ("q", {"author": None, "content": None, "metadata": None}),
        "n2": ("n1", {"author": {"role": "assistant"}, "content": {"parts": [None, 3, "Yes"]}}),
        "n3": ("n2", "not a node message"),
        "q\u0000": ("n3", gpt_message("user", "NUL \u0000 and \ud800 lone", at=1e30)),
    }
    conversation = gpt_conversation(nodes, current="q\u0000", title=None, model=None)
    conversation.update(create_time=None, update_time="soon")
    result = imported(store, tmp_path, [conversation])
    session = store.get_session(result["session_ids"][0])
    assert session["title"] == "Still here" and session["model"] is None  # its first line
    assert [m["content"] for m in session["messages"]] == [
        "Still here",
        "Yes",
        "NUL \ufffd and ? lone",
    ]


def test_conversations_without_a_mapping_are_skipped_and_counted(store, tmp_path):
    no_mapping = {"title": "Lost", "create_time": T0, "current_node": None, "mapping": None}
    only_hidden = gpt_conversation(
        {"root": (None, None), "sys": ("root", gpt_message("system", "x", hidden=True))},
        current="sys",
        title="Only system",
    )
    result = imported(store, tmp_path, [no_mapping, simple_gpt("Kept"), only_hidden])
    assert result["imported"] == 1 and result["skipped"] == 2
    assert [s["title"] for s in store.list_sessions()["sessions"]] == ["Kept"]


def test_tool_calls_and_outputs_are_kept_as_marked_text_of_one_answer(store, tmp_path):
    code = {"content_type": "code", "language": "python", "text": "print(6 * 7)"}
    output = {"content_type": "execution_output", "text": "42"}
    nodes = {
        "root": (None, None),
        "q": ("root", gpt_message("user", "What is 6 × 7?", at=T0 + 1)),
        "call": ("q", gpt_message("assistant", content=code, at=T0 + 2, recipient="python")),
        "out": ("call", gpt_message("tool", content=output, at=T0 + 3, name="python")),
        "a": ("out", gpt_message("assistant", "It is 42.", at=T0 + 4)),
    }
    result = imported(store, tmp_path, [gpt_conversation(nodes, current="a")])
    messages = store.get_session(result["session_ids"][0])["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert messages[1]["content"] == (
        "**Tool call** `python`\n\n```python\nprint(6 * 7)\n```\n\n"
        "**Tool output** `python`\n\n```\n42\n```\n\nIt is 42."
    )


def test_images_and_attachments_leave_a_mark(store, tmp_path):
    image = {"content_type": "image_asset_pointer", "asset_pointer": "file-service://file-1"}
    content = {"content_type": "multimodal_text", "parts": [image, "What is in this photo?"]}
    nodes = {
        "root": (None, None),
        "q": ("root", gpt_message("user", content=content, at=T0, attachments=[{"name": "a.pdf"}])),
    }
    result = imported(store, tmp_path, [gpt_conversation(nodes, current="q")])
    assert shown(store, result["session_ids"][0]) == [
        "[Image]\nWhat is in this photo?\n\n[Attached file: a.pdf]"
    ]


def test_a_zip_with_numbered_parts_imports_every_part_in_order(store, tmp_path):
    path = tmp_path / "export.zip"
    path.write_bytes(
        zip_bytes(
            {
                "conversations-001.json": [simple_gpt("Second part", at=T0 + 10)],
                "conversations-000.json": [simple_gpt("First part")],
                "user.json": {"id": "user-1"},
                "chat.html": b"<html></html>",
            }
        )
    )
    result = import_export(store, path)
    assert result["imported"] == 2
    titles = [store.get_session(i)["title"] for i in result["session_ids"]]
    assert titles == ["First part", "Second part"]


def test_an_old_zip_with_one_conversations_json(store, tmp_path):
    path = tmp_path / "export.zip"
    path.write_bytes(zip_bytes({"conversations.json": [simple_gpt("Old style")]}))
    assert import_export(store, path)["imported"] == 1


GOOD = json.dumps([simple_gpt(f"Good {i}") for i in range(3)]).encode()[:-1]  # "[..." open


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (GOOD + b', {"title": "cut', "not valid JSON"),
        (GOOD + b", 42]", "Item 4 of conversations.json is not a conversation"),
        (b'{"not": "a list"}', "not a ChatGPT or Claude export"),
        (b"hello", "not a ChatGPT or Claude export"),
        (b'[{"something": "else"}]', "neither a ChatGPT nor a Claude"),
        (zip_bytes({"notes.txt": b"hi"}), "no conversations.json"),
        (b"PK\x03\x04 broken zip", "damaged"),
        (zip_bytes({"conversations.json": b'[{"mapping": ' + b"[" * 10**6}), "deeper than 64"),
    ],
)
def test_a_file_it_cannot_read_is_refused_whole(store, tmp_path, content, said):
    store.create_session(title="Mine")
    path = tmp_path / "conversations.json"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as refused:
        import_export(store, path)
    assert said in str(refused.value)
    assert [s["title"] for s in store.list_sessions()["sessions"]] == ["Mine"]


def test_a_failure_while_writing_removes_what_was_written(store):
    def chats():
        for index in range(450):  # more than two batches are written before the failure
            yield ImportedChat(
                title=f"Chat {index}",
                created_at="2024-01-01T00:00:00.000000Z",
                updated_at="2024-01-01T00:00:00.000000Z",
                model=None,
                messages=[
                    ImportedMessage("k", None, "user", "hello", "2024-01-01T00:00:00.000000Z")
                ],
                shown_leaf="k",
            )
        raise OSError("the source vanished")

    with pytest.raises(OSError):
        store.import_chats(chats())
    assert store.list_sessions()["total"] == 0
    with store.db.read() as conn:
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0


def test_imported_text_is_found_by_search(store, tmp_path):
    imported(store, tmp_path, [simple_gpt("Zucchini bread")])
    hits = store.list_sessions(q="zucchini")["sessions"]
    assert [h["title"] for h in hits] == ["Zucchini bread"]


def test_export_keeps_the_tree_in_json_and_the_shown_path_in_markdown(store, tmp_path):
    nodes = {
        "root": (None, None),
        "q": ("root", gpt_message("user", "Best knot?", at=T0 + 1)),
        "a1": ("q", gpt_message("assistant", "The bowline.", at=T0 + 2)),
        "a2": ("q", gpt_message("assistant", "The reef knot.", at=T0 + 3)),
        "q2": ("a2", gpt_message("user", "Why?", at=T0 + 4)),
        "a3": ("q2", gpt_message("assistant", "It is flat.", at=T0 + 5)),
    }
    result = imported(store, tmp_path, [gpt_conversation(nodes, current="a1", title="Knots")])
    sid = result["session_ids"][0]
    markdown = store.export_markdown(sid)
    assert "The bowline." in markdown and "The reef knot." not in markdown
    data = store.export_json(sid)
    assert [m["content"] for m in data["messages"]] == ["Best knot?", "The bowline."]
    assert {m["content"] for m in data["other_versions"]} == {
        "The reef knot.",
        "Why?",
        "It is flat.",
    }
    copy = store.import_json(json.loads(json.dumps(data)))
    assert [m["content"] for m in copy["messages"]] == ["Best knot?", "The bowline."]
    assert tree(store, copy["id"]).keys() == tree(store, sid).keys()
    assert tree(store, copy["id"])["It is flat."]["parent"] == "Why?"
    assert tree(store, copy["id"])["The reef knot."]["parent"] == "Best knot?"
