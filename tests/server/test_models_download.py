"""Downloading a GGUF model through a real ``hearth serve`` from a local server that answers
like the Hugging Face hub: the checksum it publishes, a cut connection, a wrong checksum, a full
disk, cancel, and a restart of Hearth in the middle."""

from __future__ import annotations

import hashlib
import signal

import pytest

from tests.fakes.hub_server import FakeHub, gguf_bytes
from tests.server.conftest import wait_for
from tests.server.faults_support import fill, tmpfs

REPO = "tester/Tiny-GGUF"
FILE = "tiny-Q4_K_M.gguf"


@pytest.fixture
def hub():
    with FakeHub() as hub:
        yield hub


@pytest.fixture
def serve(start_server, hub, tmp_path):
    def start(data_dir=None):
        env = {"HEARTH_HF_ENDPOINT": hub.url}
        return start_server(data_dir or tmp_path / "data", fake=None, env=env)

    return start


def finished(hearth, download_id, statuses=("done", "failed", "cancelled", "paused")):
    def state():
        answer = hearth.client.get(f"/api/models/downloads/{download_id}")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return body if body["status"] in statuses else None

    return wait_for(state, timeout=30)


def start_download(hearth, **body):
    answer = hearth.client.post("/api/models/downloads", json=body or {"repo": REPO, "file": FILE})
    assert answer.status_code == 202, answer.text
    return answer.json()


def test_download_from_the_hub_is_verified_and_listed(serve, hub):
    data = gguf_bytes(size=700_000)
    hub.add(REPO, FILE, data)
    hearth = serve()

    started = start_download(hearth)
    assert started["file"] == FILE
    done = finished(hearth, started["id"])
    assert done["status"] == "done", done
    assert done["sha256"] == hashlib.sha256(data).hexdigest()  # the hub's X-Linked-Etag
    assert done["total"] == done["done"] == len(data)

    saved = hearth.data_dir / "models" / FILE
    assert saved.read_bytes() == data
    assert not list((hearth.data_dir / "models").glob("*.part*"))
    listed = {m["file"]: m for m in hearth.client.get("/api/models").json()["models"]}
    assert listed[FILE]["quantization"] == "Q4_K_M"
    assert listed[FILE]["id"] == f"builtin/{FILE}"
    # the resolve URL first (HEAD, answered with a redirect), then the CDN path
    assert hub.requests[0].method == "HEAD" and "/resolve/main/" in hub.requests[0].path

    again = hearth.client.post("/api/models/downloads", json={"repo": REPO, "file": FILE})
    assert again.status_code == 409 and "already" in again.json()["error"]["message"]


def test_a_cut_connection_resumes_where_it_stopped(serve, hub):
    data = gguf_bytes(size=900_000)
    hub.add(REPO, FILE, data)
    hub.cut_next(after=300_000)
    hub.cut_next(after=200_000)
    hearth = serve()

    done = finished(hearth, start_download(hearth)["id"])
    assert done["status"] == "done", done
    assert (hearth.data_dir / "models" / FILE).read_bytes() == data
    ranges = [r.range for r in hub.file_requests()]
    assert ranges[0] is None
    assert ranges[1] == "bytes=300000-" and ranges[2] == "bytes=500000-", ranges


def test_a_wrong_checksum_is_refused_and_the_part_deleted(serve, hub):
    hub.add(REPO, FILE, gguf_bytes(size=200_000), published_sha256="ab" * 32)
    hearth = serve()

    failed = finished(hearth, start_download(hearth)["id"])
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "checksum_mismatch"
    message = failed["error"]["message"]
    assert "checksum" in message and "deleted" in message and "try again" in message
    assert list((hearth.data_dir / "models").iterdir()) == []
    assert FILE not in {m["file"] for m in hearth.client.get("/api/models").json()["models"]}


def test_not_enough_disk_is_said_before_anything_is_fetched(serve, hub, tmp_path):
    data_dir = tmp_path / "data"
    with tmpfs(data_dir / "models", size="4m") as models:
        hub.add(REPO, FILE, gguf_bytes(size=6_000_000))
        hearth = serve(data_dir)
        failed = finished(hearth, start_download(hearth)["id"])
        assert failed["status"] == "failed"
        assert failed["error"]["code"] == "disk_full"
        assert "not enough disk space" in failed["error"]["message"]
        assert "MB" in failed["error"]["message"]
        assert hub.file_requests() == []  # nothing was fetched
        assert list(models.iterdir()) == []
        hearth.stop()


