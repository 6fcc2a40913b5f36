"""``python -m core`` builds only the parser of the command it runs (core.cli.COMMANDS): the table
must name every top-level command each capability registers, and the narrow parser must answer
exactly as the full one."""
from __future__ import annotations

import argparse
import importlib

import pytest

from core import cli


def registered(module_name: str) -> set[str]:
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers(dest="command")
    importlib.import_module(module_name).register(subparsers)
    return set(subparsers.choices)


def test_the_command_table_matches_what_each_module_registers():
    table = {module: {c for c, m in cli.COMMANDS.items() if m == module} for module in cli.COMMAND_MODULES}
    assert set(cli.COMMANDS.values()) <= set(cli.COMMAND_MODULES)
    assert {module: registered(module) for module in cli.COMMAND_MODULES} == table


@pytest.mark.parametrize("argv", [["demo", "--catalog", "x", "--movies", "60"], ["-v", "search", "a query"],
                                  ["casting", "brief", "--year", "2012", "--budget", "40", "--genres", "Drama"], ["serve", "--port", "8000"]])
def test_a_narrow_parser_parses_like_the_full_one(argv):
    narrow = vars(cli.build_parser(cli._top_command(argv)).parse_args(argv))
    full = vars(cli.build_parser().parse_args(argv))
    assert narrow == full


def test_unknown_commands_and_top_level_help_use_the_full_parser(capsys):
    assert cli._top_command(["-v"]) is None
    with pytest.raises(SystemExit):
        cli.build_parser(cli._top_command(["--help"])).parse_args(["--help"])
    listed = capsys.readouterr().out
    assert all(command in listed for command in cli.COMMANDS)
    with pytest.raises(SystemExit) as exited:
        cli.main(["no-such-command"])
    assert exited.value.code == 2
    assert "invalid choice: 'no-such-command'" in capsys.readouterr().err
