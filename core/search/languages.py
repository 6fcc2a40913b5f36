"""Language names for search, built on the catalog's own table (``core.catalog.languages``).

Only languages that occur in a catalog are ever detected in a query; this module just names
them. Codes are recognised in queries only in the explicit ``lang:xx`` form, because several
codes are ordinary English words ("it", "de", "es", "an", "no", "hi", "my", "to").
"""
from __future__ import annotations

from collections import defaultdict

from core.catalog.languages import LANGUAGE_CODES

# Display names where the catalog table has several words for one code, plus TMDb's "cn".
_PREFERRED = {"zh": "Chinese", "fa": "Persian", "tl": "Tagalog", "pa": "Punjabi", "cn": "Cantonese"}

NAMES: dict[str, str] = {code: word.title() for word, code in sorted(LANGUAGE_CODES.items(), reverse=True)}
NAMES.update(_PREFERRED)

# Query word -> the codes it can mean ("cantonese" is "zh" in IMDb-style tables, "cn" in TMDb).
WORDS: dict[str, tuple[str, ...]] = {}
_words: dict[str, list[str]] = defaultdict(list)
for _word, _code in LANGUAGE_CODES.items():
    _words[_word].append(_code)
_words["cantonese"].append("cn")
WORDS = {word: tuple(codes) for word, codes in _words.items()}

# Names that are also everyday subjects or nationalities in English queries ("an English
# teacher", "the English Channel"): detected only with explicit phrasing such as
# "in English", "English-language" or "lang:en".
EXPLICIT_ONLY = frozenset({"en"})


def name(code: str | None) -> str:
    """English name for a code; the code itself when unknown; empty for missing."""
    if not code:
        return ""
    return NAMES.get(str(code).lower(), str(code))
