// What an empty chat shows: a greeting, the model that will answer and what it can do here
// (its workspace and tools, or chat only); with the small built-in model, a way to connect a
// better one. With no model at all the first-run panel (firstrun.js) says how to connect one.
import { chosenModel, isBuiltin, loadLocalModels, localTools } from "./modelnames.js";
import { openModels } from "./models.js";
import { newChatChoices } from "./sessioninfo.js";
import { openSettings } from "./settings.js";
import { state } from "./state.js";
import { h } from "./view.js";

const folderName = (path) => String(path).replace(/[\\/]+$/, "").split(/[\\/]/).pop() || String(path);

export function emptyState(session) {
  const chosen = chosenModel(session);
  if (!chosen) return null; // the first-run panel speaks
  const choices = session
    ? { workspace: session.workspace, tools_enabled: session.tools_enabled !== false }
    : newChatChoices();
  const folder = choices.workspace || state.settings?.default_workspace;
  const builtin = isBuiltin(chosen.provider);
  if (builtin) loadLocalModels();
  const tools = session?.import_review
    ? "Tools are off until you decide about this imported chat."
    : builtin && !localTools(chosen.model)
      ? "This small model only chats: it is offered no tools."
      : !choices.tools_enabled
      ? "Chat only: it has no tools in this chat."
      : [
        "It can read, search and change files in ",
        h("strong", { title: folder || "" }, folder ? folderName(folder) : "the workspace folder"),
        ", run commands and fetch web pages, asking you before anything that writes, runs or fetches.",
      ];
  return h("section.empty", { "aria-label": "New chat" },
    h("h2.empty-title", {}, "How can I help?"),
    h("p.empty-model", {}, h("span.muted", {}, "Answering: "), h("strong", {}, chosen.label)),
    h("p.empty-tools", {}, tools),
    builtin ? h("div.empty-connect", {},
      h("p", {}, "This is Hearth's small built-in model: it works offline on this computer, but its answers are basic. For better ones, connect a model."),
      h("div.row", {},
        h("button.button.primary", { type: "button", onclick: () => openSettings() }, "Connect a model…"),
        h("button.button", { type: "button", onclick: () => openModels() }, "Download a model…")))
      : null);
}
