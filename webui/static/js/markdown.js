// Model output → a sanitised DocumentFragment: Markdown (GFM) by marked, code highlighted by
// highlight.js, everything passed through DOMPurify. Model text is untrusted: no script, no
// event handlers, no javascript: URLs, no frames/forms/styles, no ids or app classes.
import { Marked } from "../vendor/marked/marked.esm.js";
import DOMPurify from "../vendor/dompurify/purify.es.js";
import { highlight, languageOf } from "./highlight.js";
import { h } from "./view.js";

const escapeHtml = (s) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    code({ text, lang }) {
      const language = languageOf((lang || "").trim().split(/\s+/)[0]);
      const body = language ? highlight(text, language) : escapeHtml(text);
      const label = language || (lang || "").trim().split(/\s+/)[0].replace(/[^\w+#.-]/g, "") || "text";
      return `<pre><code class="hljs language-${escapeHtml(label)}">${body}</code></pre>\n`;
    },
  },
});

const purify = DOMPurify(window);
const SAFE_CLASS = /^(hljs(-[\w-]+)?|language-[\w+#.-]+)$/;
purify.addHook("uponSanitizeAttribute", (node, data) => {
  if (data.attrName === "class") {
    data.attrValue = data.attrValue.split(/\s+/).filter((c) => SAFE_CLASS.test(c)).join(" ");
    if (!data.attrValue) data.keepAttr = false;
  }
});
purify.addHook("uponSanitizeElement", (node, data) => {
  if (data.tagName === "input" && node.getAttribute && node.getAttribute("type") !== "checkbox") {
    node.remove();
  }
});
purify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    if (node.hasAttribute("href")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    }
  } else if (node.tagName === "INPUT") {
    node.setAttribute("disabled", "");
    node.setAttribute("aria-label", "task");
  }
});

const PURIFY_OPTIONS = {
  RETURN_DOM_FRAGMENT: true,
  FORBID_TAGS: ["style", "iframe", "frame", "frameset", "object", "embed", "form", "button",
    "textarea", "select", "option", "svg", "math", "link", "meta", "base", "dialog", "video",
    "audio", "source", "template", "portal"],
  FORBID_ATTR: ["style", "id", "name", "srcset", "formaction", "autofocus", "tabindex",
    "contenteditable", "popover", "accesskey"],
  ALLOW_DATA_ATTR: false,
};

// Markdown text → a sanitised fragment with copy buttons on code blocks.
export function renderMarkdown(text) {
  let html;
  try {
    html = marked.parse(text || "");
  } catch {
    html = `<p>${escapeHtml(text || "")}</p>`;
  }
  const fragment = purify.sanitize(html, PURIFY_OPTIONS);
  for (const pre of fragment.querySelectorAll("pre")) decorateCode(pre);
  return fragment;
}

function decorateCode(pre) {
  const code = pre.querySelector("code");
  const match = code && [...code.classList].find((c) => c.startsWith("language-"));
  const label = match ? match.slice("language-".length) : "text";
  const wrapper = h("div.code-block");
  const head = h("div.code-head", {},
    h("span.code-lang", { text: label }),
    h("button.copy", { type: "button", "aria-label": `Copy ${label} code`, dataset: { action: "copy" } }, "Copy"));
  pre.replaceWith(wrapper);
  wrapper.append(head, pre);
}

// Copy buttons are wired once, by delegation, on the conversation element.
export function wireCopyButtons(root) {
  root.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action=copy]");
    if (!button) return;
    const code = button.closest(".code-block")?.querySelector("code");
    if (!code) return;
    try {
      await navigator.clipboard.writeText(code.textContent);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Copy failed";
    }
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  });
}
