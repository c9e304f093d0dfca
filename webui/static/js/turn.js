// One assistant turn on screen: reasoning, text segments (Markdown), tool cards, approval
// cards, usage and the turn's ending. Built the same way from stored messages and from live
// events, so a reloaded turn looks exactly like a streamed one.
import { api } from "./api.js";
import { reveal } from "./reveal.js";
import { StreamingMarkdown } from "./streaming_markdown.js";
import { callView } from "./toolcall.js";
import { copyButton, formatTokens, h, perFrame } from "./view.js";
import { timeStamp } from "./when.js";

const DECISION_TEXT = { allow: "Allowed once", allow_session: "Allowed for this session",
  allow_always: "Allowed always (revoke in Settings)", deny: "Denied" };

export class AssistantTurn {
  constructor({ onChange = () => {}, onAction = () => {} } = {}) {
    this.onChange = onChange;
    this.onAction = onAction;
    this.el = h("article.turn.assistant", { "aria-label": "Assistant" });
    this.body = h("div.turn-body");
    this.foot = h("div.turn-foot");
    this.el.append(this.body, this.foot);
    this.text = null; // the current text segment (a StreamingMarkdown: raw, el)
    this.reasoning = null;
    this.cards = new Map(); // call id → card
    this.cardList = []; // every card, in order
    this.approvals = new Map(); // approval id → card
    this.stillPending = new Set(); // approval ids the server said are waiting (replay must not settle them)
    this.scheduleRender = perFrame(() => this.renderNow());
  }

  // --- streamed pieces ---------------------------------------------------------------
  addText(text, { now = false } = {}) {
    if (!text) return;
    if (!this.text) {
      this.text = new StreamingMarkdown(h("div.md"));
      this.body.append(this.text.el);
    }
    this.text.append(text);
    this.el.classList.remove("waiting");
    if (now) this.renderNow(); else this.scheduleRender();
  }

  addReasoning(text, { now = false } = {}) {
    if (!text) return;
    if (!this.reasoning) {
      const content = h("div.md.reasoning-text");
      const details = h("details.reasoning", {}, h("summary", {}, "Reasoning"), content);
      this.reasoning = new StreamingMarkdown(content);
      this.body.prepend(details);
    }
    this.reasoning.append(text);
    if (now) this.renderNow(); else this.scheduleRender();
  }

  // Draws only what arrived since the last frame (see streaming_markdown.js).
  renderNow() {
    for (const part of [this.reasoning, ...this.textParts()]) part?.render();
    this.onChange();
  }

  textParts() {
    return [...(this.allText || []), this.text].filter(Boolean);
  }

  closeText() {
    if (!this.text) return;
    if (this.text.dirty) this.renderNow();
    this.text.finish();
    this.allText = [...(this.allText || []), this.text];
    this.text = null;
  }

  toolStarted({ call_id, name, arguments: args }) {
    this.closeText();
    this.settleApprovals();
    let card = this.cards.get(call_id);
    if (!card || !card.running) { // ids may repeat across model calls in one turn
      card = toolCard(name, args);
      this.cards.set(call_id, card);
      this.cardList.push(card);
      this.body.append(card.el);
    }
    this.onChange();
  }

  toolCompleted({ call_id, ok, output }) {
    this.stillPending.clear();
    this.settleApprovals();
    const card = this.cards.get(call_id);
    if (card) card.complete(ok !== false, output);
    this.onChange();
  }

  approvalRequested(data) {
    if (this.approvals.has(data.approval_id)) return;
    // Tools run one at a time: the call asking is the last one still running.
    const call = [...this.cards.values()].reverse().find((c) => c.running);
    if (call) call.waitForApproval(true);
    const card = approvalCard(data, this.onChange, () => call?.waitForApproval(false));
    this.approvals.set(data.approval_id, card);
    this.body.append(card.el);
    this.onChange();
  }

