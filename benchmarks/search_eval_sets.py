"""Known-item query sets for search quality, built from sources independent of the indexed text.

The indexed text of a Wikipedia catalog is the title, year, genres, language, the Wikipedia lead
paragraph, five billed actors and the directors. The queries come from elsewhere:

* ``ml-tags``     — MovieLens (ml-latest-small) user tags of the film ("dark comedy, heist,
  twist ending"), joined to the catalog by normalised title + year (±1); tags naming the title are
  dropped; at least two tags;
* ``imdb-keywords`` — IMDb plot keywords of the IMDB-5000 table ("bank|heist|hostage"), joined by
  title + year; keywords naming the title dropped; at least three;
* ``imdb-plot``   — the IMDb one-line plot description of the ML-100K details table, title words
  removed (a paraphrase written independently of Wikipedia's lead);
* ``plot+year``   — the first 10 words of that description plus its release year in one of the
  forms people type ("from 1994", "1994", "released in 1994"): exercises query understanding.

Every film gets one query per source; films are split by a hash of their catalog title + year
into validation and test (half each), so weights are chosen on validation and the test split is
touched once. Output: a JSON list of {query, movie_id, kind, split}.

    python benchmarks/search_eval_sets.py --catalog wiki1990s --out benchmarks/results/search-eval-queries.json
"""
from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import zlib
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ARTICLES = re.compile(r"^(the|a|an) ")
YEAR_FORMS = ("from {y}", "{y}", "released in {y}", "{y} film", "in {y}")


def norm_title(title: str) -> str:
    text = str(title).replace("\xa0", " ").strip().lower()
    text = re.sub(r", (the|a|an)$", "", text)            # "American President, The"
    text = re.sub(r"[^\w\s]", " ", text)
    text = " ".join(text.split())
    return ARTICLES.sub("", text)


def split_of(title: str, year) -> str:
    return "validation" if zlib.crc32(f"{norm_title(title)}|{year}".encode()) % 2 == 0 else "test"


def _catalog_index(docs: pd.DataFrame) -> dict[tuple[str, int], int]:
    index: dict[tuple[str, int], int] = {}
    for movie_id, title, year in zip(docs["movie_id"], docs["title"], docs["year"]):
        if pd.notna(year):
            index.setdefault((norm_title(title), int(year)), int(movie_id))
    return index


def _match(index, title: str, year) -> int | None:
    if year is None or pd.isna(year):
        return None
    key = norm_title(title)
    for delta in (0, -1, 1):
        hit = index.get((key, int(year) + delta))
        if hit is not None:
            return hit
    return None


def _title_free(words: list[str], title: str) -> list[str]:
    title_words = set(norm_title(title).split()) - {"the", "a", "an", "of", "and", "in"}
    return [w for w in words if not (set(norm_title(w).split()) & title_words)]


def ml_tags(docs, data: Path) -> list[dict]:
    movies = pd.read_csv(data / "ml-latest-small" / "movies.csv")
    tags = pd.read_csv(data / "ml-latest-small" / "tags.csv")
    parsed = movies["title"].str.extract(r"^(.*) \((\d{4})\)\s*$")
    movies = movies.assign(name=parsed[0], year=pd.to_numeric(parsed[1], errors="coerce"))
    index = _catalog_index(docs)
    out = []
    for movie_id, group in tags.groupby("movieId"):
        row = movies[movies["movieId"] == movie_id]
        if row.empty or pd.isna(row["name"].iloc[0]):
            continue
        name, year = row["name"].iloc[0], row["year"].iloc[0]
        target = _match(index, name, year)
        if target is None:
            continue
        distinct = list(dict.fromkeys(str(t).strip().lower() for t in group.sort_values("timestamp")["tag"]))
        kept = _title_free([t for t in distinct if t], name)[:6]
        if len(kept) >= 2:
            out.append({"query": ", ".join(kept), "movie_id": target, "kind": "ml-tags",
                        "split": split_of(name, year)})
    return out


def imdb_keywords(docs, data: Path) -> list[dict]:
    table = pd.read_csv(data / "imdb-5000" / "movie_metadata.csv", encoding="utf-8", encoding_errors="replace")
    index = _catalog_index(docs)
    out, seen = [], set()
    for title, year, keywords in zip(table["movie_title"], table["title_year"], table["plot_keywords"]):
        if not isinstance(keywords, str):
            continue
        title = str(title).replace("\ufffd", "").strip()
        target = _match(index, title, year)
        if target is None or target in seen:
            continue
        kept = _title_free([k.strip() for k in keywords.split("|") if k.strip()], title)
        if len(kept) >= 3:
            seen.add(target)
            out.append({"query": " ".join(kept), "movie_id": target, "kind": "imdb-keywords",
                        "split": split_of(title, year)})
    return out


def imdb_plot(docs, data: Path) -> list[dict]:
    table = pd.read_csv(data / "ml-100k" / "movielens100k_details.csv")
    index = _catalog_index(docs)
    out, seen = [], set()
    for title, description in zip(table["movie_title"], table["description"]):
        match = re.match(r"^(.*) \((\d{4})\)\s*$", str(title))
        if not match or not isinstance(description, str) or len(description.split()) < 6:
            continue
        name, year = match.group(1), int(match.group(2))
        target = _match(index, name, year)
        if target is None or target in seen:
            continue
        seen.add(target)
        words = _title_free(description.split(), name)
        split = split_of(name, year)
        out.append({"query": " ".join(words), "movie_id": target, "kind": "imdb-plot", "split": split})
        form = YEAR_FORMS[zlib.crc32(name.encode()) % len(YEAR_FORMS)]
        actual = int(docs.loc[docs["movie_id"] == target, "year"].iloc[0])
        out.append({"query": " ".join(words[:10]) + " " + form.format(y=actual), "movie_id": target,
                    "kind": "plot+year", "split": split})
    return out


def build(docs: pd.DataFrame, data: Path) -> list[dict]:
    return ml_tags(docs, data) + imdb_keywords(docs, data) + imdb_plot(docs, data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", default="wiki1990s")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    from core.catalog import store
    from core.search.documents import build_documents

    docs = build_documents(store.load_catalog(args.catalog, verify=False, tables=("movies", "people", "credits")))
    items = build(docs, args.data)
    args.out.write_text(json.dumps(items, indent=0, ensure_ascii=False))
    counts = pd.DataFrame(items).groupby(["kind", "split"]).size().unstack(fill_value=0)
    print(counts.to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
