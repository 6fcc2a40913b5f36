"""core.validation: every boundary's checks refuse hostile values with one line naming the field."""
from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

import numpy as np
import pytest

from core import validation as v
from core.errors import MarqueeError

HOSTILE_FLOATS = ["nan", "NaN", "inf", "-inf", "Infinity", "1e400", "-1e400", "", " ", "abc", "0x10", "1,5",
                  float("nan"), float("inf"), np.float64("nan"), np.float32("inf"), 10 ** 400, True, None, [1], {}]


@pytest.mark.parametrize("value", HOSTILE_FLOATS, ids=repr)
def test_finite_float_refuses_non_finite_and_non_numbers(value):
    with pytest.raises(v.ValidationError) as caught:
        v.finite_float(value, "--lr")
    message = str(caught.value)
    assert message.startswith("--lr: must be a finite number") and "\n" not in message
    assert isinstance(caught.value, MarqueeError) and isinstance(caught.value, ValueError)


@pytest.mark.parametrize("value,low,high,kwargs", [
    ("0", 0, None, {"low_open": True}), ("-1", 0, None, {}), ("1.0001", 0, 1, {}), (1, 0, 1, {"high_open": True}),
])
def test_finite_float_bounds(value, low, high, kwargs):
    with pytest.raises(v.ValidationError, match=r"must be a finite number in [\[(]"):
        v.finite_float(value, "alpha", low, high, **kwargs)


def test_finite_float_accepts_ordinary_numbers():
    assert v.finite_float(" 0.5 ", "x", 0, 1) == 0.5
    assert v.finite_float(np.float32(2), "x") == 2.0
    assert v.finite_float(3, "x", low=3) == 3.0
    assert v.probability("1", "p") == 1.0


HOSTILE_INTS = ["1.5", 1.5, "1e20", 1e20, "9223372036854775808", 2 ** 63, -(2 ** 63) - 1, "nan", float("nan"),
                "inf", "1" * 5000, "1e999999999", "", "twelve", True, np.bool_(True), None, "0x1F"]


@pytest.mark.parametrize("value", HOSTILE_INTS, ids=lambda x: repr(x)[:30])
def test_integer_refuses_fractions_overflow_and_non_numbers(value):
    with pytest.raises(v.ValidationError) as caught:
        v.integer(value, "userId")
    message = str(caught.value)
    assert message.startswith("userId: must be a whole number") and len(message) < 200


def test_integer_accepts_whole_numbers_in_int64():
    assert v.integer("12", "x") == 12 and v.integer(" +12 ", "x") == 12 and v.integer("1e3", "x") == 1000
    assert v.integer(3.0, "x") == 3 and v.integer(np.int64(2 ** 62), "x") == 2 ** 62
    assert v.integer(str(v.INT64_MAX), "x") == v.INT64_MAX and v.integer(v.INT64_MIN, "x") == v.INT64_MIN
    with pytest.raises(v.ValidationError, match=r"≥ 1"):
        v.integer("0", "--factors", low=1)


@pytest.mark.parametrize("value", [-5, "-5", -1.0])
def test_identifier_is_non_negative(value):
    with pytest.raises(v.ValidationError, match="imdbId: must be a whole number ≥ 0"):
        v.identifier(value, "imdbId")


@pytest.mark.parametrize("value", ["demo\n", "demo\r", "de\x00mo", "../escape", ".hidden", "a/b", "", " demo",
                                   "x" * 65, "démo", "demo\u202e", None, 7, "demo\n\n"])
def test_name_refuses_newlines_paths_and_odd_characters(value):
    with pytest.raises(v.ValidationError, match="is not allowed"):
        v.name(value, "catalog name")


def test_name_accepts_ordinary_names_and_extra_characters():
    assert v.name("wiki_imdb-2.0", "catalog") == "wiki_imdb-2.0"
    assert v.name("me@home", "profile", extra="@") == "me@home"
    with pytest.raises(v.ValidationError):
        v.name("me@home", "catalog")


@pytest.mark.parametrize("value", ["a\nb", "a\x1bb", "tab\there", "rtl\u202eoverride", "del\x7f", "\x00"])
def test_plain_text_refuses_control_characters(value):
    with pytest.raises(v.ValidationError, match="control characters"):
        v.plain_text(value, "query")


