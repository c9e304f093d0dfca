// A Markdown text that grows as an answer streams in, drawn so each frame costs what arrived,
// not the whole text again. The text is cut into top-level blocks (marked's tokens); a block
// is frozen, drawn once and its nodes kept, as soon as the text after it proves it complete;
// only the unfinished tail is drawn again each frame. When the text is finished, the nodes
// are exactly those renderMarkdown(text) gives for the whole text.
//
// A block is complete when it is followed by a blank line and then by a whole line of a next
// block: Markdown decides where a block ends line by line, so nothing later can change it
// (a list only ends at a line that is not indented and is not one of its items; a fence or
// a $$ formula left open runs on as the last block). Two things marked does across blocks are
// handled apart:
// - link definitions ("[label]: url") count for the whole text, before and after them: frozen
//   blocks that might use a new one are drawn again (rare);
// - raw HTML is parsed by the browser across blocks (an unclosed <b> runs into the next
//   paragraph), and a line opening "$$" or "\[" may still be closed by text not yet here:
//   nothing at or after a block holding either is frozen (such blocks stay in the tail).
import { lexMarkdown, renderMarkdown, renderTokens } from "./markdown.js";

const MATH_OPENING = /^ {0,3}(\$\$|\\\[)/m;
// Token types whose lines the top-level lexer tries one by one as a possible "$$" block.
const LINE_TOKENS = new Set(["paragraph", "text", "table", "lheading", "def", "html"]);
const VOID_TAGS = new Set(["br", "hr", "img", "wbr"]);
const INLINE_TAGS = new Set(["a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del",
  "dfn", "em", "i", "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub",
  "sup", "time", "u", "var"]);

export class StreamingMarkdown {
  constructor(el) {
    this.el = el;
    this.raw = "";
    this.dirty = false;
    this.frozenLength = 0; // raw.slice(0, frozenLength) is drawn in `blocks`
    this.blocks = []; // frozen: {raw, nodes, linkCount}
    this.links = Object.create(null); // link definitions in the frozen blocks, first one wins
    this.tailNodes = [];
    this.tailLinks = this.links; // the definitions the tail was last drawn with
    this.whole = false; // marked failed on a piece: draw the whole text each time
  }

  append(text) {
    if (!text) return;
    this.raw += text;
    this.dirty = true;
  }

  // Draw what arrived since the last call.
  render() {
    if (!this.dirty) return;
    this.dirty = false;
    if (this.whole) {
      this.el.replaceChildren(renderMarkdown(this.raw));
      return;
    }
    try {
      this.drawTail();
    } catch {
      this.whole = true;
      this.dirty = true;
      this.render();
    }
  }

  // The text is complete: frozen blocks that may use a link defined after them are redrawn.
  finish() {
    this.render();
    if (this.whole) return;
    try {
      this.relink(this.tailLinks);
    } catch {
      this.whole = true;
      this.dirty = true;
      this.render();
    }
  }

  drawTail() {
    let tail = this.raw.slice(this.frozenLength);
    let tokens = lexMarkdown(tail, this.links);
    let links = tokens.links; // the frozen blocks' definitions and the tail's
    const { count, length } = tail.includes("\r") ? { count: 0 } : completeBlocks(tokens, tail);
    if (count) {
      const done = tail.slice(0, length);
      let doneTokens = tokens.slice(0, count);
      const defines = Object.keys(links).length > Object.keys(this.links).length;
      if (defines) {
        // The tail defines links: lex the frozen part with only the definitions before it.
        doneTokens = lexMarkdown(done, this.links);
        this.links = doneTokens.links;
      }
      this.removeTail();
      const nodes = [...renderTokens(doneTokens).childNodes];
      this.el.append(...nodes);
      this.blocks.push({ raw: done, nodes, linkCount: Object.keys(this.links).length });
      this.frozenLength += length;
      tail = tail.slice(length);
      if (defines) {
        this.relink(this.links);
        tokens = lexMarkdown(tail, this.links);
        links = tokens.links;
      } else {
        tokens = tokens.slice(count);
      }
    }
    this.removeTail();
    const fragment = renderTokens(tokens);
    this.tailNodes = [...fragment.childNodes];
    this.tailLinks = links;
    this.el.append(fragment);
  }

  removeTail() {
    for (const node of this.tailNodes) node.remove();
    this.tailNodes = [];
  }

  // Redraw the frozen blocks that were drawn knowing fewer link definitions than `links`
  // and hold a "[" (the only way to use one).
  relink(links) {
    const known = Object.keys(links).length;
    this.blocks.forEach((block, i) => {
      if (block.linkCount >= known || !block.raw.includes("[")) return;
      const fragment = renderTokens(lexMarkdown(block.raw, links));
      const nodes = [...fragment.childNodes];
      const after = this.blocks.slice(i + 1).find((b) => b.nodes.length)?.nodes[0]
        || this.tailNodes[0] || null;
      for (const node of block.nodes) node.remove();
      this.el.insertBefore(fragment, after);
      block.nodes = nodes;
      block.linkCount = known;
    });
  }
}

// How many of the leading tokens (and how many characters) are complete blocks: up to the
// last blank line that a whole line of a next block follows, and before any block that could
// still reach past it.
function completeBlocks(tokens, text) {
  let count = 0;
  let length = 0;
  let offset = 0;
  const lastLineEnd = text.lastIndexOf("\n");
  for (let i = 0; i < tokens.length - 1; i++) {
    const token = tokens[i];
    if (!standsAlone(token)) break;
    offset += token.raw.length;
    if (offset > lastLineEnd) break;
    if (token.type === "space") {
      count = i + 1;
      length = offset;
    }
  }
  return { count, length };
}

// A block whose drawing cannot depend on text after it.
function standsAlone(token) {
  if (LINE_TOKENS.has(token.type) && MATH_OPENING.test(token.raw)) return false;
  if (token.type === "html") return false;
  return balancedHtml(token);
}

// Inline HTML in the block: only void tags and inline elements closed in the same block.
function balancedHtml(token) {
  const open = [];
  let ok = true;
  walk(token, (t) => {
    if (t.type !== "html" || !ok) return;
    const tag = /^<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>$/.exec(t.raw.trim());
    if (/^<!--[\s\S]*-->$/.test(t.raw.trim())) return;
    if (!tag) { ok = false; return; }
    const [, closing, rawName] = tag;
    const name = rawName.toLowerCase();
    if (VOID_TAGS.has(name) && !closing) return;
    if (!INLINE_TAGS.has(name)) ok = false;
    else if (!closing) open.push(name);
    else if (open.at(-1) === name) open.pop();
    else ok = false;
  });
  return ok && !open.length;
}

// Every token inside a block: inline tokens, list items, table cells.
function walk(token, visit) {
  visit(token);
  const children = [token.tokens, token.items, token.header, ...(token.rows || [])];
  for (const list of children) {
    if (Array.isArray(list)) for (const child of list) walk(child, visit);
  }
}
