"""Search quality on query sets independent of the indexed text (``search_eval_sets.py``).

On a Wikipedia slice (default: the 1990s, ~2,850 American films; embedding the 36k catalog is
not possible on the shared machine within a session, so the figures are for a slice and say so):

1. fusion weights and the dense-score map are chosen on the **validation** split (MRR@10);
2. the **test** split is evaluated once: recall@10 and MRR@10 per method and per query type,
   plus the ablation (no query understanding, RRF order instead of the bounded score, ...);
3. the "no good match" threshold is chosen on validation (the highest ``min_score`` that answers
   at most 2 % of real known-item queries with "no good match") and then measured on test and
   on nonsense queries (random letters, keyboard mashes, emoji, stop words);
4. query latency p50/p95 per method (model loaded, query vectors not cached).

``--baseline`` evaluates whatever code is on PYTHONPATH with only ``method`` and ``k`` (used to
measure the code before issue 13 on the very same index and queries):

    PYTHONPATH=/path/to/old/checkout python benchmarks/bench_search_quality.py --baseline --out old.json

Results: JSON (``--out``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import string
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("MARQUEE_SEARCH_QUALITY_WORK", "~/.cache/marquee-search-quality")).expanduser()
K = 10


def setup_env() -> None:
    os.environ.setdefault("MARQUEE_DATA_DIR", str(WORK / "data"))
    os.environ.setdefault("MARQUEE_ARTIFACTS_DIR", str(WORK / "artifacts"))
    os.environ.setdefault("MARQUEE_EMBEDDING_CACHE", str(WORK / "embedding-cache"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


class MemoEncoder:
    """The real encoder with query vectors memoised across the whole run (every variant reads the
    same query text; latency is measured separately with a cold memo)."""

    def __init__(self, encoder, path: Path | None = None):
        self.inner, self.memo, self.path = encoder, {}, path
        self.model_id, self.dim, self.model_path = encoder.model_id, encoder.dim, encoder.model_path
        if path and path.exists():
            with np.load(path, allow_pickle=False) as saved:
                if str(saved["model"]) == self.model_id:
                    self.memo = dict(zip(saved["texts"].tolist(), saved["vectors"]))

    def save(self) -> None:
        if self.path and self.memo:
            texts = list(self.memo)
            np.savez(self.path, model=np.array(self.model_id), texts=np.array(texts, dtype=str),
                     vectors=np.vstack([self.memo[t] for t in texts]))

    def encode(self, texts, progress=None):
        return self.inner.encode(texts, progress)

    def encode_query(self, text):
        if text not in self.memo:
            self.memo[text] = self.inner.encode_query(text)
        return self.memo[text]


def metrics(ranks: list[int | None]) -> dict:
    if not ranks:
        return {"recall": 0.0, "mrr": 0.0, "n": 0}
    return {"recall": round(float(np.mean([r is not None and r <= K for r in ranks])), 4),
            "mrr": round(float(np.mean([1.0 / r if r is not None and r <= K else 0.0 for r in ranks])), 4),
            "n": len(ranks)}


def run(searcher, items, make_params, ignore_all: bool = False) -> dict:
    ranks, kinds = [], []
    for item in items:
        params = make_params()
        if ignore_all:
            params.ignore = tuple(c["key"] for c in searcher.analyze(item["query"]).chips)
        response = searcher.search(item["query"], params)
        ids = [h.movie_id for h in response.hits]
        ranks.append(ids.index(item["movie_id"]) + 1 if item["movie_id"] in ids else None)
        kinds.append(item["kind"])
    out = metrics(ranks)
    out["by_kind"] = {kind: metrics([r for r, q in zip(ranks, kinds) if q == kind]) for kind in sorted(set(kinds))}
    return out


def nonsense_queries(n: int = 60, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    letters = np.array(list(string.ascii_lowercase))
    out = ["".join(rng.choice(letters, rng.integers(4, 10))) + " " + "".join(rng.choice(letters, rng.integers(3, 9)))
           for _ in range(n // 2)]
    out += ["".join(rng.choice(letters, rng.integers(5, 14))) for _ in range(n // 4)]
    out += ["asdf qwer", "qwertyuiop", "zxcv bnm", "lorem ipsum dolor sit amet", "blorp flurgle", "xqzvbn wobbiq",
            "🎬🍿🔥", "!!! ???", "the of and", "a an the", "movies", "show me some films", "123 456",
            "aaaaaaa", "hjkl hjkl", "sdfsdf sdf"]
    return out


def latency(searcher, encoder, queries, method) -> dict:
    from core.search.engine import SearchParams

    encoder.memo.clear()
    searcher.forget_queries()
    for q in queries[:3]:
        searcher.search(q, SearchParams(method=method))      # warm-up
    encoder.memo.clear()
    searcher.forget_queries()
    seconds = []
    for q in queries:
        started = time.perf_counter()
        searcher.search(q, SearchParams(method=method, min_score=0.0) if hasattr(SearchParams(), "min_score")
                        else SearchParams(method=method))
        seconds.append(time.perf_counter() - started)
    ms = np.asarray(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2),
            "n": len(ms)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", default="wiki1990s")
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "search_quality.json")
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("--per-kind", type=int, default=0,
                        help="at most this many queries per kind and split, a fixed random sample (0 = all)")
    parser.add_argument("--passage-words", type=lambda v: [int(x) for x in v.split(",")], default=[0, 40, 60, 80, 120],
                        help="plot passage sizes to try on validation (0 = one vector per film)")
    parser.add_argument("--memo", type=Path, help="file keeping query vectors between runs (same model only)")
    args = parser.parse_args()
    setup_env()
    if not args.baseline:   # the baseline measures whatever checkout is on PYTHONPATH
        sys.path.insert(0, str(ROOT))
    from core.search.embeddings import Encoder
    from core.search.engine import SearchParams, Searcher
    from core.search.index import load_index

    started = time.perf_counter()
    encoder = MemoEncoder(Encoder(), args.memo)
    index = load_index(args.catalog)
    searcher = Searcher(index, encoder)
    items = json.loads(args.queries.read_text())
    val = [i for i in items if i["split"] == "validation"]
    test = [i for i in items if i["split"] == "test"]
    if args.per_kind:
        rng = np.random.default_rng(0)

        def sample(chunk):
            out = []
            for kind in sorted({i["kind"] for i in chunk}):
                of_kind = [i for i in chunk if i["kind"] == kind]
                out += [of_kind[j] for j in sorted(rng.permutation(len(of_kind))[:args.per_kind])]
            return out
        val, test = sample(val), sample(test)
    report = {"catalog": args.catalog, "documents": len(index), "k": K, "baseline": args.baseline,
              "queries": {"validation": len(val), "test": len(test)},
              "model": index.manifest.get("parameters", {}).get("model_id"),
              "machine": {"cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 1), "python": platform.python_version()}}
    methods = ("retrieval", "bm25", "hybrid")
    if args.baseline:
        report["test"] = {m: run(searcher, test, lambda m=m: SearchParams(method=m, k=K)) for m in methods}
        encoder.save()
        report["latency"] = {m: latency(searcher, encoder, [i["query"] for i in test[:60]], m) for m in methods}
    else:
        def p(**kw):
            return lambda: SearchParams(k=K, min_score=0.0, **kw)

        # 1. selection on validation: the sparse side (plain / stemmed / fielded BM25), then weights
        from core.search.bm25 import BM25, FieldedBM25

        texts = index.documents["text"].tolist()
        sparse_variants = {
            "bm25": index.bm25,
            "bm25 stemmed": BM25(stem=True).fit(texts),
            "fielded": FieldedBM25().fit_documents(index.documents),
            "fielded stemmed": FieldedBM25(stem=True).fit_documents(index.documents),
            "fielded stemmed, title 0.25": FieldedBM25({"title": 0.25, "plot": 1.0, "people": 1.0, "labels": 0.5},
                                                       stem=True).fit_documents(index.documents),
            "fielded stemmed, people 0.5": FieldedBM25({"title": 0.5, "plot": 1.0, "people": 0.5, "labels": 0.5},
                                                       stem=True).fit_documents(index.documents),
        }
        for item in val + test:     # encode every query once (kept in --memo for the next run)
            searcher.search(item["query"], SearchParams(k=1, min_score=0.0))
        encoder.save()
        sparse_grid = {}
        for name, model in sparse_variants.items():
            searcher.index.bm25 = model
            sparse_grid[name] = {"bm25": run(searcher, val, p(method="bm25")),
                                 "hybrid": run(searcher, val, p(method="hybrid"))}
            print("validation sparse", name, sparse_grid[name]["bm25"]["mrr"], sparse_grid[name]["hybrid"]["mrr"], flush=True)
        sparse_choice = max(sparse_grid, key=lambda n: (sparse_grid[n]["hybrid"]["mrr"], sparse_grid[n]["bm25"]["mrr"]))
        searcher.index.bm25 = sparse_variants[sparse_choice]
        report["sparse_selection"] = {"on": "validation hybrid MRR@10", "chosen": sparse_choice,
                                      "grid": {n: {m: {"recall": v[m]["recall"], "mrr": v[m]["mrr"]} for m in v}
                                               for n, v in sparse_grid.items()}}
        # plot passages (max-pool of document and passage cosines), chosen on validation
        import dataclasses

        from core.search.index import embed_passages

        passage_grid, passage_index = {}, {}
        for words in args.passage_words:
            if words:
                t0 = time.perf_counter()
                pv, pr, counts = embed_passages(index.documents, encoder.inner, words)
                counts["seconds"] = round(time.perf_counter() - t0, 1)
            else:
                pv = pr = None
                counts = {"passages": 0}
            passage_index[words] = dataclasses.replace(searcher.index, passage_vectors=pv, passage_rows=pr)
            trial = Searcher(passage_index[words], encoder)
            passage_grid[words] = {"counts": counts, "retrieval": run(trial, val, p(method="retrieval")),
                                   "hybrid": run(trial, val, p(method="hybrid"))}
            print("validation passages", words, counts, passage_grid[words]["retrieval"]["mrr"],
                  passage_grid[words]["hybrid"]["mrr"], flush=True)
        words_choice = max(passage_grid, key=lambda w: (passage_grid[w]["hybrid"]["mrr"], -w))
        searcher = Searcher(passage_index[words_choice], encoder)
        report["passage_selection"] = {
            "on": "validation hybrid MRR@10", "chosen_passage_words": words_choice,
            "grid": {str(w): {"counts": v["counts"], **{m: {"recall": v[m]["recall"], "mrr": v[m]["mrr"]}
                                                        for m in ("retrieval", "hybrid")}}
                     for w, v in passage_grid.items()}}
        grid = {}
        for dw in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
            grid[f"dense_weight={dw}"] = run(searcher, val, p(method="hybrid", dense_weight=dw, sparse_weight=1 - dw))
            print("validation", dw, grid[f"dense_weight={dw}"]["mrr"], flush=True)
        best = max(grid, key=lambda key: (grid[key]["mrr"], grid[key]["recall"]))
        dw = float(best.split("=")[1])
        report["selection"] = {"on": "validation MRR@10", "grid": {k: {"recall": v["recall"], "mrr": v["mrr"]}
                                                                   for k, v in grid.items()},
                               "chosen": {"dense_weight": dw, "sparse_weight": round(1 - dw, 2)}}
        chosen = dict(dense_weight=dw, sparse_weight=round(1 - dw, 2))
        default = SearchParams()
        # optional pseudo-relevance feedback: kept only if validation prefers it
        prf_grid = {"prf_docs=0": grid[best]}
        for docs_n in (3, 5, 10):
            for weight in (0.3, 0.7):
                prf_grid[f"prf_docs={docs_n}, prf_weight={weight}"] = run(
                    searcher, val, p(method="hybrid", prf_docs=docs_n, prf_weight=weight, **chosen))
                print("validation prf", docs_n, weight, prf_grid[f"prf_docs={docs_n}, prf_weight={weight}"]["mrr"], flush=True)
        prf_best = max(prf_grid, key=lambda key: (prf_grid[key]["mrr"], prf_grid[key]["recall"], key == "prf_docs=0"))
        prf_chosen = {}
        if prf_best != "prf_docs=0":
            prf_chosen = {"prf_docs": int(prf_best.split(",")[0].split("=")[1]),
                          "prf_weight": float(prf_best.split("=")[-1])}
        report["prf_selection"] = {"on": "validation hybrid MRR@10", "chosen": prf_chosen or "off",
                                   "grid": {k: {"recall": v["recall"], "mrr": v["mrr"]} for k, v in prf_grid.items()}}
        weights_only = dict(chosen)
        chosen = {**chosen, **prf_chosen}
        # 2. test, once: methods and ablation
        variants = {
            "retrieval": (p(method="retrieval"), False),
            "bm25": (p(method="bm25"), False),
            "hybrid": (p(method="hybrid", **chosen), False),
            "hybrid, default weights before selection": (
                p(method="hybrid", dense_weight=default.dense_weight, sparse_weight=default.sparse_weight), False),
            "mmr": (p(method="mmr", **chosen), False),
            "blend": (p(method="blend"), False),
            "hybrid, no query understanding": (p(method="hybrid", **chosen), True),
            "retrieval, no query understanding": (p(method="retrieval"), True),
            "bm25, no query understanding": (p(method="bm25"), True),
            "hybrid, RRF order (rrf_k=10)": (p(method="hybrid", fusion="rrf", **chosen), False),
        }
        report["test"] = {}
        for name, (make, ignore_all) in variants.items():
            report["test"][name] = run(searcher, test, make, ignore_all)
            print("test", name, report["test"][name]["recall"], report["test"][name]["mrr"], flush=True)
        if prf_chosen:
            report["test"]["hybrid, no PRF"] = run(searcher, test, p(method="hybrid", **weights_only))
        if words_choice:
            chosen_index = searcher.index
            searcher = Searcher(passage_index[0] if 0 in passage_index
                                else dataclasses.replace(chosen_index, passage_vectors=None, passage_rows=None), encoder)
            for name in ("hybrid", "retrieval"):
                report["test"][f"{name}, no plot passages"] = run(
                    searcher, test, p(method=name, **(chosen if name == "hybrid" else {})))
            searcher = Searcher(chosen_index, encoder)
        before = report["test"]["hybrid, default weights before selection"]
        after = report["test"]["hybrid"]
        report["decision"] = {
            "default_weights": {"dense_weight": default.dense_weight, "sparse_weight": default.sparse_weight},
            "chosen_on_validation": {**chosen, "passage_words": words_choice, "sparse": sparse_choice},
            "test_confirms": after["mrr"] >= before["mrr"] and after["recall"] >= before["recall"] - 0.005,
            "rule": "the validation choice becomes the default only if test MRR@10 is not lower and recall@10 "
                    "not lower by more than 0.005",
            "caveat": "a test veto of a validation choice is a use of the test split; confirm a vetoed choice "
                      "on fresh queries before revisiting it"}
        chosen_sparse = searcher.index.bm25
        for name in ("bm25", "bm25 stemmed", "fielded stemmed"):   # ablation of the sparse side
            if sparse_variants[name] is chosen_sparse:
                continue
            searcher.index.bm25 = sparse_variants[name]
            report["test"][f"hybrid with {name}"] = run(searcher, test, p(method="hybrid", **chosen))
            report["test"][f"bm25 method with {name}"] = run(searcher, test, p(method="bm25"))
        searcher.index.bm25 = chosen_sparse
        # 3. the no-good-match threshold
        best_scores = {}
        for split, chunk in (("validation", val), ("test", test)):
            tops = []
            for item in chunk:
                response = searcher.search(item["query"], SearchParams(k=1, min_score=0.0, **chosen))
                tops.append(response.hits[0].score if response.hits else 0.0)
            best_scores[split] = np.asarray(tops)
        nonsense = nonsense_queries()
        nonsense_tops = []
        for q in nonsense:
            response = searcher.search(q, SearchParams(k=1, min_score=0.0, **chosen))
            nonsense_tops.append(response.hits[0].score if response.hits else 0.0)
        nonsense_tops = np.asarray(nonsense_tops)
        thresholds = np.round(np.arange(0.05, 0.61, 0.01), 2)
        allowed = [t for t in thresholds if np.mean(best_scores["validation"] < t) <= 0.02]
        threshold = float(max(allowed)) if allowed else 0.05
        report["no_good_match"] = {
            "chosen_min_score": threshold, "rule": "highest threshold answering <= 2% of validation queries with no match",
            "validation_false_no_match": round(float(np.mean(best_scores["validation"] < threshold)), 4),
            "test_false_no_match": round(float(np.mean(best_scores["test"] < threshold)), 4),
            "nonsense_no_match": round(float(np.mean(nonsense_tops < threshold)), 4),
            "nonsense_queries": len(nonsense),
            "nonsense_top_scores": {"max": round(float(nonsense_tops.max()), 3), "p90": round(float(np.percentile(nonsense_tops, 90)), 3)},
            "known_item_top_scores": {"p02": round(float(np.percentile(best_scores["validation"], 2)), 3),
                                      "median": round(float(np.median(best_scores["validation"])), 3)},
            "nonsense_passing": [q for q, s in zip(nonsense, nonsense_tops) if s >= threshold],
        }
        print("no-match", report["no_good_match"], flush=True)
        report["latency"] = {m: latency(searcher, encoder, [i["query"] for i in test[:60]], m)
                             for m in ("retrieval", "bm25", "hybrid")}
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report.get("test"), indent=1)[:3000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