  // Any later step means every open approval was answered (tools run one at a time).
  settleApprovals(text = "Answered", { force = false } = {}) {
    for (const [id, card] of this.approvals) {
      if (force || !this.stillPending.has(id)) card.settle(text);
    }
  }

  usage(usage) {
    this.usageData = usage;
    this.drawFoot();
  }

  // status: "completed" | "cancelled" | "interrupted" | "error"; error: the provider's sentence.
  finish(status, error) {
    this.closeText();
    this.reasoning?.finish();
    this.settleApprovals(status === "completed" ? "Answered" : "No longer waiting", { force: true });
    const cut = status === "cancelled" ? STOPPED : NOT_FINISHED;
    for (const card of this.cards.values()) if (card.running) card.complete(false, null, cut);
    this.status = status;
    this.error = error;
    this.el.classList.remove("live", "waiting");
    this.el.dataset.status = status;
    this.drawFoot();
  }

  startLive() {
    this.el.classList.add("live", "waiting");
    this.foot.replaceChildren(h("span.typing", { role: "img", "aria-label": "The assistant is answering" }, h("span"), h("span"), h("span")));
  }

  setLast(isLast) {
    this.isLast = isLast;
    this.drawFoot();
  }

  // The stored messages this turn shows: its first (the answer's version, what Regenerate
  // replaces) and its last (what Continue extends and Fork copies up to).
  setMessages(first, last, { answersQuestion = true } = {}) {
    this.first = first;
    this.lastMessage = last;
    this.answersQuestion = answersQuestion;
    if (first) this.el.dataset.id = first.id;
  }

  // The run has ended and its answer is stored. When the stored messages draw what this turn
  // streamed (the same reasoning, text and tool calls in the same order), the turn takes their
  // ids, status, error, usage and time, and keeps the nodes drawn so far: a long answer is not
  // drawn and laid out again. Tool cards whose stored call or result shows otherwise are drawn
  // again; approval cards go (a turn drawn from the store has none). Else false, nothing changed.
  keepStored(messages, { answersQuestion = true } = {}) {
    const stored = storedTurn(messages);
    if (!stored || !this.status || this.text) return false;
    if ((this.reasoning?.raw || "") !== stored.reasoning) return false;
    const shown = [...this.body.children].filter((el) => !el.matches(".approval, details.reasoning"));
    const texts = this.textParts();
    if (shown.length !== stored.parts.length || texts.length + this.cardList.length !== shown.length) return false;
    let t = 0;
    let c = 0;
    for (const [i, part] of stored.parts.entries()) {
      const same = typeof part === "string"
        ? texts[t]?.el === shown[i] && texts[t++].raw === part
        : this.cardList[c++]?.el === shown[i];
      if (!same) return false;
    }
    const cut = stored.status === "cancelled" ? STOPPED : NOT_FINISHED;
    this.cards = new Map();
    stored.calls.forEach((call, i) => {
      let card = this.cardList[i];
      const result = call.result ? { ok: call.result.ok, text: call.result.text } : { forced: cut };
      if (!card.shows(call.name, call.args, result)) {
        const fresh = toolCard(call.name, call.args);
        fresh.complete(result.ok, result.text, result.forced);
        card.el.replaceWith(fresh.el);
        card = this.cardList[i] = fresh;
      }
      this.cards.set(call.id, card);
    });
    for (const approval of this.approvals.values()) approval.el.remove();
    this.approvals.clear();
    this.stillPending.clear();
    this.usageData = stored.usage;
    this.status = stored.status;
    this.error = stored.error;
    this.el.dataset.status = stored.status;
    this.setMessages(messages[0], messages.at(-1), { answersQuestion });
    this.drawFoot();
    return true;
  }

