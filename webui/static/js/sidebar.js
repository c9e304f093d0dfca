// The sessions sidebar: pinned first then newest, grouped by day, loaded a page at a time as
// the reader scrolls (10,000 sessions are never all drawn); search with highlighted snippets,
// whose results open on the branch that holds the match, scrolled to it (jump.js), and are
// reached from the search box with the arrow keys; rename in place, pin, delete with undo (the
// DELETE waits until the undo time is over).
//
// A refresh keeps the list on screen until its first page arrives, and only the newest refresh
// (or page) ever draws: each carries the generation it was asked for. A conversation whose
// delete can still be undone stays in the list, hidden, through any refresh, so Undo shows it
// again wherever it now is (it used to be left out of a refresh that came during the undo time,
// and Undo then showed the old, detached row: the chat vanished from the sidebar while it still
// existed on the server — Regenerate elsewhere refreshes the list twice, at its start and end).
//
// A new chat's title is its first line until the model names it, just after the first answer:
// after a run ends, the sidebar asks for that session again for a while until it is named.
import { api } from "./api.js";
import { icon } from "./icons.js";
import { openMatch, queryTerms } from "./jump.js";
import { emit, on, state } from "./state.js";
import { toast } from "./toasts.js";
import { $, h } from "./view.js";

const PAGE = 50;
const UNDO_MS = 6000;
const listEl = $("#session-list");
const searchEl = $("#search");
const statusEl = $("#list-status");
const headerEl = $("#chat-title");
const sentinel = h("li.sentinel", { "aria-hidden": "true" });

let query = "";
let loaded = [];
let total = 0;
let more = true;
let loading = null;
let generation = 0;
const pendingDeletes = new Map(); // id → timer
// Runs the server reports (session summaries' active_run), including ones started in another
// tab or before a reload; merged with the runs this page follows (state.liveRuns).
const serverRuns = new Map(); // session id → active_run
const POLL_MS = 3000;
let pollTimer = null;
let openSession = () => {};

