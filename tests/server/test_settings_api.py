"""Settings and providers over HTTP: keys are write-only; models and connection tests."""

from __future__ import annotations

from tests.fakes import FakeOpenAIServer


def test_read_and_change_settings(server):
    settings = server.client.get("/api/settings")
    assert settings.status_code == 200
    values = settings.json()
    assert "approvals" in values
    changed = server.client.patch("/api/settings", json={"approvals": "ask"})
    assert changed.status_code == 200 and changed.json()["approvals"] == "ask"
    assert server.client.patch("/api/settings", json={"approvals": "yolo"}).status_code == 400
    assert server.client.patch("/api/settings", json={"no_such_setting": 1}).status_code == 400
    assert (
        server.client.patch(
            "/api/settings", content=b"{", headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )


def test_environment_provider_is_listed_without_its_key(server):
    providers = server.client.get("/api/providers").json()["providers"]
    env = [p for p in providers if p["id"] == "env"]
    assert env and "sk-fake" not in server.client.get("/api/providers").text


def test_provider_lifecycle_keys_never_come_back(server):
    with FakeOpenAIServer(models=["alpha", "beta"]) as other:
        added = server.client.post(
            "/api/providers",
            json={
                "name": "Other",
                "kind": "openai",
                "base_url": other.base_url,
                "default_model": "alpha",
                "api_key": "sk-very-secret-123",
            },
        )
        assert added.status_code == 201, added.text
        provider = added.json()
        assert provider["has_key"] is True and "sk-very-secret-123" not in added.text
        pid = provider["id"]
        listing = server.client.get("/api/providers")
        assert pid in [p["id"] for p in listing.json()["providers"]]
        assert "sk-very-secret-123" not in listing.text
        assert "sk-very-secret-123" not in server.client.get("/api/settings").text

        models = server.client.get(f"/api/providers/{pid}/models")
        assert models.status_code == 200 and models.json()["models"] == ["alpha", "beta"]
        assert other.requests[-1].headers["authorization"] == "Bearer sk-very-secret-123"
        tested = server.client.post(f"/api/providers/{pid}/test", json={})
        assert tested.status_code == 200 and tested.json()["ok"] is True

        renamed = server.client.patch(f"/api/providers/{pid}", json={"name": "Renamed"})
        assert renamed.status_code == 200 and renamed.json()["name"] == "Renamed"
        assert (
            server.client.patch(f"/api/providers/{pid}", json={"enabled": "no"}).status_code == 400
        )
        assert server.client.patch(f"/api/providers/{pid}", json={"colour": 1}).status_code == 400
    # The provider is gone now: the connection test says so, without failing the request.
    down = server.client.post(f"/api/providers/{pid}/test", json={})
    assert down.status_code == 200 and down.json()["ok"] is False
    assert down.json()["error"]["message"]
    assert server.client.delete(f"/api/providers/{pid}").status_code == 204
    assert server.client.delete(f"/api/providers/{pid}").status_code == 404
    assert server.client.get(f"/api/providers/{pid}/models").status_code == 404


def test_bad_provider_bodies(server):
    for body in (
        {},
        {"name": "x"},
        {"name": "x", "kind": "gopher"},
        {"name": 3, "kind": "openai"},
        {"name": "x", "kind": "openai", "secret": "y"},
    ):
        answer = server.client.post("/api/providers", json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert set(answer.json()["error"]) == {"code", "message"}


def test_local_servers(server):
    answer = server.client.get("/api/local-servers")
    assert answer.status_code == 200 and isinstance(answer.json()["servers"], list)


def test_an_unreadable_settings_file_is_reported_and_kept(start_server, tmp_path):
    data = tmp_path / "data"
    (data / "config").mkdir(parents=True)
    broken = data / "config" / "settings.json"
    broken.write_text("{ this is not json")
    server = start_server(data)
    values = server.client.get("/api/settings").json()
    assert "could not be read" in values["problem"] and str(broken) in values["problem"]
    assert broken.read_text() == "{ this is not json"  # reading changed nothing
    saved = server.client.patch("/api/settings", json={**values, "theme": "dark"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["theme"] == "dark" and saved.json()["problem"] is None
    kept = list((data / "config").glob("settings.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{ this is not json"


def test_pointing_a_provider_elsewhere_never_sends_its_key_there(server):
    with FakeOpenAIServer() as home, FakeOpenAIServer() as listener:
        added = server.client.post(
            "/api/providers",
            json={
                "name": "Home",
                "kind": "openai",
                "base_url": home.base_url,
                "api_key": "sk-stored-secret-42",
            },
        )
        pid = added.json()["id"]
        moved = server.client.patch(f"/api/providers/{pid}", json={"base_url": listener.base_url})
        assert moved.status_code == 200 and moved.json()["has_key"] is False

        server.client.post(f"/api/providers/{pid}/test", json={})
        server.client.get(f"/api/providers/{pid}/models")
        back = server.client.patch(f"/api/providers/{pid}", json={"base_url": home.base_url})
        assert back.json()["has_key"] is False  # moving back does not bring it back
        server.client.post(f"/api/providers/{pid}/test", json={})

        seen = [r.headers.get("authorization", "") for r in listener.requests + home.requests]
        assert listener.requests and not any("sk-stored-secret-42" in h for h in seen)

        retyped = server.client.patch(
            f"/api/providers/{pid}", json={"base_url": listener.base_url, "api_key": "sk-new-1"}
        )
        assert retyped.json()["has_key"] is True
        server.client.post(f"/api/providers/{pid}/test", json={})
        assert listener.requests[-1].headers["authorization"] == "Bearer sk-new-1"
        server.client.delete(f"/api/providers/{pid}")
