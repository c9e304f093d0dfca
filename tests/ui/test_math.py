"""LaTeX in answers: KaTeX draws $…$, $$…$$, \\(…\\) and \\[…\\] as MathML under the page's
CSP; code keeps its dollars, prices stay text, and TeX cannot make a live link."""

from __future__ import annotations

from tests.ui.conftest import open_page

ANSWER = (
    "Inline $E = mc^2$ and \\(a^2 + b^2 = c^2\\).\n\n"
    "$$\n\\int_0^1 x\\,dx = \\frac{1}{2}\n$$\n\n"
    "\\[\n\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}\n\\]\n\n"
    "It costs $5 and $10 at most.\n\n"
    "In code `echo $HOME $PATH` and:\n\n```sh\nprice=$5; echo $price$\n```\n"
)


def send(page, text: str) -> None:
    page.fill("#composer-input", text)
    page.keyboard.press("Enter")


def answer(page, server, fake, text: str):
    """Open a fresh chat, have the fake model answer ``text``, return the answer's body."""
    fake.reply(text=text)
    send(page, "Some maths please")
    page.wait_for_selector(".turn.assistant[data-status=completed]")
    return page.locator(".turn.assistant .turn-body .md").first


def test_inline_and_display_math_render_as_mathml(browser, server, fake):
    page = open_page(browser, server)
    csp = []
    page.on(
        "console",
        lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None,
    )
    body = answer(page, server, fake, ANSWER)
    maths = body.locator("math")
    assert maths.count() == 4
    assert body.locator("math[display=block]").count() == 2
    assert body.locator("math mi", has_text="E").count() >= 1
    assert body.locator("math mfrac").count() >= 2
    # The TeX source travels with the formula (not drawn), the dollars of prices stay text.
    assert body.locator("annotation").first.text_content() == "E = mc^2"
    text = body.inner_text()
    assert "It costs $5 and $10 at most." in text
    assert "$E" not in text and "\\(" not in text and "$$" not in text
    # Code keeps its dollars.
    assert body.locator("p code").inner_text() == "echo $HOME $PATH"
    assert body.locator("pre code").inner_text().strip() == "price=$5; echo $price$"
    assert body.locator("pre math, p code math").count() == 0
    # MathML is drawn by the browser: a formula has a size, and nothing broke the CSP.
    box = body.locator("math").first.bounding_box()
    assert box and box["width"] > 10 and box["height"] > 5
    assert csp == []
    assert page.errors == [], page.errors
    page.context.close()


def test_tex_cannot_make_a_live_link_or_markup(browser, server, fake):
    page = open_page(browser, server)
    hostile = (
        "Try $\\href{javascript:alert(1)}{x}$ and $\\url{javascript:alert(2)}$ and "
        '$\\htmlClass{app}{y}$ and $x<img src=x onerror="alert(3)">$.\n\n'
        "$$\\includegraphics{http://example.com/a.png}$$\n"
    )
    body = answer(page, server, fake, hostile)
    body.locator("math").first.wait_for()
    assert body.locator("a, img, [href], [src], [onerror], [style], [mathcolor]").count() == 0
    assert page.evaluate("() => document.querySelectorAll('.md [class~=app]').length") == 0
    body.locator("math").first.click()
    assert page.dialogs == []
    assert page.errors == [], page.errors
    page.context.close()


def test_a_formula_that_does_not_parse_stays_readable(browser, server, fake):
    page = open_page(browser, server)
    body = answer(page, server, fake, "Broken: $\\frac{a}{b$ here.")
    assert "\\frac{a}{b" in body.inner_text()
    assert page.errors == [], page.errors
    page.context.close()
