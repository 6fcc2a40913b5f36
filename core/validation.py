"""One validation layer for every value that crosses a boundary: the command line, pages, the
API's request models, importers and loaders.

Each check takes the raw value and the *field* it came from (``"--lr"``, ``"budget"``,
``"catalog name"``) and returns the clean value, or raises :class:`ValidationError` with one line
naming the field and the value::

    finite_float("nan", "--lr", low=0, low_open=True)
    # ValidationError: --lr: must be a finite number in (0, inf), got 'nan'

``ValidationError`` is a ``MarqueeError`` (the CLI prints it as ``error: …``, pages show it) and
a ``ValueError`` (so pydantic field validators in the API turn it into a 422 as they are).

Numbers (Python numbers, NumPy scalars and strings alike; ``bool`` is never a number)
    ``finite_float(v, field, low=None, high=None, *, low_open=False, high_open=False)``
    ``integer(v, field, low=INT64_MIN, high=INT64_MAX)``: whole numbers only (``1.5`` and
    ``1e20`` refused, ``3.0`` accepted), always inside int64
    ``identifier(v, field)``: an id, a whole number in ``[0, INT64_MAX]``
    ``probability(v, field)``: a finite number in ``[0, 1]``
Names and text
    ``name(v, field, extra="")``: catalog, profile, run and slot names: a letter or digit, then
    up to 63 of letters, digits, ``_ . -`` (plus ``extra``); matched whole, so a trailing
    newline is refused
    ``plain_text(v, field, max_length=…, multiline=False)``: no control or direction-override
    characters
Paths
    ``confined_path(path, root, field)``: inside ``root`` after ``..`` and symlinks are resolved
    ``input_file(path, field)``: an existing regular file (not a folder, device or FIFO)
    ``output_file(path, field)``: a file that may be written: not a folder, not under
    ``/proc``, ``/sys`` or ``/dev``, in an existing folder
Output of catalog text (catalog text is data: shown as plain text, never interpreted)
    ``safe_image_url(v)``: the URL if it is an absolute http(s) URL, else ``None`` (pages show a
    placeholder; a local path or ``javascript:`` never reaches an image element)
    ``escape_markdown(v)``: text with Markdown and HTML syntax escaped, for the few places
    Streamlit interprets Markdown (``st.markdown``, ``st.caption``, labels, ``st.success``)
    ``spreadsheet_safe(v)``: a CSV cell a spreadsheet will not run as a formula
Command line (argparse ``type=`` callables built on the checks above)
    ``arg_float(...)``, ``arg_int(...)``, ``arg_id()``, ``arg_probability()``, ``arg_name()``,
    ``arg_output_file()``, ``arg_input_file()``; e.g.
    ``p.add_argument("--lr", type=arg_float(low=0, low_open=True), default=0.01)``.
    With ``core.cli``'s parser, a bad value is one line:
    ``error: argument --lr: must be a finite number in (0, inf), got 'nan'``.

Messages never include a folder the user did not type (no server paths): a path is quoted as
given.
"""
from __future__ import annotations

import argparse
import decimal
import math
import numbers
import os
import re
import stat
import unicodedata
from pathlib import Path
from typing import Any, Callable

from core.errors import MarqueeError

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1
NAME_RULE = "a letter or digit, then up to 63 letters, digits, '_', '.' or '-'"
SYSTEM_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}
_MAX_SHOWN = 60


class ValidationError(MarqueeError, ValueError):
    """A value at a boundary is unusable; the message names the field and the value."""

    def __init__(self, field: str, value: Any, problem: str, message: str | None = None):
        self.field, self.value, self.problem = field, value, problem
        super().__init__(message or f"{field}: {problem}, got {shown(value)}")


