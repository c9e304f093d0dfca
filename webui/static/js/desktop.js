// The desktop window's hooks (docs/desktop.md, "The page ↔ window contract"). The window marks
// the page with documentElement.dataset.desktop = "1" and dispatches `hearth:desktop-ready` on
// window, before or after this module loads, so both are checked. Only then do "Open data
// folder" and "Open logs" show; they ask the window through `hearth:desktop` events. The menu's
// commands arrive as `hearth:command` events and act like the page's own shortcuts.
import { $ } from "./view.js";

const ACTIONS = { "open-data-folder": "open_data_folder", "open-logs": "open_logs" };

export function isDesktop() {
  return document.documentElement.dataset.desktop === "1";
}

function ask(action) {
  if (!isDesktop()) return;
  window.dispatchEvent(new CustomEvent("hearth:desktop", { detail: { action } }));
}

function showActions() {
  if (!isDesktop()) return;
  for (const id of Object.keys(ACTIONS)) $(`#${id}`).hidden = false;
}

export function initDesktop({ newChat, search }) {
  for (const [id, action] of Object.entries(ACTIONS)) {
    $(`#${id}`).addEventListener("click", () => ask(action));
  }
  window.addEventListener("hearth:desktop-ready", showActions);
  window.addEventListener("hearth:command", (event) => {
    const command = event.detail?.command;
    if (command === "new-chat") newChat();
    else if (command === "search") search();
  });
  showActions();
}
