// The models page (a dialog): the built-in model, the GGUF files in the models folder and the
// ones added by path, each with its size, quantization, context length and the memory it needs
// against what is free; "Use for new chats", Remove; downloads from Hugging Face (repo + file,
// or a URL) with a progress bar, Cancel and Resume, polled once a second while one runs; and a
// few good small models to start from.
import { request as call } from "./api.js";
import { fileModelName } from "./modelnames.js";
import { emit, state } from "./state.js";
import { $, h } from "./view.js";

const dialog = $("#models-dialog");
let poll = null;
let lastStatuses = "";

const enc = encodeURIComponent;

export function openModels() {
  dialog.replaceChildren(
    h("div.panel-head", {}, h("h2#models-title", {}, "Models"),
      h("button.button.ghost", { type: "button", onclick: () => dialog.close() }, "Close")),
    h("p.hint", {}, "Models that run on this computer, with no account and no network once downloaded."),
    h("section.settings-section", { "aria-labelledby": "local-models-title" },
      h("h3#local-models-title", {}, "On this computer"),
      h("p#models-memory.hint", {}),
      h("ul#local-models.model-list", { "aria-label": "Local models" }, h("li.muted", {}, "Looking…")),
      addByPathForm()),
    h("section.settings-section", { "aria-labelledby": "downloads-title" },
      h("h3#downloads-title", {}, "Download a model"),
      downloadForm(),
      h("ul#downloads.model-list", { "aria-label": "Downloads" }),
      h("h4", {}, "Suggestions"),
      h("ul#suggestions.model-list", { "aria-label": "Suggested models" })));
  if (!dialog.open) dialog.showModal();
  dialog.addEventListener("close", stopPolling, { once: true });
  refresh();
}

async function refresh() {
  await Promise.all([drawModels(), drawDownloads()]);
}

async function drawModels() {
  const list = $("#local-models", dialog);
  if (!list) return;
  try {
    const answer = await call("GET", "/api/models");
    const memory = answer.memory || {};
    $("#models-memory", dialog).textContent = memory.available
      ? `Memory free now: ${bytes(memory.available)} of ${bytes(memory.total)}. Models live in ${answer.folder}.`
      : `Models live in ${answer.folder}.`;
    list.replaceChildren(...(answer.models.length ? answer.models.map((m) => modelItem(m, answer, memory))
      : [h("li.muted", {}, "No model yet: download one below, or add a .gguf file you have.")]));
    drawSuggestions(answer);
  } catch (err) {
    list.replaceChildren(h("li.form-error", {}, err.message));
  }
}

function modelItem(model, answer, memory) {
  const chosen = answer.local_model === model.file || state.settings?.last_model === model.id;
  const facts = [bytes(model.size), model.quantization, model.context_length ? `${model.context_length.toLocaleString()} tokens of context` : null]
    .filter(Boolean).join(" · ");
  const fits = model.memory_needed && memory.available ? model.memory_needed <= memory.available : null;
  const need = model.memory_needed
    ? h(`span.memory${fits === false ? ".warn" : ""}`, {},
      `Needs about ${bytes(model.memory_needed)} of memory${fits === false ? ": more than is free now" : ""}.`)
    : null;
  const status = h("p.test-result", { role: "status" });
  const use = async (event) => {
    event.target.disabled = true;
    try {
      await call("POST", `/api/models/${enc(model.file)}/use`);
      state.settings = { ...(state.settings || {}), local_model: model.file, last_model: model.id };
      emit("settings");
      await drawModels();
    } catch (err) {
      status.textContent = err.message;
      status.className = "test-result error";
      event.target.disabled = false;
    }
  };
  const remove = async () => {
    const question = model.source === "added"
      ? `Take ${model.file} off the list? The file itself stays where it is.`
      : `Delete ${model.file} (${bytes(model.size)}) from the models folder?`;
    if (!confirm(question)) return;
    try {
      await call("DELETE", `/api/models/${enc(model.file)}`);
      await drawModels();
    } catch (err) {
      status.textContent = err.message;
      status.className = "test-result error";
    }
  };
  const source = { builtin: "Built in", folder: "Models folder", added: "Added by path" }[model.source];
  return h("li.model-item", { dataset: { file: model.file } },
    h("div.provider-head", {}, h("strong", {}, model.source === "builtin" ? fileModelName(model.file) : model.name),
      h("span.badge.muted", {}, source), chosen ? h("span.badge", {}, "Used for new chats") : null),
    h("p.provider-url", {}, model.file, facts ? ` · ${facts}` : ""),
    model.problem ? h("p.form-error", {}, model.problem) : need,
    h("div.row", {},
      model.problem || chosen ? null : h("button.button", { type: "button", onclick: use }, "Use for new chats"),
      model.source === "builtin" ? null
        : h("button.button.danger", { type: "button", onclick: remove }, model.source === "added" ? "Forget" : "Delete")),
    status);
}

function addByPathForm() {
  const path = h("input#model-path", { type: "text", placeholder: "/home/me/models/model-Q4_K_M.gguf", autocomplete: "off" });
  const error = h("p.form-error", { role: "alert" });
  const submit = async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      await call("POST", "/api/models", { path: path.value.trim() });
      path.value = "";
      await drawModels();
    } catch (err) { error.textContent = err.message; }
  };
  return h("form.add-model", { onsubmit: submit },
    h("div.field", {}, h("label", { for: "model-path" }, "Add a .gguf file you have (its full path)"), path),
    error, h("button.button", { type: "submit" }, "Add file"));
}

