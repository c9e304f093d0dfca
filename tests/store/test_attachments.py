"""Attachments in the store: kept once per content, private, linked to messages, freed."""

from __future__ import annotations

import io
import stat

import pytest

from core.errors import InvalidInput, NotFound
from core.store import Store
from core.store.attachments import TooLarge

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def add(store: Store, data: bytes, name: str = "a.png", type: str = "image/png"):
    return store.add_attachment(io.BytesIO(data), name, type, limit=1024 * 1024)


def test_an_upload_is_kept_privately_once_per_content(store: Store):
    first = add(store, PNG, "one.png")
    second = add(store, PNG, "two.png")
    assert first["id"] != second["id"]
    assert (first["size"], second["name"]) == (len(PNG), "two.png")
    one, two = store.attachment(first["id"]), store.attachment(second["id"])
    assert one["path"] == two["path"] and one["path"].read_bytes() == PNG
    files = [p for p in store.attachments_dir.iterdir()]
    assert files == [one["path"]]  # no temporary file left behind
    assert stat.S_IMODE(one["path"].stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(store.attachments_dir.stat().st_mode) & 0o077 == 0


def test_empty_and_too_large_uploads_are_refused_and_leave_nothing(store: Store):
    with pytest.raises(InvalidInput, match="empty"):
        add(store, b"")
    with pytest.raises(TooLarge, match="larger than 1 MB"):
        add(store, b"x" * (1024 * 1024 + 1))
    assert list(store.attachments_dir.iterdir()) == []


def test_a_message_carries_its_attachments_and_keeps_them_after_reopening(paths):
    with Store(paths) as store:
        session = store.create_session()
        image = add(store, PNG)
        started = store.begin_run(session["id"], "", attachments=[image["id"]])
        assert started["message"]["attachments"] == [
            {"id": image["id"], "name": "a.png", "type": "image/png", "size": len(PNG)}
        ]
    with Store(paths) as store:
        shown = store.get_session(session["id"])
        assert shown["title"] == "a.png"
        assert shown["messages"][0]["attachments"][0]["id"] == image["id"]


def test_an_unknown_attachment_id_refuses_the_message(store: Store):
    session = store.create_session()
    with pytest.raises(NotFound, match="upload it again"):
        store.begin_run(session["id"], "hi", attachments=["nosuchid"])
    assert store.get_session(session["id"])["messages"] == []
    with pytest.raises(InvalidInput):
        store.begin_run(session["id"], "hi", attachments=["../etc/passwd"])


def test_deleting_the_last_session_that_uses_a_file_frees_it(store: Store):
    a, b = store.create_session(), store.create_session()
    shared = add(store, PNG)
    only_a = add(store, b"%PDF-1.4 only a", "a.pdf", "application/pdf")
    store.begin_run(a["id"], "look", attachments=[shared["id"], only_a["id"]])
    store.finish_run(store.get_session(a["id"])["active_run"]["id"], "completed", text="ok")
    store.begin_run(b["id"], "look", attachments=[shared["id"]])
    store.finish_run(store.get_session(b["id"])["active_run"]["id"], "completed", text="ok")
    pending = add(store, b"%PDF-1.4 only a", "later.pdf", "application/pdf")  # not sent yet
    shared_path = store.attachment(shared["id"])["path"]

    store.delete_session(a["id"])
    assert shared_path.exists()  # b still shows it
    assert store.attachment(pending["id"])["path"].exists()  # the same bytes, not sent yet
    with pytest.raises(NotFound):
        store.attachment(only_a["id"])

    store.delete_session(b["id"])
    assert not shared_path.exists()
    with pytest.raises(NotFound):
        store.attachment(shared["id"])


def test_extracted_text_is_cached_with_the_file_and_freed_with_it(store: Store):
    session = store.create_session()
    doc = add(store, b"hello", "a.txt", "text/plain")
    sha = store.attachment(doc["id"])["sha256"]
    assert store.cached_text(sha) is None
    store.cache_text(sha, "hello")
    assert store.cached_text(sha) == "hello"
    store.begin_run(session["id"], "read", attachments=[doc["id"]])
    store.finish_run(store.get_session(session["id"])["active_run"]["id"], "completed", text="k")
    store.delete_session(session["id"])
    assert store.cached_text(sha) is None


def test_a_fork_keeps_the_files_after_the_original_is_deleted(store: Store):
    session = store.create_session()
    image = add(store, PNG)
    started = store.begin_run(session["id"], "look", attachments=[image["id"]])
    store.finish_run(started["run"]["id"], "completed", text="ok")
    fork = store.fork_session(session["id"], started["message"]["id"])
    assert fork["messages"][0]["attachments"][0]["id"] == image["id"]
    store.delete_session(session["id"])
    assert store.attachment(image["id"])["path"].read_bytes() == PNG
    store.delete_session(fork["id"])
    with pytest.raises(NotFound):
        store.attachment(image["id"])


def test_an_edited_message_keeps_its_attachments_unless_given_others(store: Store):
    session = store.create_session()
    image = add(store, PNG)
    first = store.begin_run(session["id"], "look", attachments=[image["id"]])
    store.finish_run(first["run"]["id"], "completed", text="a dot")
    edited = store.begin_run(session["id"], "look closer", edit=first["message"]["id"])
    assert [a["id"] for a in edited["message"]["attachments"]] == [image["id"]]
    store.finish_run(edited["run"]["id"], "completed", text="a red dot")
    other = add(store, b"notes", "n.txt", "text/plain")
    replaced = store.begin_run(
        session["id"], "and this", edit=first["message"]["id"], attachments=[other["id"]]
    )
    assert [a["id"] for a in replaced["message"]["attachments"]] == [other["id"]]
