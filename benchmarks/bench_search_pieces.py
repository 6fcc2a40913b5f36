"""Word pieces a full index build encodes on the 36k Wikipedia catalog (tokenizer only, exact),
and what two ways of encoding less would save; encoder pieces/s on a slice (an estimate).

The encoder reads at most ``max_seq_length`` pieces of a text (MiniLM: 256); pieces past that
cost nothing. Counted per text as ``min(pieces, max_seq_length)``:

* **today**: every document + every 40-word plot passage of the films whose plot is longer
  than 40 words;
* **passages of truncated films only**: passages only for films whose document is cut (its
  pieces exceed the limit), because the document vector already reads all of a shorter plot;
* **passages beyond the cut only**: for a truncated film, only the passages whose text starts
  after the part the document vector reads.

The two alternatives are counts of what they would encode, NOT measured for quality: neither is
adopted until validation MRR@10 (``bench_search_quality.py``) says it holds.

    python benchmarks/bench_search_pieces.py
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("~/.cache/marquee-bench-search").expanduser())
    parser.add_argument("--shared-data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--slice", type=int, default=256, help="texts encoded to measure pieces/s")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "search_pieces.json")
    args = parser.parse_args()
    from bench_search import _setup_env, import_catalog

    _setup_env(args.work)
    from core.catalog import store
    from core.search.documents import PASSAGE_WORDS, build_documents, passages
    from core.search.embeddings import Encoder

    started = time.perf_counter()
    import_catalog(args.shared_data)
    documents = build_documents(store.load_catalog("wiki", verify=False, tables=("movies", "people", "credits")))
    encoder = Encoder()
    tokenizer, limit = encoder.model.tokenizer, int(encoder.model.max_seq_length)

    def pieces(texts):
        return np.array([len(ids) for ids in tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]])

    doc_pieces = pieces(documents["text"])
    table = passages(documents, PASSAGE_WORDS)
    passage_pieces = pieces(table["text"])
    rows = table["row"].to_numpy()
    truncated = doc_pieces > limit
    # where each passage's window starts in its film's plot, in pieces of the document: the
    # document text is "title · ... · plot · people"; a window is read by the document vector
    # when the document's pieces up to the window's end fit in the limit
    window_end_in_doc = np.zeros(len(table), dtype=np.int64)
    not_found = 0
    for p in np.flatnonzero(truncated[rows]):   # a passage of an uncut document is read by it anyway
        text = documents["text"].iat[rows[p]]
        window = table["text"].iat[p].split(" · ")[-1]
        at = text.find(window)
        not_found += at < 0
        end = at + len(window) if at >= 0 else len(text)
        window_end_in_doc[p] = len(tokenizer(text[:end], add_special_tokens=True)["input_ids"])
    beyond = window_end_in_doc > limit
    encoded = lambda lengths: int(np.minimum(lengths, limit).sum())   # noqa: E731
    report = {
        "catalog": {"films": len(documents), "passages": len(table), "passage_words": PASSAGE_WORDS,
                    "max_seq_length": limit, "documents truncated": int(truncated.sum())},
        "pieces encoded (exact, tokenizer only)": {
            "documents": encoded(doc_pieces),
            "today: documents + all passages": encoded(doc_pieces) + encoded(passage_pieces),
            "documents + passages of truncated films only": encoded(doc_pieces) + encoded(passage_pieces[truncated[rows]]),
            "documents + passages beyond the document's cut only": encoded(doc_pieces) + encoded(passage_pieces[beyond]),
        },
        "texts encoded": {"today": len(documents) + len(table),
                          "passages of truncated films only": len(documents) + int(truncated[rows].sum()),
                          "passages beyond the cut only": len(documents) + int(beyond.sum())},
        "quality": "the alternatives are NOT validated; counts only",
        "windows not found verbatim in their document (counted as beyond the cut)": int(not_found),
    }
    # pieces/s on a slice (an estimate: the machine is shared, the load is recorded)
    rng = np.random.default_rng(0)
    sample = rng.choice(len(table), size=min(args.slice, len(table)), replace=False)
    texts = table["text"].to_numpy()[sample].tolist()
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    encoder.encode(texts)
    seconds = time.perf_counter() - t0
    rate = encoded(passage_pieces[sample]) / seconds
    report["pieces per second (estimate)"] = {
        "slice": len(texts), "seconds": round(seconds, 1), "pieces_per_second": round(rate, 1),
        "load_1min": round(load, 1), "cpus": os.cpu_count(),
        "estimated build seconds at this rate": {k: round(v / rate) for k, v in
                                                 report["pieces encoded (exact, tokenizer only)"].items()}}
    report["seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
