// The composer: a growing text box (Enter sends, Shift+Enter new line), Stop while a run is
// live, a draft kept per session, the model picker (a new chat starts with the model last
// picked), and the reason when it cannot send (no provider, or no model to use).
import { api } from "./api.js";
import { attachedIds, initAttachments, uploading } from "./attachments.js";
import { knownModels, modelLabel } from "./modelnames.js";
import { drafts, on, state, usableProvider } from "./state.js";
import { $, h } from "./view.js";

const form = $("#composer");
const input = $("#composer-input");
const send = $("#send");
const stop = $("#stop");
const reason = $("#composer-reason");
const picker = $("#model-picker");
const editBar = $("#composer-editing");
let handlers = {};
// The server keeps each provider's list and never asks a provider while a run is live, so
// asking it here costs no provider a request; this page keeps the answers until Settings change
// or a list is refreshed ("models"). A failed answer is not kept: the next draw asks again.
const modelCache = new Map();

export function initComposer({ onSend, onStop, onOpenSettings, onCancelEdit }) {
  handlers = { onSend, onStop, onOpenSettings, onCancelEdit };
  initAttachments({ form, box: $(".composer-box", form), input, onChange: () => refreshState() });
  $("#cancel-edit").addEventListener("click", () => { handlers.onCancelEdit(); input.focus(); });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === "ArrowUp" && !input.value && !isLive() && editBar.hidden
      && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
      // ↑ in an empty composer edits the last message of the user's (as its Edit button does).
      const edit = document.querySelector("#messages .turn.user.last .edit-message");
      if (edit) {
        event.preventDefault();
        edit.click();
      }
    } else if (event.key === "Escape" && !editBar.hidden && !isLive()) {
      event.preventDefault();
      handlers.onCancelEdit();
    }
  });
  input.addEventListener("input", () => {
    drafts.set(state.sessionId, input.value);
    grow();
  });
  stop.addEventListener("click", () => handlers.onStop());
  picker.addEventListener("change", () => { nameModel(); pickModel(picker.value); refreshState(); });
  on("live", () => refreshState());
  on("models", () => { forgetModels(); refreshModels(); });
}

function submit() {
  const text = input.value;
  if ((!text.trim() && !attachedIds().length) || send.disabled || isLive() || uploading()) return;
  handlers.onSend(text);
}

export function clearInput() {
  input.value = "";
  drafts.set(state.sessionId, "");
  grow();
}

export function setText(text) {
  input.value = text;
  drafts.set(state.sessionId, text);
  grow();
  input.focus();
  input.setSelectionRange(text.length, text.length);
}

export function loadDraft() {
  input.value = drafts.get(state.sessionId);
  grow();
}

export function focusInput() { input.focus(); }

// While the last message is being edited, a bar says so (with Cancel) and Send says Resend.
export function setEditing(on) {
  editBar.hidden = !on;
  send.textContent = on ? "Resend" : "Send";
  form.classList.toggle("editing", on);
}

