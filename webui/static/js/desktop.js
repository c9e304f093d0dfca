// The page's side of the desktop window (docs/desktop.md, "The page ↔ window contract").
// The window marks the page with documentElement.dataset.desktop = "1" and dispatches
// `hearth:desktop-ready` on window, before or after this module loads, so both are checked.
// The page asks the window for things over HTTP (POST /api/desktop/<action>, answered by the
// window through the server it runs); the window speaks to the page only by dispatching events
// (`hearth:desktop-ready`, the menu's `hearth:command`). Other modules ask with a
// `hearth:desktop` event ({action, url | id}) or call pickFolder().
import { request } from "./api.js";
import { $ } from "./view.js";

const BUTTONS = { "open-data-folder": "open_data_folder", "open-logs": "open_logs" };
const ACTIONS = new Set(["open_data_folder", "open_logs", "open_link", "open_attachment", "quit"]);
const UI_READY_WAIT_MS = 10000;

export function isDesktop() {
  return document.documentElement.dataset.desktop === "1";
}

function askWindow(action, body = {}) {
  return request("POST", `/api/desktop/${action}`, body);
}

// The window's folder picker: the chosen folder's absolute path, or null if the user cancelled
// (or this is not the window). Rejects with api.js's ApiError if the window could not be asked.
export async function pickFolder() {
  if (!isDesktop()) return null;
  const answer = await askWindow("pick_folder");
  return typeof answer?.path === "string" && answer.path ? answer.path : null;
}

function ask(action, detail = {}) {
  if (!isDesktop() || !ACTIONS.has(action)) return;
  const body = action === "open_link" ? { url: String(detail.url ?? "") }
    : action === "open_attachment" ? { id: String(detail.id ?? "") } : {};
  askWindow(action, body).catch((error) => console.warn(`the window could not ${action}:`, error.message));
}

function leavesTheApp(href) {
  try { return new URL(href, location.href).origin !== location.origin; } catch { return false; }
}

// Links that leave the app open in the system browser, never in the window.
function keepLinksOutside() {
  document.addEventListener("click", (event) => {
    if (!isDesktop()) return;
    const link = event.target?.closest?.("a[href]");
    if (!link || !leavesTheApp(link.href)) return;
    event.preventDefault();
    event.stopPropagation();
    ask("open_link", { url: link.href });
  }, true);
  const windowOpen = window.open;
  window.open = function (url, ...rest) {
    if (isDesktop() && url && leavesTheApp(url)) {
      ask("open_link", { url: new URL(url, location.href).href });
      return null;
    }
    return windowOpen.call(window, url, ...rest);
  };
}

function quitKey() {
  document.addEventListener("keydown", (event) => {
    if (!isDesktop()) return;
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey
        && (event.key || "").toLowerCase() === "q") {
      event.preventDefault();
      ask("quit");
    }
  }, true);
}

// Tells the window once the sessions list has been fetched and painted (the launch figure).
let reporting = false;
function reportUiReady() {
  if (reporting || !isDesktop()) return;
  reporting = true;
  let reported = false;
  const apiCalls = () => performance.getEntriesByType("resource")
    .map((entry) => new URL(entry.name).pathname)
    .filter((path) => path.startsWith("/api/") && !path.startsWith("/api/desktop/"));
  const report = (waited) => {
    if (reported) return;
    reported = true;
    askWindow("ui_ready", { api_calls: apiCalls().slice(0, 20), waited }).catch(() => {});
  };
  const check = () => {
    if (reported || !apiCalls().some((path) => path.startsWith("/api/sessions"))) return;
    requestAnimationFrame(() => requestAnimationFrame(() => report(false)));
  };
  try { new PerformanceObserver(check).observe({ type: "resource", buffered: true }); } catch { /* the timer reports */ }
  check();
  setTimeout(() => report(true), UI_READY_WAIT_MS);
}

function showActions() {
  if (!isDesktop()) return;
  for (const id of Object.keys(BUTTONS)) $(`#${id}`).hidden = false;
  reportUiReady();
}

export function initDesktop({ newChat, search }) {
  for (const [id, action] of Object.entries(BUTTONS)) {
    $(`#${id}`).addEventListener("click", () => window.dispatchEvent(
      new CustomEvent("hearth:desktop", { detail: { action } })));
  }
  window.addEventListener("hearth:desktop", (event) => ask(event.detail?.action, event.detail || {}));
  keepLinksOutside();
  quitKey();
  window.addEventListener("hearth:desktop-ready", showActions);
  window.addEventListener("hearth:command", (event) => {
    const command = event.detail?.command;
    if (command === "new-chat") newChat();
    else if (command === "search") search();
  });
  showActions();
}
