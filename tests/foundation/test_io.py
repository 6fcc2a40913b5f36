from core.io import build_manifest


def test_manifest_drops_credentials_but_keeps_lookalike_names():
    manifest = build_manifest("x", {"api_key": "s3cret", "nested": {"Bearer_Token": "t0k"}, "keywords": 3,
                                    "person_name_stray_token": 2}, data_checksum="abc")
    text = repr(manifest)
    assert "s3cret" not in text and "t0k" not in text
    assert manifest["parameters"]["keywords"] == 3
    assert manifest["parameters"]["person_name_stray_token"] == 2
    assert manifest["data_checksum"] == "abc" and manifest["versions"]["python"]


def test_atomic_writes_leave_ordinary_permissions(tmp_path):
    import stat

    from core.io import write_json_atomic

    write_json_atomic(tmp_path / "x.json", {"a": 1})
    assert stat.S_IMODE((tmp_path / "x.json").stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]  # no temp file left behind


# --- staged_dir: the one folder writer -----------------------------------------------------------

def test_staged_dir_swaps_whole_folder_and_keeps_old_one_on_failure(tmp_path):
    import pytest

    from core.io import staged_dir

    target = tmp_path / "thing"
    with staged_dir(target) as staging:
        (staging / "a.txt").write_text("one")
    assert (target / "a.txt").read_text() == "one"
    with pytest.raises(RuntimeError):
        with staged_dir(target) as staging:
            (staging / "a.txt").write_text("two")
            raise RuntimeError("writer failed half-way")
    assert (target / "a.txt").read_text() == "one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thing"]


def test_staged_dir_cleans_debris_of_killed_writers_but_not_live_ones(tmp_path):
    import os

    from core.io import staged_dir

    target = tmp_path / "thing"
    dead_pid = 2 ** 22 + 12345  # above the kernel's pid_max default: never a live process
    debris = [tmp_path / f".thing.staging-p{dead_pid}-20260101000000000000-abc", tmp_path / f".thing.old-p{dead_pid}-1"]
    live = tmp_path / f".thing.staging-p{os.getpid()}-20260101000000000000-xyz"
    for folder in debris + [live]:
        folder.mkdir()
    with staged_dir(target) as staging:
        (staging / "a.txt").write_text("x")
    assert not any(p.exists() for p in debris)
    assert live.exists()


def test_concurrent_writers_of_one_target_never_fail_or_leave_copies(tmp_path):
    import multiprocessing

    target = tmp_path / "thing"
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_write_many, args=(target, n)) for n in range(4)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(60)
    assert [p.exitcode for p in processes] == [0, 0, 0, 0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thing"]
    assert len(list(target.iterdir())) == 2  # exactly one writer's complete folder


def _write_many(target, n):
    from core.io import staged_dir

    for i in range(15):
        with staged_dir(target) as staging:
            (staging / "writer.txt").write_text(f"{n}-{i}")
            (staging / "payload.bin").write_bytes(bytes(2000))


def test_truncated_npz_is_one_clear_error(tmp_path):
    import numpy as np
    import pytest

    from core.errors import MarqueeError
    from core.io import load_npz, save_npz

    path = save_npz(tmp_path / "a.npz", {"x": np.arange(1000.0)})
    np.testing.assert_array_equal(load_npz(path, "test arrays")["x"], np.arange(1000.0))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(MarqueeError, match="test arrays is unreadable"):
        load_npz(path, "test arrays")
    with pytest.raises(MarqueeError, match="not found"):
        load_npz(tmp_path / "missing.npz", "test arrays")
