"""``hearth`` opens a signed-in window on Xvfb; it is seen from outside (X, HTTP, the log)."""

from __future__ import annotations

import json
import signal

from tests.desktop.conftest import wait_for


def test_hearth_opens_a_signed_in_window_that_loads_the_ui(hearth_factory, tmp_path):
    hearth = hearth_factory()
    hearth.start()
    hearth.wait_ready()

    # a window titled "Hearth" exists on the X server
    wait_for(lambda: hearth.windows("^Hearth$"), 30, "a visible window titled Hearth")
    # the page called the API, signed in by the cookie (a 401 would say "-> 401")
    wait_for(lambda: "first request: GET /api/sessions -> " in hearth.log, 30, "the first request")
    assert "first request: GET /api/sessions -> 200" in hearth.log
    # the server the window uses answers the test with server.json's token
    info = hearth.server()
    assert info["url"].startswith("http://127.0.0.1:")
    assert hearth.api("GET", "/api/desktop/state") == {"live_runs": []}
    assert hearth.api("GET", "/api/sessions")["total"] == 0
    # and something is drawn: an empty or black screen has a handful of colours
    shot = tmp_path / "window.png"
    wait_for(lambda: hearth.screenshot(shot) > 50, 30, "more than 50 colours on screen")

    # a clean quit (SIGTERM closes the window): exit 0, server.json gone, geometry kept
    assert hearth.stop(signal.SIGTERM) == 0
    assert not (hearth.data / "server.json").exists()
    # the page logged nothing: no EvalError from pywebview's injected script (it builds a
    # js_api with `new Function`, which the CSP forbids), no error of the page's own
    _, stderr = hearth.process.communicate()
    assert "EvalError" not in stderr
    assert [line for line in stderr.splitlines() if line.startswith("js:")] == []
    geometry = json.loads((hearth.data / "config" / "window.json").read_text())
    assert geometry["width"] >= 480 and geometry["height"] >= 360


def test_window_reopens_at_its_remembered_size(hearth_factory):
    hearth = hearth_factory()
    config = hearth.data / "config"
    config.mkdir(parents=True)
    (config / "window.json").write_text(json.dumps({"width": 900, "height": 600, "x": 40, "y": 30}))
    hearth.start()
    hearth.wait_ready()
    window = wait_for(lambda: hearth.windows("^Hearth$"), 30, "the window")[0]
    wait_for(
        lambda: "900x600" in hearth.x("xdotool", "getwindowgeometry", window).stdout,
        30,
        "the window at 900x600",
    )
    assert hearth.stop() == 0


def test_no_display_says_what_is_missing_and_offers_serve(tmp_path):
    from tests.desktop.conftest import Hearth

    hearth = Hearth(tmp_path / "data", display="")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        hearth.env.pop(name, None)
    result = hearth.run()
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no display" in lines[0] and "hearth serve" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "data" / "server.json").exists()


def test_unreachable_display_says_so(tmp_path):
    from tests.desktop.conftest import Hearth

    hearth = Hearth(tmp_path / "data", display=":4095")
    result = hearth.run()
    assert result.returncode != 0
    assert "cannot be reached" in result.stderr and "hearth serve" in result.stderr
    assert "Traceback" not in result.stderr


def test_wait_for_fails_the_test_on_timeout():
    import pytest

    with pytest.raises(pytest.fail.Exception):
        wait_for(lambda: False, 0.1, "nothing")
