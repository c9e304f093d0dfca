import os
import stat
import subprocess
import sys

import pytest

from core.paths import Paths, PathsError


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_explicit_data_dir_holds_every_folder(tmp_path):
    paths = Paths.resolve(tmp_path / "d").create()
    assert paths.data == tmp_path / "d"
    for folder in (paths.config, paths.logs, paths.cache):
        assert folder.parent == paths.data
        assert mode(folder) == 0o700
    assert mode(paths.data) == 0o700
    assert paths.database.parent == paths.data


def test_environment_variable_moves_the_data_dir(tmp_path):
    paths = Paths.resolve(env={"HEARTH_DATA_DIR": str(tmp_path / "env")})
    assert paths.data == tmp_path / "env"


def test_argument_wins_over_environment(tmp_path):
    paths = Paths.resolve(tmp_path / "arg", env={"HEARTH_DATA_DIR": str(tmp_path / "env")})
    assert paths.data == tmp_path / "arg"


def test_each_folder_can_be_overridden(tmp_path):
    paths = Paths.resolve(tmp_path / "d", logs_dir=tmp_path / "logs", cache_dir=tmp_path / "c")
    assert paths.logs == tmp_path / "logs"
    assert paths.cache == tmp_path / "c"
    assert paths.config == tmp_path / "d" / "config"


def test_platform_defaults_name_hearth(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    paths = Paths.resolve(env={})
    assert paths.data == tmp_path / "xdg-data" / "Hearth"
    assert "Hearth" in paths.logs.parts


def test_unwritable_place_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(PathsError, match="cannot create the folder"):
        Paths.resolve(blocker / "data").create()


def test_create_makes_an_open_data_dir_private(tmp_path):
    data = tmp_path / "open"
    (data / "config").mkdir(parents=True)
    (data / "logs").mkdir()
    (data / "backups").mkdir()
    (data / "workspace" / "project").mkdir(parents=True)
    files = {
        data / "hearth.sqlite3": 0o644,
        data / "hearth.sqlite3-wal": 0o666,
        data / "hearth.sqlite3-shm": 0o644,
        data / "config" / "settings.json": 0o644,
        data / "config" / "secrets.json": 0o640,
        data / "logs" / "server.log": 0o644,
        data / "logs" / "server.log.1": 0o644,
        data / "backups" / "hearth-schema1.sqlite3": 0o644,
    }
    for path, file_mode in files.items():
        path.write_bytes(b"")
        path.chmod(file_mode)
    for folder in (data, data / "config", data / "logs", data / "backups", data / "workspace"):
        folder.chmod(0o755)
    users_file = data / "workspace" / "project" / "notes.txt"
    users_file.write_text("mine")
    users_file.chmod(0o644)

    paths = Paths.resolve(data).create()

    for folder in (*paths.folders, data / "backups", data / "workspace"):
        assert mode(folder) == 0o700, folder
    for path in files:
        assert mode(path) == 0o600, path
    assert mode(users_file) == 0o644  # the user's own files in a workspace keep their modes


def test_create_never_changes_the_mode_of_what_a_link_points_to(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    outside.chmod(0o644)
    data = tmp_path / "d"
    data.mkdir()
    (data / "link.txt").symlink_to(outside)
    Paths.resolve(data).create()
    assert mode(outside) == 0o644


def test_files_made_after_create_are_private(tmp_path):
    paths = Paths.resolve(tmp_path / "d").create()
    made = paths.data / "later.txt"
    made.write_text("x")
    folder = paths.data / "later"
    folder.mkdir()
    assert mode(made) == 0o600 and mode(folder) == 0o700


def test_user_umask_is_the_one_the_process_started_with(tmp_path):
    script = (
        "import os; os.umask(0o022); from core.paths import Paths, user_umask;"
        f"Paths.resolve({str(tmp_path / 'd')!r}).create();"
        "print(oct(user_umask()), oct(os.umask(0)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["0o22", "0o77"]


@pytest.mark.parametrize("whose", ["data", "config", "database", "backups"])
def test_a_data_dir_of_another_user_is_refused(tmp_path, whose):
    data = tmp_path / "theirs"
    (data / "config").mkdir(parents=True)
    (data / "backups").mkdir()
    (data / "hearth.sqlite3").write_bytes(b"")
    target = {
        "data": data,
        "config": data / "config",
        "database": data / "hearth.sqlite3",
        "backups": data / "backups",
    }[whose]
    os.chown(target, 65534, 65534)
    with pytest.raises(PathsError, match="belongs to another user") as caught:
        Paths.resolve(data).create()
    assert str(target) in str(caught.value)
