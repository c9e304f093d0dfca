"""A streaming answer is drawn block by block: the blocks the text has finished keep their
nodes while the rest streams in, and the finished answer is exactly what Markdown gives for
the whole text (fences, lists and $$ formulas across blank lines, tables, raw HTML, link
definitions after their use), whatever pieces the text came in."""

from __future__ import annotations

import random
import threading

import pytest

from tests.ui.conftest import open_page

TRICKY = {
    "fence with blank lines": (
        "Intro line\n\n```python\ndef f():\n\n    return 1\n\n\nx = 2\n```\n\nAfter the fence.\n\n"
        "~~~\nplain\n\n~~~\nend\n"
    ),
    "lists with blank lines": (
        "- one\n- two\n\n- three\n\n  continued para\n\n    - nested\n\n    - nested 2\n\n"
        "Text\n\n1. a\n\n2. b\n\n10. c\n\n* star\n\n+ plus\n\nEnd\n"
    ),
    "tables": (
        "| a | b |\n|---|---:|\n| 1 | **2** |\n| 3 | `4` |\n\nAfter\n\nx | y\n--|--\n"
        "1 | 2\nlazy row\n\nfin\n"
    ),
    "maths across blank lines": (
        "Before\n\n$$\na = b\n\nc = d\n$$\n\nAfter $x^2$ and\n\n\\[\nx\n\n y\n\\]\n\n"
        "$$ open\n\nnever closed\n\nPrice $5 and $6\n"
    ),
    "headings": (
        "# Title\nText under\n\nSetext\n===\n\n## Two ##\n\npara\n---\n\nmore\n\n"
        "Another\n\n---\n\n### Three\n"
    ),
    "html the sanitiser strips": (
        "Hi <b>bold\n\nnext para</b> x\n\n<div>\n\ninside\n\n</div>\n\n"
        '<script>alert(1)</script>\n\n<iframe src="x"></iframe> tail\n\n'
        "<kbd>Ctrl</kbd>+<kbd>C</kbd> and <img src=x onerror=alert(1)>\n\n<!-- note -->\n\n"
        "<i>open\n\nnever closed\n\nend\n"
    ),
    "reference links": (
        "See [the docs][d] and [home].\n\nMore text [Home] here\n\n"
        '[d]: https://example.com/docs "Docs"\n[home]: https://example.com\n\n'
        "Use [d] again and [late].\n\n[d]: https://example.com/second\n\n"
        "[late]: https://example.com/late\n"
    ),
    "quotes, rules, indented code": (
        "> quote\n> more\nlazy\n\n> second\n\n    indented\n\n    code\n\n***\n\ntext\n"
        "    not code\n\n- [ ] task\n- [x] done\n"
    ),
    "open fence at the end": "text\n\n```js\nlet a = 1;\n\nlet b;\n",
    "windows line ends": "one\r\n\r\ntwo\r\n- a\r\n- b\r\n\r\nthree\r\n",
}

# A finished answer's element with its .md-group wrappers (they draw nothing) taken out; null
# when a wrapper is left anywhere else (or an .md-tail at all).
FLAT = """(md) => {
  const flat = md.cloneNode(true);
  for (const group of flat.querySelectorAll(':scope > .md-group')) {
    group.replaceWith(...group.childNodes);
  }
  return flat.querySelector('.md-group, .md-tail') ? null : flat;
}"""

STREAM_AND_COMPARE = """async ({ text, sizes }) => {
  const flatten = FLAT;
  const { AssistantTurn } = await import('/js/turn.js');
  const { renderMarkdown } = await import('/js/markdown.js');
  const whole = document.createElement('div');
  whole.className = 'md';
  whole.append(renderMarkdown(text));
  let seed = 16;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out = [];
  for (const size of sizes) {
    const turn = new AssistantTurn();
    for (let at = 0; at < text.length;) {
      const n = size === 'random' ? 1 + Math.floor(random() * 12) : size;
      turn.addText(text.slice(at, at + n), { now: true });
      at += n;
    }
    turn.finish('completed');
    const md = flatten(turn.el.querySelector('.md'));
    const part = turn.textParts()[0];
    out.push({ size, same: md.isEqualNode(whole), html: md.innerHTML,
      frozen: part.blocks.length, whole: part.whole });
  }
  return { expected: whole.innerHTML, results: out };
}""".replace("FLAT", FLAT)


@pytest.fixture(scope="module")
def page(browser, server):
    page = open_page(browser, server)
    yield page
    assert page.errors == [], page.errors
    page.context.close()


