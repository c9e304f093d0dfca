// Following a run's events over SSE, resuming after the last event id seen.
// On any error the stream is closed and reopened by us with ?after=<last id> (not left to
// EventSource's own retry, whose resume point we cannot see); events are also de-duplicated
// by id, so a reconnect never repeats or drops text. After repeated failures we ask for the
// run and report it as gone when the server no longer has it, or no longer lets us in (401:
// Hearth restarted and this page's sign-in is gone; api.js tells the user what to do).
import { api } from "./api.js";

export const EVENT_TYPES = ["run.started", "text.delta", "reasoning.delta", "tool.started",
  "tool.completed", "approval.requested", "approval.decided", "usage",
  "run.completed", "run.failed", "run.cancelled"];
export const TERMINAL = new Set(["run.completed", "run.failed", "run.cancelled"]);

// onEvent(type, data, id); onState("live" | "reconnecting" | "ended" | "gone").
export function followRun(runId, { after = 0, onEvent, onState }) {
  let last = after;
  let source = null;
  let closed = false;
  let retryTimer = null;
  let failures = 0;

  const handle = (type) => (message) => {
    const id = Number(message.lastEventId);
    if (!Number.isFinite(id) || id <= last) return;
    last = id;
    let data = {};
    try { data = JSON.parse(message.data); } catch { /* keep {} */ }
    onEvent(type, data, id);
    if (TERMINAL.has(type)) {
      stop();
      onState("ended");
    }
  };

  function open() {
    if (closed) return;
    source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events?after=${last}`);
    for (const type of EVENT_TYPES) source.addEventListener(type, handle(type));
    source.onopen = () => { failures = 0; onState("live"); };
    source.onerror = () => {
      if (closed) return;
      source.close();
      onState("reconnecting");
      recover();
    };
  }

  async function recover() {
    source = null;
    failures += 1;
    try {
      const run = await api.getRun(runId);
      if (closed) return;
      if (["completed", "failed", "cancelled", "interrupted"].includes(run.status) && failures > 3) {
        stop();
        onState("gone");
        return;
      }
    } catch (err) {
      if (closed) return;
      if (err.status === 404 || err.status === 401) {
        stop();
        onState("gone");
        return;
      }
    }
    // Short while the server cannot be reached: a restarted Hearth is noticed within a second.
    retryTimer = setTimeout(open, Math.min(1000, 300 * failures));
  }

  function stop() {
    closed = true;
    clearTimeout(retryTimer);
    if (source) source.close();
    source = null;
  }

  open();
  return { stop, get lastId() { return last; } };
}
