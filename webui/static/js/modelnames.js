// Names people read for models: the built-in runtime runs GGUF files, whose ids
// ("SmolLM2-135M-Instruct.Q4_1.gguf") become "SmolLM2 135M Instruct (built-in)"; and which
// model a chat will use (its own, else the new chat's pick, else the default provider's).
import { request } from "./api.js";
import { emit, on, state, usableProvider } from "./state.js";

export const isBuiltin = (provider) => Boolean(provider) && (provider.id === "builtin" || provider.kind === "local");

// "SmolLM2-135M-Instruct.Q4_1.gguf" → "SmolLM2 135M Instruct": no folder, no .gguf, no
// quantization tag (Q4_K_M, IQ3_XS, F16, BF16…), words apart.
export function fileModelName(file) {
  const base = String(file).split("/").pop().replace(/\.gguf$/i, "");
  const bare = base.replace(/[._-](i?q\d\w*|bf16|f16|f32)$/i, "") || base;
  return bare.replace(/[-_]+/g, " ").trim() || base;
}

// Each provider's model list as last heard (composer.js fills it).
export const knownModels = new Map();

// The built-in runtime's models (GET /api/models): which one new chats use, and whether each
// is offered tools. Asked once per page, when there is a built-in provider; "choices" redraws.
let localModels = null;
let asking = null;
export function loadLocalModels({ again = false } = {}) {
  if (!state.providers.some(isBuiltin) || (asking && !again)) return asking;
  asking = request("GET", "/api/models").then((answer) => {
    localModels = answer;
    emit("choices", state.session);
    return answer;
  }).catch(() => { asking = null; return null; });
  return asking;
}

on("settings", () => { if (localModels) loadLocalModels({ again: true }); });

function localDefault() {
  if (!localModels) return "";
  return localModels.local_model || localModels.models.find((m) => m.source === "builtin")?.file || "";
}

// Whether a built-in model is offered tools (unknown: assume so).
export function localTools(file) {
  const found = localModels?.models.find((m) => m.file === file);
  return found ? found.tools !== false : true;
}

// The label a model has in the picker and the empty state.
export function modelLabel(provider, model) {
  if (isBuiltin(provider)) {
    const file = model || state.settings?.local_model || localDefault() || knownModels.get(provider.id)?.[0];
    return file ? `${fileModelName(file)} (built-in)` : "Built-in model";
  }
  return model || provider?.default_model || provider?.name || "";
}

// The provider and model a turn of ``session`` (or of the new chat) would use, as the server
// resolves them (core/settings resolve()): "provider/model", else the default provider.
export function chosenModel(session = state.session) {
  const spec = (session ? session.model : state.pendingModel) || "";
  let provider = spec ? state.providers.find((p) => spec.startsWith(`${p.id}/`)) : null;
  let model = provider ? spec.slice(provider.id.length + 1) : spec;
  if (!provider) provider = state.providers.find((p) => p.is_default) || usableProvider();
  if (!provider) return null;
  model ||= provider.default_model || (isBuiltin(provider) ? state.settings?.local_model || localDefault() : "") || "";
  return { provider, model, label: modelLabel(provider, model) };
}
