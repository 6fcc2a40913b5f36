"""Error and notice lines (``st.error``/``st.warning``/``st.info`` render Markdown) that quote what
a person typed or put in a link show it as plain text: a phishing link in a shared URL's
``country`` must not become a clickable "Verify your login" in the page's error box."""
from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from core.catalog import store
from pages.state.widgets import WORD_JOINER, plain_line
from tests.casting.conftest import casting_demo  # noqa: F401  (the trained demo casting model)
from tests.conftest import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")
PHISH = "[Verify your login](https://evil.example/x)"


def _inert(markdown: str) -> None:
    """No link, image, HTML tag or bare URL can start anywhere in ``markdown``. GFM autolinks
    bare URLs in the text after backslash escapes are undone (seen in Chromium), so that text
    must hold no ``scheme://`` and no ``www.`` (checked by hand in Chromium: with a word joiner
    before ``://`` and after ``www`` no link is made)."""
    assert not re.search(r"(?<!\\)[\[\]<>!`$]", markdown), markdown
    text = re.sub(r"\\(.)", r"\1", markdown).lower()
    assert not re.search(r"[a-z]://", text) and "www." not in text, markdown


@pytest.mark.parametrize("text", [PHISH, "![x](http://evil/t.png) <img src=x> :red[alarm] $$\\href{http://e}{x}$$",
                                  "see www.evil.example or https://evil.example", "`code` # heading\n\n- item",
                                  "a\\[b](http://e)"])
def test_plain_line_leaves_no_markdown_that_links(text):
    line = plain_line(text)
    _inert(line)
    assert "\n" not in line
    shown = re.sub(r"\\(.)", r"\1", line).replace(WORD_JOINER, "")  # the joiner is invisible
    assert shown == " ".join(text.split())  # what a reader sees is what was typed


def test_plain_line_keeps_ordinary_messages_readable():
    message = "co_stars: must name an actor between every two commas (budget -5 is 1.5 too low)"
    assert plain_line(message) == message


def test_a_phishing_link_in_a_shared_casting_url_shows_as_text(casting_demo):  # noqa: F811
    store.set_active("demo")
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update({"year": "2012", "genres": "Drama", "country": PHISH})
    at.run()
    at.switch_page("pages/casting.py").run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors and any("Verify your login" in e for e in errors), errors
    for error in errors:
        _inert(error)


def test_a_typed_title_search_is_echoed_as_text(demo_catalog):
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["catalog"] = "demo"
    at.run()
    at.switch_page("pages/labeling.py").run()
    at.text_input(key="labeling_new_profile").input("messages-tester").run()
    at.text_input(key="labeling_search").input("zzqx ![x](https://evil.example/t.png)").run()
    assert not at.exception
    notes = [i.value for i in at.info if "No title contains" in i.value]
    assert notes, [i.value for i in at.info]
    _inert(notes[0].split("No title contains", 1)[1])
