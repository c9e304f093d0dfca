import os
import stat

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
