// Start-up and the glue between the parts: routes (#/s/<id>, #/new), sending, stopping,
// versions (edit, regenerate, continue, switching, fork), export and import.
import { api } from "./api.js";
import {
  clearInput, focusInput, forgetModels, initComposer, loadDraft, refreshModels, refreshState, setEditing, setText,
} from "./composer.js";
import { liveRunId, onTurnAction, showEmpty, showSession, startTurn, stopFollowing } from "./conversation.js";
import { initDesktop } from "./desktop.js";
import { importChats } from "./importer.js";
import { drawFirstRun } from "./firstrun.js";
import { loadSettings, openSettings } from "./settings.js";
import { openModels } from "./models.js";
import { newChatBody } from "./sessioninfo.js";
import { initShortcuts } from "./shortcuts.js";
import { focusSearch, initSidebar, markActive, refresh as refreshSidebar } from "./sidebar.js";
import { on, setLive, state } from "./state.js";
import { icon } from "./icons.js";
import { toast } from "./toasts.js";
import { attachedFiles, clearAttachments } from "./attachments.js";
import { $ } from "./view.js";

const title = $("#chat-title");
const messages = $("#messages");
const exportButtons = [$("#export-md"), $("#export-json"), $("#export-zip")];
let routeToken = 0;
const starting = state.starting; // sessions whose POST .../runs is on its way

