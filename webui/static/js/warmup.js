// "Starting the built-in model…": while a live turn of a chat on the built-in model waits for
// its first word, the runtime may be loading the model (the first turn, or the first after it
// stopped when idle). GET /api/models/runtime says so; this asks it every half second until
// the answer begins, and shows the sentence beside the typing dots meanwhile.
import { request } from "./api.js";
import { h } from "./view.js";

const EVERY_MS = 500;

// Watch for a turn whose foot shows the typing dots; returns stop(), called at the first
// event of the answer or when the run ends.
export function watchWarmup(turn) {
  let stopped = false;
  let timer = null;
  const line = h("span.model-starting", { role: "status" }, "Starting the built-in model…");
  const ask = async () => {
    timer = null;
    let answer = null;
    try {
      answer = await request("GET", "/api/models/runtime");
    } catch { /* an older server, or a moment offline: just the dots */ }
    if (stopped) return;
    if (answer && answer.state !== "ready") {
      if (!line.isConnected) turn.foot.append(line);
    } else {
      line.remove();
    }
    if (answer) timer = setTimeout(ask, EVERY_MS);
  };
  ask();
  return () => {
    stopped = true;
    clearTimeout(timer);
    line.remove();
  };
}
