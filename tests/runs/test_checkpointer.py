import threading
import time

import pytest

from core.runs import Checkpointer


class Ticks:
    """An activity counter that lets a test wait for the checkpointer's n-th look at it."""

    def __init__(self):
        self.value = 0
        self.looks = 0
        self.cond = threading.Condition()

    def __call__(self):
        with self.cond:
            self.looks += 1
            self.cond.notify_all()
            return self.value

    def wait_looks(self, n, timeout=5):
        with self.cond:
            assert self.cond.wait_for(lambda: self.looks >= n, timeout), "checkpointer stalled"


class Saves:
    def __init__(self):
        self.times = []
        self.cond = threading.Condition()

    def __call__(self):
        with self.cond:
            self.times.append(time.monotonic())
            self.cond.notify_all()

    def wait(self, n, timeout=5):
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.times) >= n, timeout), "no save"


def test_saves_only_when_activity_moved():
    ticks, saves = Ticks(), Saves()
    cp = Checkpointer(saves, ticks, interval=0.02)
    cp.start()
    try:
        ticks.wait_looks(5)
        assert saves.times == []  # five looks, no activity: no save
        ticks.value += 1
        saves.wait(1)
        looks = ticks.looks
        ticks.wait_looks(looks + 5)
        assert len(saves.times) == 1  # nothing moved since: no second save
        ticks.value += 3
        saves.wait(2)
    finally:
        cp.stop()
    assert cp.saves == 2


def test_saves_at_most_once_an_interval():
    saves = Saves()
    counter = iter(range(10**9))
    cp = Checkpointer(saves, lambda: next(counter), interval=0.05)  # always moving
    cp.start()
    try:
        saves.wait(6)
    finally:
        cp.stop()
    gaps = [b - a for a, b in zip(saves.times, saves.times[1:], strict=False)]
    assert min(gaps) >= 0.045


def test_stop_is_prompt_even_with_a_long_interval():
    cp = Checkpointer(lambda: None, lambda: 0, interval=60)
    cp.start()
    start = time.monotonic()
    cp.stop()
    assert time.monotonic() - start < 0.5
    assert not cp.running


def test_stop_in_a_finally_is_safe_when_never_started():
    cp = Checkpointer(lambda: None, lambda: 0)

    def turn():
        raise RuntimeError("the turn fails before the checkpointer starts")

    with pytest.raises(RuntimeError):
        try:
            turn()
            cp.start()
        finally:
            cp.stop()
    cp.stop()  # and twice is fine


def test_a_failing_save_is_retried_and_does_not_kill_the_thread():
    ticks, saves = Ticks(), Saves()
    failures = iter([True, False])

    def flaky_save():
        if next(failures, False):
            raise OSError("disk busy")
        saves()

    cp = Checkpointer(flaky_save, ticks, interval=0.02)
    ticks.value = 1
    cp.start()
    try:
        saves.wait(1)
    finally:
        cp.stop()
    assert cp.failures == 1 and cp.saves == 1
