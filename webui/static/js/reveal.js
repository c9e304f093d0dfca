// Text shown exactly as a program will see it: characters that are invisible or look like
// others (no-break and other Unicode spaces, zero-width and bidi controls, control characters)
// become visible marks like ⟨U+00A0⟩, and long runs of blanks are collapsed with their count,
// so nothing can hide at the end of a line scrolled out of sight or between two words.
import { h } from "./view.js";

const NAMES = {
  0x00: "NUL", 0x09: "TAB", 0x0d: "CARRIAGE RETURN", 0x1b: "ESCAPE", 0x7f: "DELETE",
  0x00a0: "NO-BREAK SPACE", 0x00ad: "SOFT HYPHEN", 0x034f: "COMBINING GRAPHEME JOINER",
  0x061c: "ARABIC LETTER MARK", 0x115f: "HANGUL CHOSEONG FILLER", 0x1160: "HANGUL JUNGSEONG FILLER",
  0x1680: "OGHAM SPACE MARK", 0x180e: "MONGOLIAN VOWEL SEPARATOR",
  0x200b: "ZERO WIDTH SPACE", 0x200c: "ZERO WIDTH NON-JOINER", 0x200d: "ZERO WIDTH JOINER",
  0x200e: "LEFT-TO-RIGHT MARK", 0x200f: "RIGHT-TO-LEFT MARK",
  0x2028: "LINE SEPARATOR", 0x2029: "PARAGRAPH SEPARATOR",
  0x202a: "LEFT-TO-RIGHT EMBEDDING", 0x202b: "RIGHT-TO-LEFT EMBEDDING",
  0x202c: "POP DIRECTIONAL FORMATTING", 0x202d: "LEFT-TO-RIGHT OVERRIDE",
  0x202e: "RIGHT-TO-LEFT OVERRIDE", 0x202f: "NARROW NO-BREAK SPACE",
  0x205f: "MEDIUM MATHEMATICAL SPACE", 0x2060: "WORD JOINER",
  0x2066: "LEFT-TO-RIGHT ISOLATE", 0x2067: "RIGHT-TO-LEFT ISOLATE",
  0x2068: "FIRST STRONG ISOLATE", 0x2069: "POP DIRECTIONAL ISOLATE",
  0x2800: "BRAILLE PATTERN BLANK", 0x3000: "IDEOGRAPHIC SPACE", 0x3164: "HANGUL FILLER",
  0xfeff: "ZERO WIDTH NO-BREAK SPACE", 0xffa0: "HALFWIDTH HANGUL FILLER",
};
// Other, format, separator and ignorable characters; U+2800 draws as a blank too.
const UNUSUAL = /^[\p{Cc}\p{Cf}\p{Zs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]$/u;

// "command": a shell line, a URL or a path; every blank matters and any non-ASCII letter may
// pass for an ASCII one. "text": a file's content; tabs, indentation and other scripts are
// normal there, only invisible characters and very long blank runs are marked.
const MODES = {
  command: { spaces: 3, breaks: 2, tab: true, nonAscii: true },
  text: { spaces: 40, breaks: 8, tab: false, nonAscii: false },
};

export function codePoint(char) {
  return "U+" + char.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
}

function describe(char) {
  const name = NAMES[char.codePointAt(0)];
  return name ? `${codePoint(char)} ${name}` : codePoint(char);
}

// A fragment showing `text`, and how many characters in it were marked.
export function reveal(text, { mode = "text" } = {}) {
  const rules = MODES[mode] || MODES.text;
  const fragment = document.createDocumentFragment();
  const chars = Array.from(String(text ?? ""));
  let plain = "";
  let marked = 0;
  const flush = () => {
    if (plain) fragment.append(plain);
    plain = "";
  };
  const mark = (label, title, kind = "invisible") => {
    flush();
    fragment.append(h(`span.reveal-${kind}`, { title }, label));
  };
  let i = 0;
  while (i < chars.length) {
    const char = chars[i];
    let run = 1;
    while (i + run < chars.length && chars[i + run] === char) run++;
    if (char === " ") {
      if (run >= rules.spaces) mark(`⟨${run.toLocaleString("en")} spaces⟩`, `${run} spaces in a row`, "blank");
      else plain += " ".repeat(run);
    } else if (char === "\n") {
      if (mode === "command") {
        mark(run > 1 ? `↵×${run}` : "↵", "a line break: what follows runs as another command", "break");
        plain += "\n";
      } else if (run >= rules.breaks) {
        plain += "\n";
        mark(`⟨${(run - 2).toLocaleString("en")} empty lines⟩`, `${run} line breaks in a row`, "blank");
        plain += "\n";
      } else {
        plain += "\n".repeat(run);
      }
    } else if (char === "\t" && !rules.tab) {
      plain += "\t".repeat(run);
    } else if (UNUSUAL.test(char)) {
      marked += run;
      const count = run > 1 ? ` ×${run.toLocaleString("en")}` : "";
      mark(`⟨${codePoint(char)}${count}⟩`, describe(char) + (run > 1 ? `, ${run} times` : ""));
    } else if (rules.nonAscii && char.codePointAt(0) > 0x7e) {
      marked += run;
      mark(char.repeat(run), `${describe(char)}: not a plain ASCII character`, "nonascii");
    } else {
      plain += char.repeat(run);
    }
    i += run;
  }
  flush();
  return { fragment, marked };
}

// A <pre> block for `text`, with a line stating its length (and what was marked).
export function revealBlock(text, { mode = "text", label = "", className = "" } = {}) {
  const value = String(text ?? "");
  const { fragment, marked } = reveal(value, { mode });
  const lines = value ? value.split("\n").length : 0;
  const count = Array.from(value).length;
  const size = [`${count.toLocaleString("en")} character${count === 1 ? "" : "s"}`];
  if (lines > 1) size.push(`${lines.toLocaleString("en")} lines`);
  const pre = h(`pre.reveal${className ? "." + className : ""}`, { tabindex: "0" });
  pre.append(fragment);
  return {
    el: h("div.reveal-section", {},
      h("div.reveal-label", {}, label ? h("strong", {}, label) : null, label ? " · " : "", size.join(", ")),
      pre),
    marked,
  };
}