export function initSidebar({ onOpen }) {
  openSession = onOpen;
  let debounce = null;
  searchEl.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => setQuery(searchEl.value.trim()), 150);
  });
  searchEl.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && searchEl.value) {
      event.stopPropagation();
      searchEl.value = "";
      setQuery("");
    } else if (event.key === "ArrowDown") {
      const first = listEl.querySelector("li.session:not([hidden]) .session-link");
      if (!first) return;
      event.preventDefault();
      first.focus();
    }
  });
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore();
  }, { root: listEl.parentElement, rootMargin: "400px" }).observe(sentinel);
  // The list is one Tab stop (the open or first conversation, with its Rename/Pin/Delete);
  // Up/Down/Home/End move between conversations.
  listEl.addEventListener("focusin", (event) => {
    const li = event.target.closest("li.session");
    if (li) setRoving(li);
  });
  listEl.addEventListener("keydown", (event) => {
    if (event.target.closest("input")) return;
    if (event.key === "Escape" && query) { // back to the search box, the query kept
      event.preventDefault();
      event.stopPropagation();
      focusSearch();
      return;
    }
    if (!["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
    const links = [...listEl.querySelectorAll("li.session:not([hidden]) .session-link")];
    const at = links.indexOf(event.target.closest("li.session")?.querySelector(".session-link"));
    if (event.key === "ArrowUp" && at === 0 && query) {
      event.preventDefault();
      searchEl.focus();
      return;
    }
    let next = at;
    if (event.key === "ArrowDown") next = Math.min(links.length - 1, at + 1);
    else if (event.key === "ArrowUp") next = Math.max(0, at - 1);
    else if (event.key === "Home") next = 0;
    else next = links.length - 1;
    if (next < 0 || !links[next]) return;
    event.preventDefault();
    links[next].focus();
  });
  on("run-ended", (sessionId) => followTitle(sessionId));
  on("live", (sessionId) => {
    // The page learnt a run ended (or that there is none): the summary's copy is stale.
    if (sessionId && !state.liveRuns.has(sessionId)) serverRuns.delete(sessionId);
    markRunning();
  });
  window.addEventListener("pagehide", flushDeletes);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
  schedulePoll();
  return refresh();
}

export function focusSearch() {
  searchEl.focus();
  searchEl.select();
}

function setQuery(q) {
  if (q === query) return;
  query = q;
  refresh();
}

export async function refresh() {
  generation += 1;
  loading = null;
  await loadMore(true);
}

async function loadMore(first = false) {
  if (loading || (!first && !more)) return loading;
  const gen = generation;
  const offset = first ? 0 : loaded.length;
  loading = api.listSessions({ q: query, limit: PAGE, offset })
    .then((page) => {
      if (gen !== generation) return; // a newer refresh was asked for: this answer is stale
      if (first) {
        loaded = [];
        listEl.replaceChildren();
      }
      // Sessions move up while pages load (a run elsewhere): one already drawn is not drawn twice.
      const drawn = new Set(loaded.map((s) => s.id));
      const fresh = page.sessions.filter((s) => !drawn.has(s.id));
      // A search for a common word counts only part of its matches (total_exact false):
      // total is then a lower bound, and a full page means there may be more.
      const exact = page.total_exact !== false;
      total = Math.max(page.total, offset + page.sessions.length);
      more = exact ? offset + page.sessions.length < page.total : page.sessions.length >= PAGE;
      for (const s of page.sessions) { noteRun(s); noteTitle(s); }
      draw(fresh, loaded[loaded.length - 1]);
      loaded.push(...fresh);
      const count = `${total.toLocaleString()}${exact ? "" : "+"}`;
      statusEl.textContent = query
        ? (total ? `${count} match${total === 1 && exact ? "" : "es"}` : "No conversations match.")
        : (total ? "" : "No conversations yet.");
    })
    .catch((err) => { statusEl.textContent = err.message; })
    .finally(() => { if (gen === generation) loading = null; });
  return loading;
}

function groupOf(session, now = new Date()) {
  if (session.pinned && !query) return "Pinned";
  if (query) return null;
  const day = new Date(session.updated_at);
  const start = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const diff = (start - new Date(day.getFullYear(), day.getMonth(), day.getDate())) / 86400000;
  if (diff <= 0) return "Today";
  if (diff <= 1) return "Yesterday";
  if (diff <= 7) return "Previous 7 days";
  return "Older";
}

function draw(sessions, previous) {
  sentinel.remove();
  let group = previous ? groupOf(previous) : undefined;
  const fragment = document.createDocumentFragment();
  for (const session of sessions) {
    const g = groupOf(session);
    if (g && g !== group) fragment.append(h("li.group", {}, g));
    group = g;
    fragment.append(item(session));
  }
  listEl.append(fragment, sentinel);
  ensureRoving();
}

// Exactly one conversation in the list is reachable by Tab.
function setRoving(target) {
  for (const li of listEl.querySelectorAll("li.session")) {
    const index = li === target ? "0" : "-1";
    for (const el of li.querySelectorAll("a, button")) el.setAttribute("tabindex", index);
  }
}

function ensureRoving() {
  if (listEl.querySelector("li.session:not([hidden]) .session-link[tabindex='0']")) return;
  const target = listEl.querySelector("li.session.active:not([hidden])")
    || listEl.querySelector("li.session:not([hidden])");
  if (target) setRoving(target);
}

function titleOf(session) {
  return session.title || "New conversation";
}

function noteRun(summary) {
  if (summary.active_run) serverRuns.set(summary.id, summary.active_run);
  else serverRuns.delete(summary.id);
}

const isRunning = (id) => state.liveRuns.has(id) || serverRuns.has(id);

function item(session) {
  const running = isRunning(session.id);
  const link = h("a.session-link", { href: `#/s/${session.id}`, "aria-current": session.id === state.sessionId ? "page" : null },
    h("span.session-title", {}, titleOf(session)),
    session.snippet ? snippet(session.snippet) : null);
  const li = h(`li.session${session.id === state.sessionId ? ".active" : ""}${running ? ".running" : ""}`,
    { dataset: { id: session.id } },
    link,
    h("span.running-dot", { title: "Answering…", role: "img", "aria-label": "Answering" }),
    h("div.session-actions", {},
      iconButton("pencil", `Rename ${titleOf(session)}`, () => rename(li, session)),
      iconButton("pin", `${session.pinned ? "Unpin" : "Pin"} ${titleOf(session)}`, () => pin(session), session.pinned),
      iconButton("trash", `Delete ${titleOf(session)}`, () => remove(li, session))));
  if (session.pinned) li.classList.add("pinned");
  if (pendingDeletes.has(session.id)) li.hidden = true; // its delete can still be undone
  for (const el of li.querySelectorAll("a, button")) el.setAttribute("tabindex", "-1");
  if (session.hit_message_id) {
    const terms = queryTerms(query);
    link.addEventListener("click", (event) => {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      openMatch(session.id, session.hit_message_id, terms).catch((err) => {
        toast(err.message);
        location.hash = `#/s/${session.id}`;
      });
    });
  }
  return li;
}

function iconButton(name, label, onclick, pressed) {
  return h("button.icon-button", { type: "button", "aria-label": label, title: label.split(" ")[0], onclick,
    "aria-pressed": pressed === undefined ? null : String(Boolean(pressed)) }, icon(name));
}

function snippet(pieces) {
  const el = h("span.snippet");
  for (const piece of pieces) el.append(piece.hit ? h("mark", {}, piece.text) : document.createTextNode(piece.text));
  return el;
}

function rename(li, session) {
  const title = li.querySelector(".session-title");
  const input = h("input.rename", { type: "text", value: session.title || "", "aria-label": "New title", maxlength: "300" });
  let done = false;
  const finish = async (save) => {
    if (done) return;
    done = true;
    const value = input.value.trim();
    input.replaceWith(title);
    li.classList.remove("renaming");
    if (save && value && value !== session.title) {
      title.textContent = value;
      try {
        const updated = await api.updateSession(session.id, { title: value });
        Object.assign(session, updated);
        const fresh = item(session);
        li.replaceWith(fresh);
        fresh.querySelector(".session-link").focus();
        if (state.session?.id === session.id) document.dispatchEvent(new CustomEvent("session-renamed", { detail: updated }));
      } catch (err) {
        title.textContent = titleOf(session);
        toast(err.message);
      }
    }
    li.querySelector(".session-link").focus();
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); finish(true); }
    if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); finish(false); }
  });
  input.addEventListener("blur", () => finish(true));
  li.classList.add("renaming"); // the field takes the row; its icons step aside (style.css)
  title.replaceWith(input);
  input.focus();
  input.select();
}

