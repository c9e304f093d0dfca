// The conversation pane: the stored messages of the open session, the live turn as it
// streams (resumed from the last event id), scrolling that follows only a reader at the bottom.
import { api } from "./api.js";
import { attachmentsView } from "./attachments.js";
import { drawContextMeter, summaryBlock } from "./context.js";
import { emptyState } from "./emptystate.js";
import { wireCopyButtons } from "./markdown.js";
import { drawSessionInfo } from "./sessioninfo.js";
import { emit, on, setLive, state } from "./state.js";
import { chosenModel, isBuiltin } from "./modelnames.js";
import { followRun } from "./stream.js";
import { AssistantTurn, versionSwitch } from "./turn.js";
import { $, copyButton, h } from "./view.js";
import { watchWarmup } from "./warmup.js";
import { timeStamp } from "./when.js";

const scroller = $("#scroller");
const list = $("#messages");
const jump = $("#jump-latest");
const connection = $("#connection");
let stick = true;
let follower = null;
let liveTurn = null;
let actionHandler = () => {};
let turns = [];
const drawnUsers = new WeakMap(); // a user turn's element → its stored message, as JSON

export function onTurnAction(fn) { actionHandler = fn; }

wireCopyButtons(list);
scroller.addEventListener("scroll", () => {
  stick = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
  jump.hidden = stick;
  // Near the top with turns not drawn yet: draw them (the observer below may not fire again
  // when the button never left its margin between two quick scrolls).
  if (earlier.length && scroller.scrollTop < 300) drawEarlier();
}, { passive: true });
jump.addEventListener("click", () => { stick = true; toBottom(); });
// A reader at the bottom stays there when the pane changes size (window resized, phone turned,
// composer grown); content growing above (a card opened) does not pull the reader down.
let paneSize = "";
new ResizeObserver(() => {
  const size = `${scroller.clientWidth}x${scroller.clientHeight}`;
  if (size === paneSize) return; // the first call, or nothing that matters changed
  const first = !paneSize;
  paneSize = size;
  if (stick && !first) toBottom();
}).observe(scroller);
// Editing or regenerating waits for the live answer to end: hide Edit meanwhile.
on("live", () => list.classList.toggle("is-live", Boolean(liveRunId())));

function toBottom() {
  scroller.scrollTop = scroller.scrollHeight;
  jump.hidden = true;
}
function changed() {
  if (stick) toBottom();
  else jump.hidden = false;
}

let warming = null; // stops the "Starting the built-in model…" watch (warmup.js)
function warmed() {
  if (warming) warming();
  warming = null;
}

export function stopFollowing() {
  warmed();
  if (follower && follower.stop) follower.stop();
  follower = null;
  liveTurn = null;
  showConnection(null);
}

const WINDOW = 40; // turns drawn at first; earlier ones are drawn as the reader scrolls up
let earlier = []; // groups not drawn yet, oldest first
const earlierButton = h("button.button.ghost.earlier", { type: "button" }, "Show earlier messages");
earlierButton.addEventListener("click", () => drawEarlier());
new IntersectionObserver((entries) => {
  if (entries.some((e) => e.isIntersecting) && earlier.length) drawEarlier();
}, { root: scroller, rootMargin: "300px" }).observe(earlierButton);

// Stored messages → groups: one user message, or the assistant/tool messages answering it.
function groupMessages(messages) {
  const groups = [];
  let current = null;
  for (const message of messages) {
    if (message.role === "user" || message.role === "summary") {
      current = null;
      groups.push(message.role === "user" ? { user: message } : { summary: message });
    } else {
      if (!current) {
        // (a turn compacted before it answered has its summary between question and answer)
        const asked = groups.at(-1)?.user || (groups.at(-1)?.summary && groups.at(-2)?.user);
        current = { assistant: [], answersQuestion: Boolean(asked) };
        groups.push(current);
      }
      current.assistant.push(message);
    }
  }
  return groups;
}

function drawGroup(group) {
  if (group.user) return userTurn(group.user);
  if (group.summary) return summaryBlock(group.summary);
  const turn = newTurn();
  turn.setMessages(group.assistant[0], group.assistant.at(-1), { answersQuestion: group.answersQuestion });
  for (const message of group.assistant) {
    if (message.role === "assistant") {
      if (message.reasoning) turn.addReasoning(message.reasoning, { now: true });
      if (message.content) turn.addText(message.content, { now: true });
      turn.closeText();
      for (const call of message.tool_calls || []) {
        turn.toolStarted({ call_id: call.id, name: call.name, arguments: call.arguments });
      }
      if (message.usage) turn.usage(message.usage);
      if (message.status !== "complete" || !(message.tool_calls || []).length) {
        turn.finish(message.status === "complete" ? "completed" : message.status, message.error);
      }
    } else if (message.role === "tool") {
      turn.toolCompleted({ call_id: message.tool_call_id, ok: toolOk(message), output: message.content });
    }
  }
  return turn.el;
}

