"""Hearth's HTTP surface (Bottle). Imports core, never webview."""
