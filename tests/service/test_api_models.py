"""Casting, personal and CF endpoints in-process: the same answers as the core calls the pages
make, durable labels in the page's store, bad input as a 4xx naming the field, reloads on a new
champion."""
from __future__ import annotations

import pytest

from tests.service.test_api_in_process import assert_refused


def test_casting_brief_matches_core(client, trained, api_catalog):
    from core.casting import Brief, cast_brief, get_model

    response = client.post("/casting/brief", json={"year": 2020, "genres": ["Drama"], "n": 4, "budget_musd": 40.0})
    assert response.status_code == 200, response.text
    body = response.json()
    expected = cast_brief(get_model(trained["catalog"], train_if_missing=False), Brief(2020, 40.0, ("Drama",), n=4))
    assert [r["person_id"] for r in body["slate"]] == expected.slate["person_id"].tolist()
    assert body["model_version"] == trained["casting_version"] and len(body["slate"]) == 4
    assert all(0.0 <= r["p_cal"] <= 1.0 for r in body["slate"])
    assert len(body["reasons"]) == len(expected.reasons) and len(body["alternates"]) == len(expected.alternates)
    assert len(body["comparables"]) == len(expected.comparables) and body["flags"]["synthetic_catalog"] is True


@pytest.mark.parametrize("body, status, field", [
    ({"year": 2020, "genres": ["Nope"]}, 422, "genres"),
    ({"year": 2199, "genres": ["Drama"]}, 422, "year"),
    ({"year": 2020, "genres": []}, 422, "genres"),
    ({"year": "2020", "genres": ["Drama"]}, 422, "year"),
    ({"year": 2020, "genres": ["Drama"], "n": 0}, 422, "n"),
    ({"year": 2020, "genres": ["Drama"], "n": 10_000}, 422, "n"),
    ({"year": 2020, "genres": ["Drama"], "budget_musd": -5}, 422, "budget_musd"),
    ({"year": 2020, "genres": ["Drama"], "director_weight": 9}, 422, "director_weight"),
    ({"year": 2020, "genres": ["Drama"], "language": "zz"}, 422, "language"),
    ({"year": 2020, "genres": ["Drama"], "catalog": "nope"}, 404, "catalog"),
    ({"genres": ["Drama"]}, 422, "year"),
    ({"year": 2020, "genres": ["Drama"], "country": "A" * 61}, 422, "country"),
    ({"year": 2020, "genres": ["Drama"], "country": "[Verify your login](https://evil.example/x)"}, 422, "country"),
    ({"year": 2020, "genres": ["Drama"], "country": "USA\x00"}, 422, "country"),
    ({"year": 2020, "genres": ["Drama"], "country": ""}, 422, "country"),
])
def test_bad_briefs(client, trained, body, status, field):
    assert_refused(client.post("/casting/brief", json=body), status, field)


def test_a_briefs_country_reaches_core(client, trained, monkeypatch):
    """``country`` is a brief field like on the page and the CLI (it was refused as an unknown
    field): it goes into the Brief, and core's check of it (the demo catalog records no
    countries) comes back as a 422 naming it."""
    import core.casting as casting

    body = assert_refused(client.post("/casting/brief", json={"year": 2020, "genres": ["Drama"], "country": "USA"}),
                          422, "country")
    assert "unknown country 'USA'" in body["error"], body
    seen = []
    real = casting.cast_brief

    def recording(trained_model, brief):
        seen.append(brief)
        return real(trained_model, brief.with_changes(country=None))
    monkeypatch.setattr(casting, "cast_brief", recording)
    response = client.post("/casting/brief", json={"year": 2020, "genres": ["Drama"], "country": "Côte d'Ivoire"})
    assert response.status_code == 200, response.text
    assert [b.country for b in seen] == ["Côte d'Ivoire"]


def test_brief_with_nan_budget(client, trained):
    response = client.post("/casting/brief", content='{"year": 2020, "genres": ["Drama"], "budget_musd": NaN}',
                           headers={"content-type": "application/json"})
    assert_refused(response, 422, "budget_musd")


