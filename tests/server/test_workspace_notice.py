"""A workspace that holds Hearth's own folders says so where it is chosen: on the session and in
the settings, through a real ``hearth serve``."""


def test_a_session_whose_workspace_holds_the_data_folder_says_so(server):
    home = server.data_dir.parent  # the data folder lies inside this one
    made = server.client.post("/api/sessions", json={"workspace": str(home)})
    assert made.status_code == 201, made.text
    notice = made.json()["workspace_notice"]
    assert notice and str(server.data_dir.resolve()) in notice and "cannot see" in notice
    assert server.client.get(f"/api/sessions/{made.json()['id']}").json()["workspace_notice"]
    elsewhere = server.data_dir.parent / "projects"
    elsewhere.mkdir()
    changed = server.client.patch(
        f"/api/sessions/{made.json()['id']}", json={"workspace": str(elsewhere)}
    )
    assert changed.json()["workspace_notice"] is None


def test_the_data_folder_itself_is_refused_as_a_workspace_in_words(server):
    made = server.client.post("/api/sessions", json={"workspace": str(server.data_dir)})
    assert "Choose another folder" in made.json()["workspace_notice"]


def test_the_default_workspace_setting_says_so_too(server):
    home = server.data_dir.parent
    answer = server.client.patch("/api/settings", json={"default_workspace": str(home)})
    assert answer.status_code == 200, answer.text
    assert "cannot see" in answer.json()["workspace_notice"]
    assert "cannot see" in server.client.get("/api/settings").json()["workspace_notice"]
    plain = server.client.post("/api/sessions", json={}).json()
    assert "cannot see" in plain["workspace_notice"]  # it works in the default one
    reset = server.client.patch("/api/settings", json={"default_workspace": None}).json()
    assert reset["workspace_notice"] is None
