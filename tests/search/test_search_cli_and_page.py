"""The search command line (single query, batch, index, eval) and the Search page (AppTest)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from core.cli import main
from tests.conftest import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture
def same_encoder(monkeypatch, encoder):
    """The CLI loads the model per process; in-process tests hand it the session's loaded model."""
    import core.search.embeddings as embeddings

    monkeypatch.setattr(embeddings, "Encoder", lambda *a, **k: encoder)


def test_cli_contract_in_a_real_process(demo_searcher):
    """`python -m core search QUERY --catalog NAME --method M --k 10 --json` prints a JSON list."""
    result = subprocess.run(
        [sys.executable, "-m", "core", "search", "malayalam thriller", "--catalog", "demo", "--method", "hybrid",
         "--k", "10", "--json", "--language-policy", "auto-hard"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, env={**os.environ}, timeout=300)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 10 and all({"title", "year", "score"} <= set(h) for h in hits)
    assert [h["language"] for h in hits] == ["ml"] * 10
    assert hits == sorted(hits, key=lambda h: -h["score"])


def test_cli_index_build_is_incremental(demo_searcher, same_encoder, capsys):
    assert main(["index", "build", "--catalog", "demo", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["documents"] == 3000 and stats["embedded"] == 0
    assert main(["index", "status", "--catalog", "demo", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fresh"] is True


def test_cli_batch_mode_prints_one_line_per_query(demo_searcher, same_encoder, capsys, tmp_path):
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"query": "french heist comedy"}\n\n{"query": "   ", "id": 2}\n{"query": "lang:ja samurai"}\n',
                       encoding="utf-8")
    assert main(["search", "--queries-file", str(queries), "--catalog", "demo", "--method", "bm25", "--k", "3",
                 "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["query"] for line in lines] == ["french heist comedy", "   ", "lang:ja samurai"]
    assert len(lines[0]["results"]) == 3 and {"title", "year", "score"} <= set(lines[0]["results"][0])
    assert lines[1]["results"] == [] and "empty" in lines[1]["error"]

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "ok"}\nnot json\n', encoding="utf-8")
    assert main(["search", "--queries-file", str(bad), "--catalog", "demo", "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "line 2" in captured.err


def test_cli_more_like_and_errors(demo_searcher, same_encoder, capsys):
    title = demo_searcher.docs["title"].iloc[0]
    assert main(["search", "--like", title, "--catalog", "demo", "--k", "4", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4
    assert main(["search", "", "--catalog", "demo", "--json"]) == 2
    assert "give exactly one of" in capsys.readouterr().err
    assert main(["search", "a heist", "--catalog", "demo", "--method", "ce"]) == 2
    assert "MARQUEE_CROSS_ENCODER" in capsys.readouterr().err


def test_cli_search_eval(wiki_slice, same_encoder, capsys):
    assert main(["search-eval", "--catalog", "wiki2010s", "--n", "20", "--methods", "bm25,hybrid", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["queries"] == 20 and set(report["methods"]) == {"bm25", "hybrid"}
    assert 0.0 <= report["methods"]["hybrid"]["mrr"] <= report["methods"]["hybrid"]["recall"] <= 1.0


# ------------------------------------------------------------------------------ page
def shown(text: str) -> str:
    """Catalog text reaches Markdown elements backslash-escaped; this is what a person reads."""
    return text.replace("\\", "")


def test_search_page(demo_searcher):
    from core.catalog import store
    from core.search.rerank import NOT_CONFIGURED

    store.set_active("demo")
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("pages/search.py").run()
    assert not at.exception
    assert at.title[0].value == "Search"
    assert any("Type a query" in i.value for i in at.info)
    assert not any(m.key == "like" for m in at.multiselect)  # every title: drawn only in "more like" mode

    at.text_input(key="q").input("malayalam thriller").run()
    at.radio(key="lang").set_value("auto-hard").run()
    assert not at.exception
    cards = [shown(m.value) for m in at.markdown if m.value.startswith("**")]
    assert len(cards) == 10 and all("Malayalam" in card for card in cards)
    captions = [shown(c.value) for c in at.caption]
    assert sum(c.startswith("Why:") for c in captions) == 10
    assert any("language: Malayalam" in c for c in captions)

    at.selectbox(key="method").set_value("ce").run()
    assert not at.exception and any(NOT_CONFIGURED in w.value for w in at.warning)

    at.selectbox(key="method").set_value("bm25").run()
    at.text_input(key="q").input("zzqqxx").run()
    assert not at.exception and any("No film matches" in i.value for i in at.info)

    at.selectbox(key="method").set_value("mmr").run()
    at.segmented_control(key="by").set_value("films").run()
    seed = next(iter(at.multiselect(key="like").options))
    at.multiselect(key="like").select(seed).run()
    assert not at.exception
    assert any(shown(c.value).startswith("Why:") and "shared genres" in shown(c.value) for c in at.caption)


def test_a_shared_search_link_repeats_the_search(demo_searcher):
    """The query and its options are bound to the URL (the browser writes them; a browser test
    checks that half); a new session opening such a link shows the same results."""
    from core.catalog import store

    store.set_active("demo")
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("pages/search.py").run()
    at.text_input(key="q").input("haunted farmhouse").run()
    at.selectbox(key="method").set_value("bm25").run()
    at.slider(key="k").set_value(5).run()
    first = [shown(m.value) for m in at.markdown if m.value.startswith("**")]
    assert len(first) == 5

    shared = AppTest.from_file(APP, default_timeout=300)  # another session opening the link
    shared.query_params.update({"q": "haunted farmhouse", "method": "bm25", "k": "5", "catalog": "demo"})
    shared.run()
    shared.switch_page("pages/search.py").run()
    assert not shared.exception
    assert shared.text_input(key="q").value == "haunted farmhouse" and shared.slider(key="k").value == 5
    assert [shown(m.value) for m in shared.markdown if m.value.startswith("**")] == first


def test_search_page_builds_a_missing_index(isolated_dirs, encoder):
    from core.catalog import store
    from core.catalog.demo import build_demo_catalog

    build_demo_catalog("tiny", n_movies=60, seed=3)
    store.set_active("tiny")
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("pages/search.py").run()
    assert not at.exception
    assert any("no up-to-date search index" in w.value for w in at.warning)
    at.button(key="search-build").click().run()
    assert not at.exception
    from core.jobs import RUNNER  # the build runs in the background, as on the served page

    job = RUNNER.current("search-index:tiny")
    assert job is not None and job.join(180), "the index build did not finish"
    at.run()
    assert not at.exception and job.snapshot().status == "complete"
    assert any("Search index of tiny: done" in s.value for s in at.success)
    assert not any("no up-to-date search index" in w.value for w in at.warning)
    at.text_input(key="q").input("a haunted house").run()
    assert not at.exception and sum(m.value.startswith("**") for m in at.markdown) == 10
