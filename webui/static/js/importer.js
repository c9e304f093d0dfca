// Importing a file: a Hearth export (.json), or a ChatGPT or Claude data export (the .zip,
// or the conversations.json inside it). The file goes to the server as it is, never read
// into the page (an export can be hundreds of MB), with a progress bar: the upload first,
// then the server's own progress (checking the file, then saving it) from /api/imports/ID.
import { $, h } from "./view.js";
import { toast } from "./toasts.js";

const POLL_MS = 300;

function jobId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function contentType(file) {
  return /\.zip$/i.test(file.name) || /zip/.test(file.type) ? "application/zip" : "application/json";
}

function progressPanel(name) {
  const label = h("span.import-label", {}, `Importing ${name}…`);
  const bar = h("progress.import-bar", { max: "1", value: "0", "aria-label": "Import progress" });
  const el = h("div.toast.import-progress", { role: "status" }, label, bar);
  $("#toasts").append(el);
  return {
    show(text, fraction) {
      label.textContent = text;
      bar.value = Math.max(0, Math.min(1, fraction));
    },
    close: () => el.remove(),
  };
}

const plural = (n, word) => `${n.toLocaleString()} ${word}${n === 1 ? "" : "s"}`;

// The server's progress while it checks and saves (upload is the first 30% of the bar).
function pollProgress(job, panel) {
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    try {
      const response = await fetch(`/api/imports/${job}`, { credentials: "same-origin" });
      if (response.ok) {
        const p = await response.json();
        const part = p.total ? p.done / p.total : 0;
        if (p.phase === "checking") panel.show(`Checking the file… ${plural(p.conversations, "chat")}`, 0.3 + 0.2 * part);
        if (p.phase === "saving") panel.show(`Saving… ${plural(p.conversations, "chat")}`, 0.5 + 0.5 * part);
      }
    } catch { /* the answer to the upload says what went wrong */ }
    if (!stopped) setTimeout(tick, POLL_MS);
  };
  setTimeout(tick, POLL_MS);
  return () => { stopped = true; };
}

// Resolves to {session} for a Hearth export, {sessionIds} for a ChatGPT or Claude export,
// or null when the import failed (the reason is shown).
export function importChats(file) {
  const job = jobId();
  const panel = progressPanel(file.name);
  let stopPolling = () => {};
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/sessions/import?job=${job}`);
    xhr.setRequestHeader("Content-Type", contentType(file));
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) panel.show(`Sending ${file.name}…`, 0.3 * (event.loaded / event.total));
    };
    xhr.upload.onload = () => {
      panel.show("Checking the file…", 0.3);
      stopPolling = pollProgress(job, panel);
    };
    const finish = (result, message) => {
      stopPolling();
      panel.close();
      if (message) toast(message, { timeout: 8000 });
      resolve(result);
    };
    xhr.onerror = () => finish(null, "Hearth's server cannot be reached. Is it still running?");
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* said below */ }
      if (xhr.status !== 201 || !data) {
        finish(null, data?.error?.message || `The import failed (${xhr.status}).`);
      } else if (data.session_ids) {
        const skipped = data.skipped ? ` (${plural(data.skipped, "empty chat")} left out)` : "";
        finish({ sessionIds: data.session_ids }, `Imported ${plural(data.imported, "chat")}${skipped}.`);
      } else {
        finish({ session: data }, `Imported “${data.title || "conversation"}”.`);
      }
    };
    xhr.send(file);
  });
}
