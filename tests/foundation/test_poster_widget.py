"""The poster widget: a neat placeholder for missing or unloadable posters, URLs escaped."""
from __future__ import annotations

import re

from pages.state.widgets import poster_html, poster_source


def test_missing_or_local_poster_is_the_placeholder_only():
    for url in (None, "", float("nan"), "file:///etc/passwd", "/home/me/poster.jpg", "javascript:alert(1)"):
        markup = poster_html(poster_source(url))
        assert "No poster" in markup and "url(" not in markup, url
    assert poster_source("http://x.test/p.jpg") == "http://x.test/p.jpg"


def test_poster_is_a_layer_over_the_placeholder():
    markup = poster_html("https://image.tmdb.org/t/p/w342/abc.jpg?x=1&y=2", width=180)
    assert "No poster" in markup  # shows through when the image fails to load
    assert 'url("https://image.tmdb.org/t/p/w342/abc.jpg?x=1&amp;y=2")' in markup
    assert "max-width:180px" in markup and "<img" not in markup


def test_poster_url_cannot_break_out_of_its_attribute():
    markup = poster_html("https://x.test/a.jpg') ;x:y' onerror='alert(1)\"><script>alert(2)</script>\\")
    assert "<script>" not in markup and "onerror='" not in markup and "\\" not in markup
    url = re.search(r'url\("(.*?)"\)', markup).group(1)
    assert not set(url) & set("'\"()<> \\"), url  # nothing can close the url() or the attribute
