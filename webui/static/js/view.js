// A tiny view helper: h("button#id.primary", {onclick, "aria-label": "x"}, "text", child...).
export function h(spec, attrs = {}, ...children) {
  const [head, ...classes] = spec.split(".");
  const [tag, id] = head.split("#");
  const el = document.createElement(tag || "div");
  if (id) el.id = id;
  if (classes.length) el.className = classes.join(" ");
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "text") el.textContent = value;
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// A "Copy" button: `source()` gives the text it copies (wired by wireCopyButtons in markdown.js).
export function copyButton(what, source, cls = "small") {
  const label = `Copy ${what}`;
  const button = h(`button.${cls}.copy`, { type: "button", "aria-label": label, title: label,
    dataset: { action: "copy-source", label } }, "Copy");
  button.copySource = source;
  return button;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

// Runs fn at most once per animation frame, with the latest arguments.
export function perFrame(fn) {
  let scheduled = false;
  let lastArgs = [];
  return (...args) => {
    lastArgs = args;
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      fn(...lastArgs);
    });
  };
}

export function formatTokens(usage) {
  if (!usage) return "";
  const input = usage.input_tokens ?? usage.prompt_tokens;
  const output = usage.output_tokens ?? usage.completion_tokens;
  const parts = [];
  if (input != null) parts.push(`${input.toLocaleString()} in`);
  if (output != null) parts.push(`${output.toLocaleString()} out`);
  if (!parts.length) return "";
  const more = [];
  if (usage.output_tokens_per_s) more.push(`${usage.output_tokens_per_s} tok/s`);
  if (usage.cost_usd != null) more.push(formatCost(usage.cost_usd));
  return [`${parts.join(" · ")} tokens`, ...more].join(" · ");
}

export function formatCost(usd) {
  return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}
