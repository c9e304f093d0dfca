// A Markdown text that grows as an answer streams in, drawn so each frame costs what arrived,
// not the whole text again. The text is cut into top-level blocks (marked's tokens); a block
// is frozen, drawn once and its nodes kept, as soon as the text after it proves it complete;
// only the unfinished tail is drawn again each frame. When the text is finished, the nodes
// are exactly those renderMarkdown(text) gives for the whole text, some of them grouped in
// <div class="md-group"> wrappers that draw nothing (see drawInTail).
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

// Finished texts and a pristine copy of their nodes, most recently used last: a long answer
// drawn again (its chat opened again, or the whole session redrawn from the store when a run's
// streamed turn could not be kept, see conversation.js keepDrawn) is copied, not parsed again.
const drawn = new Map();
const DRAWN_KEPT = 32;
const WORTH_KEEPING = 2000; // characters
const GROUP_SIZE = 32; // nodes

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
    this.tailEl = null; // the <div> the tail is drawn in while the text streams (drawInTail)
    this.tailNodes = []; // the tail's nodes once finish() took them out of tailEl
    this.group = null; // the <div> frozen blocks go in while the text streams (freeze)
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
    if (!this.frozenLength && !this.tailEl && !this.tailNodes.length && this.copyDrawn()) return;
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
      return;
    }
    this.unwrap();
    if (this.raw.length >= WORTH_KEEPING && !drawn.has(this.raw)) {
      const copy = document.createDocumentFragment();
      for (const node of this.el.childNodes) copy.append(node.cloneNode(true));
      drawn.set(this.raw, copy);
      if (drawn.size > DRAWN_KEPT) drawn.delete(drawn.keys().next().value);
    }
  }

  // The whole text was drawn before: copy its nodes, groups and all, into the answer's element
  // (they stand for the tail: more text after it draws it all once more, then block by block).
  copyDrawn() {
    const copy = this.raw.length >= WORTH_KEEPING && drawn.get(this.raw);
    if (!copy) return false;
    drawn.delete(this.raw);
    drawn.set(this.raw, copy);
    const nodes = copy.cloneNode(true);
    this.tailNodes = [...nodes.childNodes];
    this.el.append(nodes);
    return true;
  }

  drawTail() {
    let tail = this.raw.slice(this.frozenLength);
    let tokens = lexMarkdown(tail, this.links);
    let links = tokens.links; // the frozen blocks' definitions and the tail's
    const { count, length } = tail.includes("\r") ? { count: 0 } : completeBlocks(tokens, tail);
    // (marked's tokens cover the text they were cut from; if they ever did not, freeze nothing)
    if (count && tokens.slice(0, count).map((t) => t.raw).join("") === tail.slice(0, length)) {
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
      this.freeze(nodes);
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
    this.tailLinks = links;
    this.drawInTail(renderTokens(tokens));
  }

  // While the text streams, the tail is drawn in a <div class="md-tail"> and frozen blocks go
  // in <div class="md-group">s of GROUP_SIZE nodes, so the answer's own element, with
  // thousands of children in a long answer, is left alone (a node put in or taken out of an
  // element may restyle its other children, by the page's sibling rules). finish() takes the
  // tail's few nodes out of their wrapper; the groups stay (moving their nodes would lay the
  // whole answer out again, ~60 ms at 20,000 tokens) and draw nothing: the page's margin
  // rules reach through them (style.css).
  drawInTail(fragment) {
    this.removeTail();
    if (!this.tailEl) {
      this.tailEl = document.createElement("div");
      this.tailEl.className = "md-tail";
      this.el.append(this.tailEl);
    }
    this.tailEl.append(fragment);
  }

  // (The first blocks go straight in the answer's element, so that its first child is the
  // answer's first block, as the page's ".md > :first-child" rule expects.)
  freeze(nodes) {
    if (this.frozenLength === 0 && this.el.childNodes.length - (this.tailEl ? 1 : 0) === 0
        && nodes.length <= GROUP_SIZE) {
      for (const node of nodes) this.el.insertBefore(node, this.tailEl);
      return;
    }
    if (!this.group || this.group.childNodes.length >= GROUP_SIZE) {
      this.group = document.createElement("div");
      this.group.className = "md-group";
      this.el.insertBefore(this.group, this.tailEl);
    }
    this.group.append(...nodes);
  }

  unwrap() {
    if (this.tailEl) {
      this.tailNodes = [...this.tailEl.childNodes];
      this.tailEl.replaceWith(...this.tailNodes);
    }
    this.group = null;
    this.tailEl = null;
  }

  removeTail() {
    for (const node of this.tailNodes) node.remove(); // drawn before finish() unwrapped them
    this.tailNodes = [];
    this.tailEl?.replaceChildren();
  }

  // Redraw the frozen blocks that were drawn knowing fewer link definitions than `links`
  // and hold a "[" (the only way to use one).
  relink(links) {
    const known = Object.keys(links).length;
    for (const block of this.blocks) {
      if (block.linkCount >= known || !block.raw.includes("[") || !block.nodes.length) continue;
      const fragment = renderTokens(lexMarkdown(block.raw, links));
      const nodes = [...fragment.childNodes];
      block.nodes[0].before(fragment);
      for (const node of block.nodes) node.remove();
      block.nodes = nodes;
      block.linkCount = known;
    }
  }
}

// How many of the leading tokens (and how many characters) are complete blocks: up to the
// last blank line that a whole line of a next block follows, and before any block that could
// still reach past it. (Link definitions draw nothing, so "the next block" is the first
// token after them, and it may not be raw HTML either: the browser puts a leading <script> or
// </div>, and the line end after it, in the document's head rather than in the answer.)
function completeBlocks(tokens, text) {
  const starts = [];
  let offset = 0;
  for (const token of tokens) {
    starts.push(offset);
    offset += token.raw.length;
  }
  const lastLineEnd = text.lastIndexOf("\n");
  const nextAfter = []; // the first token after i that draws something
  let next = tokens.length;
  for (let i = tokens.length - 1; i >= 0; i--) {
    nextAfter[i] = next;
    if (tokens[i].type !== "space" && tokens[i].type !== "def") next = i;
  }
  let count = 0;
  for (let i = 0; i < tokens.length - 1; i++) {
    if (!standsAlone(tokens[i])) break;
    const j = nextAfter[i];
    if (tokens[i].type !== "space" || j >= tokens.length) continue;
    if (tokens[j].type === "html" || starts[j] > lastLineEnd) continue;
    count = i + 1;
  }
  return { count, length: count ? starts[count] : 0 };
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
