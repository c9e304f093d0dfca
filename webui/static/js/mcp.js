// Settings → Tools and MCP servers: each server's status (stopped, starting, connected,
// error with its last output, disabled), its tools and their policies, add/edit a server as
// JSON (Claude Desktop / Cursor entry), import a whole mcpServers config, the built-in tools'
// policies, and the "allow always" grants with when and where they were given (Revoke).
// Secrets (env and header values) are write-only: the page only learns their names.
import { ApiError } from "./api.js";
import { h } from "./view.js";

async function call(method, path, body) {
  const init = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || "error", error.message || "The request failed.");
  }
  return data;
}

const enc = encodeURIComponent;
const POLICY_TEXT = { ask: "Ask", allow: "Allow", deny: "Off (deny)" };

function policySelect(server, tool, policy, onError) {
  const select = h("select.policy", { "aria-label": `Policy for ${server ? `${server} ` : ""}${tool}` });
  for (const value of ["ask", "allow", "deny"]) {
    select.append(h("option", { value, selected: value === policy }, POLICY_TEXT[value]));
  }
  select.addEventListener("change", async () => {
    try {
      await call("PUT", "/api/tools/policy", { server, tool, policy: select.value });
    } catch (err) { onError(err.message); }
  });
  return select;
}

export function mcpSection() {
  const status = h("p.test-result", { role: "status" });
  const servers = h("ul.mcp-servers", { "aria-label": "MCP servers" });
  const builtins = h("ul.mcp-tools", { "aria-label": "Built-in tools" });
  const grants = h("ul.mcp-grants", { "aria-label": "Allowed always" });
  const unfolded = new Set(); // the servers whose tools are shown, kept across redraws
  const say = (text, ok = false) => { status.textContent = text; status.className = `test-result ${ok ? "ok" : "error"}`; };

  async function refresh() {
    try {
      const [s, t, g] = await Promise.all([call("GET", "/api/mcp/servers"),
        call("GET", "/api/tools"), call("GET", "/api/grants")]);
      servers.replaceChildren(...s.servers.map(serverRow));
      if (!s.servers.length) servers.append(h("li.muted", {}, "No MCP server yet."));
      builtins.replaceChildren(...t.tools.filter((x) => !x.server).map((x) => toolRow(null, x)));
      grants.replaceChildren(...g.grants.map(grantRow));
      if (!g.grants.length) grants.append(h("li.muted", {}, "No tool is allowed always."));
    } catch (err) { say(err.message); }
  }

  // One tool: its name and what it does, and its policy at the right.
  function toolRow(serverName, tool) {
    return h("li.tool-policy", {},
      h("div.tool-policy-text", {}, h("span.tool-name", {}, tool.name),
        tool.description ? h("p.hint", { title: tool.description }, tool.description) : null),
      policySelect(serverName, tool.name, tool.policy, say));
  }

  function serverRow(server) {
    const act = (label, fn) => h("button.small", { type: "button", onclick: async () => {
      try { await fn(); await refresh(); } catch (err) { say(err.message); }
    } }, label);
    const tools = server.tools.length
      ? h("details.mcp-tool-list", { open: unfolded.has(server.name),
        ontoggle: (e) => { if (e.target.open) unfolded.add(server.name); else unfolded.delete(server.name); } },
        h("summary", {}, `${server.tools.length} tool${server.tools.length === 1 ? "" : "s"}`),
        h("ul.mcp-tools", { "aria-label": `Tools of ${server.name}` }, ...server.tools.map((t) => toolRow(server.name, t))))
      : null;
    const where = server.transport === "stdio" ? [server.command, ...server.args].join(" ") : server.url;
    const secrets = server.transport === "stdio" ? server.env_keys : server.header_keys;
    const connect = server.status !== "disabled" && server.status !== "connected" && server.status !== "starting";
    const row = h("li.mcp-server", { dataset: { server: server.name, status: server.status } },
      h("div.mcp-head", {},
        h("strong.mcp-name", {}, server.name),
        h("span.mcp-status", {}, server.status),
        h("div.mcp-actions", {},
          connect ? act("Connect", () => call("POST", `/api/mcp/servers/${enc(server.name)}/start`)) : null,
          act(server.enabled ? "Turn off" : "Turn on", () => call("PATCH", `/api/mcp/servers/${enc(server.name)}`, { enabled: !server.enabled })),
          act("Remove", () => call("DELETE", `/api/mcp/servers/${enc(server.name)}`)))),
      h("code.mcp-where", { title: where }, where),
      secrets && secrets.length ? h("p.hint", {}, `Secrets set: ${secrets.join(", ")}`) : null,
      server.error ? h("p.notice.warn.mcp-error", {}, server.error) : null,
      tools);
    return row;
  }

  function grantRow(grant) {
    const what = grant.server ? `${grant.tool} of ${grant.server}` : grant.tool;
    const where = [grant.path_prefix ? `under ${grant.path_prefix}` : null,
      grant.session_title ? `in “${grant.session_title}”` : null,
      grant.workspace ? `(workspace ${grant.workspace})` : null].filter(Boolean).join(" ");
    return h("li.mcp-grant", { dataset: { grant: grant.id } },
      h("span.mcp-grant-text", {}, `${what} ${where}, since ${new Date(grant.created_at).toLocaleString()}`,
        grant.suspended ? h("strong.warn", {}, " suspended: the server changed this tool") : null),
      h("button.small", { type: "button", onclick: async () => {
        try { await call("DELETE", `/api/grants/${enc(grant.id)}`); await refresh(); } catch (err) { say(err.message); }
      } }, "Revoke"));
  }

  const name = h("input#mcp-name", { type: "text", placeholder: "time", autocomplete: "off" });
  const entry = h("textarea#mcp-entry", { rows: 3,
    placeholder: '{"command": "uvx", "args": ["mcp-server-time"]}  or  {"url": "https://…/mcp"}' });
  const imported = h("textarea#mcp-import", { rows: 3, placeholder: '{"mcpServers": {…}}' });
  const parsed = (text) => { try { return JSON.parse(text); } catch { throw new Error("That is not valid JSON."); } };
  const add = async (event) => {
    event.preventDefault();
    try {
      const saved = await call("PUT", `/api/mcp/servers/${enc(name.value.trim())}`, parsed(entry.value));
      say(`Saved ${name.value.trim()}.${saved && saved.note ? ` ${saved.note}` : ""}`, !(saved && saved.note));
      name.value = ""; entry.value = "";
      await refresh();
    } catch (err) { say(err.message); }
  };
  const importAll = async () => {
    try {
      const answer = await call("POST", "/api/mcp/import", parsed(imported.value));
      const skipped = answer.skipped.map((s) => `${s.name}: ${s.reason}`).join(" ");
      say(`Added ${answer.added.length ? answer.added.join(", ") : "nothing"}.${skipped ? ` Skipped ${skipped}` : ""}`, !answer.skipped.length);
      await refresh();
    } catch (err) { say(err.message); }
  };
  refresh();
  return h("section.settings-section.mcp-section", { "aria-labelledby": "mcp-title" },
    h("h3#mcp-title", {}, "Tools and MCP servers"),
    h("p.hint", {}, "Ask: the agent asks you before each call. Allow: it calls without asking. Off: never offered."),
    h("h4", {}, "Built-in tools"), builtins,
    h("h4", {}, "MCP servers"), servers,
    h("form.mcp-add.mcp-box", { onsubmit: add },
      h("h4", {}, "Add a server"),
      h("div.field", {}, h("label", { for: "mcp-name" }, "Server name"), name),
      h("div.field", {}, h("label", { for: "mcp-entry" }, "Server (JSON, as in Claude Desktop)"), entry,
        h("p.hint", {}, "Put API keys and tokens in \"env\" or \"headers\": those are kept like provider keys " +
          "and never shown again. A key in the URL or the args is stored in clear.")),
      h("button.button.primary", { type: "submit" }, "Save server")),
    h("div.mcp-import.mcp-box", {},
      h("h4", {}, "Import servers"),
      h("div.field", {}, h("label", { for: "mcp-import" }, "A Claude Desktop or Cursor config (its mcpServers)"), imported),
      h("button.button", { type: "button", onclick: importAll }, "Import")),
    status,
    h("h4", {}, "Allowed always"), grants);
}