async function pin(session) {
  try {
    await api.updateSession(session.id, { pinned: !session.pinned });
    await refresh();
    listEl.querySelector(`li[data-id="${CSS.escape(session.id)}"] .session-link`)?.focus();
  } catch (err) {
    toast(err.message);
  }
}

function remove(li, session) {
  const next = li.nextElementSibling?.querySelector(".session-link") || li.previousElementSibling?.querySelector(".session-link");
  li.hidden = true;
  next?.focus();
  ensureRoving();
  const wasOpen = state.sessionId === session.id;
  if (wasOpen) location.hash = "#/new";
  const timer = setTimeout(() => actuallyDelete(session.id), UNDO_MS + 500);
  pendingDeletes.set(session.id, timer);
  toast(`Deleted “${titleOf(session)}”.`, {
    action: "Undo",
    timeout: UNDO_MS,
    onAction: () => {
      clearTimeout(pendingDeletes.get(session.id));
      pendingDeletes.delete(session.id);
      // The list may have been drawn again since: show the row that is in it now.
      const shown = li.isConnected ? li : rowOf(session.id);
      if (shown) {
        shown.hidden = false;
        setRoving(shown);
      } else {
        refresh().then(markActive);
      }
      if (wasOpen) location.hash = `#/s/${session.id}`;
    },
    onTimeout: () => actuallyDelete(session.id),
  });
}

async function actuallyDelete(id, keepalive = false) {
  if (!pendingDeletes.has(id)) return;
  clearTimeout(pendingDeletes.get(id));
  pendingDeletes.delete(id);
  try {
    await api.deleteSession(id, keepalive ? { keepalive: true } : {});
  } catch (err) {
    if (err.status !== 404) toast(err.message);
  }
  rowOf(id)?.remove();
  loaded = loaded.filter((s) => s.id !== id); // the next page's offset counts what the server has
}

