"""Attachments over HTTP with a real hearth serve: upload, what reaches the model on both wires,
hostile files, limits, downloads that are never live documents, and a crash in between."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from urllib.parse import quote

from tests.fakes import FakeAnthropicServer
from tests.fakes import attachment_files as files

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def upload(hearth, data: bytes, name: str, type: str = "application/octet-stream"):
    return hearth.client.post(
        "/api/attachments",
        content=data,
        headers={"Content-Type": type, "X-Filename": quote(name, safe="")},
    )


def uploaded(hearth, data: bytes, name: str, type: str = "application/octet-stream") -> dict:
    answer = upload(hearth, data, name, type)
    assert answer.status_code == 201, answer.text
    return answer.json()


def run_to_end(hearth, session_id: str, content: str, **body) -> list:
    answer = hearth.client.post(
        f"/api/sessions/{session_id}/runs", json={"content": content, **body}
    )
    assert answer.status_code == 202, answer.text
    return hearth.events(answer.json()["run_id"])


def test_an_upload_answers_its_id_name_type_and_size(server):
    image = files.png()
    answer = uploaded(server, image, "red dot.png", "image/png")
    assert answer == {
        "id": answer["id"],
        "name": "red dot.png",
        "type": "image/png",
        "size": len(image),
    }
    got = server.client.get(f"/api/attachments/{answer['id']}")
    assert got.status_code == 200 and got.content == image
    assert got.headers["content-type"] == "image/png"
    assert got.headers["content-disposition"].startswith("inline")
    assert got.headers["x-content-type-options"] == "nosniff"


def test_the_openai_wire_gets_image_parts_and_document_text(server, fake):
    session = server.new_session()
    image = uploaded(server, files.png(), "dot.png", "image/png")
    doc = uploaded(server, files.pdf(["Quarterly numbers"]), "q.pdf", "application/pdf")
    fake.reply(text="I see a red dot.")
    events = run_to_end(
        server, session["id"], "What is this?", attachments=[image["id"], doc["id"]]
    )
    assert events[-1].type == "run.completed"
    user = fake.last_body["messages"][-1]
    assert user["role"] == "user"
    parts = user["content"]
    assert parts[0] == {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64," + base64.b64encode(files.png()).decode()},
    }
    assert parts[1]["type"] == "text" and "Quarterly numbers" in parts[1]["text"]
    assert 'name="q.pdf"' in parts[1]["text"]
    assert parts[2] == {"type": "text", "text": "What is this?"}
    stored = server.session(session["id"])["messages"][0]
    assert [a["id"] for a in stored["attachments"]] == [image["id"], doc["id"]]
    assert stored["attachments"][1] == {**doc}


def test_the_anthropic_wire_gets_image_blocks_and_document_text(server):
    claude = FakeAnthropicServer()
    try:
        provider = server.client.post(
            "/api/providers",
            json={
                "name": "Claude",
                "kind": "anthropic",
                "base_url": claude.base_url,
                "api_key": "k",
            },
        ).json()
        session = server.new_session(model=f"{provider['id']}/claude-sonnet-4-5")
        image = uploaded(server, files.png(), "dot.png", "image/png")
        doc = uploaded(server, files.docx("Minutes of the meeting"), "minutes.docx", DOCX_TYPE)
        claude.reply(text="A dot and minutes.")
        events = run_to_end(server, session["id"], "", attachments=[image["id"], doc["id"]])
        assert events[-1].type == "run.completed"
        blocks = claude.last_body["messages"][-1]["content"]
        assert blocks[0] == {
            "type": "image",
            "source": {
                "type": "base64",
                "media_type": "image/png",
                "data": base64.b64encode(files.png()).decode(),
            },
        }
        assert blocks[1]["type"] == "text" and "Minutes of the meeting" in blocks[1]["text"]
        assert len(blocks) == 2  # no empty text block for the empty message
        assert server.session(session["id"])["title"] == "dot.png"
    finally:
        claude.close()


def test_a_model_known_not_to_take_images_is_named_before_sending(server, fake):
    session = server.new_session()
    image = uploaded(server, files.png(), "dot.png", "image/png")
    before = len(fake.model_requests)
    answer = server.client.post(
        f"/api/sessions/{session['id']}/runs",
        json={"content": "look", "attachments": [image["id"]], "model": "gpt-3.5-turbo"},
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "model_takes_no_images" and "gpt-3.5-turbo" in error["message"]
    assert server.session(session["id"])["messages"] == []
    assert len(fake.model_requests) == before


def test_an_unknown_attachment_id_is_refused_and_nothing_is_stored(server):
    session = server.new_session()
    answer = server.client.post(
        f"/api/sessions/{session['id']}/runs", json={"content": "x", "attachments": ["nope"]}
    )
    assert answer.status_code == 404 and "upload it again" in answer.json()["error"]["message"]
    assert server.session(session["id"])["messages"] == []


def test_a_pdf_bomb_and_a_zip_bomb_docx_are_refused_with_a_sentence(server):
    bomb = upload(server, files.pdf_bomb(), "bomb.pdf", "application/pdf")
    assert bomb.status_code == 415
    assert "expands past" in bomb.json()["error"]["message"]
    zipped = upload(server, files.docx_bomb(), "bomb.docx", DOCX_TYPE)
    assert zipped.status_code == 415
    assert "zip bomb" in zipped.json()["error"]["message"]
    kept = list((server.data_dir / "attachments").iterdir())
    assert not [p for p in kept if p.stat().st_size > 50_000]  # neither file was kept


def test_an_svg_with_a_script_is_only_ever_a_download(server):
    svg = uploaded(server, files.SVG_WITH_SCRIPT, "logo.svg", "image/svg+xml")
    assert svg["type"] == "image/svg+xml"
    got = server.client.get(f"/api/attachments/{svg['id']}")
    assert got.content == files.SVG_WITH_SCRIPT
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    html = uploaded(server, b"<html><script>alert(1)</script></html>", "page.html", "text/html")
    got = server.client.get(f"/api/attachments/{html['id']}")
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith("attachment;")


def test_an_empty_file_a_binary_and_a_wrong_extension(server):
    empty = upload(server, b"", "empty.txt", "text/plain")
    assert empty.status_code == 400 and "empty" in empty.json()["error"]["message"]
    binary = upload(server, b"\x7fELF\x02\x01\x01\0" + bytes(range(256)), "notes.txt")
    assert binary.status_code == 415
    assert "cannot read this kind of file" in binary.json()["error"]["message"]
    zipped = upload(server, files.docx(), "archive.zip", "application/zip")
    assert zipped.status_code == 415
    # What the bytes are wins over the name and the declared type.
    image = uploaded(server, files.png(), "report.pdf", "application/pdf")
    assert image["type"] == "image/png"
    text = uploaded(server, b"just words", "photo.png", "image/png")
    assert text["type"] == "text/plain"
    assert (
        server.client.get(f"/api/attachments/{text['id']}")
        .headers["content-disposition"]
        .startswith("attachment;")
    )


def test_a_name_with_dot_dot_and_control_characters_is_made_safe(server):
    answer = uploaded(server, b"hello", "../../etc/pass\x07wd\r\n\u202egnp.txt")
    assert answer["name"] == "passwdgnp.txt"
    folder = server.data_dir / "attachments"
    assert all(p.parent == folder for p in folder.iterdir())
    dots = uploaded(server, b"hello", "..")
    assert dots["name"] == "attachment"
    got = server.client.get(f"/api/attachments/{answer['id']}")
    assert "\r" not in got.headers["content-disposition"]
    assert server.client.get("/api/attachments/..%2F..%2Fhearth.sqlite3").status_code in (400, 404)


def test_over_the_limit_is_413(server):
    big = upload(server, b"a" * (25 * 1024 * 1024 + 1), "big.txt", "text/plain")
    assert big.status_code == 413 and "25 MB" in big.json()["error"]["message"]

    def chunks():
        for _ in range(26):
            yield b"a" * (1024 * 1024)

    streamed = upload(server, chunks(), "big.txt", "text/plain")
    assert streamed.status_code == 413 and "25 MB" in streamed.json()["error"]["message"]


def test_sigkill_between_upload_and_send_keeps_the_attachment_and_the_message(
    start_server, fake, tmp_path
):
    data = tmp_path / "data"
    first = start_server(data)
    image = uploaded(first, files.png(), "dot.png", "image/png")
    session = first.new_session()
    first.kill()

    second = start_server(data)
    assert second.client.get(f"/api/attachments/{image['id']}").content == files.png()
    fake.reply(text="Seen.")
    events = run_to_end(second, session["id"], "after the crash", attachments=[image["id"]])
    assert events[-1].type == "run.completed"
    second.kill()

    third = start_server(data)
    user = third.session(session["id"])["messages"][0]
    assert user["content"] == "after the crash"
    assert user["attachments"] == [image]
    assert third.client.get(f"/api/attachments/{image['id']}").content == files.png()
    # Deleting the session frees the file.
    assert third.client.delete(f"/api/sessions/{session['id']}").status_code == 204
    assert third.client.get(f"/api/attachments/{image['id']}").status_code == 404
    assert [p.name for p in (data / "attachments").iterdir() if len(p.name) == 64] == []


def test_a_refusal_of_an_image_by_an_unknown_model_becomes_a_sentence(server, fake):
    session = server.new_session()
    image = uploaded(server, files.png(), "dot.png", "image/png")
    fake.error(400, message="Invalid content: image_url is only supported by certain models.")
    events = run_to_end(server, session["id"], "look", attachments=[image["id"]])
    assert events[-1].type == "run.failed"
    error = events[-1].data["error"]
    assert "does not take images" in error and "fake-model" in error
    # The message and its image are kept: the user can send again with another model.
    assert server.session(session["id"])["messages"][0]["attachments"][0]["id"] == image["id"]


def test_a_message_whose_files_add_up_past_the_limit_is_413(server):
    session = server.new_session()
    ids = [
        uploaded(server, bytes([65 + i]) * (18 * 1024 * 1024), f"part{i}.txt")["id"]
        for i in range(3)
    ]
    answer = server.client.post(
        f"/api/sessions/{session['id']}/runs", json={"content": "all", "attachments": ids}
    )
    assert answer.status_code == 413 and "50 MB" in answer.json()["error"]["message"]
    assert server.session(session["id"])["messages"] == []


def test_export_as_a_zip_carries_the_files_and_import_restores_them(server, start_server, fake):
    session = server.new_session()
    image = uploaded(server, files.png(), "dot.png", "image/png")
    doc = uploaded(server, files.pdf(["Exported text"]), "e.pdf", "application/pdf")
    fake.reply(text="Both seen.")
    run_to_end(server, session["id"], "keep these", attachments=[image["id"], doc["id"]])
    exported = server.client.get(f"/api/sessions/{session['id']}/export?format=zip")
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        assert sorted(archive.namelist()) == sorted(
            ["session.json", f"attachments/{image['id']}", f"attachments/{doc['id']}"]
        )

    elsewhere = start_server(fake=None)
    answer = elsewhere.client.post(
        "/api/sessions/import",
        content=exported.content,
        headers={"Content-Type": "application/zip"},
    )
    assert answer.status_code == 201, answer.text
    user = answer.json()["messages"][0]
    assert [(a["name"], a["type"], a["size"]) for a in user["attachments"]] == [
        ("dot.png", "image/png", len(files.png())),
        ("e.pdf", "application/pdf", doc["size"]),
    ]
    assert elsewhere.client.get(f"/api/attachments/{user['attachments'][0]['id']}").content == (
        files.png()
    )
    # A JSON export (no files) imported into the same Hearth keeps pointing at its files.
    data = server.client.get(f"/api/sessions/{session['id']}/export?format=json").json()
    again = server.client.post("/api/sessions/import", json=data).json()
    assert again["messages"][0]["attachments"][0]["id"] == image["id"]


def test_an_imported_zip_cannot_smuggle_a_bomb_or_a_disguised_svg(start_server):
    hearth = start_server(fake=None)
    data = {
        "format": "hearth.session",
        "version": 1,
        "session": {"title": "smuggled"},
        "messages": [
            {
                "role": "user",
                "content": "look",
                "attachments": [
                    {"id": "bomb", "name": "big.png", "type": "image/png", "size": 1},
                    {"id": "svg", "name": "../x.png", "type": "image/png", "size": 1},
                ],
            }
        ],
    }
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("session.json", json.dumps(data))
        archive.writestr("attachments/svg", files.SVG_WITH_SCRIPT)
        with archive.open("attachments/bomb", "w", force_zip64=True) as member:
            for _ in range(30):
                member.write(b"\0" * (1024 * 1024))
    answer = hearth.client.post(
        "/api/sessions/import", content=body.getvalue(), headers={"Content-Type": "application/zip"}
    )
    assert answer.status_code == 201, answer.text
    attached = answer.json()["messages"][0]["attachments"]
    assert [(a["name"], a["type"]) for a in attached] == [("x.png", "image/svg+xml")]
    got = hearth.client.get(f"/api/attachments/{attached[0]['id']}")
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith("attachment;")


def test_an_image_over_the_providers_own_limit_is_named_before_sending(server, fake):
    claude = FakeAnthropicServer()
    try:
        provider = server.client.post(
            "/api/providers",
            json={
                "name": "Claude",
                "kind": "anthropic",
                "base_url": claude.base_url,
                "api_key": "k",
            },
        ).json()
        session = server.new_session(model=f"{provider['id']}/claude-sonnet-4-5")
        big = uploaded(server, files.png() + b"\0" * (6 * 1024 * 1024), "big.png", "image/png")
        answer = server.client.post(
            f"/api/sessions/{session['id']}/runs",
            json={"content": "look", "attachments": [big["id"]]},
        )
        assert answer.status_code == 413
        error = answer.json()["error"]
        assert error["code"] == "image_too_large" and "big.png" in error["message"]
        assert "5 MB" in error["message"]
        assert claude.model_requests == []
    finally:
        claude.close()
    # A provider's own refusal of an image's size says so (not that it takes no images).
    session = server.new_session()
    image = uploaded(server, files.png(), "dot.png", "image/png")
    fake.error(400, message="Image exceeds the maximum allowed size of 5 MB.")
    events = run_to_end(server, session["id"], "look", attachments=[image["id"]])
    assert events[-1].type == "run.failed"
    assert "larger than" in events[-1].data["error"]


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def xlsx() -> bytes:
    """A workbook written by hand: shared strings, a number, an inline string."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        book.writestr(
            "xl/sharedStrings.xml",
            f"<sst {SHEET_NS}><si><t>Name</t></si><si><t>Age</t></si><si><t>Ada</t></si></sst>",
        )
        book.writestr(
            "xl/worksheets/sheet1.xml",
            f"<worksheet {SHEET_NS}><sheetData>"
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>36</v></c></row>'
            '<row r="3"><c r="A3" t="inlineStr"><is><t>Grace</t></is></c>'
            '<c r="B3"><v>45</v></c></row>'
            "</sheetData></worksheet>",
        )
    return out.getvalue()


def test_a_spreadsheet_reaches_the_model_as_rows_of_its_words(server, fake):
    session = server.new_session()
    sheet = uploaded(server, xlsx(), "people.xlsx", XLSX_TYPE)
    fake.reply(text="Two people.")
    events = run_to_end(server, session["id"], "Who is in it?", attachments=[sheet["id"]])
    assert events[-1].type == "run.completed"
    text = fake.last_body["messages"][-1]["content"][0]["text"]
    assert "Name\tAge" in text and "Ada\t36" in text and "Grace\t45" in text