def test_personal_recommendations_and_predictions_match_core(client, trained):
    from core import personal

    profile, catalog = trained["profile"], trained["catalog"]
    store = personal.open_store()
    model = personal.load_trained(profile, catalog)
    response = client.get(f"/personal/{profile}/recommendations", params={"top": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "profile"
    assert [r["movie_id"] for r in body["recommendations"]] == \
        personal.recommend(model, catalog, store=store, top=5).index.tolist()
    shared = client.get(f"/personal/{profile}/recommendations", params={"top": 3, "model": "shared"}).json()
    assert shared["model"] == "shared" and len(shared["recommendations"]) == 3
    ids = catalog.movies["movie_id"].head(3).tolist()
    predicted = client.post(f"/personal/{profile}/predict", json={"movie_ids": ids}).json()["predictions"]
    expected = personal.predict_titles(model, ids)
    assert [p["p_watch"] for p in predicted] == pytest.approx(expected["p_watch"].tolist(), abs=1e-6)


@pytest.mark.parametrize("path, kwargs, status, field", [
    ("/personal/nobody/recommendations", {}, 404, "profile"),
    ("/personal/bad%20name/recommendations", {}, 422, "profile"),
    ("/personal/{p}/recommendations?top=0", {}, 422, "top"),
    ("/personal/{p}/recommendations?top=abc", {}, 422, "top"),
    ("/personal/{p}/recommendations?model=best", {}, 422, "model"),
    ("/personal/{p}/recommendations?catalog=nope", {}, 404, "catalog"),
])
def test_bad_personal_reads(client, trained, path, kwargs, status, field):
    assert_refused(client.get(path.format(p=trained["profile"])), status, field)


@pytest.mark.parametrize("body, field", [
    ({"movie_ids": []}, "movie_ids"),
    ({"movie_ids": ["1"]}, "movie_ids.0"),
    ({"movie_ids": [10 ** 9]}, "movie_ids.0"),
    ({"movie_ids": list(range(5000))}, "movie_ids"),
])
def test_bad_predict_bodies(client, trained, body, field):
    assert_refused(client.post(f"/personal/{trained['profile']}/predict", json=body), 422, field)


def test_labels_are_durable_all_or_nothing_and_undoable(client, trained):
    from core import personal

    profile, catalog = "api-bob", trained["catalog"]
    ids = catalog.movies["movie_id"].tolist()
    store = personal.open_store()
    ok = client.post(f"/personal/{profile}/labels", json={"labels": [
        {"movie_id": ids[0], "label": "would_watch"}, {"movie_id": ids[1], "label": "would_not_watch"}]})
    assert ok.status_code == 200, ok.text
    assert ok.json()["written"] == 2 and ok.json()["counts"]["would_watch"] == 1
    saved = store.labels(profile, catalog.name).set_index("movie_id")
    assert saved.loc[ids[0], "label"] == "would_watch" and saved.loc[ids[0], "title"] == catalog.movies["title"].iloc[0]
    before = store.version(profile, catalog.name)
    for bad, field in ((ids[2], "labels.1"), ):
        refused = client.post(f"/personal/{profile}/labels", json={"labels": [
            {"movie_id": ids[3], "label": "would_watch"}, {"movie_id": 10 ** 9, "label": "would_watch"}]})
        assert_refused(refused, 422, field)
    assert_refused(client.post(f"/personal/{profile}/labels", json={"labels": [
        {"movie_id": ids[3], "label": "would_watch"}, {"movie_id": ids[4], "label": "skip"}]}), 422, "labels.1.label")
    assert_refused(client.post(f"/personal/{profile}/labels", json={"labels": [
        {"movie_id": ids[3], "label": "would_watch", "title": "x" * 600}]}), 422, "labels.0.title")
    assert store.version(profile, catalog.name) == before  # nothing of the refused batches was written
    assert ids[3] not in set(store.labels(profile, catalog.name)["movie_id"])
    undone = store.undo(profile, catalog.name)  # the page's undo takes back the API's last label
    assert undone is not None and undone.movie_id == ids[1]


def test_cf_recommendations_for_a_user_and_fold_in(client, trained):
    from core.cf import FOLD_IN, load_champion

    catalog, user = trained["catalog"], trained["user"]
    model, _ = load_champion(catalog)
    response = client.get("/cf/recommendations", params={"user_id": user, "n": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    expected = model.recommend(catalog.ratings, user_ids=[user], n=5)
    assert [r["movie_id"] for r in body["recommendations"]] == expected["movie_id"].tolist()
    assert body["model_version"] == trained["cf_version"]
    seen = set(catalog.ratings.loc[catalog.ratings["user_id"] == user, "movie_id"])
    assert not seen & {r["movie_id"] for r in body["recommendations"]}
    rated = catalog.ratings.loc[catalog.ratings["user_id"] == user].head(12)
    posted = [{"movie_id": int(m), "rating": float(r)} for m, r in zip(rated["movie_id"], rated["rating"])]
    fold = client.post("/cf/recommendations", json={"ratings": posted, "n": 5})
    assert fold.status_code == 200, fold.text
    rows = fold.json()["recommendations"]
    assert len(rows) == 5 and {r["source"] for r in rows} == {FOLD_IN}
    assert not {p["movie_id"] for p in posted} & {r["movie_id"] for r in rows}


@pytest.mark.parametrize("request_args, status, field", [
    (("get", "/cf/recommendations", {"params": {}}), 422, "user_id"),
    (("get", "/cf/recommendations", {"params": {"user_id": -1}}), 422, "user_id"),
    (("get", "/cf/recommendations", {"params": {"user_id": "1e99"}}), 422, "user_id"),
    (("get", "/cf/recommendations", {"params": {"user_id": 1, "n": 0}}), 422, "n"),
    (("get", "/cf/recommendations", {"params": {"user_id": 1, "n": 10 ** 6}}), 422, "n"),
    (("post", "/cf/recommendations", {"json": {"ratings": []}}), 422, "ratings"),
    (("post", "/cf/recommendations", {"json": {"ratings": [{"movie_id": 1, "rating": 99}]}}), 422, "ratings.0.rating"),
    (("post", "/cf/recommendations", {"json": {"ratings": [{"movie_id": 10 ** 9, "rating": 4}]}}), 422, "ratings.0"),
])
def test_bad_cf_requests(client, trained, request_args, status, field):
    method, path, kwargs = request_args
    assert_refused(getattr(client, method)(path, **kwargs), status, field)


def test_models_lists_every_kind_with_metrics(client, trained, api_catalog):
    kinds = {(m["kind"], m["catalog"]): m for m in client.get("/models").json()}
    for kind in ("casting", "cf", "personal-shared", "search-index"):
        assert (kind, api_catalog) in kinds, sorted(kinds)
    casting = kinds[("casting", api_catalog)]
    assert casting["champion"] == trained["casting_version"]
    assert "auroc" in casting["versions"][-1]["metrics"]


def test_a_new_champion_is_loaded_on_the_next_request(trained, encoder, api_catalog):
    from fastapi.testclient import TestClient

    from core.cf import train_champion
    from core.service import Settings, create_app

    app = create_app(Settings(reload_check_seconds=0.0), encoder=encoder)
    with TestClient(app) as client:
        first = client.get("/cf/recommendations", params={"user_id": trained["user"], "n": 3}).json()["model_version"]
        again = client.get("/cf/recommendations", params={"user_id": trained["user"], "n": 3}).json()["model_version"]
        assert first == again
        newer = train_champion(trained["catalog"])["version"]
        assert client.get("/cf/recommendations", params={"user_id": trained["user"], "n": 3}).json()["model_version"] == newer


WIDE = "\U0001F600"  # outside the BMP: 12 bytes in json.dumps's default ASCII escapes, the most a character takes
LETTER = "\U0001D400"  # MATHEMATICAL BOLD CAPITAL A: a letter outside the BMP (for patterns of letters)


def largest_bodies() -> dict[str, dict]:
    """The largest body each POST's request schema accepts: every list and string at its maximum
    length in the widest characters, the longest numbers and names (as json.dumps writes them)."""
    from core.validation import INT64_MAX

    name, wide_float = "a" * 64, -1.2345678901234567e-300
    return {
        "/search": {"catalog": name, "query": WIDE * 2000, "like": [WIDE * 300] * 50, "method": "hybrid", "k": 100,
                    "mmr_lambda": 0.12345678901234567, "language_policy": "auto-soft", "min_score": 0.12345678901234567,
                    "filters": {"year_min": 1000, "year_max": 3000, "genres": [WIDE * 100] * 50,
                                "languages": ["abc"] * 50, "min_votes": 10 ** 12}},
        "/casting/brief": {"catalog": name, "year": 2000, "budget_musd": 12345.678901234567, "genres": [WIDE * 100] * 20,
                           "bill_order": 50, "n": 50, "director": WIDE * 200, "language": "abc", "country": LETTER * 60,
                           "director_weight": 0.12345678901234567},
        "/personal/{profile}/predict": {"catalog": name, "movie_ids": [INT64_MAX] * 1000},
        "/personal/{profile}/labels": {"catalog": name, "labels": [
            {"movie_id": INT64_MAX, "label": "would_watch_many", "title": WIDE * 500}] * 1000},
        "/cf/recommendations": {"catalog": name, "ratings": [{"movie_id": INT64_MAX, "rating": wide_float}] * 2000,
                                "n": 100},
    }


def test_the_largest_schema_valid_bodies_fit_the_body_limit():
    """A client keeping to the published schema never meets a 413 (the reviewer found 2,000 ratings
    ~74 kB and 1,000 labels ~550 kB refused by the old 64 KiB limit)."""
    import json

    from core.service import schemas
    from core.service.settings import DEFAULT_MAX_BODY

    models = {"/search": schemas.SearchRequest, "/casting/brief": schemas.CastingBriefRequest,
              "/personal/{profile}/predict": schemas.PredictRequest, "/personal/{profile}/labels": schemas.LabelsRequest,
              "/cf/recommendations": schemas.FoldInRequest}
    sizes = {}
    for path, body in largest_bodies().items():
        raw = json.dumps(body)
        models[path].model_validate_json(raw)  # schema-valid
        for key in body:  # and the largest: one more item or character anywhere is refused
            if isinstance(body[key], (list, str)):
                longer = {**body, key: body[key] + body[key][:1]}
                with pytest.raises(ValueError):
                    models[path].model_validate_json(json.dumps(longer))
        sizes[path] = len(raw.encode())
    assert max(sizes.values()) == sizes["/personal/{profile}/labels"] > 6_000_000
    assert all(size <= DEFAULT_MAX_BODY for size in sizes.values()), sizes


@pytest.mark.parametrize("path", ["/personal/{profile}/labels", "/cf/recommendations"])
def test_a_body_as_large_as_the_largest_schema_valid_one_is_accepted(client, trained, path):
    """The largest labels batch and fold-in, with films of the catalog, padded with whitespace to
    the byte size of the largest schema-valid body: 200, not 413."""
    import json

    catalog = trained["catalog"]
    ids = [int(m) for m in catalog.movies["movie_id"]]
    if "labels" in path:
        body = {"catalog": catalog.name, "labels": [
            {"movie_id": ids[i % len(ids)], "label": "would_watch_many", "title": WIDE * 500} for i in range(1000)]}
    else:
        rated = ids[: len(ids) // 2]  # the other half is left to recommend
        body = {"catalog": catalog.name, "ratings": [
            {"movie_id": rated[i % len(rated)], "rating": 1.2345678901234567 + i % 3} for i in range(2000)], "n": 100}
    target = len(json.dumps(largest_bodies()[path]).encode())
    raw = json.dumps(body)
    assert len(raw) <= target
    raw += " " * (target - len(raw))
    response = client.post(path.format(profile="api-bulk"), content=raw.encode(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text[:300]
    if "labels" in path:
        assert response.json()["written"] == 1000
    else:
        recommended = {row["movie_id"] for row in response.json()["recommendations"]}
        assert recommended and not recommended & set(rated)