  drawFoot() {
    const items = [];
    if (this.status === "interrupted") {
      items.push(h("div.notice.warn", { role: "note" },
        h("strong", {}, "This answer was cut off. "),
        "Hearth stopped before it was finished; what was kept is shown above."));
    } else if (this.status === "error") {
      items.push(h("div.notice.error", { role: "alert" },
        h("strong", {}, "The model could not answer. "), this.error || "The run failed."));
    } else if (this.status === "cancelled") {
      items.push(h("div.notice.muted", {}, "Stopped."));
    }
    const row = h("div.foot-row");
    const written = this.status ? timeStamp(this.lastMessage?.created_at) : null;
    if (written) row.append(written);
    const tokens = formatTokens(this.usageData);
    if (tokens) row.append(h("span.usage", { title: "Token usage for this turn" }, tokens));
    if (this.status && this.textParts().some((p) => p.raw.trim())) {
      row.append(copyButton("answer", () => this.textParts().map((p) => p.raw.trim()).filter(Boolean).join("\n\n")));
    }
    if (this.first && this.status) {
      const switcher = versionSwitch(this.first.version, "answer", (id) => this.onAction("switch", id));
      if (switcher) row.append(switcher);
      if (this.isLast && continuable(this.lastMessage)) {
        row.append(button("Continue", () => this.onAction("continue", this.lastMessage), "primary"));
      }
      if (this.answersQuestion) {
        const failed = this.status === "interrupted" || this.status === "error";
        row.append(button(failed ? "Retry" : "Regenerate", () => this.onAction("regenerate", this.first),
          failed && !(this.isLast && continuable(this.lastMessage)) ? "primary" : ""));
      }
      row.append(button("Fork", () => this.onAction("fork", this.lastMessage), "", "Fork: a new chat up to this answer"));
    }
    if (row.childNodes.length) items.push(row);
    if (this.el.classList.contains("live")) return;
    this.foot.replaceChildren(...items);
  }
}

function button(label, onclick, kind = "", title = undefined) {
  return h(`button.small${kind ? "." + kind : ""}`, { type: "button", onclick, title }, label);
}

// An answer cut short that kept text can be extended in place.
export function continuable(message) {
  return Boolean(message && message.role === "assistant" && !(message.tool_calls || []).length
    && ["interrupted", "cancelled", "error"].includes(message.status) && message.content.trim());
}

// "‹ 2/3 ›" for a message with versions (null without): each arrow shows the version before or
// after it, with its branch down to the newest message.
export function versionSwitch(version, what, onSwitch) {
  if (!version || version.count < 2) return null;
  const { index, count } = version;
  const arrow = (label, id, text, cls) => h(`button.small.ghost.${cls}`, {
    type: "button", "aria-label": label, title: label, disabled: !id, onclick: () => onSwitch(id),
  }, text);
  return h("span.versions", { role: "group", "aria-label": `Versions of this ${what}` },
    arrow(`Previous version of this ${what} (${index - 1} of ${count})`, version.previous_id, "‹", "version-prev"),
    h("span.version-count", { "aria-label": `Version ${index} of ${count}` }, `${index}/${count}`),
    arrow(`Next version of this ${what} (${index + 1} of ${count})`, version.next_id, "›", "version-next"));
}

function briefArgs(args) {
  let value = args;
  if (typeof value === "string") { try { value = JSON.parse(value); } catch { return value.slice(0, 80); } }
  if (value && typeof value === "object") {
    const first = Object.values(value).find((v) => typeof v === "string" || typeof v === "number");
    return first === undefined ? "" : String(first).split("\n")[0].slice(0, 80);
  }
  return String(value ?? "").slice(0, 80);
}

function hasArguments(args) {
  if (args === undefined || args === null || args === "") return false;
  if (typeof args === "object") return Object.keys(args).length > 0;
  return args.trim() !== "" && args.trim() !== "{}";
}

