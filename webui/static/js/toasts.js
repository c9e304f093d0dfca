// Short notices at the bottom of the window, some with an action (Undo).
import { $, h } from "./view.js";

const region = $("#toasts");

export function toast(text, { action, onAction, timeout = 5000, onTimeout } = {}) {
  let done = false;
  const el = h("div.toast", {}, h("span", {}, text));
  const finish = (acted) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    el.remove();
    if (acted) onAction?.();
    else onTimeout?.();
  };
  if (action) el.append(h("button.small", { type: "button", onclick: () => finish(true) }, action));
  el.append(h("button.small.ghost", { type: "button", "aria-label": "Dismiss", onclick: () => finish(false) }, "×"));
  region.append(el);
  const timer = setTimeout(() => finish(false), timeout);
  return { finish };
}