function drawEarlier() {
  const batch = earlier.splice(Math.max(0, earlier.length - WINDOW));
  const before = scroller.scrollHeight;
  const fragment = document.createDocumentFragment();
  const drawnTurns = turns;
  turns = [];
  for (const group of batch) fragment.append(drawGroup(group));
  turns = [...turns, ...drawnTurns];
  earlierButton.after(fragment);
  if (!earlier.length) earlierButton.remove();
  scroller.scrollTop += scroller.scrollHeight - before;
}

// Draw a session (its last turns); follow its live run if there is one.
export function showSession(session, { keepScroll = false } = {}) {
  stopFollowing();
  drawSessionInfo(session);
  drawContextMeter(session);
  const previousTop = scroller.scrollTop;
  const drawnBefore = list.querySelectorAll(".turn").length;
  list.replaceChildren();
  turns = [];
  if (!session.messages.length && !session.active_run) showEmpty(session);
  const groups = groupMessages(session.messages);
  const shown = keepScroll ? Math.max(WINDOW, drawnBefore) : WINDOW;
  earlier = groups.slice(0, Math.max(0, groups.length - shown));
  const fragment = document.createDocumentFragment();
  if (earlier.length) fragment.append(earlierButton);
  for (const group of groups.slice(earlier.length)) fragment.append(drawGroup(group));
  list.append(fragment);
  markLast();
  if (session.active_run) {
    resume(session.id, session.active_run.id, 0, session.continuing);
  } else {
    setLive(session.id, null);
  }
  if (keepScroll) scroller.scrollTop = previousTop;
  else { stick = true; toBottom(); }
}

// A stored tool result says whether the tool failed by its status ("error"), like the live
// tool.completed event's ok flag.
function toolOk(message) {
  return message.status !== "error";
}

function newTurn() {
  const turn = new AssistantTurn({ onChange: changed, onAction: (action, payload) => actionHandler(action, payload) });
  turns.push(turn);
  return turn;
}

function markLast() {
  turns.forEach((t, i) => t.setLast(i === turns.length - 1));
  const users = list.querySelectorAll(".turn.user");
  users.forEach((u, i) => u.classList.toggle("last", i === users.length - 1));
}

// When it was written, Copy, Edit (a new version of this message) and Fork on every message of
// the user's; "‹ k/n ›" when it has versions.
function userTurn(message) {
  const stored = message.id !== "pending";
  const el = h("article.turn.user", { "aria-label": "You", dataset: { id: message.id } },
    h("div.bubble", {}, attachmentsView(message.attachments), message.content),
    stored ? h("div.user-actions", {},
      timeStamp(message.created_at),
      versionSwitch(message.version, "message", (id) => actionHandler("switch", id)),
      copyButton("message", () => message.content),
      h("button.small.edit-message", { type: "button", onclick: () => actionHandler("edit", message) }, "Edit"),
      h("button.small.fork-message", { type: "button", title: "Fork: a new chat up to this message", onclick: () => actionHandler("fork", message) }, "Fork"))
      : null);
  if (stored) drawnUsers.set(el, JSON.stringify(message));
  return el;
}

// The new chat (session null) or an empty one: the greeting, drawn again when what it names
// changes (the model picked, the workspace or tools, the providers).
export function showEmpty(session = null) {
  drawSessionInfo(session);
  const empty = emptyState(session);
  list.replaceChildren(...(empty ? [empty] : []));
}
const redrawEmpty = () => {
  if (list.querySelector(".empty") || (!list.childElementCount && !state.sessionId)) {
    showEmpty(state.sessionId ? state.session : null);
  }
};
on("choices", redrawEmpty);
on("settings", redrawEmpty);
$("#model-picker").addEventListener("change", () => setTimeout(redrawEmpty));

// Show the user's message at once, then follow the run's events.
export function startTurn(sessionId, content, runId, attachments = []) {
  if (state.session?.id === sessionId) drawSessionInfo(state.session);
  list.querySelector(".empty")?.remove();
  list.append(userTurn({ id: "pending", content, attachments }));
  stick = true;
  resume(sessionId, runId, 0);
  toBottom();
}

// ``continuing``: the stored answer a Continue run extends; its kept text starts the live turn
// (the run's events carry only what it adds).
function resume(sessionId, runId, after, continuing = null) {
  setLive(sessionId, runId);
  liveTurn = newTurn();
  liveTurn.startLive();
  if (continuing) liveTurn.addText(continuing.content.trimEnd(), { now: true });
  list.append(liveTurn.el);
  markLast();
  const turn = liveTurn;
  const mine = {};
  follower = mine;
  const chosen = state.session?.id === sessionId ? chosenModel(state.session) : null;
  warmed();
  warming = chosen && isBuiltin(chosen.provider) && !continuing ? watchWarmup(turn) : null;
  // The approvals still waiting, asked for before the replay, so replayed steps do not
  // mark them answered; the replay itself draws them in their place.
  api.pendingApprovals(sessionId)
    .then(({ approvals }) => approvals.filter((a) => a.run_id === runId).forEach((a) => turn.stillPending.add(a.approval_id)))
    .catch(() => {})
    .finally(() => {
      if (follower !== mine) return;
      follower = followRun(runId, {
        after,
        onEvent: (type, data) => {
          if (!["run.started", "usage"].includes(type)) warmed();
          apply(turn, type, data);
          if (type === "approval.requested") settleIfAnswered(turn, sessionId, data.approval_id);
        },
        onState: (s) => {
          if (s === "reconnecting") showConnection("Reconnecting…");
          else if (s === "live") showConnection(null);
          else if (s === "ended" || s === "gone") {
            warmed();
            showConnection(null);
            finished(sessionId, turn);
          }
        },
      });
    });
}

