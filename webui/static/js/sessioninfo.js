// Under the chat header: where the open session's agent works and what it is told (its
// workspace folder and system prompt), and, for an imported chat, what the file asked for,
// which is not used until the user has seen it and chosen.
import { api } from "./api.js";
import { reveal, revealBlock } from "./reveal.js";
import { state } from "./state.js";
import { toast } from "./toasts.js";
import { $, h } from "./view.js";

const bar = h("div#session-info.session-info", { hidden: true });
$(".chat-head").after(bar);
window.addEventListener("hashchange", () => {
  if (!location.hash.startsWith("#/s/")) drawSessionInfo(null);
});

export function drawSessionInfo(session) {
  bar.replaceChildren();
  bar.hidden = !session;
  if (!session) return;
  const review = session.import_review;
  if (review) bar.append(reviewNotice(session, review));
  const row = h("div.session-row", {}, facts(session, Boolean(review)));
  if (!review) row.append(toolsSwitch(session));
  bar.append(row);
  if (session.workspace_notice) bar.append(h("p.workspace-notice", { role: "note" }, session.workspace_notice));
}

function facts(session, underReview) {
  let folder;
  if (underReview) folder = h("span", {}, "none (tools are off until you decide about this imported chat)");
  else if (session.workspace) folder = h("code", {}, reveal(session.workspace, { mode: "command" }).fragment);
  else {
    const fallback = state.settings?.default_workspace;
    folder = fallback
      ? h("span", {}, h("code", {}, reveal(fallback, { mode: "command" }).fragment), " (the default)")
      : h("span", {}, "the default workspace");
  }
  const prompt = session.system_prompt;
  const custom = state.settings?.system_prompt;
  const promptText = prompt
    ? "its own"
    : custom ? "yours from Settings" : "Hearth's default";
  const summary = h("summary", {},
    h("span.info-item", {}, "Workspace: ", folder),
    h("span.info-item", {}, "System prompt: ", promptText));
  const details = h("details.session-facts", {}, summary);
  const shown = prompt || custom;
  if (shown) details.append(revealBlock(shown, { label: "System prompt", className: "info-prompt" }).el);
  else details.append(h("p.info-note", {}, "Hearth's own prompt: it names the workspace and today's date and explains the tools."));
  return details;
}

// "Chat only": this chat's model is offered no tools (a small model, or a plain conversation).
function toolsSwitch(session) {
  const box = h("input", { type: "checkbox", role: "switch", checked: session.tools_enabled !== false });
  const label = h("label.tools-switch", {}, box, " Tools");
  label.title = "Off: this chat is chat only; its model gets no tools and a short prompt";
  box.addEventListener("change", async () => {
    box.disabled = true;
    try {
      const updated = await api.updateSession(session.id, { tools_enabled: box.checked });
      if (state.sessionId !== session.id) return;
      state.session = { ...state.session, ...updated };
      drawSessionInfo(state.session);
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
  const shown = h("div.review-detail", { hidden: true });
  if (review.workspace) {
    shown.append(revealBlock(review.workspace, { mode: "command", label: "Workspace it asks for" }).el);
  }
  if (review.system_prompt) {
    shown.append(revealBlock(review.system_prompt, { label: "System prompt it asks for" }).el);
  }
  const showButton = h("button.small", { type: "button", "aria-expanded": "false" }, "Show");
  showButton.addEventListener("click", () => {
    shown.hidden = !shown.hidden;
    showButton.setAttribute("aria-expanded", String(!shown.hidden));
    showButton.textContent = shown.hidden ? "Show" : "Hide";
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
    shown);
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
