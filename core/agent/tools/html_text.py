"""HTML to readable text: headings, paragraphs, list items and links, without the chrome."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

SKIPPED = frozenset(
    {
        "script",
        "style",
        "nav",
        "noscript",
        "template",
        "svg",
        "iframe",
        "head",
        "form",
        "button",
        "select",
        "canvas",
        "object",
    }
)
VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }
)
BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "blockquote",
        "table",
        "tr",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
        "details",
        "summary",
        "address",
        "pre",
        "hr",
        "li",
    }
)
PARAGRAPHS = frozenset({"p", "pre", "blockquote", "table", "ul", "ol", "dl", "figure"})
HEADINGS = {"h1": "# ", "h2": "## ", "h3": "### ", "h4": "#### ", "h5": "##### ", "h6": "###### "}


class _TextParser(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.parts: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0
        self.title: list[str] = []
        self.in_title = False
        self.links: list[str | None] = []
        self.newlines = 0  # newlines at the end of the text so far

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        if tag in SKIPPED:
            if tag not in VOID:
                self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag in HEADINGS:
            self._newline(2)
            self._write(HEADINGS[tag])
        elif tag == "li":
            self._newline(1)
            self._write("- ")
        elif tag == "br":
            self._newline(self.newlines + 1)
        elif tag in ("td", "th"):
            self._write("| " if self.newlines else " | ")
        elif tag in BLOCKS:
            self._newline(2 if tag in PARAGRAPHS else 1)
        if tag == "pre":
            self.pre_depth += 1
        if tag == "a":
            href = dict(attrs).get("href")
            self.links.append(self._link(href))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in SKIPPED:
            if tag not in VOID and self.skip_depth:
                self.skip_depth -= 1
            return
        if self.skip_depth:
            return
        if tag == "a" and self.links:
            link = self.links.pop()
            if link:
                self._write(f" ({link})")
        elif tag == "pre" and self.pre_depth:
            self.pre_depth -= 1
            self._newline(2)
        elif tag in HEADINGS or tag in BLOCKS:
            self._newline(2 if tag in HEADINGS or tag in PARAGRAPHS else 1)

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        if self.skip_depth:
            return
        if self.pre_depth:
            self._write(data)
            return
        text = re.sub(r"\s+", " ", data)
        if self.newlines or not self.parts:
            text = text.lstrip()
        self._write(text)

    def _write(self, text: str) -> None:
        if not text:
            return
        self.parts.append(text)
        stripped = text.rstrip("\n")
        if stripped:
            self.newlines = len(text) - len(stripped)
        else:
            self.newlines += len(text)

    def _newline(self, count: int) -> None:
        if not self.parts:
            return
        if self.newlines == 0:
            self.parts[-1] = self.parts[-1].rstrip(" ")
        if count > self.newlines:
            self._write("\n" * (count - self.newlines))

    def _link(self, href: str | None) -> str | None:
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            return None
        absolute = urljoin(self.base_url, href.strip())
        return absolute if absolute.startswith(("http://", "https://")) else None


def html_to_text(html: str, base_url: str = "") -> str:
    """Readable text of an HTML page; the title first when there is one."""
    parser = _TextParser(base_url)
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    title = re.sub(r"\s+", " ", "".join(parser.title)).strip()
    if title:
        return f"Title: {title}\n\n{text}"
    return text
