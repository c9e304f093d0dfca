// The context meter in the chat header (how full the next request is, and with what), the
// "Compact now" action, and the marked block a compaction's summary is drawn as.
import { api, ApiError } from "./api.js";
import { state } from "./state.js";
import { toast } from "./toasts.js";
import { $, formatCost, h } from "./view.js";

const WARN_SHARE = 0.9; // of the compaction threshold: warn a little before Hearth acts

let box = null;

function tokens(n) {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(n >= 10_000_000 ? 0 : 1)}M`;
  if (n >= 1_000) return `${(n / 1_000).toFixed(n >= 10_000 ? 0 : 1)}k`;
  return String(n);
}

function ensureBox() {
  if (box) return box;
  box = h("details#context-meter.menu.context-meter");
  $(".head-actions").prepend(box);
  window.addEventListener("hashchange", () => {
    if (!/^#\/s\//.test(location.hash)) box.hidden = true;
  });
  return box;
}

export function drawContextMeter(session) {
  const el = ensureBox();
  const context = session && session.context;
  if (!context) { el.hidden = true; return; }
  el.hidden = false;
  const used = context.used_tokens || 0;
  const windowTokens = context.window_tokens;
  const threshold = context.threshold || 0.8;
  const share = windowTokens ? used / windowTokens : 0;
  const warn = windowTokens && share >= threshold * WARN_SHARE;
  el.classList.toggle("warn", Boolean(warn));
  const label = windowTokens
    ? `${tokens(used)} / ${tokens(windowTokens)}`
    : `${tokens(used)} tokens`;
  const summary = h("summary.button.ghost", {
    title: "How much of the model's context the next message uses",
  },
  windowTokens ? h("meter", { min: 0, max: windowTokens, value: Math.min(used, windowTokens),
    low: Math.round(windowTokens * threshold * WARN_SHARE), high: Math.round(windowTokens * threshold),
    optimum: 0, "aria-hidden": "true" }) : null,
  h("span.visually-hidden", {}, "Context: "),
  h("span.context-label", {}, label),
  windowTokens ? h("span.visually-hidden", {}, " tokens") : null);
  const parts = context.parts || {};
  const rows = [
    ["System prompt and tools", parts.system_and_tools],
    ["Messages", parts.messages],
    ["Tool outputs", parts.tool_outputs],
  ].filter(([, n]) => n !== undefined);
  const spent = context.usage;
  const spentLine = spent && (spent.input_tokens || spent.output_tokens)
    ? h("p.context-usage", {}, `This conversation so far: ${tokens(spent.input_tokens)} in · ${tokens(spent.output_tokens)} out`
      + (spent.cost_usd != null ? ` · ${formatCost(spent.cost_usd)}` : ""))
    : null;
  const note = !windowTokens
    ? "Hearth does not know this model's window. Set it under Settings (context windows) to see how full it is."
    : warn
      ? `Nearly full: at ${Math.round(threshold * 100)}% Hearth summarises the oldest turns before sending.`
      : `At ${Math.round(threshold * 100)}% Hearth summarises the oldest turns; the originals stay here.`;
  const compact = h("button#compact-now.button", { type: "button", onclick: () => compactNow(el) },
    "Compact now");
  compact.disabled = Boolean(session.active_run);
  const tuning = context.model ? windowForm(context) : null;
  el.replaceChildren(summary, h("div.menu-items.context-details", {},
    h("table.context-parts", {}, rows.map(([name, n]) =>
      h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, `${tokens(n)} tokens`)))),
    h("p.context-note", {}, note),
    spentLine,
    tuning,
    compact));
}

// The model's window and the compaction threshold, set where they show (PATCH /api/settings).
function windowForm(context) {
  const windowInput = h("input#context-window-input", { type: "number", min: 256, step: 1,
    value: context.window_tokens ?? "", placeholder: "unknown" });
  const shareInput = h("input#context-threshold-input", { type: "number", min: 30, max: 98,
    step: 1, value: Math.round((context.threshold || 0.8) * 100) });
  const imagesChoice = h("select#context-images-input", {},
    h("option", { value: "" }, "Automatic (what the provider or Hearth's table says)"),
    h("option", { value: "yes" }, "Yes"),
    h("option", { value: "no" }, "No"));
  const form = h("form.context-form", {},
    h("label", { for: "context-window-input" }, `Window of ${context.model} (tokens)`), windowInput,
    h("label", { for: "context-threshold-input" }, "Summarise older turns at (% of the window)"),
    shareInput,
    h("label", { for: "context-images-input" }, `${context.model} takes images`), imagesChoice,
    h("button.button", { type: "submit" }, "Save"));
  api.getSettings().then((settings) => {
    const said = (settings.model_images || {})[context.model];
    imagesChoice.value = said === true ? "yes" : said === false ? "no" : "";
  }).catch(() => { /* left at Automatic */ });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const settings = await api.getSettings();
      const windows = { ...(settings.context_windows || {}) };
      if (windowInput.value) windows[context.model] = Number(windowInput.value);
      else delete windows[context.model];
      const images = { ...(settings.model_images || {}) };
      if (imagesChoice.value) images[context.model] = imagesChoice.value === "yes";
      else delete images[context.model];
      await api.updateSettings({
        context_windows: windows,
        context_threshold: Number(shareInput.value) / 100,
        model_images: images,
      });
      const session = await api.getSession(state.sessionId);
      state.session = session;
      drawContextMeter(session);
      toast("Saved.");
    } catch (err) { toast(err.message); }
  });
  return form;
}

async function compactNow(el) {
  const sessionId = state.sessionId;
  if (!sessionId) return;
  el.open = false;
  try {
    await startCompaction(sessionId);
  } catch (err) {
    toast(err.message);
    return;
  }
  const { showSession } = await import("./conversation.js");
  try {
    const session = await api.getSession(sessionId);
    if (state.sessionId !== sessionId) return;
    state.session = session;
    showSession(session);
  } catch (err) { toast(err.message); }
}

async function startCompaction(sessionId) {
  let response;
  try {
    response = await fetch(`/api/sessions/${encodeURIComponent(sessionId)}/compact`, {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: "{}",
    });
  } catch {
    throw new ApiError(0, "offline", "Hearth's server cannot be reached. Is it still running?");
  }
  if (!response.ok) {
    const error = (await response.json().catch(() => null))?.error || {};
    throw new ApiError(response.status, error.code || "error", error.message || `Compacting failed (${response.status}).`);
  }
}

// A summary on the shown path: the turns above it are what it stands for.
export function summaryBlock(message) {
  const done = message.status === "complete";
  return h("section.summary-block", { role: "note", "aria-label": "Summary of earlier turns",
    dataset: { messageId: message.id, status: message.status } },
  h("div.summary-head", {}, done
    ? "Summary of the earlier turns: the model is sent this instead of them (they stay above)."
    : "A summary was started here but did not finish; the turns above are still sent in full."),
  message.content ? h("div.summary-text", {}, message.content) : null);
}