function grow() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, window.innerHeight * 0.4)}px`;
}

function isLive() {
  return Boolean(state.sessionId && state.liveRuns.has(state.sessionId));
}

// Send or Stop, enabled or not, and why not.
export function refreshState() {
  const live = isLive();
  send.hidden = live;
  stop.hidden = !live;
  const provider = usableProvider();
  if (!provider) {
    send.disabled = true;
    input.disabled = true;
    reason.hidden = false;
    reason.replaceChildren("No model provider is set up, so Hearth cannot answer yet. ",
      h("a", { href: "#settings", onclick: (e) => { e.preventDefault(); handlers.onOpenSettings(); } }, "Open settings"),
      " to add one.");
  } else if (missingModel()) {
    // The server would answer "No model is chosen": say what to pick before the user types.
    const provider = missingModel();
    send.disabled = true;
    input.disabled = false;
    reason.hidden = false;
    reason.replaceChildren(`Pick a model first: ${provider.name} has no default model. Choose one in the model list at the top, or `,
      h("a", { href: "#settings", onclick: (e) => { e.preventDefault(); handlers.onOpenSettings(); } }, "set its default model in Settings"),
      ".");
  } else {
    send.disabled = uploading(); // the files must be kept before the message that carries them
    input.disabled = false;
    reason.hidden = true;
    reason.replaceChildren();
  }
}

// The provider a turn would go to when it has no model to use, else null.
function missingModel() {
  const chosen = picker.value || state.session?.model || state.pendingModel || "";
  if (chosen) {
    const provider = state.providers.find((p) => chosen.startsWith(`${p.id}/`));
    if (!provider || chosen.length > provider.id.length + 1) return null;
  }
  const provider = state.providers.find((p) => p.is_default) || usableProvider();
  if (!provider || provider.default_model || provider.kind === "builtin" || provider.id === "builtin") return null;
  return provider;
}

// A new chat starts with the model last chosen, when it is still offered.
function lastModel() {
  const last = state.settings?.last_model || "";
  return last && [...picker.options].some((o) => o.value === last) ? last : "";
}

// The picker lists "Default" then provider/model pairs; the value is stored on the session.
// The picker is drawn at once with each provider's default model, then again as each
// provider's list arrives (all asked side by side, none waited for past LIST_WAIT_MS), so one
// slow or unreachable provider never leaves it empty.
const LIST_WAIT_MS = 8000;
let drawing = 0;

export async function refreshModels() {
  const ticket = ++drawing;
  const providers = state.providers.filter((p) => p.enabled);
  const lists = new Map();
  drawPicker(providers, lists);
  await Promise.all(providers.map(async (provider) => {
    lists.set(provider.id, await withinTime(modelsOf(provider), LIST_WAIT_MS, known.get(provider.id) || []));
    if (ticket === drawing) drawPicker(providers, lists);
  }));
}

function drawPicker(providers, lists) {
  const current = state.session?.model || state.pendingModel || "";
  const options = [h("option", { value: "" }, defaultLabel())];
  for (const provider of providers) {
    const group = h("optgroup", { label: provider.name });
    const names = new Set(lists.get(provider.id) || known.get(provider.id) || []);
    if (provider.default_model) names.add(provider.default_model);
    for (const model of names) {
      group.append(h("option", { value: `${provider.id}/${model}`, title: model }, modelLabel(provider, model)));
    }
    options.push(group);
  }
  picker.replaceChildren(...options);
  if (current && ![...picker.options].some((o) => o.value === current)) {
    picker.append(h("option", { value: current }, current));
  }
  picker.value = current;
  if (!state.sessionId && !current) {
    state.pendingModel = lastModel() || null;
    picker.value = state.pendingModel || "";
  }
  picker.disabled = !usableProvider();
  nameModel();
  refreshState();
}

function withinTime(promise, ms, fallback) {
  return Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(fallback), ms))]);
}

// The whole name of the chosen model, for when a narrow window cuts it short.
function nameModel() {
  const option = picker.selectedOptions[0];
  const group = option?.parentElement?.tagName === "OPTGROUP" ? `${option.parentElement.label}: ` : "";
  picker.title = option ? group + option.textContent : "";
}

function defaultLabel() {
  const provider = state.providers.find((p) => p.is_default) || usableProvider();
  if (!provider) return "No model";
  return `Default (${modelLabel(provider, provider.default_model).replace(/ \((built-in)\)$/, ", $1")})`;
}

// A provider's last list that arrived: kept when the server answers "busy" (a run is live)
// or the provider cannot be reached, instead of showing none.
const known = new Map();

async function modelsOf(provider) {
  if (!modelCache.has(provider.id)) {
    const names = api.models(provider.id)
      .then((r) => {
        const list = r.models.map((m) => (typeof m === "string" ? m : m.id));
        known.set(provider.id, list);
        knownModels.set(provider.id, list);
        return list;
      })
      .catch(() => { modelCache.delete(provider.id); return known.get(provider.id) || []; });
    modelCache.set(provider.id, names);
  }
  return modelCache.get(provider.id);
}

export function forgetModels() { modelCache.clear(); }

async function pickModel(value) {
  if (state.settings) state.settings.last_model = value || null;
  api.updateSettings({ last_model: value || null }).catch(() => { /* remembered on this page only */ });
  if (!state.sessionId) {
    state.pendingModel = value;
    return;
  }
  try {
    state.session = { ...state.session, ...(await api.updateSession(state.sessionId, { model: value || null })) };
  } catch {
    // the server may refuse null; an empty string means "default" too
    try { await api.updateSession(state.sessionId, { model: value }); } catch { /* keep the choice locally */ }
  }
}
