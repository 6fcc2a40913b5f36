"""Index builds cancel within seconds: the encoder reports progress (where a job's cancel is
honoured) in steps sized from the measured rate to last about ``STEP_SECONDS``, not after a fixed
256-text chunk (minutes per chunk on a loaded 2-core machine)."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from core.jobs import JobRunner
from core.search import embeddings
from core.search.embeddings import CHUNK, FIRST_STEP, STEP_SECONDS, Encoder, next_step


def test_next_step_lasts_about_step_seconds():
    assert next_step(16, 16 * 0.05) == 40  # 20 texts/s: 2 s is 40 texts
    assert next_step(8, 8 * 0.5) == 4      # 2 texts/s: 4 texts
    assert next_step(8, 8 * 5.0) == 1      # a text takes 5 s on a swamped machine: one at a time
    assert next_step(64, 0.01) == CHUNK    # fast: never above the old chunk
    assert next_step(16, 0.0) == CHUNK
    assert all(next_step(n, s) % 8 == 0 for n in (8, 16, 40) for s in (0.3, 1.0, 1.9))


class SlowModel:
    """Stands in for the sentence-transformers model: ``per_text`` seconds per text (a sleep only
    ever lasts longer than asked, so under load the steps only get smaller)."""

    def __init__(self, per_text: float):
        self.per_text, self.calls = per_text, []

    def encode(self, texts, batch_size, **kwargs):
        self.calls.append(len(texts))
        time.sleep(self.per_text * len(texts))
        return np.ones((len(texts), 4), dtype=np.float32) / 2.0


def slow_encoder(per_text: float) -> Encoder:
    encoder = Encoder.__new__(Encoder)  # no model loaded: only encode()'s stepping is under test
    encoder.model, encoder.dim, encoder.batch_size, encoder.threads = SlowModel(per_text), 4, 64, 1
    return encoder


def test_a_cancelled_build_stops_within_one_short_step(tmp_path):
    per_text = 0.05  # 20 texts/s: a 256-text chunk took 12.8 s, a step now about 2 s
    encoder = slow_encoder(per_text)
    runner = JobRunner(throughput_file=tmp_path / "throughput.json")
    started = threading.Event()

    def work(progress):
        def report(done, total, message=""):
            started.set()
            progress(done, total, message)
        return encoder.encode([f"film {i} " + "word " * (i % 50) for i in range(1000)], progress=report)

    job = runner.start("embed-test", "embed-test", work)
    assert started.wait(120)
    job.cancel()
    assert job.join(120)
    assert job.snapshot().status == "cancelled"
    calls = encoder.model.calls
    assert calls[0] == FIRST_STEP
    limit = int(STEP_SECONDS / per_text)  # texts that take STEP_SECONDS at the model's fastest
    assert max(calls) <= limit, calls  # so the cancel waited at most about STEP_SECONDS of encoding
    assert sum(calls) < 1000  # it did stop early


@pytest.mark.parametrize("n", [0, 1, 7, 300])
def test_steps_cover_every_text_once_in_order(n):
    encoder = slow_encoder(0.0)
    seen = []
    out = encoder.encode([f"t{i}" for i in range(n)], progress=lambda done, total, message="": seen.append(done))
    assert out.shape == (n, 4) and sum(encoder.model.calls) == n
    assert seen == sorted(seen) and (not n or seen[-1] == n)


def test_a_cancel_keeps_every_finished_step_in_the_cache(tmp_path):
    """What was embedded before a cancel reaches the embedding cache, not only whole save chunks,
    so Resume starts from there."""
    from core.progress import Cancelled
    from core.search.embeddings import EmbeddingCache
    from core.search.index import embed_texts

    texts = [f"film {i} " + "word " * (i % 7) for i in range(100)]
    hashes = [f"h{i}" for i in range(100)]
    encoder = slow_encoder(0.0)
    encoder.model_id = "slow-test"
    steps = []

    def cancel_after_two_steps(done, total, message=""):
        if message == "embedding":
            steps.append(done)
            if len(steps) == 2:
                raise Cancelled("cancelled")

    with pytest.raises(Cancelled):
        embed_texts(hashes, texts, encoder, cancel_after_two_steps, EmbeddingCache("slow-test", 4, tmp_path))
    kept = EmbeddingCache("slow-test", 4, tmp_path).get(hashes)  # a fresh reader: what the disk holds
    assert len(kept) == steps[1] == sum(encoder.model.calls)
    longest_first = sorted(range(100), key=lambda i: -len(texts[i]))
    assert set(kept) == {hashes[i] for i in longest_first[:steps[1]]}
    resumed = slow_encoder(0.0)
    resumed.model_id = "slow-test"
    _, counts = embed_texts(hashes, texts, resumed, None, EmbeddingCache("slow-test", 4, tmp_path))
    assert counts == {"embedded": 100 - steps[1], "from_cache": steps[1], "from_previous_index": 0}
