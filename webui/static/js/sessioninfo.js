// The chat header's second row: what this chat uses, each seen and changed in place: the
// model (the picker, composer.js), the workspace folder (a chip with its name; a popover to
// choose another, by the window's folder dialog or a typed path, or go back to the default),
// the system prompt (a chip; a dialog to read and edit it) and the Tools switch. A new chat
// (no session yet) shows the choices it will start with: the last ones made (settings
// last_workspace, last_system_prompt, last_tools_enabled, like last_model), and changing them
// there changes what it starts with. Under the row: an imported chat's requests (used only once
// the user has seen them and chosen) and a workspace notice.
import { api } from "./api.js";
import * as desktop from "./desktop.js";
import { icon } from "./icons.js";
import { chosenModel, isBuiltin, loadLocalModels, localTools } from "./modelnames.js";
import { reveal, revealBlock } from "./reveal.js";
import { emit, on, state } from "./state.js";
import { toast } from "./toasts.js";
import { $, h } from "./view.js";

const bar = $("#chat-choices");
const notes = $("#session-notes");
const promptDialog = h("dialog#prompt-dialog.panel", { "aria-labelledby": "prompt-title" });
document.body.append(promptDialog);

// What a new chat starts with: the last choices made in any chat.
export function newChatChoices() {
  const s = state.settings || {};
  return {
    workspace: s.last_workspace || null,
    system_prompt: s.last_system_prompt || null,
    tools_enabled: s.last_tools_enabled !== false,
  };
}

// The fields POST /api/sessions takes for a new chat.
export function newChatBody() {
  const c = newChatChoices();
  return {
    ...(c.workspace ? { workspace: c.workspace } : {}),
    ...(c.system_prompt ? { system_prompt: c.system_prompt } : {}),
    ...(c.tools_enabled ? {} : { tools_enabled: false }),
  };
}

let shown = null; // the session drawn (null: the new chat)
const redraw = () => drawSessionInfo(shown && state.session?.id === shown.id ? state.session : shown);
on("settings", redraw);
on("choices", redraw); // (also when the built-in models' tools flags arrive)
// A model just picked in this chat: the Tools switch follows it at once (the chat's copy is
// saved a moment later, and "choices" may redraw before that).
let picked = null; // {chat, spec}
$("#model-picker").addEventListener("change", (event) => {
  picked = { chat: shown?.id ?? null, spec: event.target.value };
  bar.querySelector(".tools-switch")?.replaceWith(toolsSwitch(currentChoices(shown)));
});

function currentChoices(session) {
  return session ? {
    workspace: session.workspace || null,
    system_prompt: session.system_prompt || null,
    tools_enabled: session.tools_enabled !== false,
  } : newChatChoices();
}

export function drawSessionInfo(session) {
  if ((session?.id ?? null) !== (shown?.id ?? null)) picked = null;
  else if (picked && session && (session.model || "") === picked.spec) picked = null; // saved
  shown = session;
  const review = session?.import_review;
  const choices = currentChoices(session);
  bar.replaceChildren(
    workspaceChip(choices, Boolean(review)),
    promptChip(choices),
    review ? null : toolsSwitch(choices));
  notes.replaceChildren();
  if (review) notes.append(reviewNotice(session, review));
  if (session?.workspace_notice) notes.append(h("p.workspace-notice", { role: "note" }, session.workspace_notice));
  notes.hidden = !notes.childElementCount;
}

// Change this chat's choices (or the new chat's), and remember them for the next new chat:
// only once the chat has taken them (a folder the server refused is not remembered).
async function change(values) {
  const session = shown;
  const updated = session ? await api.updateSession(session.id, values) : null;
  const last = Object.fromEntries(Object.entries(values).map(([key, value]) => [`last_${key}`, value]));
  state.settings = { ...(state.settings || {}), ...last };
  await api.updateSettings(last).catch(() => { /* remembered on this page only */ });
  if (!session) {
    drawSessionInfo(null);
    emit("choices", null);
    return;
  }
  if (state.sessionId !== session.id) return;
  state.session = { ...state.session, ...updated };
  drawSessionInfo(state.session);
  emit("choices", state.session);
}

const folderName = (path) => String(path).replace(/[\\/]+$/, "").split(/[\\/]/).pop() || String(path);

