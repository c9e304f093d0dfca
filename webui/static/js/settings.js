// Settings: model providers (keys are write-only: the key box is always empty, the page only
// learns whether a key is saved), test connection, refresh models (the server keeps each
// provider's list and declines to ask while a run is live), the default model picked from the
// provider's list (one listed model is used by itself), default provider, system
// prompt, default workspace, approvals policy and theme. When the settings file on disk could
// not be used, the server says why in `problem`: a notice at the top (Dismiss folds it into a
// line that opens it again) and a marker on the Settings button, until saving clears it.
import { api } from "./api.js";
import { mcpSection } from "./mcp.js";
import { isBuiltin } from "./modelnames.js";
import { emit, state } from "./state.js";
import { $, h } from "./view.js";

export const PRESETS = [
  { name: "OpenAI", kind: "openai", base_url: "https://api.openai.com/v1", needs_key: true, model: "gpt-4o-mini" },
  { name: "Anthropic", kind: "anthropic", base_url: "https://api.anthropic.com", needs_key: true, model: "claude-sonnet-4-5" },
  { name: "OpenRouter", kind: "openai", base_url: "https://openrouter.ai/api/v1", needs_key: true, model: "" },
  { name: "Ollama", kind: "openai", base_url: "http://127.0.0.1:11434/v1", needs_key: false, model: "" },
  { name: "LM Studio", kind: "openai", base_url: "http://127.0.0.1:1234/v1", needs_key: false, model: "" },
  { name: "OpenAI-compatible", kind: "openai", base_url: "", needs_key: false, model: "" },
];

const dialog = $("#settings-dialog");
let problemSlot = null; // where the dialog shows the problem, while it is drawn
let dismissed = null; // the problem sentence the reader folded away

export function applyTheme(theme) {
  const root = document.documentElement;
  if (theme === "light" || theme === "dark") root.dataset.theme = theme;
  else delete root.dataset.theme;
}

export async function loadSettings() {
  const [settings, providers] = await Promise.all([
    api.getSettings().catch(() => null),
    api.providers().then((r) => r.providers).catch(() => []),
  ]);
  state.settings = settings;
  state.providers = providers;
  applyTheme(settings?.theme || "system");
  showProblem();
  emit("settings");
}

// The settings file problem, always as text: the marker on the Settings button and the notice.
function showProblem() {
  const problem = state.settings?.problem || null;
  const button = $("#open-settings");
  button.querySelector(".problem-marker")?.remove();
  button.querySelector(".problem-label")?.remove();
  if (problem) {
    button.append(h("span.problem-marker", { "aria-hidden": "true" }, "!"),
      h("span.problem-label.visually-hidden", {}, " (the settings file has a problem)"));
    button.title = problem;
  } else {
    button.removeAttribute("title");
    dismissed = null;
  }
  if (!problemSlot) return;
  if (!problem) {
    problemSlot.replaceChildren();
  } else if (dismissed === problem) {
    problemSlot.replaceChildren(h("button.small.problem-show", { type: "button",
      onclick: () => { dismissed = null; showProblem(); problemSlot.querySelector("button")?.focus(); } },
    "Show the settings file problem"));
  } else {
    problemSlot.replaceChildren(h("div.notice.warn.settings-problem", {},
      h("p", {}, h("strong", {}, "Settings file problem: "), problem),
      h("button.small", { type: "button",
        onclick: () => { dismissed = problem; showProblem(); problemSlot.querySelector("button")?.focus(); } },
      "Dismiss")));
  }
}

export function openSettings(preset) {
  draw(preset);
  if (!dialog.open) dialog.showModal();
}