def test_plain_text_limits_and_multiline():
    assert v.plain_text("  Jeanne Dielman  ", "q") == "Jeanne Dielman"
    assert v.plain_text("line one\nline two", "note", multiline=True) == "line one\nline two"
    with pytest.raises(v.ValidationError, match="at most 10 characters"):
        v.plain_text("x" * 11, "q", max_length=10)
    with pytest.raises(v.ValidationError, match="must not be empty"):
        v.plain_text("   ", "q")


def test_confined_path_refuses_escapes_and_symlinks_out(tmp_path):
    root = tmp_path / "catalog"
    root.mkdir()
    (root / "movies.parquet").write_text("x")
    (tmp_path / "secret").write_text("s")
    (root / "link").symlink_to(tmp_path / "secret")
    assert v.confined_path("movies.parquet", root, "checksums.txt") == (root / "movies.parquet").resolve()
    for hostile in ("../secret", "/dev/zero", "/etc/passwd", "link", "sub/../../secret", str(tmp_path)):
        with pytest.raises(v.ValidationError, match="must stay inside") as caught:
            v.confined_path(hostile, root, "checksums.txt", "the catalog")
        assert str(tmp_path) not in str(caught.value).replace(repr(hostile), "")  # only the value as typed


def test_output_file_refuses_folders_system_paths_and_missing_folders(tmp_path):
    assert v.output_file(tmp_path / "out.csv", "--out") == tmp_path / "out.csv"
    cases = {str(tmp_path): "is a folder", str(tmp_path) + "/": "is a folder", "/proc/self/environ": "system path",
             "/proc": "system path", "/dev/null": "system path", "/sys/kernel/x": "system path",
             str(tmp_path / "no" / "such" / "f.csv"): "folder does not exist", "": "must be a file path"}
    for path, problem in cases.items():
        with pytest.raises(v.ValidationError, match=problem):
            v.output_file(path, "--out")
    with pytest.raises(v.ValidationError, match="must end in .csv"):
        v.output_file(tmp_path / "out.txt", "--export-csv", suffixes=(".csv",))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(v.ValidationError, match="not a regular file"):
        v.output_file(fifo, "--out")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_output_file_refuses_unwritable_folders(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(v.ValidationError, match="permission denied"):
            v.output_file(locked / "out.csv", "--out")
    finally:
        locked.chmod(0o700)


def test_input_file_refuses_folders_devices_and_missing_files(tmp_path):
    good = tmp_path / "q.txt"
    good.write_text("x")
    assert v.input_file(good, "queries") == good
    for path, problem in ((tmp_path, "is a folder"), ("/dev/zero", "not a regular file"),
                          (tmp_path / "nope", "no such file"), ("/proc/self/status", "not a regular file")):
        with pytest.raises(v.ValidationError, match=problem):
            v.input_file(path, "queries")


def test_argparse_helpers_give_one_line_naming_the_option():
    parser = argparse.ArgumentParser(prog="t", exit_on_error=False)
    parser.add_argument("--lr", type=v.arg_float(low=0, low_open=True))
    parser.add_argument("--factors", type=v.arg_int(low=1, high=1024))
    parser.add_argument("--user", type=v.arg_id())
    parser.add_argument("--catalog", type=v.arg_name())
    assert parser.parse_args(["--lr", "0.1", "--factors", "8", "--user", "3", "--catalog", "demo"]).lr == 0.1
    for option, value, fragment in (("--lr", "nan", "must be a finite number in (0, inf), got 'nan'"),
                                    ("--factors", "0", "must be a whole number in [1, 1024], got '0'"),
                                    ("--user", "9223372036854775808", "whole number ≥ 0"),
                                    ("--catalog", "demo\n", "got 'demo\\n'")):
        with pytest.raises(argparse.ArgumentError) as caught:
            parser.parse_args([option, value])
        assert fragment in str(caught.value) and str(caught.value).startswith(f"argument {option}:")


def test_shown_values_are_short_and_escaped():
    assert v.shown("a\nb") == "'a\\nb'"
    assert len(v.shown("x" * 10_000)) <= 60
    assert v.shown("9" * 5000) == "a 5000-digit number"
    assert math.isnan(float("nan"))  # sanity: the float repr below is stable
    assert v.shown(float("nan")) == "nan"
    assert isinstance(v.output_file(Path("relative.csv"), "--out"), Path)
