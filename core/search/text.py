"""Text normalisation shared by BM25, entity matching, language intent and explanations.

One ``fold`` so that "Saldaña" in a query matches "Saldana" in a document, while scripts that
carry meaning in combining marks (Devanagari, Malayalam, Tamil…) are kept intact.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

TOKEN = re.compile(r"\w+", re.UNICODE)

# Small English stop list: words that carry no retrieval signal in film descriptions.
STOPWORDS = frozenset("""
a about after again against all also an and any are as at be because been before being between
both but by can could did do does doing during each few for from further had has have having he
her here hers him his how i if in into is it its itself just me more most my no nor not of off on
once only or other our out over own same she should so some such than that the their them then
there these they this those through to too under until up very was we were what when where which
while who whom why will with would you your film films movie movies
""".split())


@lru_cache(maxsize=500_000)
def fold_token(token: str) -> str:
    """Case-fold; strip accents only when what remains is plain ASCII (Latin script)."""
    if token.isascii():
        return token.lower()
    token = unicodedata.normalize("NFKC", token).casefold()
    stripped = "".join(c for c in unicodedata.normalize("NFKD", token) if not unicodedata.combining(c))
    return stripped if stripped.isascii() else token


def tokens(text: str) -> list[str]:
    """All folded word tokens of ``text`` (stop words kept: phrases need them)."""
    if not text:
        return []
    if text.isascii():  # the common case: lower-casing is all the folding there is to do
        return TOKEN.findall(text.lower())
    return [fold_token(t) for t in TOKEN.findall(text)]


def terms(text: str) -> list[str]:
    """Folded tokens without stop words or lone digits: the BM25 vocabulary."""
    return [t for t in tokens(text) if t not in STOPWORDS and not (len(t) == 1 and t.isdigit())]
