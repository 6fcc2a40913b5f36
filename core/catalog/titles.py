"""Film titles: the normalised form used to join sources, and MovieLens title parsing."""
from __future__ import annotations

import re
import unicodedata

# English leading articles are dropped for matching ("The Graduate" == "Graduate, The").
_ARTICLES = ("the", "a", "an")
_TRAILING_ARTICLE = re.compile(r",\s*(the|a|an)$")
_LEADING_ARTICLE = re.compile(r"^(the|a|an)\s+")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")

# MovieLens writes "Graduate, The (1967)" and "Postman, The (Postino, Il) (1994)".
_ML_YEAR = re.compile(r"\s*\((\d{4})(?:\s*[-\u2013]\s*(?:\d{4})?)?\)\s*(?:\(V\)\s*)?$")
_ML_ARTICLE = re.compile(r"^(?P<rest>.+), (?P<article>The|A|An|Les|La|Le|L'|Il|Lo|Gli|I|Das|Der|Die|El|Los|Las|Un|Une|O|Os|As|Det|Den|De)$")
_ML_ALT_TITLE = re.compile(r"^(?P<main>.+?)\s+\((?P<alt>[^()]+)\)$")


def normalise_title(title: str | None) -> str:
    """Lowercase, accents and punctuation removed, "&" read as "and", leading/trailing English
    article dropped, non-breaking spaces and repeated spaces collapsed. "" for no title."""
    if not title:
        return ""
    text = unicodedata.normalize("NFKD", str(title).replace("\u00a0", " "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower().replace("&", " and ")
    text = re.sub(r"['\u2019`]", "", text).strip()
    text = _TRAILING_ARTICLE.sub("", text)
    text = _NON_ALNUM.sub(" ", text).strip()
    text = _LEADING_ARTICLE.sub("", text)
    return text


def restore_article(title: str) -> str:
    """ "Graduate, The" -> "The Graduate"; "Avventura, L'" -> "L'Avventura"."""
    match = _ML_ARTICLE.match(title)
    if not match:
        return title
    article = match.group("article")
    return f"{article}{match.group('rest')}" if article.endswith("'") else f"{article} {match.group('rest')}"


def parse_movielens_title(raw: str) -> tuple[str, str | None, int | None]:
    """``(title, original_title, year)`` from a MovieLens title.

    The trailing "(1995)" is the year; a parenthesised part before it is the original-language
    title ("Postman, The (Postino, Il)") unless it is an "a.k.a." alias; articles are moved back
    to the front of both.
    """
    text = " ".join(str(raw).replace("\u00a0", " ").split())
    year = None
    match = _ML_YEAR.search(text)
    if match:
        year = int(match.group(1))
        text = text[:match.start()].strip()
    original = None
    alt = _ML_ALT_TITLE.match(text)
    if alt:
        text = alt.group("main").strip()
        candidate = alt.group("alt").strip()
        if not candidate.lower().startswith("a.k.a") and candidate != text:
            original = restore_article(candidate)
    return restore_article(text) or str(raw), original, year
