// Keyboard shortcuts: Ctrl/Cmd+K search, Ctrl/Cmd+Shift+O new chat, Esc stop, Ctrl/Cmd+/ help.
import { $ } from "./view.js";

export function initShortcuts({ search, newChat, stop, isLive }) {
  const help = $("#help-dialog");
  $("#open-help").addEventListener("click", () => help.showModal());
  help.addEventListener("click", (event) => {
    if (event.target.closest("[data-close]") || event.target === help) help.close();
  });
  document.addEventListener("keydown", (event) => {
    const mod = event.ctrlKey || event.metaKey;
    const key = event.key.toLowerCase();
    if (mod && !event.shiftKey && key === "k") {
      event.preventDefault();
      search();
    } else if (mod && event.shiftKey && key === "o") {
      event.preventDefault();
      newChat();
    } else if (mod && key === "/") {
      event.preventDefault();
      if (help.open) help.close(); else help.showModal();
    } else if (key === "escape" && isLive() && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      stop();
    }
  });
}
