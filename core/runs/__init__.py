"""Runs: one agent turn each, kept durable while it streams."""

from core.runs.checkpointer import CheckpointLoop, checkpoint, finish
from core.runs.durable import run_durably
from core.runs.events import Event, EventLog
from core.runs.live_run import LiveRun
from core.runs.manager import RunManager

__all__ = [
    "CheckpointLoop",
    "Event",
    "EventLog",
    "LiveRun",
    "RunManager",
    "checkpoint",
    "finish",
    "run_durably",
]
