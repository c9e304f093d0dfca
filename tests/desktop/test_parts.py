"""The window's parts that need no screen: the instance lock, remembered geometry, preflight,
and handing links and folders to the OS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from desktop import instance, osopen, preflight
from desktop.window import DEFAULT_SIZE, load_geometry, save_geometry
from tests.conftest import ROOT


def test_the_lock_is_exclusive_until_released(tmp_path):
    first = instance.InstanceLock(tmp_path / "desktop.lock")
    second = instance.InstanceLock(tmp_path / "desktop.lock")
    assert first.acquire()
    first.write({"pid": 1, "port": 2, "secret": "s"})
    assert not second.acquire()
    assert second.read() == {"pid": 1, "port": 2, "secret": "s"}
    first.release()
    assert second.acquire()
    second.release()


def test_a_lock_left_by_a_killed_process_is_free(tmp_path):
    code = (
        "import sys, time; from desktop.instance import InstanceLock;"
        f"lock = InstanceLock(__import__('pathlib').Path({str(tmp_path / 'l')!r}));"
        "assert lock.acquire(); lock.write({'pid': 1}); print('held', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "held"
    assert not instance.InstanceLock(tmp_path / "l").acquire()
    holder.kill()
    holder.wait(10)
    holder.stdout.close()
    taker = instance.InstanceLock(tmp_path / "l")
    assert taker.acquire()
    assert taker.read() == {"pid": 1}  # stale contents, overwritten by the new holder
    taker.release()


def test_show_requests_need_the_secret(tmp_path):
    shown = threading.Event()
    server = instance.ShowServer(on_show=shown.set)
    lock = instance.InstanceLock(tmp_path / "desktop.lock")
    assert lock.acquire()
    try:
        lock.write({"pid": 42, "port": server.port, "secret": "wrong"})
        assert instance.ask_to_show(instance.InstanceLock(lock.path), wait=0.3) is None
        assert not shown.is_set()
        lock.write({"pid": 42, "port": server.port, "secret": server.secret})
        assert instance.ask_to_show(instance.InstanceLock(lock.path), wait=5) == 42
        assert shown.is_set()
    finally:
        server.close()
        lock.release()


@pytest.mark.parametrize(
    "saved",
    ["not json", "[]", '{"width": 5, "height": 5}', '{"width": true, "height": 600}'],
)
def test_damaged_or_absurd_geometry_falls_back_to_defaults(tmp_path, saved):
    path = tmp_path / "window.json"
    path.write_text(saved)
    assert load_geometry(path) == {"width": DEFAULT_SIZE[0], "height": DEFAULT_SIZE[1]}


def test_geometry_round_trips(tmp_path):
    path = tmp_path / "window.json"
    save_geometry(path, {"width": 900, "height": 700, "x": 10, "y": 20, "maximized": True})
    assert load_geometry(path) == {"width": 900, "height": 700, "x": 10, "y": 20, "maximized": True}
    assert json.loads(path.read_text())["width"] == 900


def test_preflight_names_what_is_missing():
    assert "no display" in preflight.problem({})
    assert "cannot be reached" in preflight.problem({"DISPLAY": ":4095"})


def test_preflight_reports_a_missing_toolkit(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec

    def without_webengine(name, *args):
        return None if name.startswith("PySide6.QtWebEngine") else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_webengine)
    if sys.platform.startswith("linux"):
        problem = preflight.problem({"QT_QPA_PLATFORM": "offscreen"})
        assert problem is not None and "Qt WebEngine" in problem


def test_no_toolkit_gives_one_line_and_no_traceback(tmp_path):
    # a Python whose pywebview cannot be found: the window cannot open, serve still can
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import importlib.util as u\n_real = u.find_spec\n"
        "u.find_spec = lambda n, *a: None if n == 'webview' else _real(n, *a)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": f"{blocker}{os.pathsep}{ROOT}",
        "DISPLAY": ":0",
        "QT_QPA_PLATFORM": "offscreen",
        "HEARTH_DATA_DIR": str(tmp_path / "data"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "desktop.cli"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    assert "pywebview is not installed" in result.stderr and "hearth serve" in result.stderr
    assert "Traceback" not in result.stderr


def test_links_go_to_the_system_browser_and_only_web_links(monkeypatch):
    opened = []
    monkeypatch.setattr(osopen.webbrowser, "open", lambda url: opened.append(url) or True)
    assert osopen.open_link("https://example.invalid/a")
    assert osopen.open_link("mailto:someone@example.invalid")
    for refused in ("file:///etc/passwd", "javascript:alert(1)", "hearth://x", 42):
        assert not osopen.open_link(refused)
    assert opened == ["https://example.invalid/a", "mailto:someone@example.invalid"]


def test_reveal_refuses_what_is_not_a_folder(tmp_path):
    assert not osopen.reveal(tmp_path / "missing")
