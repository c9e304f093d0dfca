"""Hearth's durable session store (SQLite). See ``Store``."""

from core.store.store import Store

__all__ = ["Store"]
