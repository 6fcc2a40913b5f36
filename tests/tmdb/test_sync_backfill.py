"""Incremental sync through /movie/changes, and backfill of films with blank cast and directors."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from core.catalog import store
from core.tmdb import crawl
from core.tmdb.fakefilms import FakeFilmsConfig
from tests.tmdb.helpers import connection, options

FILMS = FakeFilmsConfig(films=900, start="2014-01-01", end="2016-12-31")
RANGE = ("2015-01-01", "2015-12-31")


def test_sync_fetches_exactly_the_changed_films_and_matches_a_fresh_crawl(tmdb_server, isolated_dirs):
    server = tmdb_server(FILMS)
    crawl.discover("synced", *RANGE, connection=connection(server), options=options())
    before = store.load_catalog("synced")
    in_catalog = sorted(before.movies["movie_id"])
    outside = sorted(server.films.ids_in_range("2014-01-01", "2014-12-31"))
    changed, deleted = in_catalog[:5], in_catalog[5:6]
    server.films.change(changed + outside[:3])
    server.films.delete(deleted)
    added = server.films.add(2, "2015-07-01") + server.films.add(1, "2016-07-01")
    server.reset_stats()

    result = crawl.sync("synced", connection=connection(server), options=options())
    assert result["status"] == "complete"
    assert set(server.stats.detail_ids) == set(changed + deleted)  # neither films outside nor new ones
    assert max(server.stats.detail_ids.values()) == 1
    after = store.load_catalog("synced")
    titles = after.movies.set_index("movie_id")["title"]
    assert all(titles[i].endswith("(rev 1)") for i in changed)
    assert deleted[0] not in titles.index and not set(added) & set(titles.index)
    assert after.manifest["parameters"]["synced_at"] >= before.manifest["parameters"]["synced_at"]

    # From 40 days back (three 14-day windows), adding new films released in the catalog's range.
    server.reset_stats()
    since = (dt.date.today() - dt.timedelta(days=40)).isoformat()
    crawl.sync("synced", since=since, include_new=True, connection=connection(server), options=options())
    assert server.stats.requests["movie/changes"] == 3
    assert set(server.stats.detail_ids) == set(changed + outside[:3] + deleted + added)
    crawl.discover("fresh", *RANGE, connection=connection(server), options=options())
    fresh, synced = store.load_catalog("fresh"), store.load_catalog("synced")
    assert set(synced.movies["movie_id"]) == set(fresh.movies["movie_id"]) >= set(added[:2])
    assert synced.data_checksum == fresh.data_checksum


def test_backfill_of_a_listing_equals_a_crawl_with_details(tmdb_server, isolated_dirs):
    server = tmdb_server(FILMS)
    crawl.discover("listing", *RANGE, details=False, connection=connection(server), options=options())
    listing = store.load_catalog("listing")
    assert len(listing.credits) == 0 and listing.movies["runtime"].isna().all()
    assert listing.movies["genres"].map(len).gt(0).any()  # genre names from /genre/movie/list
    result = crawl.backfill("listing", connection=connection(server), options=options())
    assert result["status"] == "complete" and result["backfilled"] == len(listing.movies)
    crawl.discover("full", *RANGE, connection=connection(server), options=options())
    assert store.load_catalog("listing").data_checksum == store.load_catalog("full").data_checksum
    server.reset_stats()
    again = crawl.backfill("listing", connection=connection(server), options=options())
    assert again["backfilled"] == 0 and server.stats.requests["movie"] == 0


def test_backfill_fills_blanks_of_a_catalog_from_another_source(tmdb_server, isolated_dirs):
    server = tmdb_server(FILMS)
    tmdb_ids = sorted(server.films.ids_in_range(*RANGE))[:6]
    reference = server.films.details(tmdb_ids[0], ("credits",))
    lead = reference["credits"]["cast"][0]
    movies = pd.DataFrame({"movie_id": range(1, 8), "title": [f"Local title {i}" for i in range(1, 8)],
                           "tmdb_id": [*tmdb_ids, None], "runtime": [None, 95.0, None, None, None, None, None]})
    people = pd.DataFrame({"person_id": [1, 2], "name": [lead["name"], "Someone Else"]})
    credits = pd.DataFrame({"movie_id": [2], "person_id": [2], "role": ["cast"], "job": ["Actor"], "bill_order": [0]})
    store.write_catalog("local", {"movies": movies, "people": people, "credits": credits}, source="wikipedia")
    result = crawl.backfill("local", connection=connection(server), options=options())
    assert result["backfilled"] == 5 and set(server.stats.detail_ids) == set(tmdb_ids) - {tmdb_ids[1]}
    catalog = store.load_catalog("local")
    rows = catalog.movies.set_index("movie_id")
    assert rows.loc[1, "title"] == "Local title 1"  # another source's fields are kept, blanks filled
    assert rows.loc[1, "runtime"] == reference["runtime"] or reference["runtime"] == 0
    assert rows.loc[2, "runtime"] == 95.0 and pd.isna(rows.loc[7, "runtime"])
    cast = catalog.cast()
    first = cast[cast["movie_id"] == 1].iloc[0]
    assert first["person_id"] == 1 and first["name"] == lead["name"]  # matched to the existing person by name
    assert catalog.cast()[catalog.cast()["movie_id"] == 2]["person_id"].tolist() == [2]
    assert len(catalog.directors()) >= 1 and catalog.people["person_id"].is_unique
