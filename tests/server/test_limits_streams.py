"""Open event streams are limited per client and in all, so streams can never take every
worker thread of a real ``hearth serve``: the next one gets 429 and other requests are served."""

from __future__ import annotations

import contextlib
import threading

import httpx

from webui.sse import MAX_STREAMS, MAX_STREAMS_PER_CLIENT


def open_stream(stack: contextlib.ExitStack, client: httpx.Client, run_id: str) -> httpx.Response:
    """An event stream held open (headers received) until ``stack`` closes."""
    return stack.enter_context(client.stream("GET", f"/api/runs/{run_id}/events", timeout=20))


def signed_in_browser(server) -> httpx.Client:
    browser = httpx.Client(base_url=server.url, timeout=10)
    assert browser.get("/", params={"token": server.token}).status_code == 303
    return browser


def test_streams_are_limited_per_client_and_in_all(server, fake):
    assert MAX_STREAMS < 64  # the server's worker threads
    hold = threading.Event()
    fake.reply(text="still thinking", chunks=2, hold=hold)
    run_id = server.start_run(server.new_session()["id"], "think slowly")
    browsers = [signed_in_browser(server) for _ in range(MAX_STREAMS // MAX_STREAMS_PER_CLIENT)]
    try:
        with contextlib.ExitStack() as stack:
            streams = [
                open_stream(stack, server.client, run_id) for _ in range(MAX_STREAMS_PER_CLIENT)
            ]
            assert [s.status_code for s in streams] == [200] * MAX_STREAMS_PER_CLIENT
            refused = server.client.get(f"/api/runs/{run_id}/events")
            assert refused.status_code == 429
            error = refused.json()["error"]
            assert error["code"] == "too_many_streams" and "at most" in error["message"]

            # Other clients still get theirs, up to the total.
            opened = MAX_STREAMS_PER_CLIENT
            for browser in browsers:
                for _ in range(MAX_STREAMS_PER_CLIENT):
                    if opened == MAX_STREAMS:
                        break
                    streams.append(open_stream(stack, browser, run_id))
                    assert streams[-1].status_code == 200
                    opened += 1
            last = browsers[-1].get(f"/api/runs/{run_id}/events")
            assert last.status_code == 429 and last.json()["error"]["code"] == "too_many_streams"
            fresh = signed_in_browser(server)
            assert fresh.get(f"/api/runs/{run_id}/events").status_code == 429  # total reached

            # The server still answers everything else at once.
            assert httpx.get(server.url + "/api/health", timeout=5).status_code == 200
            assert server.client.get("/api/sessions", timeout=5).status_code == 200
            assert server.client.get(f"/api/runs/{run_id}", timeout=5).status_code == 200

            # When the run ends its streams end (and give their slots back).
            hold.set()
            for stream in streams:
                lines = list(stream.iter_lines())
                assert "event: run.completed" in lines
        with server.client.stream("GET", f"/api/runs/{run_id}/events") as again:
            assert again.status_code == 200
            assert any(line.startswith("event: run.completed") for line in again.iter_lines())
        for _ in range(MAX_STREAMS_PER_CLIENT + 2):  # the ended run's streams close and free
            with server.client.stream("GET", f"/api/runs/{run_id}/events") as replay:
                assert replay.status_code == 200
                list(replay.iter_lines())
    finally:
        hold.set()
        for browser in browsers:
            browser.close()
