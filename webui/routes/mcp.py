"""MCP servers and tool policies: configure servers, see their status and tools, import a
Claude Desktop / Cursor config, and set each tool's policy (ask / allow / deny).

Secrets (``env`` and ``headers`` values) are write-only: a server shows ``env_keys`` /
``header_keys``, the names of the values it has; sending a name with null keeps its value,
unless the command, arguments or URL changed (then it is dropped: the answer's ``note`` says
so). Secret-looking values in a URL's query or in args are masked in what is shown; they are
kept in clear in mcp.json, so secrets belong in env and headers.
"""

from __future__ import annotations

import bottle

from core.agent.approvals import TOOL_POLICIES, default_policy
from core.agent.tools import default_tools
from core.errors import InvalidInput, NotFound
from webui.http import fail, field, json_body, no_content, reply


def install(app: bottle.Bottle, hearth) -> None:
    def hub():
        found = getattr(hearth.agent, "mcp", None)
        if found is None:
            raise fail(503, "unavailable", "MCP servers are not available in this build.")
        forget = hearth.approvals.forget_server
        if forget not in found.forget_hooks:  # the session grants go with the server
            found.forget_hooks.append(forget)
        return found

    @app.get("/api/mcp/servers")
    def list_servers():
        return reply({"servers": hub().servers()})

    @app.get("/api/mcp/servers/<name>")
    def get_server(name: str):
        return reply(hub().server(name))

    @app.put("/api/mcp/servers/<name>")
    def put_server(name: str):
        return reply(hub().put(name, json_body()))

    @app.route("/api/mcp/servers/<name>", method="PATCH")
    def patch_server(name: str):
        body = json_body()
        unknown = sorted(set(body) - {"enabled"})
        if unknown:
            raise InvalidInput(
                f"Only enabled can be changed this way, not {', '.join(unknown)}; "
                "PUT the whole server to change the rest."
            )
        return reply(hub().set_enabled(name, field(body, "enabled", bool, required=True)))

    @app.delete("/api/mcp/servers/<name>")
    def delete_server(name: str):
        hub().remove(name)
        return no_content()

    @app.post("/api/mcp/servers/<name>/start")
    def start_server(name: str):
        server = hub().server(name)
        if server["status"] == "disabled":
            raise InvalidInput(f"{name} is turned off; turn it on first.")
        return reply(hub().start(name))

    @app.post("/api/mcp/import")
    def import_servers():
        return reply(hub().import_config(json_body()))

    @app.get("/api/tools")
    def list_tools():
        """Every tool with its policy: the built-in ones, then each connected server's."""
        store = hearth.store
        policies = store.tool_policies()
        tools = []
        for tool in default_tools():
            default = default_policy(tool)
            tools.append(
                {
                    "server": None,
                    "name": tool.name,
                    "description": tool.description.split("\n")[0][:300],
                    "read_only": tool.read_only,
                    "default_policy": default,
                    "policy": policies.get(("", tool.name), default),
                }
            )
        for server in hub().servers():
            for tool in server.get("tools", []):
                tools.append(
                    {
                        "server": server["name"],
                        "name": tool["name"],
                        "description": tool["description"][:300],
                        "read_only": False,
                        "default_policy": "ask",
                        "policy": tool["policy"],
                    }
                )
        return reply({"tools": tools})

    @app.put("/api/tools/policy")
    def set_policy():
        body = json_body()
        unknown = sorted(set(body) - {"server", "tool", "policy"})
        if unknown:
            raise InvalidInput(f"Unknown field: {', '.join(unknown)}.")
        server = field(body, "server", str) or ""
        tool = field(body, "tool", str, required=True)
        policy = field(body, "policy", str)
        if policy is not None and policy not in TOOL_POLICIES:
            raise InvalidInput("policy must be ask, allow or deny (or null for the default).")
        if not server and not any(t.name == tool for t in default_tools()):
            raise NotFound(f"Hearth has no built-in tool called {tool!r}.")
        if server:
            hub().config.get(server)  # NotFound for a server nobody configured
            if len(tool) > 200:
                raise InvalidInput("A tool's name is at most 200 characters.")
        hearth.store.set_tool_policy(server, tool, policy)
        return reply({"server": server or None, "tool": tool, "policy": policy})
