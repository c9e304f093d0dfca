// When a message was written, as a chat app shows it: the time for today ("14:05"),
// "Yesterday 14:05", then the date ("4 Mar", with the year when it is not this one); the
// full date and time in the tooltip, the exact instant in <time datetime>.
import { h } from "./view.js";

const DAY_MS = 24 * 60 * 60 * 1000;

function startOfDay(date) {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

// The short label for ``date`` seen at ``now`` (both Dates, in the reader's time zone).
export function whenLabel(date, now = new Date()) {
  const time = date.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
  const days = Math.round((startOfDay(now) - startOfDay(date)) / DAY_MS);
  if (days <= 0) return time;
  if (days === 1) return `Yesterday ${time}`;
  const sameYear = date.getFullYear() === now.getFullYear();
  return date.toLocaleDateString(undefined, sameYear
    ? { day: "numeric", month: "short" }
    : { day: "numeric", month: "short", year: "numeric" });
}

// A quiet <time> for a message's created_at (ISO 8601), or null without a valid one.
export function timeStamp(iso) {
  const date = iso ? new Date(iso) : null;
  if (!date || Number.isNaN(date.getTime())) return null;
  const full = date.toLocaleString(undefined, { dateStyle: "full", timeStyle: "short" });
  return h("time.when", { datetime: date.toISOString(), title: full }, whenLabel(date));
}
