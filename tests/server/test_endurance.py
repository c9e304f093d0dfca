"""The short version of bench/endurance_bench.py: one real ``hearth serve`` under a 1,024
open-file limit keeps its open files and threads flat over many turns and API calls."""

from bench.endurance_bench import api_calls, fill, turns

TURNS = 150


def test_turns_leak_no_files_threads_or_memory(tmp_path, fake):
    samples = turns(TURNS, fake, str(tmp_path), checkpoints_at=(30,))
    early, late = samples[30], samples[TURNS]
    assert late.fds <= early.fds + 2, samples
    assert late.threads <= early.threads + 2, samples
    assert late.rss_mb <= early.rss_mb + 8, samples


def test_api_calls_leak_no_files_threads_or_memory(tmp_path, fake):
    fill(str(tmp_path), sessions=1_000)
    before, after = api_calls(300, fake, str(tmp_path), sessions=1_000)
    assert after.fds <= before.fds + 2
    assert after.threads <= before.threads + 2
    assert after.rss_mb <= before.rss_mb + 20, (before, after)
