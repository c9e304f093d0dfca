"""Runs: one agent turn each, kept durable while it streams."""

from core.runs.checkpointer import Checkpointer
from core.runs.durable import run_durably
from core.runs.live_run import LiveRun

__all__ = ["Checkpointer", "LiveRun", "run_durably"]
