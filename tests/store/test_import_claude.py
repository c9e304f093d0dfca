"""A Claude export becomes Hearth sessions: text, thinking, tool use and results, and the text
of attachments kept; branches kept as versions when the export has parents."""

from __future__ import annotations

from pathlib import Path

from core.store.importers import import_export
from tests.fakes.chat_exports import claude_conversation, claude_message, write_json, zip_bytes


def imported(store, tmp_path: Path, conversations) -> dict:
    return import_export(store, write_json(tmp_path / "conversations.json", conversations))


def test_a_conversation_keeps_name_times_and_text(store, tmp_path):
    chat = claude_conversation(
        [
            claude_message("human", "Name a blue flower.", key="m1"),
            claude_message("assistant", "A cornflower.", key="m2", at="2024-05-01T10:00:05Z"),
        ],
        name="Flowers",
        model="claude-3-5-sonnet",
    )
    result = imported(store, tmp_path, [chat])
    assert result["format"] == "claude" and result["imported"] == 1
    session = store.get_session(result["session_ids"][0])
    assert session["title"] == "Flowers"
    assert session["created_at"] == "2024-05-01T09:59:00.000000Z"
    assert session["updated_at"] == "2024-05-01T10:30:00.000000Z"
    assert session["model"] == "claude-3-5-sonnet"
    assert session["workspace"] is None and session["system_prompt"] is None
    assert [(m["role"], m["content"]) for m in session["messages"]] == [
        ("user", "Name a blue flower."),
        ("assistant", "A cornflower."),
    ]
    assert session["messages"][1]["created_at"] == "2024-05-01T10:00:05.000000Z"


def test_thinking_tool_use_and_tool_results_are_kept(store, tmp_path):
    content = [
        {"type": "thinking", "thinking": "They want the weather."},
        {"type": "tool_use", "name": "web_search", "input": {"query": "Oslo weather"}},
        {
            "type": "tool_result",
            "name": "web_search",
            "content": [{"type": "text", "text": "Oslo: 12 °C, rain"}],
            "is_error": False,
        },
        {"type": "text", "text": "It is 12 °C and raining in Oslo."},
    ]
    chat = claude_conversation(
        [
            claude_message("human", "Weather in Oslo?", key="m1"),
            claude_message("assistant", "", key="m2", content=content),
        ]
    )
    result = imported(store, tmp_path, [chat])
    answer = store.get_session(result["session_ids"][0])["messages"][1]
    assert answer["reasoning"] == "They want the weather."
    assert answer["content"] == (
        '**Tool call** `web_search`\n\n```json\n{\n  "query": "Oslo weather"\n}\n```\n\n'
        "**Tool result** `web_search`\n\n```\nOslo: 12 °C, rain\n```\n\n"
        "It is 12 °C and raining in Oslo."
    )


def test_attachments_text_is_appended_to_its_message(store, tmp_path):
    chat = claude_conversation(
        [
            claude_message(
                "human",
                "Summarise this.",
                key="m1",
                attachments=[{"file_name": "notes.txt", "extracted_content": "Buy ```milk```"}],
                files=[{"file_name": "photo.png"}],
            ),
            claude_message("assistant", "Buy milk.", key="m2"),
        ]
    )
    result = imported(store, tmp_path, [chat])
    question = store.get_session(result["session_ids"][0])["messages"][0]
    assert question["content"] == (
        "Summarise this.\n\n**Attached file: notes.txt**\n\n````\nBuy ```milk```\n````"
        "\n\n[Attached file: photo.png]"
    )


def test_messages_with_parents_keep_their_branches(store, tmp_path):
    root = "00000000-0000-4000-8000-000000000000"
    chat = claude_conversation(
        [
            claude_message("human", "Pick a number", key="q", parent=root),
            claude_message("assistant", "Seven", key="a1", parent="q"),
            claude_message("assistant", "Three", key="a2", parent="q"),
        ],
        current_leaf_message_uuid="a1",
    )
    result = imported(store, tmp_path, [chat])
    messages = store.get_session(result["session_ids"][0])["messages"]
    assert [m["content"] for m in messages] == ["Pick a number", "Seven"]
    assert messages[1]["version"]["count"] == 2


def test_empty_conversations_are_skipped_and_the_zip_is_read(store, tmp_path):
    path = tmp_path / "claude.zip"
    chats = [
        claude_conversation([], name="Empty"),
        claude_conversation([claude_message("human", "Hi", key="m")], name="Hello"),
    ]
    path.write_bytes(
        zip_bytes({"conversations.json": chats, "users.json": [], "projects.json": []})
    )
    result = import_export(store, path)
    assert (result["imported"], result["skipped"]) == (1, 1)
    assert store.get_session(result["session_ids"][0])["title"] == "Hello"
