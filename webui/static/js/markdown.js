// Model output → a sanitised DocumentFragment: Markdown (GFM) by marked, code highlighted by
// highlight.js, LaTeX ($…$, $$…$$, \(…\), \[…\]) by KaTeX as MathML, everything passed
// through DOMPurify. Model text is untrusted: no script, no
// event handlers, no javascript: URLs, no frames/forms/styles, no ids or app classes.
import { Lexer, Marked } from "../vendor/marked/marked.esm.js";
import DOMPurify from "../vendor/dompurify/purify.es.js";
import katex from "../vendor/katex/katex.js";
import { highlight, languageOf } from "./highlight.js";
import { h } from "./view.js";

const escapeHtml = (s) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

// KaTeX writes MathML only (the browser draws it: no inline styles for the CSP to block, no
// fonts); trust: false turns \href, \url, \includegraphics and the like into plain text.
const KATEX_OPTIONS = { output: "mathml", throwOnError: false, trust: false, strict: "ignore", maxExpand: 1000 };

function tex(source, displayMode) {
  try {
    return katex.renderToString(source, { ...KATEX_OPTIONS, displayMode });
  } catch {
    return `<code>${escapeHtml(source)}</code>`;
  }
}

// Math is found by marked's own tokenizers, so code spans and fenced code keep their dollars.
// "$…$" follows Pandoc: no space just inside either dollar and no digit right after the
// closing one, so "$5 and $10" stays text.
const INLINE_MATH = [
  [/^\$\$(?!\$)([\s\S]+?)\$\$/, true],
  [/^\\\(([\s\S]+?)\\\)/, false],
  [/^\$(?![\s$])((?:\\[\s\S]|[^\\$])+?)(?<![\s\\])\$(?![\d$])/, false],
];
const mathInline = {
  name: "mathInline",
  level: "inline",
  start(src) {
    const at = src.search(/\$|\\\(/);
    return at < 0 ? undefined : at;
  },
  tokenizer(src) {
    for (const [pattern, display] of INLINE_MATH) {
      const match = pattern.exec(src);
      if (match) return { type: "mathInline", raw: match[0], text: match[1].trim(), display };
    }
    return undefined;
  },
  renderer: (token) => tex(token.text, token.display),
};
const mathBlock = {
  name: "mathBlock",
  level: "block",
  start(src) {
    const at = src.search(/^ {0,3}(\$\$|\\\[)/m);
    return at < 0 ? undefined : at;
  },
  tokenizer(src) {
    const match = /^ {0,3}(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n+|$)/.exec(src);
    if (!match) return undefined;
    return { type: "mathBlock", raw: match[0], text: (match[1] ?? match[2]).trim() };
  },
  renderer: (token) => `<div class="math-block">${tex(token.text, true)}</div>\n`,
};

const marked = new Marked({
  gfm: true,
  breaks: false,
  extensions: [mathBlock, mathInline],
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
const SAFE_CLASS = /^(hljs(-[\w-]+)?|language-[\w+#.-]+|katex(-display|-error)?|math-block)$/;
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
    "textarea", "select", "option", "svg", "link", "meta", "base", "dialog", "video",
    "audio", "source", "template", "portal"],
  FORBID_ATTR: ["style", "id", "name", "srcset", "formaction", "autofocus", "tabindex",
    "contenteditable", "popover", "accesskey", "mathcolor", "mathbackground"],
  ALLOW_DATA_ATTR: false,
  // KaTeX's MathML keeps the TeX source in <semantics><annotation> (not drawn; copied with it).
  ADD_TAGS: ["semantics", "annotation"],
};

// Markdown text → a sanitised fragment with copy buttons on code blocks.
export function renderMarkdown(text) {
  let html;
  try {
    html = marked.parser(lexMarkdown(text));
  } catch {
    html = `<p>${escapeHtml(text || "")}</p>`;
  }
  return sanitised(html);
}

// The two halves of renderMarkdown, for a view that renders a text block by block
// (streaming_markdown.js). `links`: the link definitions ([label]: url) of text elsewhere in
// the document, which marked resolves for the whole document at once. May throw.
export function lexMarkdown(text, links = null) {
  const lexer = new Lexer({ ...marked.defaults });
  if (links) Object.assign(lexer.tokens.links, links);
  return lexer.lex(text || "");
}

export function renderTokens(tokens) {
  return sanitised(marked.parser(tokens));
}

function sanitised(html) {
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
    h("button.copy", { type: "button", "aria-label": `Copy ${label} code`,
      dataset: { action: "copy", label: `Copy ${label} code` } }, "Copy"));
  pre.replaceWith(wrapper);
  wrapper.append(head, pre);
}

// Copy buttons (code blocks, messages, tool output) are wired once, by delegation, on the
// conversation element; the button says "Copied" (its name too) for a moment.
export function wireCopyButtons(root) {
  root.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action=copy], button[data-action=copy-source]");
    if (!button) return;
    const text = button.copySource ? button.copySource()
      : button.closest(".code-block")?.querySelector("code")?.textContent;
    if (text === undefined || text === null) return;
    const said = await navigator.clipboard.writeText(text).then(() => "Copied", () => "Copy failed");
    button.textContent = said;
    if (button.dataset.label) button.setAttribute("aria-label", said);
    clearTimeout(button.copyTimer);
    button.copyTimer = setTimeout(() => {
      button.textContent = "Copy";
      if (button.dataset.label) button.setAttribute("aria-label", button.dataset.label);
    }, 1500);
  });
}
