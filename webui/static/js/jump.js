// Opening a search result: show the branch that holds the matching message, wait for the
// conversation to be drawn, scroll to the message and mark the words that matched. Marks wrap
// parts of text nodes in <mark>; the user's text never passes through innerHTML.
import { api } from "./api.js";
import { state } from "./state.js";

const WORD = /[\p{L}\p{N}\p{M}]+/gu; // a word as the search index splits text
const WAIT_MS = 8000;
const messagesEl = document.getElementById("messages");

// Lower case without diacritics, as the index compares words (core/store/search.py: fold).
export function fold(text) {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

export function queryTerms(query) {
  return (query.match(/[\p{L}\p{N}]+/gu) || []).map(fold);
}

// Show the path through messageId (unless it is shown already), open the session and reveal
// the message. Resolves to the message's element, or null if it never appeared.
export async function openMatch(sessionId, messageId, terms) {
  const session = await api.getSession(sessionId);
  if (!session.messages.some((m) => m.id === messageId)) await api.showPath(sessionId, messageId);
  const before = state.session;
  const drawn = waitForMessage(sessionId, messageId, before);
  const hash = `#/s/${sessionId}`;
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
  const target = await drawn;
  if (target) reveal(target, terms);
  return target;
}

export function reveal(target, terms) {
  for (const old of messagesEl.querySelectorAll("mark.search-hit")) old.replaceWith(...old.childNodes);
  messagesEl.normalize();
  const marks = markMatches(target, terms);
  const visible = marks.find((m) => m.getClientRects().length) || target;
  target.classList.add("search-target");
  visible.scrollIntoView({ block: "center" });
}

// Wrap every word of root's text that starts with one of terms in <mark class="search-hit">.
export function markMatches(root, terms) {
  if (!terms.length) return [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => (node.parentElement.closest("button, mark, script, style")
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  const marks = [];
  for (const node of nodes) {
    const text = node.data;
    const pieces = [];
    let at = 0;
    for (const match of text.matchAll(WORD)) {
      const word = fold(match[0]);
      if (!terms.some((t) => word.startsWith(t))) continue;
      if (match.index > at) pieces.push(document.createTextNode(text.slice(at, match.index)));
      const mark = document.createElement("mark");
      mark.className = "search-hit";
      mark.textContent = match[0];
      pieces.push(mark);
      marks.push(mark);
      at = match.index + match[0].length;
    }
    if (!pieces.length) continue;
    if (at < text.length) pieces.push(document.createTextNode(text.slice(at)));
    node.replaceWith(...pieces);
  }
  return marks;
}

// The element that draws messageId once the session (a newer copy than `before`) is drawn;
// earlier turns are drawn on the way if the message is among them.
function waitForMessage(sessionId, messageId, before) {
  return new Promise((resolve) => {
    let timer = null;
    const observer = new MutationObserver(() => check());
    const finish = (el) => {
      observer.disconnect();
      clearTimeout(timer);
      resolve(el);
    };
    function check() {
      if (state.session === before || state.session?.id !== sessionId) return;
      const el = findMessage(state.session, messageId);
      if (el) finish(el);
    }
    observer.observe(messagesEl, { childList: true, subtree: true });
    timer = setTimeout(() => finish(null), WAIT_MS);
    check();
  });
}

function findMessage(session, messageId) {
  for (;;) {
    const el = elementOf(session, messageId);
    if (el) return el;
    const earlier = messagesEl.querySelector(".earlier");
    if (!earlier) return null;
    earlier.click(); // draws the previous turns at once
  }
}

// A user message has its own element; an assistant message is drawn inside the turn that
// follows its question.
function elementOf(session, messageId) {
  const own = messagesEl.querySelector(`[data-id="${CSS.escape(messageId)}"]`);
  if (own) return own;
  const path = session.messages || [];
  const index = path.findIndex((m) => m.id === messageId);
  if (index < 0) return null;
  const question = path.slice(0, index).reverse().find((m) => m.role === "user");
  if (!question) return messagesEl.querySelector(".turn.assistant");
  const asked = messagesEl.querySelector(`[data-id="${CSS.escape(question.id)}"]`);
  const answer = asked?.nextElementSibling;
  return answer?.matches(".turn.assistant") ? answer : null;
}
