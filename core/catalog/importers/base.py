"""What every importer shares: the ``ImportResult`` they return, deterministic ids, person-name
cleaning, the credits builder, and the checks that turn bad input into a ``MarqueeError`` naming
the file, row and column (or into a counted repair in the report)."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from core.catalog.schema import empty_frame
from core.errors import CatalogImportError
from core.io import sha256_file
from core.logs import one_line
from core.validation import SYSTEM_ROOTS, control_characters, shown
from core.progress import ProgressFn, null_progress

# Ids are 53-bit so they survive JSON and JavaScript unchanged.
_ID_BITS = 53


@dataclass
class ImportResult:
    """Canonical tables (movies, people, credits, ratings) plus the import report."""

    tables: dict[str, pd.DataFrame]
    report: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)

    def rows(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.tables.items()}


def save_import(result: ImportResult, name: str, data_dir: Path | None = None) -> Path:
    """Write an import (or merge) result as catalog ``name``; atomic, all or nothing."""
    from core.catalog import store

    return store.write_catalog(name, result.tables, source=result.source, parameters=result.parameters,
                               report=result.report, data_dir=data_dir)


def stable_id(namespace: str, key: str) -> int:
    """A positive 53-bit integer from a blake2b hash: the same key always gives the same id."""
    digest = hashlib.blake2b(f"{namespace}\x1f{key}".encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> (64 - _ID_BITS)


def fold_text(text: str) -> str:
    """NFKC, non-breaking spaces to spaces, whitespace collapsed, stripped."""
    text = unicodedata.normalize("NFKC", text).replace("\u00a0", " ")
    return " ".join(text.split())


def person_key(name: str) -> str:
    return fold_text(name).casefold()


def person_id(name: str) -> int:
    """People ids come from the normalised name, so the same name gets the same id in every source."""
    return stable_id("person", person_key(name))


def file_fingerprint(paths: Iterable[Path]) -> dict[str, str]:
    return {Path(p).name: sha256_file(Path(p)) for p in paths}


class Report:
    """Counters and notes collected while importing; ``as_dict`` goes into the manifest."""

    def __init__(self, **initial: Any):
        self.data: dict[str, Any] = dict(initial)
        self.repairs: dict[str, int] = {}
        self.examples: dict[str, list[str]] = {}

    def repair(self, kind: str, count: int = 1, example: str | None = None) -> None:
        if count <= 0:
            return
        self.repairs[kind] = self.repairs.get(kind, 0) + int(count)
        examples = self.examples.setdefault(kind, [])
        if example is not None and len(examples) < 5 and example not in examples:  # five distinct examples
            examples.append(example)

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.data)
        out["repairs"] = dict(sorted(self.repairs.items()))
        out["repair_examples"] = {k: v for k, v in sorted(self.examples.items())}
        return out


# ---------------------------------------------------------------------------------------------
# Person names and credits

_CITATION = re.compile(r"\[\[|\]\]|\[\d+\]|\[[a-z]\]|\[citation needed\]", re.IGNORECASE)
_DISAMBIGUATION = re.compile(r"\s*\((?:[A-Za-z][a-z ]*)\)$")  # "Harry Carter (actor)", "X (Screenplay)" -> the name

# Credit-list headers and role phrases that Wikipedia cast lists carry as if they were people
# ("Voices of", "Narrated by", "Cast:", "Dir.: Steve Asquith", "Archive footage of", "Music by",
# "Academy Award for Best Actor", "Various cameos"). Matched on whole words, case-insensitively;
# checked after a disambiguation suffix is removed, so "Jim Wood (cast)" stays "Jim Wood".
_ROLE_PHRASE = re.compile(
    r"^(?:dir|prod|narr|cast|starring|featuring|with|voices?|music|screenplay|story|written)\.?\s*:"  # "Cast:", "Dir.: X"
    r"|\b(?:voices?|narrated|narrator|footage|starring|featuring|introducing|uncredited|cameos?|screenplay|"
    r"screenwriters?|teleplay|award|nominee)\b"
    r"|^(?:(?:musical\s+)?score|music|written|produced|directed|created)(?:\s+by)?$"
    r"|^(?:(?:musical\s+)?score|music|written|produced|directed|created)\s+by\b",
    re.IGNORECASE)
# Words that join or pad a credit list; never a person on their own.
_CONNECTORS = {"and", "&", "with", "of", "the", "a", "an", "by", "in", "from", "etc", "etc.", "et al", "et al.",
               "as", "also", "plus", "feat", "feat.", "ft.", "cast", "crew", "others", "various", "more"}
# Placeholders for an unknown or absent cast.
_PLACEHOLDERS = {"unknown", "none", "n/a", "na", "nan", "null", "tba", "tbd", "tbc", "anonymous", "various artists", "uncredited",
                 "not credited", "no cast", "see below", "see above", "cast", "various cast"}
# A name suffix left alone when "Douglas Fairbanks, Sr." was split at its comma.
_SUFFIX_ONLY = re.compile(r"^(?:sr|jr|snr|jnr|ii|iii|iv|esq)\.?$", re.IGNORECASE)
# Lowercase particles that belong inside names ("Ludwig van Beethoven", "muMs da Schemer").
_PARTICLES = {"de", "da", "das", "del", "della", "der", "den", "di", "do", "dos", "du", "la", "le", "les", "van",
              "von", "y", "e", "bin", "ibn", "al", "el", "ten", "ter", "zu", "st.", "of", "the", "and", "&", "mc",
              "dei", "degli", "af", "av", "op", "'t"}
_TRAILING_PREPOSITIONS = {"of", "with", "by", "in", "at", "from", "against", "between", "on", "for", "to", "under",
                          "within", "and", "featuring", "starring"}
_SUFFIX_COMMA = re.compile(r",\s*(Jr|Sr|II|III|IV)\.?$")  # "Robert Downey, Jr." -> "Robert Downey Jr." (as IMDb spells it)
_LEADING_JUNK = re.compile(r"^[\s.,;:·•*\-–—/|]+")
_LEADING_CONNECTOR = re.compile(r"^(?:and|with|&|plus)\s+(?=\S)", re.IGNORECASE)


def _descriptive_phrase(name: str) -> bool:
    """Text that describes a subject rather than naming someone: documentary cast lists carry
    "the life of", "stand-up comedy", "kids", "The politics of", "A year in the life of ...".

    Names in scripts without letter case (Chinese, Hindi, ...) are never flagged; names written
    in lowercase on purpose keep their inner punctuation ("will.i.am", "india.arie")."""
    words = name.split()
    cased = [w for w in words if any(ch.isalpha() and (ch.islower() or ch.isupper()) for ch in w)]
    if not cased:
        return False
    has_upper = any(ch.isupper() for ch in name)
    if not has_upper:  # no capital anywhere: "kids", "stand-up comedy", "the history of"
        return len(words) > 1 or all(ch.isalpha() or ch == "-" for ch in name)
    if len(words) >= 2 and words[0] in {"The", "A", "An"} and words[1][:1].islower():
        return True  # "The life of", "The use of music against", "A year in the life of ..."
    if len(words) >= 2 and words[-1] in _TRAILING_PREPOSITIONS:
        return True  # "Interviews with", "Archive footage of": a header cut off before a name
    lower = [w for w in words if w[:1].islower() and w.casefold() not in _PARTICLES]
    return len(lower) >= 2  # "Bobby X and his 11 children with disabilities"


def clean_person_name(raw: Any) -> tuple[str | None, str | None]:
    """``(name, repair)``: the cleaned name (or None to drop the token) and what was repaired.

    The people-name validator of every importer. Drops tokens with no letters (")", ".", "?"),
    one-letter tokens ("X"), role fragments such as "nominee)" or "(narrator)" split off a
    neighbouring name, credit-list headers and role phrases ("Voices of", "Narrated by",
    "Cast:", "Dir.: ...", "Archive footage of", "Music by", "Academy Award for ..."), connector
    words ("and", "with", "of", "the", "etc."), placeholders ("Unknown"), bare name suffixes
    ("Sr.") and descriptive phrases of documentary subjects ("the life of", "kids"). Repairs
    citation markers, Wikipedia disambiguation suffixes like " (actor)", leading punctuation
    (". Caroline Martin"), a leading connector ("and Lauren K. Sokolov") and the comma before a
    name suffix ("Robert Downey, Jr." -> "Robert Downey Jr.", as IMDb writes it, so both sources
    give the same person id). Keeps real
    parentheses inside names ("Dave (Tex) O'Brien") and single-word stage names ("Cher").
    """
    if raw is None or (isinstance(raw, float) and np.isnan(raw)):
        return None, "empty_name"
    text = fold_text(str(raw))
    cleaned = _CITATION.sub("", text).strip()
    repair = "citation_marker" if cleaned != text else None
    if not cleaned:
        return None, "empty_name"
    if not any(ch.isalpha() for ch in cleaned):
        return None, "stray_punctuation"
    if cleaned.count("(") != cleaned.count(")") or (cleaned.startswith("(") and cleaned.endswith(")")):
        return None, "role_fragment"
    stripped = _DISAMBIGUATION.sub("", cleaned)
    if stripped != cleaned and any(ch.isalpha() for ch in stripped):
        cleaned, repair = stripped, "disambiguation_suffix"
    if _ROLE_PHRASE.search(cleaned):
        return None, "role_phrase"
    folded = cleaned.casefold()
    if folded in _CONNECTORS:
        return None, "connector_word"
    if folded in _PLACEHOLDERS:
        return None, "placeholder"
    if _SUFFIX_ONLY.match(cleaned):
        return None, "suffix_only"
    if not cleaned[0].isalnum():
        unpunctuated = _LEADING_JUNK.sub("", cleaned)
        if unpunctuated != cleaned:
            cleaned, repair = unpunctuated, "leading_punctuation"
    unjoined = _LEADING_CONNECTOR.sub("", cleaned)
    if unjoined != cleaned:
        if unjoined.split()[0][:1].islower():  # "and his Orchestra", "and orchestra"
            return None, "connector_word"
        cleaned, repair = unjoined, "leading_connector"
    if "," in cleaned:
        uncomma = _SUFFIX_COMMA.sub(lambda m: f" {m.group(1)}{'.' if m.group(1) in ('Jr', 'Sr') else ''}", cleaned)
        if uncomma != cleaned:
            cleaned, repair = uncomma, "suffix_comma"
    if len(cleaned) <= 3 and len(cleaned.replace(".", "").strip()) <= 1:
        return None, "one_letter"
    if not cleaned.istitle() and _descriptive_phrase(cleaned):  # "Samuel L. Jackson" is title case: skip
        return None, "descriptive_phrase"
    if repair is None and cleaned != str(raw):
        repair = "whitespace_or_unicode"
    return cleaned, repair


DEPARTMENTS = {"Actor": "Acting", "Director": "Directing", "Writer": "Writing"}


class CreditsBuilder:
    """Collects cast and crew credits with deterministic people ids.

    Cast billing order is renumbered 0..n-1 after cleaning; a person billed twice in one film
    keeps the first (top) billing. Every dropped or altered name is counted in ``report``.
    """

    def __init__(self, report: Report):
        self.report = report
        self._names: dict[int, str] = {}
        self._rows: list[tuple[int, int, str, str, int | None]] = []
        self._seen_raw: dict[Any, tuple[int | None, str | None]] = {}  # raw text -> (id, repair)

    def _resolve(self, raw: Any) -> tuple[int | None, str | None]:
        name, repair = clean_person_name(raw)
        if name is None:
            return None, repair
        key = person_key(name)
        pid = stable_id("person", key)
        known = self._names.setdefault(pid, name)
        if known != name and person_key(known) != key:  # a 53-bit hash collision: never conflate silently
            raise CatalogImportError(f"person id collision between {known!r} and {name!r}; rename one of them")
        return pid, repair

    def _person(self, raw: Any) -> int | None:
        cache_key = raw if isinstance(raw, str) else repr(raw)
        if cache_key not in self._seen_raw:
            self._seen_raw[cache_key] = self._resolve(raw)
        pid, repair = self._seen_raw[cache_key]
        if repair:
            self.report.repair(f"person_name_{repair}", example=str(raw))
        return pid

    def add_cast(self, movie_id: int, names: Iterable[Any]) -> None:
        seen: set[int] = set()
        order = 0
        for raw in names:
            pid = self._person(raw)
            if pid is None:
                continue
            if pid in seen:
                self.report.repair("duplicate_cast_in_film", example=str(raw))
                continue
            seen.add(pid)
            self._rows.append((movie_id, pid, "cast", "Actor", order))
            order += 1

    def add_crew(self, movie_id: int, names: Iterable[Any], job: str) -> None:
        seen: set[int] = set()
        for raw in names:
            pid = self._person(raw)
            if pid is None or pid in seen:
                continue
            seen.add(pid)
            self._rows.append((movie_id, pid, "crew", job, None))

    def people(self) -> pd.DataFrame:
        """People with ``known_for_department`` set to the department of most of their credits
        in this source (ties: Acting, then Directing, then Writing)."""
        if not self._names:
            return empty_frame("people")
        ids = sorted(self._names)
        credits = pd.DataFrame(self._rows, columns=["movie_id", "person_id", "role", "job", "bill_order"])
        credits["department"] = credits["job"].map(DEPARTMENTS).fillna("Crew")
        counts = credits.groupby(["person_id", "department"]).size().rename("n").reset_index()
        counts["rank"] = counts["department"].map({d: i for i, d in enumerate(DEPARTMENTS.values())}).fillna(len(DEPARTMENTS))
        best = counts.sort_values(["person_id", "n", "rank"], ascending=[True, False, True]).drop_duplicates("person_id")
        return pd.DataFrame({"person_id": np.array(ids, dtype="int64"), "name": [self._names[i] for i in ids],
                             "known_for_department": pd.Series(ids).map(best.set_index("person_id")["department"]).to_numpy()})

    def credits(self) -> pd.DataFrame:
        if not self._rows:
            return empty_frame("credits")
        frame = pd.DataFrame(self._rows, columns=["movie_id", "person_id", "role", "job", "bill_order"])
        frame["bill_order"] = frame["bill_order"].astype("Int32")
        return frame


# ---------------------------------------------------------------------------------------------
# Input checks shared by the CSV importers

def require_file(path: Path, what: str) -> Path:
    path = Path(path)
    if not path.exists():
        raise CatalogImportError(f"{path}: {what} not found")
    if path.is_dir():
        raise CatalogImportError(f"{path}: expected a file ({what}), found a folder")
    if not path.is_file() or any(root == path.resolve() or root in path.resolve().parents for root in SYSTEM_ROOTS):
        raise CatalogImportError(f"{path}: expected a regular file ({what}), not a device or system file")
    if path.stat().st_size == 0:
        raise CatalogImportError(f"{path}: file is empty")
    return path


def decode_utf8_with_repairs(path: Path, report: Report, max_bad_lines: int = 10) -> tuple[str, list[int]]:
    """Decode UTF-8, replacing broken bytes with U+FFFD; returns the text and the 1-based line
    numbers that needed it. More than ``max_bad_lines`` such lines means the file is not UTF-8
    at all (e.g. Latin-1 or UTF-16) and is refused rather than mangled."""
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
        report.repair("utf8_bom_removed")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or raw[:200].count(b"\x00") > 10:
        raise CatalogImportError(f"{path}: looks like UTF-16, expected UTF-8; re-save the file as UTF-8")
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    bad_lines: list[int] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad_lines.append(number)
            if len(bad_lines) > max_bad_lines:
                raise CatalogImportError(
                    f"{path}: not valid UTF-8 (more than {max_bad_lines} lines with undecodable bytes, "
                    f"first at line {bad_lines[0]}: {exc.reason}); convert the file to UTF-8") from None
    text = raw.decode("utf-8", errors="replace")
    report.repair("undecodable_bytes_replaced", text.count("\ufffd"),
                  example=f"{path.name} line(s) {', '.join(map(str, bad_lines))}")
    report.data.setdefault("encoding_repair_lines", bad_lines)
    return text, bad_lines


def require_columns(df: pd.DataFrame, columns: Iterable[str], path: Path) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        found = ", ".join(one_line(str(c)) for c in df.columns if not control_characters(str(c), multiline=True))
        found = found if len(found) <= 200 else found[:200] + "…"
        raise CatalogImportError(f"{path}: missing column(s) {', '.join(missing)} (found: {found or 'no readable header'})")


def numeric_column(df: pd.DataFrame, column: str, path: Path, line_offset: int = 2) -> pd.Series:
    """Column as float; text that is not a number raises naming the file line and column.

    ``inf``, ``Infinity`` and ``1e400`` parse as infinite floats: callers null them with
    :func:`null_out_of_range` (counted) or refuse them (ids, :func:`whole_ids`)."""
    raw = df[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = raw.notna() & values.isna() & (raw.astype(str).str.strip() != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise CatalogImportError(f"{path}: line {row + line_offset}, column {column!r}: "
                           f"not a number ({shown(raw.iloc[row])}); {int(bad.sum())} such value(s)")
    return values.astype("float64")


# Ids must survive float64, JSON and JavaScript unchanged.
MAX_SAFE_ID = 2 ** 53


def whole_ids(frame: pd.DataFrame, column: str, path: Path, line_offset: int, low: int = 0,
              high: int = MAX_SAFE_ID) -> pd.Series:
    """Column of whole-number ids in ``[low, high]`` as int64; anything else (``1.5``, ``-5``,
    ``1e20``, ``inf``, missing) raises naming the file line and column, so an id never wraps."""
    values = numeric_column(frame, column, path, line_offset)
    finite = np.isfinite(values.to_numpy(dtype="float64", na_value=np.nan))
    bad = ~finite | (values != np.floor(values)) | (values < low) | (values > high)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise CatalogImportError(f"{path}: line {row + line_offset}, column {column!r}: expected a whole number "
                           f"from {low:,} to {high:,}, got {shown(frame[column].iloc[row])}")
    return values.astype("int64")


def null_out_of_range(values: pd.Series, low: float | None, high: float | None, kind: str,
                      report: Report, labels: pd.Series | None = None, column: str = "value") -> pd.Series:
    """Set implausible values (negative budgets, year 0, scores above 10) to null and count them;
    non-finite values (``inf``, ``1e400``) are nulled too, counted as ``non_finite_<column>_nulled``."""
    as_float = values.astype("float64")
    infinite = as_float.notna() & ~np.isfinite(as_float.to_numpy(dtype="float64", na_value=np.nan))
    if infinite.any():
        first = int(np.flatnonzero(infinite.to_numpy())[0])
        label = f" ({labels.iloc[first]})" if labels is not None else ""
        report.repair(f"non_finite_{column}_nulled", int(infinite.sum()), example=f"{values.iloc[first]!r}{label}")
        values = values.mask(infinite)
    bad = values.notna() & (((values < low) if low is not None else False) | ((values > high) if high is not None else False))
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        label = f" ({labels.iloc[first]})" if labels is not None else ""
        report.repair(kind, int(bad.sum()), example=f"{values.iloc[first]!r}{label}")
        values = values.mask(bad)
    return values


def progress_or_null(progress: ProgressFn | None) -> ProgressFn:
    return progress or null_progress
