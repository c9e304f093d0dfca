"""MCP servers as tool sources: configuration, the client on the official SDK, the tools.

Importing this package does not import the MCP SDK; the hub does, on the loop thread, when a
server is first needed.
"""

from .config import McpConfig, ServerConfig
from .hub import McpHub
from .tool import McpTool

__all__ = ["McpConfig", "McpHub", "McpTool", "ServerConfig"]