@pytest.mark.parametrize("name", list(TRICKY))
def test_the_streamed_answer_ends_as_the_whole_text_renders(page, name):
    text = TRICKY[name]
    got = page.evaluate(STREAM_AND_COMPARE, {"text": text, "sizes": [1, 3, "random", len(text)]})
    for result in got["results"]:
        assert result["html"] == got["expected"], f"{name}, pieces of {result['size']}"
        assert result["same"], f"{name}, pieces of {result['size']}"
        assert not result["whole"], "marked never failed: the answer was drawn block by block"
    if name not in ("html the sanitiser strips", "windows line ends"):
        assert got["results"][0]["frozen"] > 0, "blocks were frozen while it streamed"


def test_shuffled_lines_of_tricky_answers_end_as_the_whole_text_renders(page):
    """Lines of all the tricky answers in random orders: blocks meet in ways no one wrote."""
    lines = [line for text in TRICKY.values() for line in text.replace("\r", "").split("\n")]
    rng = random.Random(16)
    for _ in range(25):
        text = "\n".join(rng.choice(lines) for _ in range(rng.randint(10, 40))) + "\n"
        got = page.evaluate(STREAM_AND_COMPARE, {"text": text, "sizes": ["random"]})
        assert got["results"][0]["html"] == got["expected"], text
        assert not got["results"][0]["whole"]


KEPT_NODES = """async () => {
  const { AssistantTurn } = await import('/js/turn.js');
  const turn = new AssistantTurn();
  const seen = [];
  const add = (text) => turn.addText(text, { now: true });
  add('First paragraph, finished.\\n\\n```python\\nprint(1)\\n\\n');
  add('print(2)\\n```\\n\\nA third ');
  const first = turn.el.querySelector('.md > p');
  add('block\\n\\n| a | b |\\n|---|---|\\n| 1 | 2 |\\n\\nMore text');
  const code = turn.el.querySelector('.md .code-block');
  for (let i = 0; i < 50; i++) add(` word${i}`);
  add('\\n\\n- item\\n\\nlast');
  const md = turn.el.querySelector('.md');
  return {
    firstKept: md.querySelector('p') === first && md.contains(first),
    codeKept: md.querySelector('.code-block') === code && md.contains(code),
    highlighted: code.querySelectorAll('.hljs-built_in, .hljs-number').length > 0,
    copy: code.querySelector('button[data-action=copy]')?.getAttribute('aria-label'),
    tables: md.querySelectorAll('table').length,
  };
}"""


def test_finished_blocks_keep_their_nodes_while_the_answer_streams(page):
    got = page.evaluate(KEPT_NODES)
    assert got == {
        "firstKept": True,
        "codeKept": True,
        "highlighted": True,
        "copy": "Copy python code",
        "tables": 1,
    }


WATCH = """() => {
  window.__kept = null;
  window.__removed = 0;
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.removedNodes) {
        if (window.__kept && (node === window.__kept || node.contains?.(window.__kept))) {
          window.__removed += 1;
        }
      }
    }
    // The fence is finished once a whole line of the paragraph after it is here.
    const md = document.querySelector('.turn.assistant.live .md');
    if (!window.__kept && md?.textContent.includes('w12')) {
      window.__kept = md.querySelector('.code-block');
    }
  });
  observer.observe(document.querySelector('#messages'), { childList: true, subtree: true });
}"""


def test_a_live_answer_keeps_its_finished_code_block(page, server, fake):
    """Through hearth serve: the highlighted code block the answer finished stays the same
    node (never removed) while the next paragraphs stream in, and its Copy button works."""
    page.evaluate("() => { location.hash = '#/new'; }")
    page.wait_for_function("() => document.querySelectorAll('#messages .turn').length === 0")
    words = "\n".join(" ".join(f"w{i}" for i in range(j, j + 10)) for j in range(0, 120, 10))
    text = f"Look:\n\n```python\nimport os\nprint(os.sep)\n```\n\n{words}\n\nThe end.\n"
    hold = threading.Event()
    pieces = len(text) // 2
    fake.reply(text=text, chunks=pieces, delay=0.003, hold=hold, hold_after=pieces - 6)
    page.evaluate(WATCH)
    page.fill("#composer-input", "Show me code")
    page.keyboard.press("Enter")
    try:
        page.wait_for_function(
            "() => document.querySelector('.turn.assistant.live .md')?.textContent.includes('w118')"
        )
        kept = page.evaluate(
            "() => [window.__kept !== null, window.__kept?.isConnected, window.__removed,"
            " window.__kept === document.querySelector('.turn.assistant.live .code-block')]"
        )
        assert kept == [True, True, 0, True]
        assert page.locator(".turn.assistant.live .code-block .hljs-built_in").count() >= 1
        page.locator(".turn.assistant.live .code-block button[data-action=copy]").click()
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert copied.strip() == "import os\nprint(os.sep)"
    finally:
        hold.set()
    page.wait_for_selector(".turn.assistant[data-status=completed]")