function workspaceChip(choices, underReview) {
  const fallback = state.settings?.default_workspace || "";
  const folder = choices.workspace || fallback;
  const name = underReview ? "No folder" : folder ? folderName(folder) : "Default folder";
  const summary = h("summary.chip", {
    title: underReview ? "No workspace until you decide about this imported chat" : `Workspace: ${folder}`,
  }, icon("folder"),
  h("span.visually-hidden", {}, "Workspace: "), h("span.chip-text", {}, name),
  choices.workspace || underReview ? null : h("span.chip-note", {}, "default"));
  const menu = h("details.menu.chip-menu.workspace-menu", {}, summary);
  if (underReview) {
    menu.append(h("div.menu-items.chip-panel", {},
      h("p.chip-panel-note", {}, "This imported chat has no workspace and its tools are off until you choose below.")));
    return menu;
  }
  const error = h("p.form-error", { role: "alert" });
  const path = h("input#workspace-path", { type: "text", value: choices.workspace || "", autocomplete: "off",
    spellcheck: "false", placeholder: fallback || "/full/path/to/a/folder" });
  const use = async (value) => {
    error.textContent = "";
    try {
      await change({ workspace: value || null });
      menu.open = false;
    } catch (err) {
      error.textContent = err.message;
    }
  };
  const form = h("form.workspace-form", { onsubmit: (e) => { e.preventDefault(); use(path.value.trim()); } },
    h("label", { for: "workspace-path" }, "Folder path"),
    h("div.workspace-row", {}, path, h("button.button.small-button", { type: "submit" }, "Use")));
  const choose = typeof desktop.pickFolder === "function" && desktop.isDesktop()
    ? h("button.button.primary", { type: "button", onclick: async () => {
      const picked = await desktop.pickFolder();
      if (picked) await use(picked);
    } }, "Choose folder…")
    : null;
  const reset = choices.workspace
    ? h("button.button.ghost", { type: "button", onclick: () => use(null) }, "Use the default folder")
    : null;
  menu.append(h("div.menu-items.chip-panel", {},
    h("p.chip-panel-title", {}, "Workspace folder"),
    h("p.chip-panel-note", {}, "The agent's tools read and change files only in this folder."),
    folder ? h("code.chip-path", {}, reveal(folder, { mode: "command" }).fragment) : null,
    choices.workspace ? null : h("p.chip-panel-note", {}, "This is the default folder (Settings)."),
    choose, form, error, reset));
  menu.addEventListener("toggle", () => { if (menu.open && !choose) path.focus(); });
  return menu;
}

function promptChip(choices) {
  const own = choices.system_prompt;
  const custom = state.settings?.system_prompt;
  const which = own ? "custom" : custom ? "from Settings" : "default";
  return h("button.chip.prompt-chip", { type: "button", "aria-haspopup": "dialog",
    title: own ? own.slice(0, 300) : "The system prompt: what the model is told before every message",
    onclick: () => openPrompt(choices) },
  icon("prompt"),
  h("span.chip-text", {}, "System prompt"), h("span.chip-note", {}, which));
}

function openPrompt(choices) {
  const custom = state.settings?.system_prompt;
  const text = h("textarea#prompt-text", { rows: 10, placeholder: custom || "Hearth's default prompt" });
  text.value = choices.system_prompt || "";
  const error = h("p.form-error", { role: "alert" });
  const save = async (value) => {
    error.textContent = "";
    try {
      await change({ system_prompt: value.trim() ? value : null });
      promptDialog.close();
    } catch (err) {
      error.textContent = err.message;
    }
  };
  const fallback = custom
    ? h("div.prompt-fallback", {}, revealBlock(custom, { label: "Empty, this chat uses yours from Settings" }).el)
    : h("p.hint", {}, "Empty, this chat uses Hearth's default prompt: it names the workspace and today's date and explains the tools.");
  promptDialog.replaceChildren(
    h("div.panel-head", {}, h("h2#prompt-title", {}, shown ? "System prompt of this chat" : "System prompt for the new chat"),
      h("button.button.ghost", { type: "button", onclick: () => promptDialog.close() }, "Close")),
    h("form.prompt-form", { onsubmit: (e) => { e.preventDefault(); save(text.value); } },
      h("label.visually-hidden", { for: "prompt-text" }, "System prompt"),
      h("p.hint", {}, "What the model is told before every message of this chat. New chats start with the last prompt set here."),
      text, fallback, error,
      h("div.row.prompt-actions", {},
        h("button.button.primary", { type: "submit" }, "Save"),
        choices.system_prompt ? h("button.button", { type: "button", onclick: () => save("") }, "Use the default") : null,
        h("button.button.ghost", { type: "button", onclick: () => promptDialog.close() }, "Cancel"))));
  promptDialog.showModal();
  text.focus();
}

