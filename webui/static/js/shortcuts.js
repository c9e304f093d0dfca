// Keyboard shortcuts: Ctrl/Cmd+K search, Ctrl/Cmd+Shift+O new chat, Esc stop, Ctrl/Cmd+/ this
// list. The list (the help dialog) names every key the page and the window bind, where each
// is bound: here (the document), composer.js (the message box), sidebar.js (search, the list,
// renaming), main.js (the narrow window's sidebar) and desktop.js (Ctrl+Q in the window).
import { isDesktop } from "./desktop.js";
import { $, h } from "./view.js";

const MOD = ["Ctrl/⌘"];
const GROUPS = [
  ["Anywhere", [
    [[...MOD, "K"], "Search conversations"],
    [[...MOD, "Shift", "O"], "New chat"],
    [["Esc"], "Stop the answer while it streams"],
    [[...MOD, "/"], "Show or hide this list"],
  ]],
  ["In the message box", [
    [["Enter"], "Send the message"],
    [["Shift", "Enter"], "New line in the message"],
    [["↑"], "Edit your last message (when the box is empty)"],
    [["Esc"], "Cancel editing a message"],
  ]],
  ["Search and the conversation list", [
    [["↓"], "From the search box: go to the results"],
    [["↑|↓"], "Move between conversations (Home and End: first and last)"],
    [["Esc"], "Clear the search, or go back to it from the results"],
    [["Enter"], "Keep a new name (Esc: cancel the rename)"],
  ]],
  ["Narrow window", [
    [["Esc"], "Close the conversation list"],
  ]],
];
const WINDOW_GROUP = ["In the Hearth window", [
  [[...MOD, "Q"], "Quit Hearth"],
]];

// ["Ctrl/⌘", "Shift", "O"] → Ctrl/⌘ + Shift + O; "↑|↓" is either key.
function keys(combo) {
  const parts = [];
  combo.forEach((key, i) => {
    if (i) parts.push(" + ");
    if (key === "Ctrl/⌘") parts.push(h("kbd", {}, "Ctrl"), "/", h("kbd", {}, "⌘"));
    else key.split("|").forEach((one, j) => parts.push(...(j ? [" ", h("kbd", {}, one)] : [h("kbd", {}, one)])));
  });
  return parts;
}

function drawList() {
  const groups = isDesktop() ? [...GROUPS, WINDOW_GROUP] : GROUPS;
  $("#shortcut-list").replaceChildren(...groups.map(([title, rows]) =>
    h("section.shortcut-group", { "aria-label": title },
      h("h3", {}, title),
      h("dl.shortcuts", {}, rows.flatMap(([combo, what]) => [h("dt", {}, keys(combo)), h("dd", {}, what)])))));
}

export function initShortcuts({ search, newChat, stop, isLive }) {
  const help = $("#help-dialog");
  const open = () => { drawList(); help.showModal(); };
  $("#open-help").addEventListener("click", open);
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
      if (help.open) help.close(); else open();
    } else if (key === "escape" && isLive() && !document.querySelector("dialog[open]")) {
      event.preventDefault();
      stop();
    }
  });
}
