// What the whole page shares: settings, providers, the open session, live runs; with a tiny
// subscription so modules redraw when something they show changes.
const listeners = new Map();

export const state = {
  settings: null,
  providers: [],
  sessionId: null,
  session: null,
  liveRuns: new Map(), // session id → run id, for runs this page knows are live
  starting: new Set(), // sessions whose POST .../runs is on its way
};

export function on(name, fn) {
  if (!listeners.has(name)) listeners.set(name, new Set());
  listeners.get(name).add(fn);
  return () => listeners.get(name).delete(fn);
}

export function emit(name, detail) {
  for (const fn of listeners.get(name) || []) fn(detail);
}

export function usableProvider() {
  return state.providers.find((p) => p.enabled) || null;
}

export function setLive(sessionId, runId) {
  if (runId) state.liveRuns.set(sessionId, runId);
  else state.liveRuns.delete(sessionId);
  emit("live", sessionId);
}

const DRAFT_PREFIX = "hearth.draft.";
export const drafts = {
  get: (id) => localStorage.getItem(DRAFT_PREFIX + (id || "new")) || "",
  set(id, text) {
    const key = DRAFT_PREFIX + (id || "new");
    if (text) localStorage.setItem(key, text);
    else localStorage.removeItem(key);
  },
};
