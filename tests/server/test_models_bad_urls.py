"""URLs that Python's urlsplit cannot parse (an IPv6 host left open, a port out of range) are
refused with a sentence by a real ``hearth serve``, never a 500."""

from __future__ import annotations

import pytest

BAD_URLS = ("http://[::1", "http://[::1]:99999/v1", "http://host:port/x.gguf", "http://[zz]/a")


@pytest.fixture(scope="module")
def hearth(server):
    return server


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_download_from_a_malformed_url_is_refused_with_a_sentence(hearth, url):
    answer = hearth.client.post("/api/models/downloads", json={"url": url + "/m.gguf"})
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_input" and "URL" in error["message"], error


@pytest.mark.parametrize("url", BAD_URLS)
def test_a_provider_with_a_malformed_base_url_is_refused_with_a_sentence(hearth, url):
    answer = hearth.client.post(
        "/api/providers", json={"name": "Odd", "kind": "openai", "base_url": url}
    )
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_input" and "URL" in error["message"], error
