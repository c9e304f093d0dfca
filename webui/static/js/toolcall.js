// What a tool call will do, shown for a person to judge: the whole command, the file content
// to be written, the change to a file as a diff; never escaped JSON. Every value goes through
// reveal(), so invisible characters and long blank runs cannot hide anything.
import { reveal, revealBlock } from "./reveal.js";
import { h } from "./view.js";

export function parseArguments(args) {
  if (args === undefined || args === null || args === "") return {};
  if (typeof args === "string") {
    try {
      const value = JSON.parse(args);
      return value && typeof value === "object" && !Array.isArray(value) ? value : { arguments: args };
    } catch {
      return { arguments: args };
    }
  }
  return typeof args === "object" && !Array.isArray(args) ? args : { arguments: args };
}

// One line naming a value, like "File: notes/todo.md".
function fact(label, value, mode = "command") {
  const { fragment, marked } = reveal(String(value ?? ""), { mode });
  return { el: h("p.call-fact", {}, h("strong", {}, `${label}: `), h("code", {}, fragment)), marked };
}

// A view of the call; `marked` counts the unusual characters shown as marks.
export function callView(name, args) {
  const values = parseArguments(args);
  const parts = [];
  const add = (part) => { parts.push(part); return part; };
  if (name === "run_command" && typeof values.command === "string") {
    add(revealBlock(values.command, { mode: "command", label: "Command", className: "call-command" }));
    if (values.timeout !== undefined) add(fact("Timeout", `${values.timeout} s`));
  } else if (name === "write_file" && typeof values.content === "string") {
    add(fact("File", values.path));
    add(revealBlock(values.content, { label: "Content", className: "call-content" }));
  } else if (name === "edit_file" && typeof values.old_text === "string" && typeof values.new_text === "string") {
    add(fact("File", values.path));
    if (values.replace_all) parts.push({ el: h("p.call-fact", {}, "Replaces every occurrence."), marked: 0 });
    add(diffView(values.old_text, values.new_text));
  } else if (name === "fetch_url" && typeof values.url === "string") {
    add(fact("URL", values.url));
  } else {
    for (const [key, value] of Object.entries(values)) {
      const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
      add(revealBlock(text, { mode: typeof value === "string" && !text.includes("\n") ? "command" : "text", label: key }));
    }
  }
  const marked = parts.reduce((sum, part) => sum + part.marked, 0);
  const el = h("div.call-view", {});
  if (marked) {
    el.append(h("p.call-warning", { role: "note" },
      `⚠ This holds ${marked.toLocaleString("en")} invisible or unusual character${marked === 1 ? "" : "s"}, `
      + "shown as marks like ⟨U+00A0⟩ or highlighted. Check what will really run."));
  }
  el.append(...parts.map((part) => part.el));
  return { el, marked };
}

// --- the change an edit makes, line by line ---------------------------------------------

const MAX_CELLS = 1_000_000; // beyond this many line pairs: the old lines, then the new ones

export function lineDiff(oldText, newText) {
  const a = oldText.split("\n");
  const b = newText.split("\n");
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) { endA--; endB--; }
  const head = a.slice(0, start).map((line) => ["same", line]);
  const tail = a.slice(endA).map((line) => ["same", line]);
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  let middle;
  if (midA.length * midB.length > MAX_CELLS) {
    middle = [...midA.map((l) => ["del", l]), ...midB.map((l) => ["add", l])];
  } else {
    middle = lcsDiff(midA, midB);
  }
  return [...head, ...middle, ...tail];
}

function lcsDiff(a, b) {
  const n = a.length;
  const m = b.length;
  const width = m + 1;
  const table = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * width + j] = a[i] === b[j]
        ? table[(i + 1) * width + j + 1] + 1
        : Math.max(table[(i + 1) * width + j], table[i * width + j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { out.push(["same", a[i]]); i++; j++; }
    else if (table[(i + 1) * width + j] >= table[i * width + j + 1]) out.push(["del", a[i++]]);
    else out.push(["add", b[j++]]);
  }
  while (i < n) out.push(["del", a[i++]]);
  while (j < m) out.push(["add", b[j++]]);
  return out;
}

const SIGN = { same: " ", del: "−", add: "+" };
const LABEL = { same: "unchanged", del: "removed", add: "added" };

function diffView(oldText, newText) {
  const rows = lineDiff(oldText, newText);
  const removed = rows.filter(([kind]) => kind === "del").length;
  const added = rows.filter(([kind]) => kind === "add").length;
  const pre = h("pre.reveal.call-diff", { tabindex: "0", "aria-label": `Change: ${removed} lines removed, ${added} added` });
  let marked = 0;
  for (const [kind, line] of rows) {
    const shown = reveal(line, { mode: "text" });
    marked += shown.marked;
    pre.append(h(`span.diff-line.diff-${kind}`, { title: LABEL[kind] },
      h("span.diff-sign", { "aria-hidden": "true" }, SIGN[kind]), shown.fragment, "\n"));
  }
  const size = `${removed.toLocaleString("en")} line${removed === 1 ? "" : "s"} removed, `
    + `${added.toLocaleString("en")} added; `
    + `${Array.from(oldText).length.toLocaleString("en")} → ${Array.from(newText).length.toLocaleString("en")} characters`;
  return {
    el: h("div.reveal-section", {}, h("div.reveal-label", {}, h("strong", {}, "Change"), " · ", size), pre),
    marked,
  };
}
