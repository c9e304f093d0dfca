// The first-run panel: shown while no provider is set up; offers the local model servers
// found on this machine, and the hosted services (which need a key, in Settings). The machine is
// looked at once per page (the panel is drawn again on every settings change), and again on
// "Scan again"; the server declines to look while a run is live. A server listing several
// models offers them in a list; the one picked becomes the provider's default model.
import { api } from "./api.js";
import { openModels } from "./models.js";
import { loadSettings, openSettings, PRESETS, readableModel } from "./settings.js";
import { state, usableProvider } from "./state.js";
import { $, h } from "./view.js";

const panel = $("#first-run");
let looking = null; // the local servers found, once asked for on this page

export async function drawFirstRun() {
  if (state.providers.length) {
    panel.hidden = true;
    panel.replaceChildren();
    return;
  }
  const found = h("ul.local-servers", { "aria-label": "Local model servers" }, h("li.muted", {}, "Looking for model servers on this computer…"));
  panel.replaceChildren(
    h("h2#first-run-title", {}, "Welcome to Hearth"),
    h("p", {}, "Connect a model to start. A model server on this computer needs no key; a hosted service needs its API key."),
    h("h3", {}, "On this computer"), found,
    h("h3", {}, "Hosted services"),
    h("div.row", {}, ...PRESETS.filter((p) => p.needs_key).map((p) =>
      h("button.button", { type: "button", onclick: () => openSettings(p.name) }, `Add ${p.name}…`)),
      h("button.button", { type: "button", onclick: () => openSettings("OpenAI-compatible") }, "Other URL…")),
    h("h3", {}, "A model file"),
    h("p", {}, "Download a small model to run inside Hearth, or add a .gguf file you have. ",
      h("button.button.small", { type: "button", onclick: () => openModels() }, "Open Models…")));
  panel.hidden = false;
  looking ||= api.localServers().then((r) => r.servers);
  const again = h("button.button.small.scan-again", { type: "button", onclick: () => { looking = null; drawFirstRun(); } }, "Scan again");
  try {
    const servers = await looking;
    found.replaceChildren(...(servers.length ? [...servers.map(serverItem), h("li", {}, again)] :
      [h("li.muted", {}, "None found (Ollama, LM Studio, llama.cpp, llama-cpp-python, vLLM, Jan and KoboldCpp are looked for on their usual ports). Start one, then ", again)]));
  } catch (err) {
    looking = null;
    found.replaceChildren(h("li.muted", {}, `Could not look: ${err.message} `, again));
  }
}

function serverItem(server) {
  const models = server.models || [];
  const choice = models.length > 1
    ? h("select.model-choice", { "aria-label": `Model to use with ${server.name}` },
      ...models.map((m) => h("option", { value: m, title: m }, readableModel(m))))
    : null;
  const use = async (event) => {
    event.target.disabled = true;
    const model = choice ? choice.value : models[0] || "";
    try {
      await api.addProvider({ name: server.name, kind: server.kind || "openai", base_url: server.base_url, default_model: model || null });
      await loadSettings();
    } catch (err) {
      event.target.disabled = false;
      event.target.after(h("span.form-error", {}, err.message));
    }
  };
  return h("li.local-server", {},
    h("div", {}, h("strong", {}, server.name), h("span.muted", {}, ` ${server.base_url} · ${modelCount(server.models?.length || 0)}`)),
    choice, h("button.button.primary", { type: "button", onclick: use }, `Use ${server.name}`));
}

export const hasProvider = () => Boolean(usableProvider());

const modelCount = (n) => `${n} model${n === 1 ? "" : "s"}`;