async function route() {
  const token = ++routeToken;
  stopEditing({ restore: true });
  const match = location.hash.match(/^#\/s\/([\w-]+)/);
  const id = match ? match[1] : null;
  closeSidebarOnPhone();
  if (!id) {
    stopFollowing();
    state.sessionId = null;
    state.session = null;
    title.textContent = "New conversation";
    showEmpty(null);
    exportButtons.forEach((b) => { b.disabled = true; });
    $("#export-menu").hidden = true;
    afterOpen();
    return;
  }
  try {
    const session = await api.getSession(id);
    if (token !== routeToken) return;
    state.sessionId = id;
    state.session = session;
    title.textContent = session.title || "New conversation";
    exportButtons.forEach((b) => { b.disabled = false; });
    $("#export-menu").hidden = false;
    showSession(withoutLiveRun(session));
    afterOpen();
  } catch (err) {
    if (token !== routeToken) return;
    toast(err.status === 404 ? "That conversation no longer exists." : err.message);
    location.hash = "#/new";
  }
}

// While a run is live the stored session may hold its partial answer already; the event log
// replayed from 0 draws it, so the checkpointed copy is left out (nothing shown twice). An
// answer the run continues is handed on as ``continuing``: the live turn starts with its text.
function withoutLiveRun(session) {
  if (!session.active_run) return session;
  const runId = session.active_run.id;
  const continuing = session.messages.find((m) => m.role === "assistant" && m.run_id === runId) || null;
  return { ...session, continuing, messages: session.messages.filter((m) => m.role === "user" || m.run_id !== runId) };
}

function afterOpen() {
  markActive();
  loadDraft();
  refreshState();
  refreshModels();
}

async function send(text) {
  const content = text;
  const files = attachedFiles();
  try {
    let id = state.sessionId;
    if (!id) {
      // Untitled: the server names it from this message, then by the model (sidebar.js).
      const created = await api.createSession({
        ...newChatBody(), ...(state.pendingModel ? { model: state.pendingModel } : {}),
      });
      state.pendingModel = null;
      id = created.id;
      state.sessionId = id;
      state.session = { ...created, messages: [] };
      drafts_moveNew(id);
      routeToken++;
      history.replaceState(null, "", `#/s/${id}`);
      title.textContent = created.title || "New conversation";
      messages.replaceChildren();
      exportButtons.forEach((b) => { b.disabled = false; });
      $("#export-menu").hidden = false;
    }
    clearInput();
    starting.add(id);
    const body = files.length ? { content, attachments: files.map((f) => f.id) } : { content };
    const run = await api.startRun(id, body).finally(() => starting.delete(id));
    clearAttachments();
    startTurn(id, content, run.run_id, files);
    refreshSidebar().then(markActive);
  } catch (err) {
    if (!state.sessionId || input().value === "") setText(content);
    toast(err.message, { timeout: 8000 });
    refreshState();
  }
}

function input() { return $("#composer-input"); }

function drafts_moveNew(id) {
  const text = localStorage.getItem("hearth.draft.new");
  localStorage.removeItem("hearth.draft.new");
  if (text) localStorage.setItem(`hearth.draft.${id}`, text);
}

async function stop() {
  const runId = liveRunId();
  if (!runId) return;
  try {
    await api.cancelRun(runId);
  } catch (err) {
    if (err.status === 404) setLive(state.sessionId, null);
    else toast(err.message);
  }
}

// Edit, Regenerate/Retry and Continue start a run that makes a new version (or extends the
// answer in place); the server keeps every old version. The stored session, read once the run
// has begun, is the truth: it shows the new branch and its live run, which is then followed.
async function runVersion(body) {
  const id = state.sessionId;
  if (!id) return;
  starting.add(id);
  try {
    await api.startRun(id, body);
  } finally {
    starting.delete(id);
  }
  await reopen(id);
  refreshSidebar().then(markActive);
}

async function reopen(id, { keepScroll = false } = {}) {
  const fresh = await api.getSession(id);
  if (state.sessionId !== id) return;
  state.session = fresh;
  showSession(withoutLiveRun(fresh), { keepScroll });
}

// ‹ and ›: show the other version's branch, and keep the keyboard on the same arrow.
async function switchVersion(messageId, arrow) {
  const id = state.sessionId;
  const session = await api.showPath(id, messageId);
  if (state.sessionId !== id) return;
  state.session = session;
  showSession(withoutLiveRun(session), { keepScroll: true });
  const box = messages.querySelector(`[data-id="${CSS.escape(messageId)}"] .versions`);
  (box?.querySelector(`.${arrow}:not(:disabled)`) || box?.querySelector("button:not(:disabled)"))?.focus();
}

async function fork(message) {
  const session = await api.forkSession(state.sessionId, message.id);
  await refreshSidebar();
  location.hash = `#/s/${session.id}`;
  toast(`Forked into “${session.title}”.`);
}

onTurnAction(async (action, payload) => {
  if (!state.sessionId) return;
  if (action === "fork") {
    fork(payload).catch((err) => toast(err.message));
    return;
  }
  if (liveRunId()) return;
  try {
    if (action === "continue") {
      await runVersion({ continue: payload.id });
    } else if (action === "regenerate") {
      await runVersion({ regenerate: payload.id });
    } else if (action === "switch") {
      const arrow = document.activeElement?.classList.contains("version-next") ? "version-next" : "version-prev";
      await switchVersion(payload, arrow);
    } else if (action === "edit") {
      startEditing(payload);
    }
  } catch (err) {
    toast(err.message);
  }
});

// Editing: the composer holds the message's text; sending makes a new version of it.
let editing = null; // { id, content } of the user message being edited

function startEditing(message) {
  editing = { id: message.id, content: message.content };
  setText(message.content);
  setEditing(true);
}

function stopEditing({ restore = false } = {}) {
  if (!editing) return;
  editing = null;
  setEditing(false);
  if (restore) clearInput();
}

async function download(format) {
  if (!state.sessionId) return;
  try {
    const response = await fetch(`/api/sessions/${state.sessionId}/export?format=${format}`, { credentials: "same-origin" });
    if (!response.ok) throw new Error("Export failed.");
    const blob = await response.blob();
    const name = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/)?.[1] || `hearth.${format === "markdown" ? "md" : format}`;
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  } catch (err) {
    toast(err.message);
  }
}