SAME_AS_WHOLE = """(text) => import('/js/markdown.js').then(({ renderMarkdown }) => {
  const whole = document.createElement('div');
  whole.className = 'md';
  whole.append(renderMarkdown(text));
  const md = (FLAT)(document.querySelector('.turn.assistant[data-id] .md'));
  return md.isEqualNode(whole) && md.childElementCount > 10;
})""".replace("FLAT", FLAT)


def test_a_long_answer_drawn_again_from_the_store_is_the_whole_text_rendered(page, fake):
    """When the run ends the session is drawn again from the store; a long answer's nodes are
    then copied from the streamed ones, and must still be the whole text's rendering."""
    page.evaluate("() => { location.hash = '#/new'; }")
    page.wait_for_function("() => document.querySelectorAll('#messages .turn').length === 0")
    text = "".join(
        f"## Part {i}\n\nSome [text](https://example.com/{i}) and `code` {i}.\n\n"
        f"```python\nprint({i})\n```\n\n- a {i}\n- b\n\n| x | y |\n|---|---|\n| {i} | 2 |\n\n"
        for i in range(20)
    )
    assert len(text) > 2000
    fake.reply(text=text, chunks=200)
    page.fill("#composer-input", "A long one")
    page.keyboard.press("Enter")
    page.wait_for_selector(".turn.assistant[data-id][data-status=completed]")
    assert page.evaluate(SAME_AS_WHOLE, text)


# Streamed in pieces into a live turn on the page (its real style sheet), measured with part of
# the text still streaming (drawn in .md-group/.md-tail wrappers), once the text is finished
# (the tail out of its wrapper) and with the text rendered whole (no wrappers): every block and
# the turn's foot (the typing dots) stand in the same place.
SAME_LOOK = """async ({ text, whole, cut }) => {
  const { AssistantTurn } = await import('/js/turn.js');
  const { renderMarkdown } = await import('/js/markdown.js');
  const messages = document.querySelector('#messages');
  const turn = new AssistantTurn();
  turn.startLive();
  messages.replaceChildren(turn.el);
  const streamed = text.slice(0, cut);
  if (whole) turn.addText(streamed, { now: true });
  else {
    for (let at = 0; at < streamed.length; at += 7) {
      turn.addText(streamed.slice(at, at + 7), { now: true });
    }
  }
  const md = turn.el.querySelector('.md');
  const measure = () => {
    const top = messages.getBoundingClientRect().top;
    const at = (el) => {
      const r = el.getBoundingClientRect();
      return [r.top - top, r.bottom - top];
    };
    const blocks = [...md.querySelectorAll('*')].filter((el) => !el.matches('.md-group, .md-tail'));
    return { blocks: blocks.map((el) => [el.localName, ...at(el)]), foot: at(turn.foot) };
  };
  const streaming = measure();
  const wrappers = [...md.children].filter((el) => el.matches('.md-group, .md-tail'))
    .map((el) => el.className);
  turn.closeText();
  const finished = measure();
  md.replaceChildren(renderMarkdown(streamed));
  const plain = measure();
  messages.replaceChildren();
  return { streaming, finished, plain, wrappers };
}"""

LONG_ANSWER = (
    "".join(
        f"## Part {i}\n\nSome text {i} and `code`.\n\n- a {i}\n- b\n\n"
        f"```python\nprint({i})\n```\n\n"
        for i in range(12)
    )
    + "The last paragraph, still being written"
)


@pytest.mark.parametrize(
    ("case", "text", "whole", "wrappers"),
    [
        ("the tail is the last block", LONG_ANSWER, False, "md-tail"),
        (
            "nothing frozen yet: the tail is the first block",
            "## Title\nText under it\n",
            False,
            "md-tail",
        ),
        ("a long text at once: a group is the first block", LONG_ANSWER, True, "md-group"),
    ],
)
def test_a_streaming_answer_looks_as_it_will_when_finished(page, case, text, whole, wrappers):
    got = page.evaluate(SAME_LOOK, {"text": text, "whole": whole, "cut": len(text) - 5})
    assert wrappers in got["wrappers"], got["wrappers"]
    assert got["streaming"]["foot"] == got["finished"]["foot"], case
    assert got["streaming"] == got["finished"] == got["plain"], case
