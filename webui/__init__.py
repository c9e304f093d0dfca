"""Hearth's HTTP surface: the Bottle app (``create_app``) and the server process (``serve``)."""

from webui.app import create_app

__all__ = ["create_app"]
