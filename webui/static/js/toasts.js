// Short notices at the top of the window (never over the composer), some with an action
// (Undo). At most MAX_SHOWN at once: a new one ends the oldest notice that would time out anyway;
// one with an action is never cut short (an Undo stays for its whole time).
import { $, h } from "./view.js";

const region = $("#toasts");
const MAX_SHOWN = 3;

export function toast(text, { action, onAction, timeout = 5000, onTimeout } = {}) {
  // A failed call repeating the signed-out notice that is already on screen.
  if (text === SIGNED_OUT && signedOutShown) return { finish: () => {} };
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
  el.finish = finish;
  const timer = Number.isFinite(timeout) ? setTimeout(() => finish(false), timeout) : null;
  el.timesOut = timer !== null;
  el.acts = Boolean(action);
  region.append(el);
  makeRoom();
  return { finish };
}

function makeRoom() {
  const shown = [...region.children];
  while (shown.length > MAX_SHOWN) {
    const oldest = shown.find((el) => el.timesOut && !el.acts) || shown.find((el) => !el.acts);
    if (!oldest) return;
    shown.splice(shown.indexOf(oldest), 1);
    oldest.finish(false);
  }
}

// The page's sign-in does not count (its cookie is a secret of the server process that set it,
// so a restarted Hearth answers 401; or it never signed in): say so once, and what to do.
let signedOutShown = false;
export const SIGNED_OUT =
  "This page is not signed in to Hearth (after a restart every page must sign in again):"
  + " open the sign-in link Hearth printed when it started (the same link if HEARTH_TOKEN"
  + " is set), or reopen the Hearth window.";
export function signedOut() {
  if (signedOutShown) return;
  toast(SIGNED_OUT, { timeout: Infinity });
  signedOutShown = true;
}
