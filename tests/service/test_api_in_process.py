"""Every endpoint in-process (TestClient), and every bad-input class: a 4xx JSON naming the field."""
from __future__ import annotations

import json

import pytest


def post_raw(client, path: str, body: bytes | str, **headers):
    return client.post(path, content=body, headers={"content-type": "application/json", **headers})


def assert_refused(response, status: int, field: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["field"] == field, body
    assert body["error"].startswith(f"{field}:") and "\n" not in body["error"], body
    return body


def test_health_lists_catalogs_and_versions(client, api_catalog):
    body = client.get("/health").json()
    assert body["status"] == "ok" and api_catalog in body["catalogs"] and body["active_catalog"] == api_catalog
    assert body["versions"]["fastapi"] and body["versions"]["marquee"]


def test_catalogs_and_models(client, api_catalog):
    rows = {row["name"]: row for row in client.get("/catalogs").json()}
    assert rows[api_catalog]["row_counts"]["movies"] == 200 and rows[api_catalog]["synthetic"] is True
    models = client.get("/models").json()
    index = [m for m in models if m["kind"] == "search-index" and m["catalog"] == api_catalog]
    assert index and index[0]["versions"][0]["status"] == "current" and index[0]["versions"][0]["documents"] == 200


def test_search_answers_like_the_core_searcher(client, api_catalog, encoder):
    from core.search import SearchParams, Searcher, load_index

    response = client.post("/search", json={"catalog": api_catalog, "query": "space station thriller", "k": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    expected = Searcher(load_index(api_catalog), encoder).search("space station thriller", SearchParams(k=5))
    assert [r["movie_id"] for r in body["results"]] == [h.movie_id for h in expected.hits]
    assert body["method"] == "hybrid" and len(body["results"]) == 5
    assert all(r["reasons"] is not None and isinstance(r["score"], float) for r in body["results"])
    # the searcher is loaded once and listed by /health with its version
    loaded = client.get("/health").json()["loaded"]
    indexes = [(x["catalog"], x["version"]) for x in loaded if x["kind"] == "search-index"]
    assert indexes == [(api_catalog, body["index_version"])]


def test_search_methods_filters_and_more_like(client, api_catalog):
    first = client.post("/search", json={"query": "love", "k": 3, "method": "bm25"}).json()["results"]
    seed = first[0]["movie_id"]
    like = client.post("/search", json={"like": [seed], "k": 4, "method": "mmr", "mmr_lambda": 0.5})
    assert like.status_code == 200, like.text
    assert seed not in [r["movie_id"] for r in like.json()["results"]] and len(like.json()["results"]) == 4
    filtered = client.post("/search", json={"query": "love", "k": 50, "filters": {"year_min": 2000, "year_max": 2010,
                                                                                "min_votes": 1}})
    assert filtered.status_code == 200
    assert all(2000 <= r["year"] <= 2010 for r in filtered.json()["results"])
    by_title = client.post("/search", json={"like": [first[0]["title"]], "k": 2, "language_policy": "off"})
    assert by_title.status_code == 200, by_title.text


@pytest.mark.parametrize("body, status, field", [
    ({"query": "x", "catalog": "nope"}, 404, "catalog"),
    ({"query": "x", "catalog": "../etc"}, 422, "catalog"),
    ({"query": "x", "k": 0}, 422, "k"),
    ({"query": "x", "k": -3}, 422, "k"),
    ({"query": "x", "k": 10 ** 9}, 422, "k"),
    ({"query": "x", "k": "5"}, 422, "k"),
    ({"query": "x", "k": 2.5}, 422, "k"),
    ({"query": "x", "k": True}, 422, "k"),
    ({"query": 42}, 422, "query"),
    ({"query": "x" * 10_000}, 422, "query"),
    ({"query": ""}, 422, "query"),
    ({"query": "   \n\t "}, 422, "query"),
    ({"query": "x", "method": "magic"}, 422, "method"),
    ({"query": "x", "language_policy": "sometimes"}, 422, "language_policy"),
    ({"query": "x", "mmr_lambda": 2}, 422, "mmr_lambda"),
    ({"query": "x", "filters": {"year_min": "1990"}}, 422, "filters.year_min"),
    ({"query": "x", "filters": {"languages": ["english!"]}}, 422, "filters.languages.0"),
    ({"query": "x", "filters": {"genres": "Drama"}}, 422, "filters.genres"),
    ({"like": [10 ** 9]}, 422, "like"),
    ({"like": ["No Such Film At All"]}, 422, "like"),
    ({"like": [-1]}, 422, "like.0"),
    ({"query": "x", "unexpected": 1}, 422, "unexpected"),
])
def test_bad_search_input_is_a_4xx_naming_the_field(client, api_catalog, body, status, field):
    assert_refused(client.post("/search", json=body), status, field)


@pytest.mark.parametrize("raw, field", [
    ('{"query": "x", "mmr_lambda": NaN}', "mmr_lambda"),
    ('{"query": "x", "mmr_lambda": Infinity}', "mmr_lambda"),
    ('{"query": "x", "filters": {"min_votes": -Infinity}}', "filters.min_votes"),
    ('{"query": "x", "k": 1e400}', "k"),
    ('{"query": ', "body"),
    ('[1, 2]', "body"),
    ('', "body"),
])
def test_non_finite_numbers_and_broken_json_are_refused(client, api_catalog, raw, field):
    assert_refused(post_raw(client, "/search", raw), 422, field)


def test_body_over_the_limit_is_413_announced_or_streamed(client, app):
    limit = app.state.settings.max_body_bytes
    big = json.dumps({"query": "x" * (limit + 10)})
    assert_refused(post_raw(client, "/search", big), 413, "body")

    def chunks():  # no Content-Length: the limit is counted while reading
        for _ in range(limit // 1000 + 5):
            yield b" " * 1000
    response = client.post("/search", content=chunks(), headers={"content-type": "application/json"})
    assert_refused(response, 413, "body")


def test_unknown_route_and_method_are_json(client):
    assert client.get("/no-such-route").status_code == 404
    assert client.get("/no-such-route").json()["error"]
    assert client.get("/search").status_code == 405


def test_openapi_is_served(client):
    spec = client.get("/openapi.json").json()
    assert {"/health", "/catalogs", "/models", "/search"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200


def test_api_keys_are_required_when_configured(api_catalog, encoder):
    from fastapi.testclient import TestClient

    from core.service import Settings, create_app

    key = "k" * 20 + "-secret"
    app = create_app(Settings(api_keys=("another-key-0123456789", key)), encoder=encoder)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert_refused(client.get("/catalogs"), 401, "X-API-Key")
        assert_refused(client.get("/catalogs", headers={"X-API-Key": key[:-1]}), 401, "X-API-Key")
        assert_refused(client.get("/catalogs", headers={"X-API-Key": key + "x"}), 401, "X-API-Key")
        refused = client.get("/health", headers={"X-API-Key": "wrong"})
        assert key not in refused.text
        assert client.get("/catalogs", headers={"X-API-Key": key}).status_code == 200
        assert client.get("/openapi.json").status_code == 200  # the schema holds no data
    assert key not in repr(app.state.settings)


def test_searcher_reloads_when_the_index_is_rebuilt(api_catalog, encoder):
    """Loaded once per process; a new index version is picked up on the next request."""
    from fastapi.testclient import TestClient

    from core.search import build_index
    from core.service import Settings, create_app

    app = create_app(Settings(reload_check_seconds=0.0), encoder=encoder)
    with TestClient(app) as client:
        first = client.post("/search", json={"query": "love", "k": 2}).json()["index_version"]
        again = client.post("/search", json={"query": "war", "k": 2}).json()["index_version"]
        assert first == again
        resources = app.state.resources
        searcher_before = resources._loaded[("search-index", api_catalog, None)].value
        build_index(api_catalog, encoder=encoder)  # every vector comes from the cache: a new version, same films
        rebuilt = client.post("/search", json={"query": "love", "k": 2}).json()["index_version"]
        assert rebuilt != first
        assert resources._loaded[("search-index", api_catalog, None)].value is not searcher_before


def test_no_good_match_is_said_and_min_score_zero_lists_the_closest(client, api_catalog):
    nothing = client.post("/search", json={"query": "🙂🙂🙂", "k": 3})
    assert nothing.status_code == 200, nothing.text
    assert nothing.json()["no_match"] and nothing.json()["results"] == []
    anyway = client.post("/search", json={"query": "qzxv wqpl", "k": 3, "min_score": 0.0, "method": "retrieval"})
    assert anyway.status_code == 200 and len(anyway.json()["results"]) == 3
    assert_refused(client.post("/search", json={"query": "x", "min_score": 1.5}), 422, "min_score")


def test_an_index_that_must_be_rebuilt_is_409(api_catalog, encoder, tmp_path):
    """An edited index file is refused by core (checksums): the API says 409 and how to rebuild."""
    import shutil

    from fastapi.testclient import TestClient

    from core.search import index_dir
    from core.service import Settings, create_app

    target = index_dir(api_catalog) / "bm25.npz"
    backup = tmp_path / "bm25.npz"
    shutil.copy2(target, backup)
    try:
        with target.open("ab") as handle:
            handle.write(b"tampered")
        with TestClient(create_app(Settings(reload_check_seconds=0.0), encoder=encoder)) as client:
            body = assert_refused(client.post("/search", json={"query": "love"}), 409, "catalog")
            assert "rebuild" in body["error"]
    finally:
        shutil.copyfile(backup, target)