// A failed call's result may be one of the turn loop's own sentences to the model (see
// core/agent/turn.py, _checked_run, and the tools' cancel messages): a call the user denied
// or stopped did not fail, and the card says what happened instead.
const STOPPED = { kind: "stopped", label: "Stopped" };
const NOT_FINISHED = { kind: "stopped", label: "Not finished" };
function outcome(ok, text) {
  if (ok) return { kind: "ok", label: "Done" };
  const said = typeof text === "string" ? text.trim() : "";
  if (said.startsWith("Error: the user denied ")) return { kind: "denied", label: "Denied", note: true };
  if (said.startsWith("Error: the user turned the tool ")) return { kind: "denied", label: "Turned off", note: true };
  if (/^Error: the (run|fetch|read|search) was cancelled/.test(said)) return { ...STOPPED, note: true };
  if (said.endsWith("[cancelled by the user; the command and its processes were killed]")) return STOPPED;
  if (said.startsWith("Error: no result was recorded: the run ended")) return { kind: "stopped", label: "Not finished", note: true };
  return { kind: "error", label: "Failed" };
}

// What a turn drawn from these stored messages shows (conversation.js drawGroup draws them
// so): reasoning, parts (text, or a call {id, name, args, result: {ok, text} | null}) in order,
// usage, how it ended. Null when they would end it twice or not at all, or a result matches no
// call: shapes a streamed turn is not checked against.
function storedTurn(messages) {
  const turn = { reasoning: "", parts: [], calls: [], usage: undefined, status: null, error: undefined };
  for (const message of messages) {
    if (turn.status) return null;
    if (message.role === "assistant") {
      turn.reasoning += message.reasoning || "";
      if (message.content) turn.parts.push(message.content);
      for (const { id, name, arguments: args } of message.tool_calls || []) {
        const call = { id, name, args, result: null };
        turn.parts.push(call);
        turn.calls.push(call);
      }
      if (message.usage) turn.usage = message.usage;
      if (message.status !== "complete" || !(message.tool_calls || []).length) {
        turn.status = message.status === "complete" ? "completed" : message.status;
        turn.error = message.error;
      }
    } else if (message.role === "tool") {
      const call = turn.calls.findLast((c) => c.id === message.tool_call_id);
      if (!call || call.result) return null;
      call.result = { ok: message.status !== "error", text: message.content };
    } else {
      return null;
    }
  }
  return turn.status ? turn : null;
}

// A call's arguments as JSON text: the run's event carries them parsed, the store as sent.
function sameArgs(args) {
  if (typeof args !== "string") return JSON.stringify(args);
  try { return JSON.stringify(JSON.parse(args)); } catch { return args; }
}

const shownOutput = (text) => (text === null || text === undefined ? null
  : typeof text === "string" ? text : JSON.stringify(text, null, 2));

function toolCard(name, args) {
  const status = h("span.tool-status", {}, "Running…");
  const output = h("pre.tool-output", { tabindex: "0" });
  const outputLabel = h("div.tool-label", {}, "Output");
  const outputBlock = h("div.tool-section", { hidden: true },
    h("div.tool-output-head", {}, outputLabel, copyButton(`${name} output`, () => output.textContent)),
    output);
  const el = h("details.tool-card.running", {},
    h("summary", {},
      h("span.tool-icon", { "aria-hidden": "true" }),
      h("span.tool-name", {}, name),
      h("code.tool-brief", {}, reveal(briefArgs(args), { mode: "command" }).fragment),
      status),
    h("div.tool-details", {},
      hasArguments(args) ? h("div.tool-section", {}, h("div.tool-label", {}, "Arguments"),
        h("div.tool-args.call-args", {}, callView(name, args).el)) : null,
      outputBlock));
  const card = {
    el,
    running: true,
    result: null, // how it was completed: {ok, text, forced}
    // Whether this card shows that call with that result ({ok, text} or {forced}).
    shows(callName, callArgs, { ok, text, forced }) {
      const done = card.result;
      if (callName !== name || sameArgs(callArgs) !== sameArgs(args) || !done) return false;
      if (forced || done.forced) return forced?.label === done.forced?.label && done.text == null;
      return (ok !== false) === (done.ok !== false) && shownOutput(text) === shownOutput(done.text);
    },
    waitForApproval(waiting) {
      if (!card.running) return;
      el.classList.toggle("waiting", waiting);
      status.textContent = waiting ? "Waiting for approval" : "Running…";
    },
    // `forced`: what happened when no result came ({kind, label}).
    complete(ok, text, forced) {
      card.running = false;
      card.result = { ok, text, forced };
      const { kind, label, note } = forced || outcome(ok, text);
      el.classList.remove("running", "waiting");
      el.classList.add(kind);
      status.textContent = label;
      if (text !== null && text !== undefined) {
        output.textContent = shownOutput(text);
        // Hearth's own sentence to the model about a call that did not run: a muted note.
        if (note) {
          outputLabel.textContent = "Told the model";
          output.classList.add("note");
        }
        outputBlock.hidden = false;
      }
      if (kind === "error") el.open = true;
    },
  };
  return card;
}