def shown(value: Any) -> str:
    """``repr`` of a value, shortened: control characters escaped, at most ~60 characters."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10 ** 30:
        return f"a {len(str(abs(value)))}-digit number"
    if isinstance(value, str) and len(value) > _MAX_SHOWN and value.strip().lstrip("+-").isdigit():
        return f"a {len(value.strip().lstrip('+-'))}-digit number"
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 5] + "…" + text[-4:]


def _interval(low: float | None, high: float | None, low_open: bool = False, high_open: bool = False) -> str:
    if low is None and high is None:
        return ""
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    return f" in {left}{'-inf' if low is None else _num(low)}, {'inf' if high is None else _num(high)}{right}"


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# ---------------------------------------------------------------------------------------------
# numbers

def _is_number_type(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool) and not _is_numpy_bool(value)


def _is_numpy_bool(value: Any) -> bool:
    return type(value).__name__ in ("bool_", "bool") and type(value).__module__ == "numpy"


def finite_float(value: Any, field: str, low: float | None = None, high: float | None = None, *,
                 low_open: bool = False, high_open: bool = False) -> float:
    """A finite float inside the given bounds (``*_open`` excludes the bound itself)."""
    interval = _interval(low, high, low_open, high_open)
    problem = f"must be a finite number{interval}"
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ValidationError(field, value, problem) from None
    elif _is_number_type(value) and not isinstance(value, complex):
        try:
            number = float(value)
        except (OverflowError, TypeError, ValueError):
            raise ValidationError(field, value, problem) from None
    else:
        raise ValidationError(field, value, problem)
    if not math.isfinite(number):
        raise ValidationError(field, value, problem)
    if low is not None and (number < low or (low_open and number == low)):
        raise ValidationError(field, value, problem)
    if high is not None and (number > high or (high_open and number == high)):
        raise ValidationError(field, value, problem)
    return number


def integer(value: Any, field: str, low: int | None = INT64_MIN, high: int | None = INT64_MAX) -> int:
    """A whole number inside ``[low, high]`` (and always inside int64).

    Strings may be written ``12``, ``+12``, ``1e3`` or ``12.0``; ``1.5``, ``nan`` and numbers
    past int64 are refused (a value that would wrap, like ``userId=1e20``, is an error, never a
    silently different id).
    """
    low = INT64_MIN if low is None else max(low, INT64_MIN)
    high = INT64_MAX if high is None else min(high, INT64_MAX)
    if (low, high) == (INT64_MIN, INT64_MAX):
        bounds = " (64-bit)"
    elif high == INT64_MAX:
        bounds = f" ≥ {low}"
    elif low == INT64_MIN:
        bounds = f" ≤ {high}"
    else:
        bounds = _interval(low, high)
    problem = f"must be a whole number{bounds}"
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 40:  # also keeps int() away from Python's 4,300-digit limit
            raise ValidationError(field, value, problem)
        try:
            exact = decimal.Decimal(text)
        except decimal.InvalidOperation:
            raise ValidationError(field, value, problem) from None
        if not exact.is_finite() or exact != exact.to_integral_value() or not (low <= exact <= high):
            raise ValidationError(field, value, problem)
        number = int(exact)
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool) and not _is_numpy_bool(value):
        number = int(value)
    elif _is_number_type(value) and not isinstance(value, complex):
        try:
            as_float = float(value)
        except (OverflowError, TypeError, ValueError):
            raise ValidationError(field, value, problem) from None
        if not math.isfinite(as_float) or not as_float.is_integer() or not (low <= as_float <= high):
            raise ValidationError(field, value, problem)
        number = int(as_float)
    else:
        raise ValidationError(field, value, problem)
    if not low <= number <= high:
        raise ValidationError(field, value, problem)
    return number


def identifier(value: Any, field: str) -> int:
    """An id (film, user, person, TMDb, IMDb number): a whole number in ``[0, INT64_MAX]``."""
    return integer(value, field, low=0, high=INT64_MAX)


def probability(value: Any, field: str) -> float:
    return finite_float(value, field, low=0.0, high=1.0)


# ---------------------------------------------------------------------------------------------
# names and text

def name(value: Any, field: str = "name", extra: str = "") -> str:
    """A catalog, profile, run or slot name; matched whole (``re.fullmatch``), never with ``$``,
    which also accepts a trailing newline."""
    pattern = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-" + re.escape(extra) + r"]{0,63}")
    if not isinstance(value, str) or not pattern.fullmatch(value):
        rule = NAME_RULE + (f" or {', '.join(repr(c) for c in extra)}" if extra else "")
        raise ValidationError(field, value, f"must be {rule}", f"{field} {shown(value)} is not allowed: use {rule}")
    return value


def control_characters(text: str, multiline: bool = False) -> list[str]:
    """Control and direction-override characters in ``text`` (tab and newline allowed when
    ``multiline``)."""
    allowed = {"\n", "\t", "\r"} if multiline else set()
    return [ch for ch in text if ch not in allowed
            and (unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS)]


def plain_text(value: Any, field: str, max_length: int = 1000, multiline: bool = False,
               allow_empty: bool = False) -> str:
    """Free text (a query, a label note, a person's name): stripped, without control characters."""
    if not isinstance(value, str):
        raise ValidationError(field, value, "must be text")
    text = value.strip()
    if not text and not allow_empty:
        raise ValidationError(field, value, "must not be empty")
    if len(text) > max_length:
        raise ValidationError(field, value, f"must be at most {max_length:,} characters (has {len(text):,})")
    if control_characters(text, multiline):
        raise ValidationError(field, value, "must not contain control characters")
    return text


# ---------------------------------------------------------------------------------------------
# catalog text on its way out

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>&$:=])")


