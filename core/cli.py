"""``python -m core``: the headless twin of every page.

Each capability owns a ``cli`` module with ``register(subparsers)``; commands return a JSON-able
result (printed with ``--json``, or as readable text) and raise ``MarqueeError`` for failures a
person can fix. Every failure of every command ends the same way: one ``error: …`` line on
stderr and exit status 2 — bad arguments (argparse, with ``core.validation``'s ``type=``
helpers), ``MarqueeError``, file errors, and unexpected exceptions too (those say "unexpected
<Type>" and give an incident id). No traceback reaches the terminal: it goes to the rotating log
file (``core.logs``, ``<data dir>/.logs/marquee.log``), tagged with the same incident id.
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import math
import os
import sys
from typing import Any, Callable, Sequence

from core import logs
from core.errors import MarqueeError

COMMAND_MODULES = (
    "core.catalog.cli",
    "core.tmdb.cli",
    "core.personal.cli",
    "core.cf.cli",
    "core.search.cli",
    "core.casting.cli",
    "core.service.cli",
)
# Top-level command -> the module registering it. ``python -m core demo …`` imports only the
# catalog commands (registering all of them imported scikit-learn, SciPy and the TMDb client: ~3 s
# of CPU per command line before any work); help and unknown commands build the full parser.
# tests/foundation/test_cli_commands.py checks this table against what each module registers.
COMMANDS = {
    **dict.fromkeys(("catalogs", "demo", "import", "merge", "profile", "splits", "verify"), "core.catalog.cli"),
    "tmdb": "core.tmdb.cli",
    "personal": "core.personal.cli",
    "cf": "core.cf.cli",
    **dict.fromkeys(("index", "search", "search-eval"), "core.search.cli"),
    "casting": "core.casting.cli",
    "serve": "core.service.cli",
}


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def add_catalog_arg(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument("--catalog", required=required,
                        help="catalog name (default: the active catalog)" if not required else "catalog name")


def resolve_catalog(name: str | None) -> str:
    """The named catalog, or the active one; a clear error when there is none."""
    from core.catalog import catalog_exists, get_active, list_catalogs

    if name:
        if not catalog_exists(name):
            raise MarqueeError(f"no catalog named {name!r} (known: {', '.join(list_catalogs()) or 'none'})")
        return name
    active = get_active()
    if active is None:
        raise MarqueeError("no catalog exists yet: run `python -m core demo --catalog demo` or an import first")
    return active


def strict_json(value: Any) -> Any:
    """``value`` with NaN and ±inf as ``null``: ``--json`` output is standard JSON, never the
    ``NaN``/``Infinity`` tokens other parsers reject."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(v) for v in value]
    if hasattr(value, "item") and hasattr(value, "dtype") and getattr(value, "ndim", 1) == 0:
        return strict_json(value.item())  # NumPy scalars
    return value


def load_catalog(name: str | None):
    """The named (or active) catalog, loaded: where a command turns a name into a ``Catalog``."""
    from core.catalog import load_catalog as load

    return load(resolve_catalog(name))


def emit(result: Any, as_json: bool, text: Callable[[Any], str] | None = None) -> None:
    if as_json:
        print(json.dumps(strict_json(result), indent=2, default=str, allow_nan=False))
    elif text is not None:
        print(text(result))
    elif isinstance(result, dict):
        for key, value in result.items():
            print(f"{key}: {value if not isinstance(value, (dict, list)) else json.dumps(value, default=str)}")
    elif result is not None:
        print(result)


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument like every other failure: one ``error:`` line.

    Sub-command parsers inherit the class (``add_subparsers`` uses the parent's class)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"error: {logs.one_line(message)} (see `{self.prog} --help`)\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command-line parser; with a known top-level ``command``, only its module's commands."""
    parser = OneLineParser(prog="python -m core", description="Marquee film analytics workbench (headless)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in (COMMANDS[command],) if command in COMMANDS else COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def _top_command(argv: Sequence[str]) -> str | None:
    """The top-level command word (the only global option, -v/--verbose, takes no value)."""
    return next((a for a in argv if not a.startswith("-")), None)


def _command_name(argv: Sequence[str]) -> str:
    words = [a for a in argv if not a.startswith("-")][:2]
    return "`python -m core " + " ".join(logs.one_line(w)[:40] for w in words) + "`" if words else "`python -m core`"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command_name(argv)
    try:
        parser = build_parser(_top_command(argv))
        args = parser.parse_args(argv)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
        result = args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `python -m core … | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 1
    except Exception as exc:  # every failure, expected or not, is one line; the traceback is logged
        return fail(exc, command)
    return int(result or 0) if isinstance(result, int) else 0


def fail(exc: BaseException, command: str) -> int:
    """Print ``error: …`` for ``exc`` (one line), log its traceback, return exit status 2."""
    incident = logs.log_exception(exc, command)
    message = logs.user_message(exc, command, incident)
    if isinstance(exc, OSError) and exc.filename:  # the user's own machine: the full path helps
        message = logs.one_line(f"{exc.strerror or type(exc).__name__}: {exc.filename}")
    if not isinstance(exc, (MarqueeError, OSError)):
        message += f" [{logs.log_path()}]"
    print(f"error: {message}", file=sys.stderr)
    return 2
