"""A process swapping folders and files for links to outside never gets a tool outside."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from conftest_tools import call, make_ctx

pytestmark = pytest.mark.skipif(os.name == "nt", reason="the race-free opening is POSIX")

SECRET = "outside secret"
ROUNDS = 3000
WRITE_ROUNDS = 1000  # each write fsyncs; the unsafe version escaped within a few hundred


class Swapper:
    """Keeps replacing ``ws/NAME`` by a real one and by a link to outside, by renames."""

    def __init__(self, ws: Path, name: str, real: Path, link_target: Path) -> None:
        self.target = ws / name
        self.real = ws / f".{name}.real"
        self.link = ws / f".{name}.link"
        os.rename(real, self.real)
        os.symlink(link_target, self.link)
        self.stop = threading.Event()
        self.swaps = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            for parked in (self.real, self.link):
                try:
                    os.rename(parked, self.target)
                    os.rename(self.target, parked)
                    self.swaps += 1
                except OSError:
                    pass  # a tool's new file or folder took the name for a moment

    def __enter__(self) -> Swapper:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)


@pytest.fixture
def places(tmp_path: Path) -> tuple[Path, Path]:
    ws, outside = tmp_path / "ws", tmp_path / "outside"
    (ws / "d").mkdir(parents=True)
    (outside / "d").mkdir(parents=True)
    (ws / "d" / "f.txt").write_text("inside\n")
    (outside / "d" / "f.txt").write_text(SECRET + "\n")
    (outside / "f.txt").write_text(SECRET + "\n")
    (ws / "f.txt").write_text("inside\n")
    return ws, outside


def _outside_files(outside: Path) -> set[str]:
    return {str(p.relative_to(outside)) for p in outside.rglob("*")}


def test_reading_through_a_folder_swapped_for_a_link(places: tuple[Path, Path]) -> None:
    ws, outside = places
    ctx = make_ctx(ws)
    with Swapper(ws, "d", ws / "d", outside / "d") as swapper:
        outputs = [call("read_file", {"path": "d/f.txt"}, ctx).output for _ in range(ROUNDS)]
        listings = [call("list_directory", {"path": "d"}, ctx).output for _ in range(300)]
        searches = [
            call("search_files", {"pattern": "secret|inside"}, ctx).output for _ in range(300)
        ]
    assert swapper.swaps > 100
    assert not [o for o in outputs + searches if SECRET in o]
    assert any("inside" in o for o in outputs)  # the race was really run both ways
    assert all("d/" in o or "Error" in o for o in listings)


def test_reading_a_file_swapped_for_a_link(places: tuple[Path, Path]) -> None:
    ws, outside = places
    ctx = make_ctx(ws)
    with Swapper(ws, "f.txt", ws / "f.txt", outside / "f.txt"):
        outputs = [call("read_file", {"path": "f.txt"}, ctx).output for _ in range(ROUNDS)]
        edits = [
            call("edit_file", {"path": "f.txt", "old_text": "e", "new_text": "e"}, ctx)
            for _ in range(300)
        ]
    assert not [o for o in outputs if SECRET in o]
    assert not [e for e in edits if SECRET in e.output]
    assert (outside / "f.txt").read_text() == SECRET + "\n"


def test_writing_through_a_folder_swapped_for_a_link(places: tuple[Path, Path]) -> None:
    ws, outside = places
    before = _outside_files(outside)
    ctx = make_ctx(ws)
    with Swapper(ws, "d", ws / "d", outside / "d"):
        for i in range(WRITE_ROUNDS):
            call("write_file", {"path": f"d/new{i % 7}.txt", "content": "x"}, ctx)
            if i % 10 == 0:
                call("write_file", {"path": f"d/sub{i}/deep.txt", "content": "x"}, ctx)
                call("edit_file", {"path": "d/f.txt", "old_text": "i", "new_text": "I"}, ctx)
    assert _outside_files(outside) == before
    assert (outside / "d" / "f.txt").read_text() == SECRET + "\n"


def test_writing_a_file_swapped_for_a_link(places: tuple[Path, Path]) -> None:
    ws, outside = places
    before = _outside_files(outside)
    ctx = make_ctx(ws)
    with Swapper(ws, "f.txt", ws / "f.txt", outside / "f.txt"):
        for _ in range(WRITE_ROUNDS):
            call("write_file", {"path": "f.txt", "content": "x"}, ctx)
    assert _outside_files(outside) == before
    assert (outside / "f.txt").read_text() == SECRET + "\n"
