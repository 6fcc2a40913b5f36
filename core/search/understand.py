"""Tables and token-level parsers for what a query asks beyond its words: years and decades,
genres and their synonyms, countries and film industries, and the words that only carry intent.

Everything here works on the folded tokens of ``core.search.text.tokens`` ("sci-fi" is
``["sci", "fi"]``, "'90s" is ``["90s"]``, "1990's" is ``["1990", "s"]``) and returns the token
positions it used, so the analyzer can take those words out of the text that is matched against
titles and plots ("90s", "set in", "like" never match a title).

Year forms (``YearSpan``; bounds are inclusive):

* a year: "1994", "from 1994", "in 1994", "released in 1994" -> 1994-1994;
* decades: "1990s", "1990's", "90s", "'90s", "90's", "the nineties" -> 1990-1999; "early" /
  "mid" / "late" take the first, middle or last third ("late 80s" -> 1987-1989); two-digit
  decades 30-90 are 19xx, "00s"/"10s" are 20xx, "20s"/"twenties" are the 1920s (write "2020s" for
  the other one);
* bounds: "after 2010" -> 2011-, "since 2010" / "2010 onwards" / "2010 or later" -> 2010-,
  "before 1980" / "pre-1980" -> -1979, "until 1980" / "up to 1980" / "1980 or earlier" -> -1980,
  also with decades ("after the 90s" -> 2000-, "before the 80s" -> -1979);
* a period after "set in" / "during" / "takes place in" is when the story happens, not a release
  year, and stays part of the description;
* ranges: "between 1990 and 2000", "1990-2000", "1990 to 2000", "from 1990 to 2000";
* relative: "recent", "latest", "newest", "new releases" -> the catalog's last five years;
  "classic", "vintage", "old movies" -> up to 1969.

Several mentions ("80s or 90s") give the smallest range holding all of them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MIN_YEAR, MAX_YEAR = 1870, 2039
RECENT_YEARS = 5
CLASSIC_UNTIL = 1969

DECADE_WORDS = {"twenties": 1920, "thirties": 1930, "forties": 1940, "fifties": 1950, "sixties": 1960,
                "seventies": 1970, "eighties": 1980, "nineties": 1990, "noughties": 2000, "aughts": 2000}
AFTER = {("after",): 1, ("post",): 1, ("later", "than"): 1, ("newer", "than"): 1, ("since",): 0}
BEFORE = {("before",): -1, ("pre",): -1, ("prior", "to"): -1, ("older", "than"): -1, ("earlier", "than"): -1,
          ("until",): 0, ("till",): 0, ("up", "to"): 0, ("through",): 0}
ONWARDS = {("onwards",), ("onward",), ("or", "later"), ("and", "later"), ("or", "newer"), ("and", "up"),
           ("or", "after"), ("and", "after")}
EARLIER = {("or", "earlier"), ("and", "earlier"), ("or", "before"), ("and", "before"), ("or", "older")}
EXACT_BEFORE = {"in", "from", "of", "released", "made", "year"}
RECENT = {("recent",), ("recently",), ("latest",), ("newest",), ("new", "releases"), ("new", "release"),
          ("last", "few", "years"), ("past", "few", "years")}
CLASSIC = {("classic",), ("classics",), ("vintage",), ("old", "movies"), ("old", "films"), ("old", "movie"),
           ("old", "film"), ("golden", "age")}
SETTING = {("set", "in"), ("set", "during"), ("takes", "place", "in"), ("during",), ("set", "around")}
DECADE_TOKEN = re.compile(r"^(\d{2}|\d{4})s$")


@dataclass
class YearSpan:
    low: int | None
    high: int | None
    positions: list[int]
    words: str

    def label(self) -> str:
        if self.low is not None and self.high is not None:
            return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"
        if self.low is not None:
            return f"{self.low} or later"
        return f"{self.high} or earlier"


def _year(token: str) -> int | None:
    if token.isdigit() and len(token) == 4 and MIN_YEAR <= int(token) <= MAX_YEAR:
        return int(token)
    return None


def _decade_at(words: list[str], i: int) -> tuple[int, int] | None:
    """(first year of the decade, tokens used) for a decade starting at ``i``, else None."""
    token = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    digits = None
    used = 1
    match = DECADE_TOKEN.match(token)
    if match:
        digits = match.group(1)
    elif token.isdigit() and len(token) in (2, 4) and nxt == "s":
        digits, used = token, 2
    elif token in DECADE_WORDS:
        return DECADE_WORDS[token], 1
    if digits is None or not digits.endswith("0"):
        return None
    if len(digits) == 4:
        start = int(digits)
        return (start, used) if MIN_YEAR <= start <= MAX_YEAR else None
    two = int(digits)
    return (2000 + two if two <= 10 else 1900 + two), used


def _match(words: list[str], i: int, table) -> tuple[str, ...] | None:
    """The longest key of ``table`` (tuples of tokens) that starts at ``i``."""
    for key in sorted(table, key=len, reverse=True):
        if tuple(words[i:i + len(key)]) == key:
            return key
    return None


def _ends_at(words: list[str], end: int, table) -> tuple[str, ...] | None:
    """The longest key of ``table`` that ends just before ``end``."""
    for key in sorted(table, key=len, reverse=True):
        if end - len(key) >= 0 and tuple(words[end - len(key):end]) == key:
            return key
    return None


def parse_years(words: list[str], blocked: set[int], latest_year: int | None) -> list[YearSpan]:
    """Every year, decade, bound, range and relative period in ``words`` (positions in ``blocked``,
    e.g. a title named in the query, are not read)."""
    spans: list[YearSpan] = []
    used: set[int] = set()
    i = 0
    while i < len(words):
        if i in blocked or i in used:
            i += 1
            continue
        period = _point(words, i, blocked)
        if period is None:
            relative = _match(words, i, RECENT) or _match(words, i, CLASSIC)
            if relative:
                positions = list(range(i, i + len(relative)))
                if relative in RECENT and latest_year:
                    spans.append(YearSpan(latest_year - RECENT_YEARS + 1, None, positions, " ".join(relative)))
                elif relative in CLASSIC:
                    spans.append(YearSpan(None, CLASSIC_UNTIL, positions, " ".join(relative)))
                used.update(positions)
                i += len(relative)
                continue
            i += 1
            continue
        low, high, end = period
        start = i
        if _ends_at(words, start, SETTING):  # "set in the 1920s" is the story's time, not the release
            i = end
            continue
        before = _ends_at(words, start, AFTER) or _ends_at(words, start, BEFORE)
        # "between X and Y", "from X to Y", "X to Y", "X - Y" (the dash is not a token)
        bridge = end
        if bridge < len(words) and words[bridge] in ("to", "and", "through", "till", "until"):
            bridge += 1
        second = _point(words, bridge, blocked) if bridge < len(words) and (
            bridge > end or _year(words[bridge]) is not None) else None
        if second is not None and (bridge > end or second[0] > low):
            low2, high2, end2 = second
            lead = 1 if start > 0 and words[start - 1] in ("between", "from") else 0
            positions = list(range(start - lead, end2))
            spans.append(YearSpan(min(low, low2), max(high, high2), positions, " ".join(words[start - lead:end2])))
            used.update(positions)
            i = end2
            continue
        after_key = _match(words, end, ONWARDS) or _match(words, end, EARLIER)
        if after_key:
            positions = list(range(start, end + len(after_key)))
            span = YearSpan(low, None, positions, "") if after_key in ONWARDS else YearSpan(None, high, positions, "")
            span.words = " ".join(words[start:end + len(after_key)])
            spans.append(span)
            used.update(positions)
            i = end + len(after_key)
            continue
        if before:
            offset = AFTER.get(before, BEFORE.get(before))
            positions = list(range(start - len(before), end))
            words_used = " ".join(words[start - len(before):end])
            if before in AFTER:
                spans.append(YearSpan(high + offset if offset else low, None, positions, words_used))
            else:
                spans.append(YearSpan(None, low + offset if offset else high, positions, words_used))
            used.update(positions)
            i = end
            continue
        lead = 1 if start > 0 and words[start - 1] in EXACT_BEFORE | {"the"} else 0
        if lead and words[start - 1] == "the" and start > 1 and words[start - 2] in EXACT_BEFORE:
            lead = 2
        positions = list(range(start - lead, end))
        spans.append(YearSpan(low, high, positions, " ".join(words[start - lead:end])))
        used.update(positions)
        i = end
    return spans


def _point(words: list[str], i: int, blocked: set[int]) -> tuple[int, int, int] | None:
    """(low, high, end) of a year or (modified) decade starting at ``i``; "the" before is skipped."""
    if i >= len(words) or i in blocked:
        return None
    j = i + 1 if words[i] == "the" and i + 1 < len(words) else i
    modifier = words[j] if words[j] in ("early", "mid", "late") else None
    k = j + 1 if modifier else j
    if k >= len(words) or k in blocked:
        return None
    decade = _decade_at(words, k)
    if decade:
        start, used = decade
        low, high = start, start + 9
        if modifier == "early":
            low, high = start, start + 3
        elif modifier == "mid":
            low, high = start + 3, start + 6
        elif modifier == "late":
            low, high = start + 6, start + 9
        return low, high, k + used
    if modifier is None and j == i:
        year = _year(words[i])
        if year is not None:
            return year, year, i + 1
    return None


def combine_years(spans: list[YearSpan]) -> tuple[int | None, int | None]:
    """The smallest range holding every mention (open ends stay open)."""
    if not spans:
        return None, None
    lows = [s.low for s in spans]
    highs = [s.high for s in spans]
    low = None if any(v is None for v in lows) else min(lows)
    high = None if any(v is None for v in highs) else max(highs)
    return low, high


# ------------------------------------------------------------------------------ genres
# Phrase (as tokens) -> genre names it can mean; only names present in the catalog are used, so
# one table serves TMDb-style ("Animation", "History") and Wikipedia-style ("Animated", "Historical").
_GENRES: dict[str, tuple[str, ...]] = {
    "sci fi": ("Science Fiction",), "scifi": ("Science Fiction",), "science fiction": ("Science Fiction",),
    "sf": ("Science Fiction",), "space opera": ("Science Fiction",),
    "romcom": ("Romance", "Comedy"), "rom com": ("Romance", "Comedy"), "romantic comedy": ("Romance", "Comedy"),
    "whodunit": ("Mystery",), "whodunnit": ("Mystery",), "murder mystery": ("Mystery", "Crime"),
    "mystery": ("Mystery",), "detective": ("Mystery", "Crime"),
    "horror": ("Horror",), "scary": ("Horror",), "slasher": ("Slasher", "Horror"), "creepy": ("Horror",),
    "comedy": ("Comedy",), "comedies": ("Comedy",), "comedic": ("Comedy",), "funny": ("Comedy",),
    "hilarious": ("Comedy",),
    "animated": ("Animation", "Animated"), "animation": ("Animation", "Animated"), "cartoon": ("Animation", "Animated"),
    "cartoons": ("Animation", "Animated"), "anime": ("Animation", "Animated"),
    "documentary": ("Documentary",), "documentaries": ("Documentary",), "docu": ("Documentary",),
    "thriller": ("Thriller",), "suspense": ("Thriller", "Suspense"), "suspenseful": ("Thriller", "Suspense"),
    "action": ("Action",), "romance": ("Romance",), "romantic": ("Romance",), "love story": ("Romance",),
    "western": ("Western",), "cowboy": ("Western",), "war": ("War",),
    "musical": ("Musical", "Music"), "music": ("Music", "Musical"),
    "biopic": ("Biography", "History"), "biographical": ("Biography", "History"), "biography": ("Biography", "History"),
    "noir": ("Noir", "Crime"), "film noir": ("Noir", "Crime"), "neo noir": ("Noir", "Crime"),
    "fantasy": ("Fantasy",), "superhero": ("Superhero",), "crime": ("Crime",), "gangster": ("Crime",),
    "mob": ("Crime",), "mafia": ("Crime",), "drama": ("Drama",), "dramas": ("Drama",), "dramatic": ("Drama",),
    "family": ("Family",), "kids": ("Family", "Children's"), "children": ("Family", "Children's"),
    "childrens": ("Family", "Children's"), "teen": ("Teen",), "sports": ("Sports", "Sport"), "sport": ("Sport", "Sports"),
    "spy": ("Spy", "Thriller"), "espionage": ("Spy", "Thriller"), "martial arts": ("Martial Arts", "Action"),
    "kung fu": ("Martial Arts", "Action"), "disaster": ("Disaster",), "historical": ("Historical", "History"),
    "period piece": ("Historical", "History"), "period drama": ("Historical", "History", "Drama"),
    "adventure": ("Adventure",), "adventures": ("Adventure",), "supernatural": ("Supernatural",),
    "satire": ("Satire", "Comedy"), "satirical": ("Satire", "Comedy"), "courtroom": ("Legal", "Drama"),
    "legal": ("Legal",), "found footage": ("Found Footage", "Horror"), "erotic": ("Erotic",),
    "political": ("Political",), "silent": ("Silent",), "short": ("Short",), "independent": ("Independent",),
    "indie": ("Independent",), "tv movie": ("TV Movie",), "history": ("History", "Historical"),
}
# Plurals people type ("thrillers", "westerns", "musicals", "biopics", ...)
for _word in ("thriller", "western", "musical", "biopic", "cartoon", "slasher", "superhero", "whodunit", "romcom",
              "documentary", "mystery", "action", "drama", "spy", "disaster", "noir", "war"):
    _GENRES.setdefault(_word + "s", _GENRES[_word])
_GENRES["mysteries"] = _GENRES["mystery"]
_GENRES["wars"] = ()          # "Star Wars" is a title, "wars" alone no genre
GENRE_SYNONYMS: dict[tuple[str, ...], tuple[str, ...]] = {tuple(k.split()): v for k, v in _GENRES.items() if v}
# Words that are a genre but also a common part of descriptions ("a family of ...", "the war
# hero"): read as a genre only next to a film word or another genre ("family movie", "war drama").
WEAK_GENRE = {("family",), ("war",), ("music",), ("short",), ("silent",), ("political",), ("history",),
              ("legal",), ("sport",), ("children",), ("kids",), ("mob",), ("detective",),
              ("romantic",), ("independent",), ("love", "story"), ("creepy",), ("dramatic",)}

# ------------------------------------------------------------------------------ countries / industries
COUNTRY_LANGUAGES: dict[tuple[str, ...], tuple[str, ...]] = {tuple(k.split()): v for k, v in {
    "france": ("fr",), "japan": ("ja",), "korea": ("ko",), "south korea": ("ko",), "china": ("zh",),
    "hong kong": ("cn", "zh"), "taiwan": ("zh",), "india": ("hi", "ta", "te", "ml", "kn", "bn", "mr"),
    "italy": ("it",), "spain": ("es",), "mexico": ("es",), "argentina": ("es",), "germany": ("de",),
    "austria": ("de",), "russia": ("ru",), "soviet union": ("ru",), "ussr": ("ru",), "brazil": ("pt",),
    "portugal": ("pt",), "sweden": ("sv",), "denmark": ("da",), "norway": ("no",), "finland": ("fi",),
    "iran": ("fa",), "turkey": ("tr",), "thailand": ("th",), "poland": ("pl",), "greece": ("el",),
    "israel": ("he",), "egypt": ("ar",), "netherlands": ("nl",), "holland": ("nl",), "indonesia": ("id",),
    "philippines": ("tl",), "vietnam": ("vi",), "hungary": ("hu",), "czech republic": ("cs",),
    "romania": ("ro",), "nigeria": ("yo", "ha"),
}.items()}
# Industry nicknames are unambiguous whole words.
INDUSTRY_LANGUAGES = {"bollywood": ("hi",), "tollywood": ("te",), "kollywood": ("ta",), "mollywood": ("ml",),
                      "sandalwood": ("kn",), "nollywood": ("yo", "ha"), "anime": ("ja",)}
FILM_WORDS = {"film", "films", "movie", "movies", "cinema", "flick", "flicks", "picture", "pictures"}

# Words that carry intent only: never matched against titles or plots.
INTENT_WORDS = frozenset("""
like likes similar same vibe vibes style reminiscent resembling set flick flicks show shows find finding looking
look want wanna watch watching recommend recommendation recommendations suggest suggestions something anything
kind type sort starring featuring directed director actor actress cinema plot please me one ones good great best
some any really pretty nice feature features genre genres era decade year years released made ish
""".split())
LIKE_TRIGGERS = {("like",), ("similar", "to"), ("similar", "as"), ("in", "the", "style", "of"), ("reminiscent", "of"),
                 ("resembling",), ("same", "vibe", "as"), ("along", "the", "lines", "of"), ("such", "as"),
                 ("the", "likes", "of"), ("comparable", "to"), ("more", "like")}