async function importFile(file) {
  const result = await importChats(file);
  if (!result) return;
  await refreshSidebar();
  if (result.session) location.hash = `#/s/${result.session.id}`;
}

function newChat() {
  if (location.hash === "#/new") route();
  else location.hash = "#/new";
  focusInput();
}

// Ctrl/Cmd+K and the window menu's Search: on a narrow window the search box is in the
// sidebar lying off screen, so the sidebar opens first.
function search() {
  if (matchMedia("(max-width: 760px)").matches && !document.body.classList.contains("sidebar-open")) {
    document.body.classList.add("sidebar-open");
    $("#toggle-sidebar").setAttribute("aria-expanded", "true");
  }
  focusSearch();
}

function closeSidebarOnPhone() {
  document.body.classList.remove("sidebar-open");
  $("#toggle-sidebar").setAttribute("aria-expanded", "false");
}

async function boot() {
  // First, before anything waits: the window may mark the page while it starts.
  initDesktop({ newChat, search });
  await loadSettings();
  initComposer({
    onSend: async (text) => {
      if (editing) {
        const target = editing;
        stopEditing();
        clearInput();
        try {
          await runVersion({ edit: target.id, content: text });
        } catch (err) {
          setText(text);
          toast(err.message, { timeout: 8000 });
        }
      } else {
        send(text);
      }
    },
    onCancelEdit: () => stopEditing({ restore: true }),
    onStop: stop,
    onOpenSettings: () => openSettings(),
  });
  initShortcuts({ search, newChat, stop, isLive: () => Boolean(liveRunId()) });
  $("#new-chat").addEventListener("click", newChat);
  // The skip link must not change the hash (that is the router's): it only moves focus.
  $(".skip-link").addEventListener("click", (event) => { event.preventDefault(); focusInput(); });
  $("#open-settings").addEventListener("click", () => openSettings());
  $("#open-models").addEventListener("click", () => openModels());
  $("#import-button").addEventListener("click", () => $("#import-file").click());
  $("#import-file").addEventListener("change", (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (file) importFile(file);
  });
  $("#export-md").addEventListener("click", () => { $("#export-menu").open = false; download("markdown"); });
  $("#export-json").addEventListener("click", () => { $("#export-menu").open = false; download("json"); });
  $("#export-zip").addEventListener("click", () => { $("#export-menu").open = false; download("zip"); });
  $("#toggle-sidebar").prepend(icon("menu"));
  $("#toggle-sidebar").addEventListener("click", () => {
    const open = document.body.classList.toggle("sidebar-open");
    $("#toggle-sidebar").setAttribute("aria-expanded", String(open));
    if (open) $("#search").focus();
  });
  // On a narrow window the sidebar lies over the chat: Esc or a click beside it closes it.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && document.body.classList.contains("sidebar-open") && !event.defaultPrevented) {
      closeSidebarOnPhone();
      $("#toggle-sidebar").focus();
    }
  });
  $("#session-list").addEventListener("click", (event) => {
    if (event.target.closest(".session-link")) closeSidebarOnPhone();
  });
  document.addEventListener("click", (event) => {
    if (!document.body.classList.contains("sidebar-open")) return;
    if (event.target.closest("#sidebar, #toggle-sidebar, .toasts, dialog")) return;
    closeSidebarOnPhone();
  });
  document.addEventListener("session-renamed", (event) => { title.textContent = event.detail.title; });
  on("settings", () => { forgetModels(); drawFirstRun(); refreshState(); refreshModels(); });
  on("run-ended", () => refreshSidebar().then(markActive));
  // A run the server has in the open conversation that this page does not follow (started in
  // another tab or window): open the conversation again, which follows it.
  on("server-run", (id) => {
    if (id === state.sessionId && !liveRunId() && !starting.has(id)) route();
  });
  window.addEventListener("hashchange", route);
  drawFirstRun();
  await initSidebar({});
  await route();
  document.body.dataset.ready = "true";
}

boot();