// "Chat only": this chat's model is offered no tools (a small model, or a plain conversation).
// A built-in model too small to call tools gets none whatever the switch says: the switch is
// off and disabled, saying why, and the chat's own choice is kept for the next model.
function toolsSwitch(choices) {
  const spec = picked && picked.chat === (shown?.id ?? null) ? picked.spec : undefined;
  const chosen = spec === undefined ? chosenModel(shown) : chosenModel({ model: spec });
  if (chosen && isBuiltin(chosen.provider)) loadLocalModels(); // "choices" redraws once known
  if (chosen && isBuiltin(chosen.provider) && !localTools(chosen.model)) {
    const why = `${chosen.label} is too small to call tools: it only chats. Pick another model to use tools.`;
    return h("label.chip.tools-switch.unavailable", { title: why },
      h("input", { type: "checkbox", role: "switch", checked: false, disabled: true }),
      h("span.chip-text", {}, "Tools"), h("span.chip-why", {}, "not with this model"));
  }
  const box = h("input", { type: "checkbox", role: "switch", checked: choices.tools_enabled });
  const label = h("label.chip.tools-switch", {}, box, h("span.chip-text", {}, "Tools"));
  label.title = "Off: this chat is chat only; its model gets no tools and a short prompt";
  box.addEventListener("change", async () => {
    box.disabled = true;
    try {
      await change({ tools_enabled: box.checked });
    } catch (err) {
      box.checked = !box.checked;
      box.disabled = false;
      toast(err.message, { timeout: 8000 });
    }
  });
  return label;
}

function reviewNotice(session, review) {
  const asks = [];
  if (review.workspace) asks.push(h("span", {}, "the workspace ", h("code", {}, reveal(review.workspace, { mode: "command" }).fragment)));
  if (review.system_prompt) asks.push(h("span", {}, "a custom system prompt"));
  const wanted = asks.length === 2 ? [asks[0], " and ", asks[1]] : asks;
  const detail = h("div.review-detail", { hidden: true });
  if (review.workspace) {
    detail.append(revealBlock(review.workspace, { mode: "command", label: "Workspace it asks for" }).el);
  }
  if (review.system_prompt) {
    detail.append(revealBlock(review.system_prompt, { label: "System prompt it asks for" }).el);
  }
  const showButton = h("button.small", { type: "button", "aria-expanded": "false" }, "Show");
  showButton.addEventListener("click", () => {
    detail.hidden = !detail.hidden;
    showButton.setAttribute("aria-expanded", String(!detail.hidden));
    showButton.textContent = detail.hidden ? "Show" : "Hide";
  });
  const use = h("button.small", { type: "button" }, asks.length === 2 ? "Use them" : "Use it");
  const ignore = h("button.small", { type: "button" }, "Ignore");
  const decide = async (accept) => {
    use.disabled = ignore.disabled = true;
    try {
      const updated = await confirmImport(session.id, {
        workspace: accept && Boolean(review.workspace),
        system_prompt: accept && Boolean(review.system_prompt),
      });
      if (state.sessionId !== session.id) return;
      state.session = { ...state.session, ...updated };
      drawSessionInfo(state.session);
      emit("choices", state.session);
    } catch (err) {
      use.disabled = ignore.disabled = false;
      toast(err.message, { timeout: 8000 });
    }
  };
  use.addEventListener("click", () => decide(true));
  ignore.addEventListener("click", () => decide(false));
  return h("section.import-review.notice.warn", { "aria-label": "Imported chat" },
    h("p", {}, h("strong", {}, "This imported chat asks for "), wanted, ". ",
      "Until you choose, it has no workspace, its tools are off and Hearth's own prompt is used."),
    h("div.review-actions", {}, showButton, use, ignore),
    detail);
}

async function confirmImport(sessionId, choices) {
  const response = await fetch(`/api/sessions/${encodeURIComponent(sessionId)}/confirm-import`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(choices),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(data?.error?.message || `The request failed (${response.status}).`);
  return data;
}
