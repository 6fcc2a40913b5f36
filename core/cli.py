"""``python -m core``: the headless twin of every page.

Each capability owns a ``cli`` module with ``register(subparsers)``; commands return a JSON-able
result (printed with ``--json``, or as readable text) and raise ``MarqueeError`` for failures a
person can fix, which become ``error: …`` and exit status 2.
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from typing import Any, Callable, Sequence

from core.errors import MarqueeError

COMMAND_MODULES = (
    "core.catalog.cli",
    "core.tmdb.cli",
    "core.personal.cli",
    "core.cf.cli",
    "core.search.cli",
    "core.casting.cli",
)


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def add_catalog_arg(parser: argparse.ArgumentParser, required: bool = False) -> None:
    parser.add_argument("--catalog", required=required,
                        help="catalog name (default: the active catalog)" if not required else "catalog name")


def resolve_catalog(name: str | None) -> str:
    """The named catalog, or the active one; a clear error when there is none."""
    from core.catalog import store

    if name:
        if not store.exists(name):
            raise MarqueeError(f"no catalog named {name!r} (known: {', '.join(store.list_catalogs()) or 'none'})")
        return name
    active = store.get_active()
    if active is None:
        raise MarqueeError("no catalog exists yet: run `python -m core demo --catalog demo` or an import first")
    return active


def emit(result: Any, as_json: bool, text: Callable[[Any], str] | None = None) -> None:
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    elif text is not None:
        print(text(result))
    elif isinstance(result, dict):
        for key, value in result.items():
            print(f"{key}: {value if not isinstance(value, (dict, list)) else json.dumps(value, default=str)}")
    elif result is not None:
        print(result)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Marquee film analytics workbench (headless)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        result = args.handler(args)
    except MarqueeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(result or 0) if isinstance(result, int) else 0