function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2)}`;
  control.id = id;
  return h("div.field", {}, h("label", { for: id }, label), control, hint ? h("p.hint", {}, hint) : null);
}

function draw(presetName) {
  const s = state.settings || {};
  problemSlot = h("div.problem-slot", { role: "status" });
  dialog.replaceChildren(
    h("div.panel-head", {}, h("h2#settings-title", {}, "Settings"),
      h("button.button.ghost", { type: "button", onclick: () => dialog.close() }, "Close")),
    problemSlot,
    providersSection(presetName),
    generalSection(s),
    mcpSection());
  showProblem();
}

function providersSection(presetName) {
  const list = h("ul.provider-list", { "aria-label": "Model providers" });
  for (const p of state.providers) list.append(isBuiltin(p) ? builtinRow(p) : providerRow(p));
  if (!state.providers.length) list.append(h("li.muted", {}, "No provider yet."));
  return h("section.settings-section", { "aria-labelledby": "providers-title" },
    h("h3#providers-title", {}, "Model providers"), list, addProviderForm(presetName));
}

// The built-in model has no URL, key or connection to test: its card says what it is and
// sends the reader to the Models page, where its models are downloaded and chosen.
function builtinRow(p) {
  const openModels = () => {
    dialog.close();
    $("#open-models").click();
  };
  return h("li.provider.builtin", {},
    h("div.provider-head", {},
      h("strong", {}, p.name),
      p.is_default ? h("span.badge", {}, "Default") : null,
      h("span.badge.muted", {}, "On this computer")),
    h("p.muted", {}, "Answers with no network and no account. It chats but cannot use tools. "
      + "Download, choose or remove its models on the Models page."),
    h("div.row", {},
      h("button.button", { type: "button", onclick: openModels }, "Open Models"),
      p.is_default ? null : h("button.button", { type: "button", onclick: () => makeDefault(p) }, "Make default")));
}

function providerRow(p) {
  const result = h("p.test-result", { role: "status" });
  const fromEnv = p.source === "environment";
  const picker = modelChoice(p, fromEnv, result);
  const test = async () => {
    result.textContent = "Testing…";
    result.className = "test-result";
    try {
      const answer = await api.testProvider(p.id);
      if (!answer.ok) {
        result.textContent = `Could not connect: ${answer.error?.message || "unknown error"}`;
        result.classList.add("error");
        return;
      }
      const models = answer.models || [];
      picker.fill(models);
      const chosen = await settleDefaultModel(p, models);
      result.textContent = `Connected: ${modelCount(models.length)} available. ${afterTest(p, models, chosen)}`;
      result.classList.add(chosen || p.default_model || !models.length ? "ok" : "warn");
      if (chosen) await reload();
      else if (!p.default_model && models.length) picker.focus();
    } catch (err) {
      result.textContent = err.code === "provider_busy" ? err.message : `Could not connect: ${err.message}`;
      result.classList.add("error");
    }
  };
  const refresh = async (event) => {
    event.target.disabled = true;
    result.textContent = "Asking for the models…";
    result.className = "test-result";
    try {
      const answer = await api.models(p.id, { refresh: true });
      picker.fill(answer.models);
      const count = modelCount(answer.models.length);
      result.textContent = answer.stale
        ? `A run is answering, so the provider was not asked: showing the ${count} listed at ${when(answer.fetched_at)}.`
        : `${count} available.`;
      if (!answer.stale) result.classList.add("ok");
      emit("models");
    } catch (err) {
      result.textContent = err.message;
      result.classList.add("error");
    } finally {
      event.target.disabled = false;
    }
  };
  const keyInput = h("input", { type: "password", value: "", autocomplete: "new-password", placeholder: p.has_key ? "Saved (enter a new key to replace it)" : "Not set", disabled: fromEnv });
  const save = async (event) => {
    event.preventDefault();
    const body = {};
    if (keyInput.value) body.api_key = keyInput.value;
    keyInput.value = "";
    try {
      await api.updateProvider(p.id, body);
      await reload();
    } catch (err) { result.textContent = err.message; result.className = "test-result error"; }
  };
  return h("li.provider", {},
    h("div.provider-head", {},
      h("strong", {}, p.name),
      p.is_default ? h("span.badge", {}, "Default") : null,
      h("span.badge.muted", {}, p.has_key ? "Key saved" : "No key"),
      fromEnv ? h("span.badge.muted", {}, "From environment") : null),
    h("p.provider-url", {}, p.base_url || "(default URL)"),
    h("form.provider-edit", { onsubmit: save },
      field("Default model", picker.control, fromEnv ? "Set by HEARTH_MODEL." : "Test the connection to list the provider's models."),
      field("API key", keyInput, "Keys are kept in the system keychain (where there is none, in a file only you can read) and never shown again."),
      h("div.row", {},
        fromEnv ? null : h("button.button", { type: "submit" }, "Save"),
        h("button.button", { type: "button", onclick: test }, "Test connection"),
        h("button.button", { type: "button", onclick: refresh }, "Refresh models"),
        p.is_default ? null : h("button.button", { type: "button", onclick: () => makeDefault(p) }, "Make default"),
        fromEnv ? null : h("button.button.danger", { type: "button", onclick: () => removeProvider(p) }, "Remove"))),
    result);
}

// The default model is picked from what the provider lists (readable names, the whole id as
// the tooltip); choosing saves at once. Until a list is known the current default is the only
// entry; a provider that cannot list its models gets a text box instead.
function modelChoice(p, fromEnv, result) {
  const select = h("select.model-choice", { disabled: fromEnv, "aria-label": `Default model for ${p.name}` });
  const wrap = h("div.model-choice-wrap", {}, select);
  let typed = null;
  const fill = (models) => {
    const names = [...new Set([...(models || []), ...(p.default_model ? [p.default_model] : [])])];
    select.replaceChildren(
      h("option", { value: "", selected: !p.default_model }, names.length ? "Choose a model…" : "No model listed yet"),
      ...names.map((m) => h("option", { value: m, title: m, selected: m === p.default_model }, readableModel(m))));
  };
  select.addEventListener("change", async () => {
    try {
      await api.updateProvider(p.id, { default_model: select.value || null });
      p.default_model = select.value || null;
      result.textContent = select.value ? `New chats with ${p.name} use ${readableModel(select.value)}.` : "No default model.";
      result.className = "test-result ok";
      await loadSettings();
    } catch (err) { result.textContent = err.message; result.className = "test-result error"; }
  });
  fill([]);
  if (!fromEnv) {
    api.models(p.id).then((r) => fill(r.models)).catch(() => {
      if (typed) return;
      typed = h("input", { type: "text", value: p.default_model || "", autocomplete: "off", placeholder: "Model name", "aria-label": `Model name for ${p.name}` });
      typed.addEventListener("change", () => { select.append(h("option", { value: typed.value.trim() }, typed.value.trim())); select.value = typed.value.trim(); select.dispatchEvent(new Event("change")); });
      wrap.append(typed);
    });
  }
  return { control: wrap, fill, focus: () => select.focus() };
}

// A provider with no default model that lists exactly one model uses that one.
async function settleDefaultModel(p, models) {
  if (p.default_model || models.length !== 1 || p.source === "environment") return null;
  await api.updateProvider(p.id, { default_model: models[0] });
  return models[0];
}

function afterTest(p, models, chosen) {
  if (chosen) return `Using ${readableModel(chosen)}, the only one it lists.`;
  if (p.default_model || !models.length) return "";
  return "Pick the default model in the list above.";
}

export function readableModel(id) {
  const last = String(id).split("/").pop().replace(/\.gguf$/i, "");
  return last || String(id);
}

const modelCount = (n) => `${n} model${n === 1 ? "" : "s"}`;

const when = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

async function makeDefault(p) {
  await api.updateSettings({ default_provider: p.id });
  await reload();
}

async function removeProvider(p) {
  if (!confirm(`Remove ${p.name}? Its saved key is deleted too.`)) return;
  await api.removeProvider(p.id);
  await reload();
}

function addProviderForm(presetName) {
  const preset = PRESETS.find((p) => p.name === presetName) || PRESETS[0];
  const kind = h("select", {}, ...PRESETS.map((p) => h("option", { value: p.name, selected: p === preset }, p.name)));
  const name = h("input", { type: "text", value: preset.name, required: true, autocomplete: "off" });
  const url = h("input", { type: "url", value: preset.base_url, placeholder: "https://…/v1", autocomplete: "off" });
  const key = h("input", { type: "password", value: "", autocomplete: "new-password" });
  const model = h("input", { type: "text", value: preset.model, autocomplete: "off" });
  const error = h("p.form-error", { role: "alert" });
  kind.addEventListener("change", () => {
    const p = PRESETS.find((x) => x.name === kind.value);
    name.value = p.name;
    url.value = p.base_url;
    model.value = p.model;
  });
  const submit = async (event) => {
    event.preventDefault();
    const p = PRESETS.find((x) => x.name === kind.value);
    const body = { name: name.value.trim(), kind: p.kind, base_url: url.value.trim() || null,
      default_model: model.value.trim() || null };
    if (key.value) body.api_key = key.value;
    key.value = "";
    try {
      const added = await api.addProvider(body);
      await reload();
      if (!added.default_model) await afterAdding(added);
    } catch (err) { error.textContent = err.message; }
  };
  return h("form.add-provider", { onsubmit: submit, "aria-labelledby": "add-provider-title" },
    h("h4#add-provider-title", {}, "Add a provider"),
    h("div.grid", {},
      field("Service", kind), field("Name", name), field("Base URL", url),
      field("API key", key, "Write-only: Hearth never shows a saved key."),
      field("Default model (optional)", model, "Leave empty to pick from the provider's list once it is added.")),
    error,
    h("button.button.primary", { type: "submit" }, "Add provider"));
}

function generalSection(s) {
  const prompt = h("textarea", { rows: "4", value: s.system_prompt || "" });
  prompt.value = s.system_prompt || "";
  const workspace = h("input", { type: "text", value: s.default_workspace || "", autocomplete: "off" });
  const approvals = h("select", {},
    h("option", { value: "ask", selected: s.approvals !== "allow_all" }, "Ask before writing, running or fetching"),
    h("option", { value: "allow_all", selected: s.approvals === "allow_all" }, "Allow every tool without asking"));
  const theme = h("select", {}, ...["system", "light", "dark"].map((t) =>
    h("option", { value: t, selected: (s.theme || "system") === t }, t[0].toUpperCase() + t.slice(1))));
  const status = h("p.test-result", { role: "status" });
  // The theme is kept as soon as it is picked, like the apps people know: no Save needed.
  theme.addEventListener("change", async () => {
    applyTheme(theme.value);
    try {
      state.settings = await api.updateSettings({ theme: theme.value });
    } catch (err) {
      status.textContent = err.message;
      status.className = "test-result error";
    }
  });
  const save = async (event) => {
    event.preventDefault();
    try {
      state.settings = await api.updateSettings({
        system_prompt: prompt.value.trim() ? prompt.value : null,
        default_workspace: workspace.value.trim() || null,
        approvals: approvals.value,
        theme: theme.value,
      });
      applyTheme(state.settings.theme);
      showProblem();
      status.textContent = "Saved.";
      status.className = "test-result ok";
    } catch (err) {
      status.textContent = err.message;
      status.className = "test-result error";
    }
  };
  return h("form.settings-section", { onsubmit: save, "aria-labelledby": "general-title" },
    h("h3#general-title", {}, "General"),
    field("System prompt", prompt, "Sent at the start of every conversation."),
    field("Default workspace folder", workspace, "Where the agent reads and writes files."),
    field("Approvals", approvals),
    field("Theme", theme),
    h("button.button.primary", { type: "submit" }, "Save settings"), status);
}

// A provider added without a default model: ask it for its models now; one model is used,
// several are offered in its row's list.
export async function afterAdding(provider) {
  try {
    const answer = await api.testProvider(provider.id);
    if (answer.ok && await settleDefaultModel(provider, answer.models || [])) await reload();
  } catch { /* the row's Test connection says why */ }
}

async function reload() {
  await loadSettings();
  if (dialog.open) draw();
}