// The server's summaries quote paths and commands in `backticks`: show those as code, as
// text nodes only, with their invisible characters made visible.
function inlineCode(text) {
  return String(text).split(/`([^`]+)`/).map((part, i) =>
    (i % 2 ? h("code", {}, reveal(part, { mode: "command" }).fragment) : reveal(part, { mode: "text" }).fragment));
}

// A file tool's grant can be kept to the folder it works in: "Allow always in `src`".
function grantFolder(data) {
  const path = data.server ? null : data.arguments?.path;
  if (typeof path !== "string" || !path.trim()) return null;
  const clean = path.trim().replace(/\/+$/, "");
  if (data.tool === "list_directory" || data.tool === "search_files") return clean || ".";
  const cut = clean.lastIndexOf("/");
  return cut > 0 ? clean.slice(0, cut) : ".";
}

function approvalCard(data, onChange, onSettled = () => {}) {
  const result = h("p.approval-result", { role: "status" });
  const folder = grantFolder(data);
  const buttons = h("div.approval-actions", {},
    h("button.primary", { type: "button", dataset: { decision: "allow" } }, "Allow"),
    h("button", { type: "button", dataset: { decision: "allow_session" } }, "Allow for this session"),
    h("button", { type: "button", dataset: { decision: "allow_always" } }, "Allow always"),
    folder && folder !== "."
      ? h("button", { type: "button", dataset: { decision: "allow_always", folder } },
        "Allow always in ", h("code", {}, reveal(folder, { mode: "command" }).fragment))
      : null,
    h("button.danger", { type: "button", dataset: { decision: "deny" } }, "Deny"));
  const view = callView(data.tool, data.arguments);
  const el = h("section.approval.pending", { "aria-label": `Approval needed: ${data.tool}` },
    h("p.approval-title", {}, h("strong", {}, `Allow ${data.tool}?`), data.summary ? " " : "", inlineCode(data.summary || "")),
    data.server ? h("p.approval-server", {}, `From the MCP server ${data.server}.`) : null,
    data.changed ? h("p.approval-changed.notice.warn", {}, h("strong", {}, "This tool changed: "), data.changed) : null,
    view.el,
    buttons, result);
  if (view.marked) el.classList.add("has-unusual");
  const card = {
    el,
    settled: false,
    settle(text) {
      if (card.settled) return;
      card.settled = true;
      el.classList.remove("pending");
      buttons.remove();
      result.textContent = text;
      onSettled();
      onChange();
    },
  };
  buttons.addEventListener("click", async (event) => {
    const target = event.target.closest("button[data-decision]");
    if (!target) return;
    const decision = target.dataset.decision;
    for (const b of buttons.querySelectorAll("button")) b.disabled = true;
    try {
      await api.decide(data.approval_id, decision, target.dataset.folder);
      card.settle(target.dataset.folder ? `Allowed always in ${target.dataset.folder} (revoke in Settings)` : DECISION_TEXT[decision]);
    } catch (err) {
      if (err.status === 404) card.settle("No longer waiting");
      else {
        result.textContent = err.message;
        for (const b of buttons.querySelectorAll("button")) b.disabled = false;
      }
    }
  });
  return card;
}