// A replayed request may have been answered already (before a reload): the server's list of
// approvals still waiting is the truth. A live request is on that list (registered first).
function settleIfAnswered(turn, sessionId, approvalId) {
  if (turn.stillPending.has(approvalId)) return;
  api.pendingApprovals(sessionId)
    .then(({ approvals }) => {
      if (!approvals.some((a) => a.approval_id === approvalId)) turn.approvals.get(approvalId)?.settle("Answered");
    })
    .catch(() => {}); // unknown: the buttons stay; a late click is told "No longer waiting"
}

function apply(turn, type, data) {
  switch (type) {
    case "text.delta": turn.settleApprovals(); turn.addText(data.text); break;
    case "reasoning.delta": turn.addReasoning(data.text); break;
    case "tool.started": turn.toolStarted(data); break;
    case "tool.completed": turn.toolCompleted(data); break;
    case "approval.requested": turn.approvalRequested(data); break;
    case "usage": turn.usage(data); break;
    case "run.completed": turn.finish("completed"); break;
    case "run.cancelled": turn.finish("cancelled"); break;
    case "run.failed": turn.finish(data.status === "interrupted" ? "interrupted" : "error",
      typeof data.error === "string" ? data.error : data.error?.message); break;
    default: break;
  }
}

// The run ended: the stored session is now the truth; the pane is brought up to it, keeping
// what it already shows (see keepDrawn) or else drawn again.
async function finished(sessionId, turn) {
  setLive(sessionId, null);
  follower = null;
  liveTurn = null;
  emit("run-ended", sessionId);
  if (state.sessionId !== sessionId) return;
  try {
    const session = await api.getSession(sessionId);
    if (state.sessionId !== sessionId) return;
    // The next message was sent while this copy was on its way: that run's end draws the chat.
    if (state.liveRuns.has(sessionId) || state.starting.has(sessionId)) return;
    state.session = session;
    if (keepDrawn(session, turn)) {
      if (stick) toBottom();
    } else {
      showSession(session, { keepScroll: !stick });
    }
  } catch { /* the streamed turn stays on screen */ }
}

// The stored session after a run, drawn by keeping what the pane shows where it is the same:
// the streamed answer (AssistantTurn.keepStored: a long one is not drawn and laid out again)
// and the groups above it, each checked against its stored messages; the user's message sent
// with the run (drawn before it had an id) or one whose stored form changed is drawn anew.
// False, with nothing changed, when the pane does not line up with the stored session.
function keepDrawn(session, turn) {
  if (session.active_run || !turn?.el.isConnected) return false;
  const groups = groupMessages(session.messages);
  const answer = groups.at(-1);
  const shown = [...list.children].filter((el) => el !== earlierButton);
  if (!answer?.assistant || shown.at(-1) !== turn.el) return false;
  const users = [];
  let g = groups.length - 2;
  for (let i = shown.length - 2; i >= 0; i--, g--) {
    const group = groups[g];
    if (!group || !showsGroup(shown[i], group, i === shown.length - 2)) return false;
    if (group.user) users.push([shown[i], group.user]);
  }
  if (!turn.keepStored(answer.assistant, { answersQuestion: answer.answersQuestion })) return false;
  for (const [el, message] of users) {
    if (drawnUsers.get(el) !== JSON.stringify(message)) el.replaceWith(userTurn(message));
  }
  earlier = groups.slice(0, g + 1);
  if (!earlier.length) earlierButton.remove();
  else if (!earlierButton.isConnected) list.prepend(earlierButton);
  drawSessionInfo(session);
  drawContextMeter(session);
  markLast();
  return true;
}

// Whether an element of the pane shows this stored group (a user's message just sent, drawn
// without its id, may stand for the last question).
function showsGroup(el, group, lastQuestion) {
  if (group.user) {
    return el.matches(".turn.user")
      && (el.dataset.id === group.user.id || (lastQuestion && el.dataset.id === "pending"));
  }
  if (group.summary) {
    return el.matches(".summary-block") && el.dataset.messageId === group.summary.id
      && el.dataset.status === group.summary.status;
  }
  const turn = turns.find((t) => t.el === el);
  const [first, last] = [group.assistant[0], group.assistant.at(-1)];
  return Boolean(turn) && turn.first?.id === first.id && turn.lastMessage?.id === last.id
    && turn.lastMessage.status === last.status && turn.answersQuestion === group.answersQuestion
    && JSON.stringify(turn.first.version) === JSON.stringify(first.version);
}

function showConnection(text) {
  connection.hidden = !text;
  connection.textContent = text || "";
}

export function liveRunId() {
  return state.sessionId ? state.liveRuns.get(state.sessionId) : null;
}
