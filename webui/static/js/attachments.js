// Attachments: files added to the next message by the Attach button, drag and drop, or paste
// (an image from the clipboard). Each is uploaded at once (the server keeps it before the
// message is sent) and shown as a chip with its name, size and, for an image, a thumbnail;
// × removes it. In the conversation a raster image is shown (click to enlarge) and any
// other file is a chip that downloads it: nothing from a file is ever run or shown as a page.
import { isDesktop } from "./desktop.js";
import { toast } from "./toasts.js";
import { $, h } from "./view.js";

const RASTER = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);
const MAX_PER_MESSAGE = 10;
let pending = [];
let tray = null;
let changed = () => {};

export function initAttachments({ form, box, input, onChange }) {
  changed = onChange || changed;
  tray = h("ul.attachment-tray", { "aria-label": "Attached files", hidden: true });
  form.insertBefore(tray, box);
  const picker = h("input.visually-hidden", { type: "file", multiple: true, tabIndex: -1, "aria-hidden": "true" });
  picker.addEventListener("change", () => { addFiles([...picker.files]); picker.value = ""; });
  const button = h("button.attach", { type: "button", title: "Attach files", "aria-label": "Attach files", onclick: () => picker.click() }, "+");
  box.insertBefore(button, box.firstChild);
  box.append(picker);
  input.addEventListener("paste", (event) => {
    const found = [...(event.clipboardData?.files || [])];
    if (!found.length) return;
    event.preventDefault();
    addFiles(found.map((file, i) => (file.name && file.name !== "image.png" ? file : renamed(file, i))));
  });
  form.addEventListener("dragover", (event) => {
    if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
    event.preventDefault();
    form.classList.add("dropping");
  });
  form.addEventListener("dragleave", () => form.classList.remove("dropping"));
  form.addEventListener("drop", (event) => {
    form.classList.remove("dropping");
    const found = [...(event.dataTransfer?.files || [])];
    if (!found.length) return;
    event.preventDefault();
    addFiles(found);
  });
}

// A pasted screenshot has no name of its own: give it one that says what and when.
function renamed(file, i) {
  const ext = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return new File([file], `pasted-${stamp}${i ? `-${i + 1}` : ""}.${ext}`, { type: file.type });
}

export function addFiles(files) {
  for (const file of files) {
    if (pending.length >= MAX_PER_MESSAGE) {
      toast(`A message carries at most ${MAX_PER_MESSAGE} files.`);
      break;
    }
    const item = { key: Math.random().toString(36).slice(2), name: file.name || "attachment", size: file.size, type: file.type, id: null };
    pending.push(item);
    upload(item, file);
  }
  draw();
}

async function upload(item, file) {
  try {
    const response = await fetch("/api/attachments", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": file.type || "application/octet-stream", "X-Filename": encodeURIComponent(item.name) },
      body: file,
    });
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new Error(data?.error?.message || `The upload failed (${response.status}).`);
    if (!pending.includes(item)) return; // removed while it was uploading
    Object.assign(item, data);
  } catch (err) {
    const message = err instanceof TypeError ? "Hearth's server cannot be reached." : err.message;
    toast(`${item.name}: ${message}`, { timeout: 8000 });
    pending = pending.filter((p) => p !== item);
  }
  draw();
}

function draw() {
  if (!tray) return;
  tray.hidden = pending.length === 0;
  tray.replaceChildren(...pending.map((item) => h(item.id ? "li.attachment-chip" : "li.attachment-chip.uploading", { dataset: { key: item.key } },
    item.id && RASTER.has(item.type) ? h("img.attachment-thumb", { src: fileUrl(item.id), alt: "" }) : h("span.attachment-icon", { "aria-hidden": "true" }, "📄"),
    h("span.attachment-name", { title: item.name }, item.name),
    h("span.attachment-size", {}, item.id ? sizeText(item.size) : "uploading…"),
    h("button.attachment-remove", { type: "button", "aria-label": `Remove ${item.name}`, onclick: () => remove(item) }, "×"))));
  changed();
}

function remove(item) {
  pending = pending.filter((p) => p !== item);
  draw();
}

// The ids to send, in the order they were added; only files the server has kept.
export function attachedIds() { return pending.filter((p) => p.id).map((p) => p.id); }
export function attachedFiles() { return pending.filter((p) => p.id).map(({ id, name, type, size }) => ({ id, name, type, size })); }
export function uploading() { return pending.some((p) => !p.id); }
export function clearAttachments() { pending = []; draw(); }

export function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10240 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function fileUrl(id) { return `/api/attachments/${encodeURIComponent(id)}`; }

// A message's attachments as the conversation shows them.
export function attachmentsView(list) {
  if (!list || !list.length) return null;
  return h("div.message-attachments", {}, list.map((a) => (RASTER.has(a.type)
    ? h("button.attachment-image", { type: "button", title: a.name, "aria-label": `Enlarge ${a.name}`, onclick: () => enlarge(a) },
      h("img", { src: fileUrl(a.id), alt: a.name, loading: "lazy" }))
    : h("a.attachment-chip.attachment-file", {
      href: fileUrl(a.id), download: a.name,
      title: viewable(a) ? `Open ${a.name}` : `Download ${a.name}`,
      onclick: (event) => openInViewer(event, a),
    },
      h("span.attachment-icon", { "aria-hidden": "true" }, "📄"),
      h("span.attachment-name", {}, a.name),
      h("span.attachment-size", {}, sizeText(a.size))))));
}

// In the window, a document of a kind a viewer only shows (never runs) opens in the system's
// viewer; anything else, and every file in a browser tab, downloads.
const VIEWABLE = new Set([
  "application/pdf", "text/plain", "text/markdown", "text/csv",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
]);

function viewable(attachment) { return isDesktop() && VIEWABLE.has(attachment.type); }

function openInViewer(event, attachment) {
  if (!viewable(attachment)) return;
  event.preventDefault();
  window.dispatchEvent(new CustomEvent("hearth:desktop", { detail: { action: "open_attachment", id: attachment.id } }));
}

function enlarge(attachment) {
  const dialog = h("dialog.attachment-viewer", { "aria-label": attachment.name },
    h("img", { src: fileUrl(attachment.id), alt: attachment.name }),
    h("form", { method: "dialog" }, h("button.button", { type: "submit" }, "Close")));
  dialog.addEventListener("click", (event) => { if (event.target === dialog || event.target.tagName === "IMG") dialog.close(); });
  dialog.addEventListener("close", () => dialog.remove());
  ($("body") || document.body).append(dialog);
  dialog.showModal();
}
