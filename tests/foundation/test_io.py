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
