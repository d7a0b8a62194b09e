"""YAML reading: go-yaml v3 scalars, anchors and merge keys, locations, YAML errors."""

import math

import pytest

from swarmdeck.compose import ComposeError, Location
from swarmdeck.compose.located import locate
from swarmdeck.compose.yamlread import read_yaml, resolve_plain


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("FALSE", False),
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("Y", "Y"),
        ("tRUE", "tRUE"),
        ("~", None),
        ("null", None),
        ("Null", None),
        ("NULL", None),
        ("", None),
        ("nULL", "nULL"),
        ("42", 42),
        ("-7", -7),
        ("+5", 5),
        ("0x1F", 31),
        ("0o17", 15),
        ("017", 15),
        ("0b101", 5),
        ("1_000", 1000),
        ("08", 8.0),
        ("1e3", 1000.0),
        ("1.5", 1.5),
        (".5", 0.5),
        ("3.10", 3.1),
        ("18446744073709551615", 18446744073709551615),
        ("8080:80", "8080:80"),
        ("2001-12-14", "2001-12-14"),
        ("1.2.3", "1.2.3"),
        ("0.5cpu", "0.5cpu"),
        ("-", "-"),
        ("<<", "<<"),
    ],
)
def test_plain_scalars_resolve_as_go_yaml_v3(text, value):
    resolved = resolve_plain(text)
    assert resolved == value
    assert type(resolved) is type(value)


def test_special_floats():
    assert math.isnan(resolve_plain(".nan"))
    assert resolve_plain("-.Inf") == -math.inf
    assert resolve_plain("1e400") == "1e400"  # out of float range: a string, as in Go


def test_quoted_block_and_tagged_scalars():
    data = read_yaml(
        "a: \"true\"\nb: '5'\nc: |\n  7\nd: !!str 8\ne: !!float 1\nf: !local 9\ng: !!binary aGk=\n", "f.yml"
    )
    assert data == {"a": "true", "b": "5", "c": "7\n", "d": "8", "e": 1.0, "f": "9", "g": "hi"}


def test_every_key_and_value_keeps_its_location():
    data = read_yaml("services:\n  web:\n    image: nginx\n    ports:\n      - 80\n", "c.yml")
    assert locate(data, ["services", "web", "image"]) == Location("c.yml", 3, 12)
    assert locate(data, ["services", "web", "image"], key=True) == Location("c.yml", 3, 5)
    assert locate(data, ["services", "web", "ports", 0]) == Location("c.yml", 5, 9)
    assert data["services"]["web"]["image"].loc == Location("c.yml", 3, 12)


def test_anchors_aliases_and_merge_keys():
    data = read_yaml(
        "x-a: &a {image: a, tty: true}\n"
        "x-b: &b {image: b, user: bob}\n"
        "s1: {<<: *a, image: own}\n"
        "s2:\n  <<: [*b, *a]\n"
        "s3: *a\n",
        "m.yml",
    )
    assert data["s1"] == {"image": "own", "tty": True}
    assert data["s2"] == {"image": "b", "user": "bob", "tty": True}
    assert data["s3"] == {"image": "a", "tty": True}
    # A merged value points at its definition.
    assert locate(data, ["s1", "tty"]) == Location("m.yml", 1, 25)


def test_only_the_first_document_is_read():
    assert read_yaml("a: 1\n---\nb: : : [\n", "d.yml") == {"a": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nb: 2\na: 3\n", 'd.yml:3:1: a: mapping key "a" already defined at line 1'),
        ("s:\n  x: 1\n  'x': 2\n", 'd.yml:3:3: s.x: mapping key "x" already defined at line 2'),
        ("- a\n", "d.yml:1:1: top-level object must be a mapping"),
        ("just text\n", "d.yml:1:1: top-level object must be a mapping"),
        ("", "d.yml: top-level object must be a mapping"),
        ("# only a comment\n", "d.yml: top-level object must be a mapping"),
        ("s:\n  1: a\n", "d.yml:2:3: s: non-string key: 1"),
        ("true: a\n", "d.yml:1:1: non-string key: true"),
        ("a: &x [*x]\n", "d.yml:1:4: a.0: anchor value contains itself"),
        ("a: !!int abc\n", "d.yml:1:4: a: cannot decode !!str `abc` as a !!int"),
        ("a:\n  <<: 5\n", "d.yml:2:7: a: map merge requires map or sequence of maps as the value"),
        ("a: *missing\n", "d.yml:1:4: invalid YAML: found undefined alias 'missing'"),
        ("a:\n  b: c: d\n", "d.yml:2:7: invalid YAML: mapping values are not allowed here"),
        (
            "a: [1, 2\nb: 3\n",
            "d.yml:2:2: invalid YAML: expected ',' or ']', but got ':' "
            "(while parsing a flow sequence at line 1, column 4)",
        ),
        (
            "a:\n\tb: 1\n",
            "d.yml:2:1: invalid YAML: found character '\\t' that cannot start any token "
            "(while scanning for the next token)",
        ),
        (
            'a: "open\n',
            "d.yml:2:1: invalid YAML: found unexpected end of stream "
            "(while scanning a quoted scalar at line 1, column 4)",
        ),
        (b"a: 1\nb: \xff\n", "d.yml:2:4: invalid YAML: invalid utf-8 byte #xff: invalid start byte"),
        (
            "a: \x07\n",
            "d.yml:1:4: invalid YAML: unacceptable character #x0007: special characters are not allowed",
        ),
    ],
)
def test_yaml_errors_name_the_place(text, message):
    with pytest.raises(ComposeError) as caught:
        read_yaml(text, "d.yml")
    assert str(caught.value) == message


def test_deep_nesting_and_alias_bombs_are_refused():
    with pytest.raises(ComposeError, match="nested too deeply"):
        read_yaml("a: " + "[" * 600 + "]" * 600, "d.yml")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 8):
        bomb += f"{chr(97 + level)}: &{chr(97 + level)} [{', '.join(['*' + chr(96 + level)] * 10)}]\n"
    with pytest.raises(ComposeError, match="excessive aliasing"):
        read_yaml(bomb, "d.yml")
