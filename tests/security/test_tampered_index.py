"""Issue 12 item 5: an edited search index (documents.parquet, index.faiss, bm25.npz) is refused
with one clear line and is never reported as fresh; an unreadable manifest is one line too."""
from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pandas as pd
import pytest

from core.errors import MarqueeError

CATALOG = "tiny_index"


class HashEncoder:
    """A deterministic stand-in for the sentence encoder (the index's files are what is tested)."""

    model_id = "test-hash-encoder-16"
    model_path = "test-hash-encoder"
    dim = 16

    def encode(self, texts, progress=None):
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], dtype=np.uint8).astype(np.float32) + 1
                for t in texts]
        vectors = np.array(rows, dtype=np.float32).reshape(-1, self.dim)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def built(isolated_dirs, demo_catalog, tmp_path):
    from core.catalog import store
    from core.search.embeddings import EmbeddingCache
    from core.search.index import build_index, index_dir

    movies = demo_catalog.movies.sort_values("movie_id").head(40)
    ids = set(movies["movie_id"])
    credits = demo_catalog.credits[demo_catalog.credits["movie_id"].isin(ids)]
    people = demo_catalog.people[demo_catalog.people["person_id"].isin(set(credits["person_id"]))]
    store.write_catalog(CATALOG, {"movies": movies, "people": people, "credits": credits}, source="test")
    encoder = HashEncoder()
    build_index(CATALOG, encoder=encoder, cache=EmbeddingCache(encoder.model_id, encoder.dim, root=tmp_path / "cache"))
    return index_dir(CATALOG)


def _status(name=CATALOG):
    from core.search.index import index_status

    return index_status(name)


def test_an_untouched_index_loads_and_reports_no_file_problem(built):
    from core.search.index import load_index

    manifest = json.loads((built / "manifest.json").read_text())
    assert set(manifest["checksums"]) == {"index.faiss", "documents.parquet", "bm25.npz"}
    assert "changed after" not in _status()["reason"]
    assert len(load_index(CATALOG)) == 40


def _edit_documents(folder):
    frame = pd.read_parquet(folder / "documents.parquet")
    frame.loc[0, "title"] = "![x](http://attacker.example/t.png)"
    frame.to_parquet(folder / "documents.parquet", index=False)


def _append(name):
    def damage(folder):
        with open(folder / name, "ab") as handle:
            handle.write(b"\0tampered")
    return damage


def _replace_with_link(folder):
    os.remove(folder / "documents.parquet")
    os.symlink("/dev/zero", folder / "documents.parquet")


def _drop_checksums(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.pop("checksums")
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("damage,fragment", [
    (_edit_documents, "documents.parquet changed after the index was built"),
    (_append("index.faiss"), "index.faiss changed after the index was built"),
    (_append("bm25.npz"), "bm25.npz changed after the index was built"),
    (_replace_with_link, "documents.parquet is missing"),
    (_drop_checksums, "built before file checksums were recorded"),
], ids=["documents-edited", "faiss-appended", "bm25-appended", "documents-symlink-to-dev-zero", "no-checksums"])
def test_a_tampered_index_is_refused_and_never_fresh(built, damage, fragment):
    from core.search.index import load_index

    load_index(CATALOG)  # cached digests must not hide a later edit
    damage(built)
    status = _status()
    assert not status["fresh"] and fragment in status["reason"]
    with pytest.raises(MarqueeError, match="rebuild it") as info:
        load_index(CATALOG)
    assert fragment in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("content", [b"{\"kind\": \"search-index\",", b"[1, 2]", b"\xff\xfe\x00"])
def test_an_unreadable_index_manifest_is_one_line(built, content):
    from core.search.index import load_index

    (built / "manifest.json").write_bytes(content)
    assert _status() == {"exists": True, "fresh": False, "reason": "the index manifest is unreadable", "manifest": {}}
    with pytest.raises(MarqueeError, match="rebuild the index"):
        load_index(CATALOG)


def test_a_rebuild_after_tampering_reuses_nothing_from_the_edited_files(built, tmp_path):
    from core.search.embeddings import EmbeddingCache
    from core.search.index import build_index, load_index

    _edit_documents(built)
    encoder = HashEncoder()
    _, stats = build_index(CATALOG, encoder=encoder, cache=EmbeddingCache(encoder.model_id, encoder.dim,
                                                                          root=tmp_path / "empty-cache"))
    assert stats["from_previous_index"] == 0 and stats["embedded"] == 40
    index = load_index(CATALOG)
    assert "attacker.example" not in " ".join(index.documents["title"])
