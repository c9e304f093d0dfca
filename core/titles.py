"""Session titles as plain text: the first line of a message with its Markdown taken off (the
title a chat gets at once, and keeps when no model can name it), and a model's title tidied,
or refused when it is not a title."""

from __future__ import annotations

import re

FIRST_LINE_LENGTH = 60
MODEL_TITLE_LENGTH = 80
MODEL_TITLE_WORDS = 10  # asked for six; more than this is an answer, not a title

_FENCE = re.compile(r"^\s*(```|~~~)")
_RULE = re.compile(r"^\s*([-*_]\s*){3,}$")
_LINE_MARKUP = re.compile(
    r"^\s*(?:>\s*)*"  # block quotes
    r"(?:#{1,6}\s+)?"  # a heading
    r"(?:(?:[-*+]|\d{1,9}[.)])\s+)?"  # a list item
    r"(?:\[[ xX]\]\s+)?"  # a task box
)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_CODE = re.compile(r"`+([^`]*)`+")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")
_THINKING = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.S | re.I)
_OPEN_THINKING = re.compile(r"<(think|thinking|reasoning)>", re.I)
_LABEL = re.compile(r"^\s*(?:title|titre|titel|título|titolo|标题|タイトル)\s*[:：]\s*", re.I)
_QUOTES = "\"'`“”‘’«»„‟‹›「」『』"
_TRAILING = ".,;:!?。，；：！？…-–— "


def plain_line(line: str) -> str:
    """One line of Markdown as the words a reader sees: headings, quotes, list markers,
    emphasis, code ticks and HTML tags gone, links and images as their text."""
    text = _LINE_MARKUP.sub("", line, count=1)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    text = _CODE.sub(r"\1", text)
    for pattern in (_STRONG, _STRIKE):
        text = pattern.sub(lambda m: m.group(m.lastindex), text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _ESCAPE.sub(r"\1", text)
    return " ".join(text.split())


def first_line_title(content: str, length: int = FIRST_LINE_LENGTH) -> str:
    """The first line of ``content`` that has words in it, as plain text, cut at a word
    boundary to about ``length`` characters ("…" marks the cut). Lines of a code block count
    only when nothing else has words."""
    code_lines: list[str] = []
    in_code = False
    for line in content.splitlines():
        if _FENCE.match(line):
            in_code = not in_code
            continue
        if in_code:
            code_lines.append(line)
            continue
        if _RULE.match(line):
            continue
        words = plain_line(line)
        if words:
            return shorten(words, length)
    for line in code_lines:
        if line.strip():
            return shorten(" ".join(line.split()), length)
    return ""


def shorten(text: str, length: int) -> str:
    if len(text) <= length:
        return text.rstrip(" ,;:")
    cut = text[:length]
    if " " in cut[length // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-–—") + "…"


def tidy_model_title(raw: str) -> str | None:
    """The title in a model's reply, as plain text on one line without quotes or a final
    full stop; None when the reply is not a usable title (empty, still thinking, rambling)."""
    text = _THINKING.sub("", raw)
    if _OPEN_THINKING.search(text):
        return None
    line = next((line for line in text.splitlines() if plain_line(line)), "")
    title = plain_line(line)
    for _ in range(2):  # '**Title:** "Trip to Rome"' has a label inside the quotes' markup
        title = _LABEL.sub("", title).strip().strip(_QUOTES).strip()
    title = title.rstrip(_TRAILING).strip().strip(_QUOTES).strip().rstrip(_TRAILING)
    title = " ".join(title.split())
    if not title or not re.search(r"\w", title):
        return None
    if len(title.split()) > MODEL_TITLE_WORDS or len(title) > MODEL_TITLE_LENGTH:
        return None
    return title