function downloadForm() {
  const repo = h("input#download-repo", { type: "text", placeholder: "bartowski/Llama-3.2-1B-Instruct-GGUF", autocomplete: "off" });
  const file = h("input#download-file", { type: "text", placeholder: "Llama-3.2-1B-Instruct-Q4_K_M.gguf", autocomplete: "off" });
  const url = h("input#download-url", { type: "url", placeholder: "https://…/model.gguf", autocomplete: "off" });
  const error = h("p.form-error", { role: "alert" });
  const submit = async (event) => {
    event.preventDefault();
    error.textContent = "";
    const body = url.value.trim() ? { url: url.value.trim() } : { repo: repo.value.trim(), file: file.value.trim() };
    try {
      await startDownload(body);
      repo.value = file.value = url.value = "";
    } catch (err) { error.textContent = err.message; }
  };
  return h("form.download-form", { onsubmit: submit },
    h("div.grid", {},
      h("div.field", {}, h("label", { for: "download-repo" }, "Hugging Face repository"), repo),
      h("div.field", {}, h("label", { for: "download-file" }, "File in it"), file),
      h("div.field", {}, h("label", { for: "download-url" }, "Or a URL"), url)),
    error, h("button.button.primary", { type: "submit" }, "Download"));
}

async function startDownload(body) {
  await call("POST", "/api/models/downloads", body);
  await drawDownloads();
}

async function drawDownloads() {
  const list = $("#downloads", dialog);
  if (!list) return;
  let downloads = [];
  try {
    downloads = (await call("GET", "/api/models/downloads")).downloads;
  } catch (err) {
    list.replaceChildren(h("li.form-error", {}, err.message));
    return;
  }
  list.replaceChildren(...downloads.map(downloadItem));
  const statuses = downloads.map((d) => `${d.id}:${d.status}`).join(",");
  if (statuses !== lastStatuses) {
    lastStatuses = statuses;
    if (downloads.some((d) => d.status === "done")) drawModels();
  }
  const live = downloads.some((d) => ["checking", "downloading", "verifying"].includes(d.status));
  if (live && !poll && dialog.open) poll = setInterval(drawDownloads, 1000);
  if (!live) stopPolling();
}

function stopPolling() {
  if (poll) clearInterval(poll);
  poll = null;
}

function downloadItem(d) {
  const act = (path, method = "POST") => async () => {
    try { await call(method, `/api/models/downloads/${enc(d.id)}${path}`); } catch (err) { alertIn(item, err.message); }
    await drawDownloads();
  };
  const percent = d.total ? Math.floor((d.done / d.total) * 100) : null;
  const words = {
    checking: "Checking…",
    downloading: `${bytes(d.done)} of ${d.total ? bytes(d.total) : "?"}${d.speed ? ` · ${bytes(d.speed)}/s` : ""}`,
    verifying: "Checking the SHA-256 checksum…",
    done: `Downloaded${d.sha256 ? " and verified" : ""}: ${bytes(d.total)}.`,
    failed: d.error?.message || "Failed.",
    paused: `${bytes(d.done)} of ${d.total ? bytes(d.total) : "?"} kept. ${d.error?.message || ""}`,
    cancelled: "Cancelled.",
  }[d.status] || d.status;
  const live = ["checking", "downloading", "verifying"].includes(d.status);
  const resumable = ["paused", "failed"].includes(d.status) && d.done > 0;
  const item = h("li.download", { dataset: { status: d.status, file: d.file } },
    h("div.provider-head", {}, h("strong", {}, d.file)),
    h("progress", { max: "100", value: String(percent ?? 0), "aria-label": `Download of ${d.file}` }),
    h(`p.download-status${d.status === "failed" ? ".form-error" : ""}`, { role: "status" }, words),
    h("div.row", {},
      live ? h("button.button", { type: "button", onclick: act("/cancel") }, "Cancel") : null,
      resumable ? h("button.button.primary", { type: "button", onclick: act("/resume") }, "Resume") : null,
      !live ? h("button.button.ghost", { type: "button", onclick: act("", "DELETE") }, "Clear") : null));
  return item;
}

function alertIn(item, message) {
  item.append(h("p.form-error", { role: "alert" }, message));
}

function drawSuggestions(answer) {
  const list = $("#suggestions", dialog);
  if (!list) return;
  const have = new Set(answer.models.map((m) => m.file));
  list.replaceChildren(...answer.suggestions.map((s) => h("li.model-item", {},
    h("div.provider-head", {}, h("strong", {}, s.name), h("span.badge.muted", {}, bytes(s.size))),
    h("p.provider-url", {}, `${s.repo} · ${s.file}`),
    h("p.hint", {}, s.note),
    have.has(s.file) ? h("p.muted", {}, "Downloaded.")
      : h("button.button", { type: "button", onclick: async (event) => {
        event.target.disabled = true;
        try { await startDownload({ repo: s.repo, file: s.file }); } catch (err) { alertIn(event.target.parentElement, err.message); event.target.disabled = false; }
      } }, `Download ${s.name}`))));
}

function bytes(n) {
  if (n === null || n === undefined) return "unknown size";
  for (const [unit, step] of [["GB", 1e9], ["MB", 1e6], ["KB", 1e3]]) {
    if (n >= step) return `${(n / step).toFixed(1)} ${unit}`;
  }
  return `${n} bytes`;
}