def safe_image_url(value: Any) -> str | None:
    """``value`` when it is an absolute ``http``/``https`` URL with a host, else ``None``.

    Local paths (``/some/secret.png``), ``file:``, ``data:`` and ``javascript:`` URLs, relative
    paths and text with control characters or spaces are all refused."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > 2048 or control_characters(url) or any(ch.isspace() for ch in url):
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        return None
    return url


def escape_markdown(value: Any) -> str:
    """Catalog text made inert for Streamlit's Markdown: every Markdown/HTML special character
    is backslash-escaped (``![x](http://host/t.png)`` shows as those characters, fetches
    nothing), and line breaks become spaces so a title cannot open a heading or a list."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell that spreadsheets will not evaluate: text starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return gets a leading apostrophe (OWASP's advice); other values
    are returned unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# ---------------------------------------------------------------------------------------------
# paths

def confined_path(path: str | os.PathLike, root: str | os.PathLike, field: str, what: str = "its folder") -> Path:
    """``path`` (relative paths are taken from ``root``) resolved, refused unless inside ``root``.

    ``..`` and symlinks are resolved first, so neither can lead out.
    """
    if isinstance(path, str) and (not path or "\x00" in path):
        raise ValidationError(field, path, "must be a path")
    root = Path(root).resolve()
    candidate = Path(path)
    resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if resolved != root and root not in resolved.parents:
        raise ValidationError(field, str(path), f"must stay inside {what}")
    return resolved


def _under_system_root(resolved: Path) -> bool:
    return any(resolved == root or root in resolved.parents for root in SYSTEM_ROOTS)


def input_file(path: str | os.PathLike, field: str) -> Path:
    """An existing regular file that can be opened (not a folder, device, FIFO or ``/proc`` file)."""
    if isinstance(path, str) and (not path or "\x00" in path):
        raise ValidationError(field, path, "must be a path")
    given = Path(path)
    try:
        info = given.stat()
    except FileNotFoundError:
        raise ValidationError(field, str(path), "no such file") from None
    except OSError as exc:
        raise ValidationError(field, str(path), f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ValidationError(field, str(path), "is a folder, expected a file")
    if not stat.S_ISREG(info.st_mode) or _under_system_root(given.resolve()):
        raise ValidationError(field, str(path), "is not a regular file")
    if not os.access(given, os.R_OK):
        raise ValidationError(field, str(path), "cannot be read (permission denied)")
    return given


def _write_target(path: str | os.PathLike, field: str, kind: str) -> tuple[Path, Path]:
    """The checks every write target shares: a non-empty path without NUL, outside ``/proc``,
    ``/sys`` and ``/dev``; returns the path as given and resolved."""
    if isinstance(path, str) and (not path.strip() or "\x00" in path):
        raise ValidationError(field, path, f"must be a {kind} path")
    given = Path(path)
    resolved = given.resolve()
    if _under_system_root(resolved):
        raise ValidationError(field, str(path), "is a system path; write to an ordinary folder")
    return given, resolved


def output_file(path: str | os.PathLike, field: str, suffixes: tuple[str, ...] = ()) -> Path:
    """A path a command may write a file to: refused when it is a folder, a device or other
    special file, under ``/proc``, ``/sys`` or ``/dev``, in a folder that does not exist or
    cannot be written, or (with ``suffixes``) of another file type."""
    given, resolved = _write_target(path, field, "file")
    if given.is_dir() or str(path).endswith(("/", os.sep)):
        raise ValidationError(field, str(path), "is a folder; give a file name inside it")
    if given.exists() and not given.is_file():
        raise ValidationError(field, str(path), "is not a regular file")
    if suffixes and given.suffix.lower() not in suffixes:
        raise ValidationError(field, str(path), f"must end in {' or '.join(suffixes)}")
    parent = resolved.parent
    if not parent.is_dir():
        raise ValidationError(field, str(path), "its folder does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or (given.exists() and not os.access(given, os.W_OK)):
        raise ValidationError(field, str(path), "cannot be written (permission denied)")
    return given


def output_folder(path: str | os.PathLike, field: str) -> Path:
    """A folder a command may write its files into (created when missing): refused when it is a
    file or special file, under ``/proc``, ``/sys`` or ``/dev``, when neither it nor its parent
    folder exists, or when it cannot be written."""
    given, resolved = _write_target(path, field, "folder")
    if given.exists() and not given.is_dir():
        raise ValidationError(field, str(path), "is not a folder")
    existing = given if given.exists() else resolved.parent
    if not existing.is_dir():
        raise ValidationError(field, str(path), "neither it nor its parent folder exists")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValidationError(field, str(path), "cannot be written (permission denied)")
    return given


# ---------------------------------------------------------------------------------------------
# argparse ``type=`` helpers

def _arg(check: Callable[[Any, str], Any], type_name: str) -> Callable[[str], Any]:
    """Wrap a check as an argparse type: argparse names the option itself, so the message is the
    problem and the value only (``argument --lr: must be …, got 'nan'``)."""
    def parse(text: str) -> Any:
        try:
            return check(text, "")
        except ValidationError as exc:
            raise argparse.ArgumentTypeError(f"{exc.problem}, got {shown(exc.value)}") from None

    parse.__name__ = type_name
    return parse


def arg_float(low: float | None = None, high: float | None = None, *, low_open: bool = False,
              high_open: bool = False) -> Callable[[str], float]:
    return _arg(lambda v, f: finite_float(v, f, low, high, low_open=low_open, high_open=high_open), "number")


def arg_int(low: int | None = INT64_MIN, high: int | None = INT64_MAX) -> Callable[[str], int]:
    return _arg(lambda v, f: integer(v, f, low, high), "whole number")


def arg_id() -> Callable[[str], int]:
    return _arg(identifier, "id")


def arg_probability() -> Callable[[str], float]:
    return _arg(probability, "probability")


def arg_name(extra: str = "") -> Callable[[str], str]:
    return _arg(lambda v, f: name(v, f, extra), "name")


def arg_text(max_length: int = 1000) -> Callable[[str], str]:
    return _arg(lambda v, f: plain_text(v, f, max_length), "text")


def arg_output_file(suffixes: tuple[str, ...] = ()) -> Callable[[str], Path]:
    return _arg(lambda v, f: output_file(v, f, suffixes), "output file")


def arg_output_folder() -> Callable[[str], Path]:
    return _arg(output_folder, "output folder")


def arg_input_file() -> Callable[[str], Path]:
    return _arg(input_file, "input file")
