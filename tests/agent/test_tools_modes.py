"""What the agent makes in a workspace belongs to the user: the user's umask, not the private
one Hearth runs with for its own folders."""

import os
import stat

from core.agent.tools import ToolContext
from core.paths import Paths, user_umask
from tests.agent.conftest_tools import call


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_files_folders_and_command_output_get_the_users_modes(tmp_path):
    Paths.resolve(tmp_path / "data").create()  # makes this process's umask private, as serve does
    wanted_file, wanted_dir = 0o666 & ~user_umask(), 0o777 & ~user_umask()
    workspace = tmp_path / "work"
    workspace.mkdir()
    ctx = ToolContext(workspace=workspace)

    assert call("write_file", {"path": "notes/new.txt", "content": "hi"}, ctx).ok
    assert mode(workspace / "notes" / "new.txt") == wanted_file
    assert mode(workspace / "notes") == wanted_dir
    done = call("run_command", {"command": "touch made.txt && mkdir made"}, ctx)
    assert done.ok, done.output
    assert mode(workspace / "made.txt") == wanted_file
    assert mode(workspace / "made") == wanted_dir


def test_an_existing_files_mode_is_kept_when_it_is_rewritten(tmp_path):
    workspace = tmp_path / "work"
    workspace.mkdir()
    script = workspace / "run.sh"
    script.write_text("echo hi\n")
    script.chmod(0o750)
    ctx = ToolContext(workspace=workspace)
    assert call("write_file", {"path": "run.sh", "content": "echo bye\n"}, ctx).ok
    assert mode(script) == 0o750
