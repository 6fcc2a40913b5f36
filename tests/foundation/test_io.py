from core.io import build_manifest


def test_manifest_drops_credentials_but_keeps_lookalike_names():
    manifest = build_manifest("x", {"api_key": "s3cret", "nested": {"Bearer_Token": "t0k"}, "keywords": 3,
                                    "person_name_stray_token": 2}, data_checksum="abc")
    text = repr(manifest)
    assert "s3cret" not in text and "t0k" not in text
    assert manifest["parameters"]["keywords"] == 3
    assert manifest["parameters"]["person_name_stray_token"] == 2
    assert manifest["data_checksum"] == "abc" and manifest["versions"]["python"]
