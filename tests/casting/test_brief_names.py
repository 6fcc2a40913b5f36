"""Brief text and names: co-star parsing, the one name lookup, the co-star help's wording."""
from __future__ import annotations

import argparse

import pandas as pd
import pytest

from core.casting import co_star_help, parse_co_stars
from core.casting.brief import actors_by_name, most_credited_names, resolve_director
from core.validation import ValidationError


def test_parse_co_stars_splits_on_commas_and_strips():
    assert parse_co_stars(" Ann Lee ,Bo Kim") == ("Ann Lee", "Bo Kim")
    assert parse_co_stars("") == () and parse_co_stars("   ") == () and parse_co_stars(None) == ()


@pytest.mark.parametrize("text", ["Ann Lee,,Bo Kim", "Ann Lee, ", ",Bo Kim", "Ann\x00Lee", "Ann\x1b[31mLee"])
def test_parse_co_stars_refuses_empty_names_and_control_characters(text):
    with pytest.raises(ValidationError) as caught:
        parse_co_stars(text)
    assert str(caught.value).startswith("co_stars: ") and "\n" not in str(caught.value)


def test_most_credited_names_is_case_insensitive_and_the_most_credited_wins():
    frame = pd.DataFrame({"name": ["Sam Roe", "sam roe", "SAM ROE", "Ann Lee"], "id": [2, 1, 1, 3]})
    assert most_credited_names(frame, "name", "id") == {"sam roe": (1, "sam roe"), "ann lee": (3, "Ann Lee")}
    assert most_credited_names(frame, "name", "id", float)["ann lee"] == (3.0, "Ann Lee")


def test_actor_and_director_lookups_are_the_one_helper(casting_demo):
    rows, films = casting_demo.data.rows, casting_demo.data.films
    assert actors_by_name(casting_demo) == most_credited_names(rows, "actor", "person_id")
    directed = films[films["director"].notna() & films["director_id"].notna()]
    directors = most_credited_names(directed, "director", "director_id", float)
    name, (director_id, spelling) = next(iter(directors.items()))
    assert resolve_director(casting_demo, name.upper()) == (director_id, spelling)


def test_co_star_help_is_true_for_the_model_feature_set(casting_demo):
    """The default 'brief' model does not use co-stars' records (test_serving: the base chance stays)."""
    assert casting_demo.config.feature_set == "brief"
    default = co_star_help(casting_demo.config.feature_set)
    assert "left out of the slate" in default and "does not use their records" in default
    assert "also sets the brief's base chance" in co_star_help("brief_co_stars")
    assert "with a brief_co_stars model" in co_star_help()


def test_cli_co_stars_help_does_not_claim_records_set_the_base_chance():
    from core.casting.cli import register

    def sub(parser, name):
        return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[name]
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    brief = sub(sub(parser, "casting"), "brief")
    help_text = next(a.help for a in brief._actions if "--co-stars" in a.option_strings)
    assert "left out of the slate" in help_text and "with a brief_co_stars model" in help_text