def test_the_disk_filling_during_a_download_keeps_the_part_for_resume(serve, hub, tmp_path):
    data_dir = tmp_path / "data"
    with tmpfs(data_dir / "models", size="12m") as models:
        data = gguf_bytes(size=3_000_000)
        hub.add(REPO, FILE, data)
        hold = hub.hold_next(after=1_000_000)
        hearth = serve(data_dir)
        download = start_download(hearth)
        assert hold.reached.wait(20)
        filler = fill(models)
        hold.release.set()
        failed = finished(hearth, download["id"])
        assert failed["status"] == "failed" and failed["error"]["code"] == "disk_full", failed
        assert "Free some space and press Resume" in failed["error"]["message"]
        assert (models / f"{FILE}.part").exists()

        filler.unlink()
        resumed = hearth.client.post(f"/api/models/downloads/{download['id']}/resume")
        assert resumed.status_code == 202, resumed.text
        done = finished(hearth, download["id"], ("done", "failed"))
        assert done["status"] == "done", done
        assert (models / FILE).read_bytes() == data
        assert hub.file_requests()[-1].range not in (None, "bytes=0-")
        hearth.stop()


def test_a_restart_mid_download_resumes_from_the_part(serve, hub, tmp_path):
    data = gguf_bytes(size=2_000_000)
    hub.add(REPO, FILE, data)
    hold = hub.hold_next(after=800_000)
    hearth = serve()
    download = start_download(hearth)
    assert hold.reached.wait(20)
    part = hearth.data_dir / "models" / f"{FILE}.part"
    wait_for(lambda: part.exists() and part.stat().st_size >= 800_000)
    hearth.stop(signal.SIGKILL)
    hold.release.set()

    again = serve()
    listed = again.client.get("/api/models/downloads").json()["downloads"]
    assert [(d["id"], d["status"], d["done"]) for d in listed] == [
        (download["id"], "paused", 800_000)
    ]
    assert "Resume" in listed[0]["error"]["message"]
    resumed = again.client.post(f"/api/models/downloads/{download['id']}/resume")
    assert resumed.status_code == 202
    done = finished(again, download["id"], ("done", "failed"))
    assert done["status"] == "done", done
    assert (again.data_dir / "models" / FILE).read_bytes() == data
    assert hub.file_requests()[-1].range == "bytes=800000-"


def test_cancel_stops_and_deletes_what_was_fetched(serve, hub):
    hub.add(REPO, FILE, gguf_bytes(size=1_000_000))
    hold = hub.hold_next(after=100_000)
    hearth = serve()
    download = start_download(hearth)
    assert hold.reached.wait(20)
    answer = hearth.client.post(f"/api/models/downloads/{download['id']}/cancel")
    hold.release.set()
    assert answer.status_code == 200 and answer.json()["status"] == "cancelled"
    assert list((hearth.data_dir / "models").iterdir()) == []
    assert hearth.client.delete(f"/api/models/downloads/{download['id']}").status_code == 204
    assert hearth.client.get("/api/models/downloads").json()["downloads"] == []


def test_a_url_download_and_bad_requests(serve, hub):
    data = gguf_bytes(size=50_000)
    hub.add(REPO, "direct.gguf", data)
    hearth = serve()
    by_url = start_download(hearth, url=f"{hub.url}/cdn/{REPO}/direct.gguf")
    done = finished(hearth, by_url["id"])
    assert done["status"] == "done" and done["sha256"] is None  # nothing published to check
    assert (hearth.data_dir / "models" / "direct.gguf").read_bytes() == data

    hub.add(REPO, "gated.gguf", data, gated=True)
    gated = finished(hearth, start_download(hearth, repo=REPO, file="gated.gguf")["id"])
    assert gated["status"] == "failed" and "gated" in gated["error"]["message"]
    missing = finished(hearth, start_download(hearth, repo=REPO, file="none.gguf")["id"])
    assert missing["status"] == "failed" and "404" in missing["error"]["message"]

    for body in (
        {"url": "file:///etc/passwd.gguf"},
        {"url": "ftp://example.com/x.gguf"},
        {"url": "https://example.com/model.bin"},
        {"repo": "../etc", "file": "x.gguf"},
        {"repo": REPO, "file": "../../x.gguf"},
        {"repo": REPO, "file": "weights.safetensors"},
        {"repo": REPO},
        {"repo": REPO, "file": FILE, "url": "https://example.com/a.gguf"},
        {"repo": REPO, "file": FILE, "extra": 1},
    ):
        answer = hearth.client.post("/api/models/downloads", json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["error"]["message"].endswith("."), answer.text
    assert hearth.client.get("/api/models/downloads/nope").status_code == 404
    assert hearth.client.post("/api/models/downloads/nope/cancel").status_code == 404