function rowOf(id) {
  return listEl.querySelector(`li.session[data-id="${CSS.escape(id)}"]`);
}

// A title the server has changed (the model named the chat, or a rename in another tab):
// redraw that row in place, and the chat's header if it is open.
function noteTitle(summary) {
  const known = loaded.find((s) => s.id === summary.id);
  if (known && known.title !== summary.title) {
    Object.assign(known, summary);
    const li = rowOf(summary.id);
    if (li && !li.querySelector("input.rename")) {
      const fresh = item(known);
      fresh.hidden = li.hidden;
      const focused = li.contains(document.activeElement);
      const roving = li.querySelector(".session-link")?.getAttribute("tabindex") === "0";
      li.replaceWith(fresh);
      if (roving) setRoving(fresh);
      if (focused) fresh.querySelector(".session-link").focus();
    }
  }
  if (summary.id === state.sessionId && summary.title && headerEl.textContent !== summary.title) {
    if (state.session?.id === summary.id) state.session.title = summary.title;
    document.dispatchEvent(new CustomEvent("session-renamed", { detail: summary }));
  }
}

// After a run ends, a chat still named by its first line is about to be named by the model
// (server side, within about 15 s): ask for it again until it is.
const TITLE_WAITS_MS = [300, 700, 1000, 1500, 2000, 3000, 4000, 5000];
const followingTitles = new Set();

async function followTitle(sessionId) {
  if (!sessionId || followingTitles.has(sessionId)) return;
  followingTitles.add(sessionId);
  try {
    for (const wait of TITLE_WAITS_MS) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      const known = loaded.find((s) => s.id === sessionId);
      if (known && !["first_message", "titling"].includes(known.title_source)) return;
      const { messages, ...summary } = await api.getSession(sessionId);
      noteTitle(summary);
      if (known) known.title_source = summary.title_source;
      if (!["first_message", "titling"].includes(summary.title_source)) return;
    }
  } catch { /* deleted, or offline: the next refresh shows what there is */ } finally {
    followingTitles.delete(sessionId);
  }
}

function flushDeletes() {
  for (const id of [...pendingDeletes.keys()]) actuallyDelete(id, true);
}

export function markActive() {
  for (const li of listEl.querySelectorAll("li.session")) {
    const active = li.dataset.id === state.sessionId;
    li.classList.toggle("active", active);
    const link = li.querySelector(".session-link");
    if (active) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  if (!listEl.contains(document.activeElement)) {
    const active = listEl.querySelector("li.session.active:not([hidden])");
    if (active) setRoving(active); else ensureRoving();
  }
}

function markRunning() {
  for (const li of listEl.querySelectorAll("li.session")) {
    li.classList.toggle("running", isRunning(li.dataset.id));
  }
}

// Every few seconds (while the page is visible) ask for the first page of summaries: a run
// that starts or ends elsewhere moves its session there (its updated_at changes). Sessions
// marked running that are not on that page are asked about one by one.
function schedulePoll() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(poll, POLL_MS);
}

async function poll() {
  clearTimeout(pollTimer);
  if (document.hidden) return;
  try {
    const page = await api.listSessions({ q: query, limit: PAGE, offset: 0 });
    const seen = new Set();
    for (const s of page.sessions) { noteRun(s); noteTitle(s); seen.add(s.id); }
    for (const id of [...serverRuns.keys()]) {
      if (seen.has(id)) continue;
      try { noteRun(await api.getSession(id)); } catch (err) { if (err.status === 404) serverRuns.delete(id); }
    }
    markRunning();
    for (const s of page.sessions) if (s.active_run) emit("server-run", s.id);
    // A conversation started elsewhere: redraw the list, unless the reader is in it.
    const drawn = new Set([...listEl.querySelectorAll("li.session")].map((li) => li.dataset.id));
    const missing = page.sessions.some((s) => !drawn.has(s.id) && !pendingDeletes.has(s.id));
    if (missing && !listEl.contains(document.activeElement) && listEl.parentElement.scrollTop === 0) {
      await refresh();
      markActive();
    }
  } catch { /* offline for a moment: try again later */ }
  schedulePoll();
}
