"""Title normalisation, MovieLens title parsing, language codes and person-name cleaning."""
from __future__ import annotations

import pytest

from core.catalog.importers.base import clean_person_name, person_id, stable_id
from core.catalog.importers.movielens import parse_count, parse_length
from core.catalog.languages import language_code
from core.catalog.titles import normalise_title, parse_movielens_title


@pytest.mark.parametrize("a, b", [
    ("The Graduate", "Graduate, The"), ("Amélie", "AMELIE"), ("Heat\u00a0 ", "heat"),
    ("Dumb & Dumber", "Dumb and Dumber"), ("Pirates of the Caribbean: At World's End", "pirates of the caribbean at worlds end"),
    ("A Beautiful Mind", "Beautiful Mind, A"), ("Se7en", "se7en"),
])
def test_normalise_title_equal(a, b):
    assert normalise_title(a) == normalise_title(b) != ""


@pytest.mark.parametrize("a, b", [("Heat", "Heath"), ("The Thing", "Thing 2"), ("Alien", "Aliens")])
def test_normalise_title_different(a, b):
    assert normalise_title(a) != normalise_title(b)


@pytest.mark.parametrize("raw, expected", [
    ("Graduate, The (1967)", ("The Graduate", None, 1967)),
    ("Postman, The (Postino, Il) (1994)", ("The Postman", "Il Postino", 1994)),
    ("Twelve Monkeys (a.k.a. 12 Monkeys) (1995)", ("Twelve Monkeys", None, 1995)),
    ("Death Note: Desu nôto (2006\u20132007)", ("Death Note: Desu nôto", None, 2006)),
    ("Land Before Time III: The Time of the Great Giving (1995) (V)", ("Land Before Time III: The Time of the Great Giving", None, 1995)),
    ("Avventura, L' (1960)", ("L'Avventura", None, 1960)),
    ("Babylon 5", ("Babylon 5", None, None)),
])
def test_parse_movielens_title(raw, expected):
    assert parse_movielens_title(raw) == expected


@pytest.mark.parametrize("name, code", [("English", "en"), ("French", "fr"), ("Hindi", "hi"), ("Mandarin", "zh"),
                                        (" korean ", "ko"), ("Aboriginal", None), ("", None), (None, None), ("de", "de")])
def test_language_code(name, code):
    assert language_code(name) == code


@pytest.mark.parametrize("raw, name, repair", [
    ("Al Pacino", "Al Pacino", None), (")", None, "stray_punctuation"), ("", None, "empty_name"),
    ("nominee)", None, "role_fragment"), ("(narrator)", None, "role_fragment"),
    ("Harry Carter (actor)", "Harry Carter", "disambiguation_suffix"),
    ("Dave (Tex) O'Brien", "Dave (Tex) O'Brien", None),
    ("Katherine MacDonald]]", "Katherine MacDonald", "citation_marker"),
    ("Cuba Gooding  Jr.", "Cuba Gooding Jr.", "whitespace_or_unicode"),
    # credit-list headers, role phrases and connectors (issue 14 item 1)
    ("Voices of", None, "role_phrase"), ("voices of", None, "role_phrase"), ("Narrated by", None, "role_phrase"),
    ("Cast:", None, "role_phrase"), ("Dir.:", None, "role_phrase"), ("Dir.: Steve Asquith", None, "role_phrase"),
    ("Starring", None, "role_phrase"), ("Archive footage of", None, "role_phrase"), ("Music by", None, "role_phrase"),
    ("Academy Award for Best Actor", None, "role_phrase"), ("Various cameos", None, "role_phrase"),
    ("and", None, "connector_word"), ("with", None, "connector_word"), ("etc.", None, "connector_word"),
    ("The", None, "connector_word"), ("&", None, "stray_punctuation"), ("and his Orchestra", None, "connector_word"),
    ("X", None, "one_letter"), ("j.", None, "one_letter"), ("Sr.", None, "suffix_only"), ("Unknown", None, "placeholder"),
    ("nan", None, "placeholder"), ("[a]", None, "empty_name"),
    ("the life of", None, "descriptive_phrase"), ("The politics of", None, "descriptive_phrase"),
    ("stand-up comedy", None, "descriptive_phrase"), ("kids", None, "descriptive_phrase"),
    ("Interviews with", None, "descriptive_phrase"),
    ("and Lauren K. Sokolov", "Lauren K. Sokolov", "leading_connector"),
    (". Caroline Martin", "Caroline Martin", "leading_punctuation"),
    ("Robert Downey, Jr.", "Robert Downey Jr.", "suffix_comma"),
    ("Melanie Wistar (Screenplay)", "Melanie Wistar", "disambiguation_suffix"),
    # real names the validator must keep
    ("Cher", "Cher", None), ("Common", "Common", None), ("will.i.am", "will.i.am", None), ("成龍", "成龍", None),
    ("Ludwig van Beethoven", "Ludwig van Beethoven", None), ("Tom and Jerry", "Tom and Jerry", None),
    ("The Rock", "The Rock", None), ("Irene Castle", "Irene Castle", None), ("A. B. Smith", "A. B. Smith", None),
    ("Sly and the Family Stone", "Sly and the Family Stone", None), ("Max Booth III", "Max Booth III", None),
])
def test_clean_person_name(raw, name, repair):
    assert clean_person_name(raw) == (name, repair)


def test_ids_are_deterministic_and_json_safe():
    assert person_id("Al Pacino") == person_id("  al\u00a0PACINO ") != person_id("Al Pacin")
    assert 0 < stable_id("wikipedia", "Heat|Heat|1995") < 2 ** 53
    assert stable_id("wikipedia", "x") != stable_id("imdb", "x")


@pytest.mark.parametrize("text, minutes", [("1h 21min", 81.0), ("2h", 120.0), ("45min", 45.0), ("soon", None), (None, None)])
def test_parse_length(text, minutes):
    assert parse_length(text) == minutes


@pytest.mark.parametrize("text, count", [("930K", 930_000), ("8.8K", 8_800), ("1.2M", 1_200_000), ("231", 231), ("n/a", None)])
def test_parse_count(text, count):
    assert parse_count(text) == count
