"""The small parsers: Go durations, go-units sizes, ParseCPUs, fmt.Sprint, shell words."""

import pytest

from swarmdeck.compose.gofmt import format_float, quote, sprint
from swarmdeck.compose.shellwords import split
from swarmdeck.compose.units import parse_cpus, parse_duration, ram_in_bytes


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("0", 0),
        ("1ns", 1),
        ("1us", 1_000),
        ("1µs", 1_000),
        ("1μs", 1_000),
        ("500ms", 500_000_000),
        ("10s", 10_000_000_000),
        ("1m30s", 90_000_000_000),
        ("1h", 3_600_000_000_000),
        ("1.5h", 5_400_000_000_000),
        (".5s", 500_000_000),
        ("1.s", 1_000_000_000),
        ("-1.5s", -1_500_000_000),
        ("+2m", 120_000_000_000),
        ("1h2m3.004s", 3_723_004_000_000),
        ("9223372036854775807ns", 9223372036854775807),
    ],
)
def test_durations(text, ns):
    assert parse_duration(text) == ns


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("10", 'time: missing unit in duration "10"'),
        ("10x", 'time: unknown unit "x" in duration "10x"'),
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        ("s", 'time: invalid duration "s"'),
        (".s", 'time: invalid duration ".s"'),
        ("1m 30s", 'time: unknown unit "m " in duration "1m 30s"'),
        ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
    ],
)
def test_bad_durations(text, message):
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("0", 0),
        ("100", 100),
        ("512M", 536870912),
        ("100m", 104857600),
        ("1.5g", 1610612736),
        ("100MiB", 104857600),
        ("64mb", 67108864),
        ("2KB", 2048),
        ("1 k", 1024),
        ("7b", 7),
        ("1t", 1 << 40),
        ("1p", 1 << 50),
        ("1e3", 1000),
        ("2.5", 2),
    ],
)
def test_memory_sizes(text, size):
    assert ram_in_bytes(text) == size


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "invalid size: ''"),
        ("abc", "invalid size: 'abc'"),
        ("-1m", "invalid size: '-1m'"),
        ("1x", "invalid suffix: 'x'"),
        ("1kx", "invalid suffix: 'kx'"),
        ("1mbb", "invalid suffix: 'mbb'"),
        ("1bb", "invalid suffix: 'bb'"),
        (" 1", 'strconv.ParseFloat: parsing " 1": invalid syntax'),
    ],
)
def test_bad_memory_sizes(text, message):
    with pytest.raises(ValueError) as caught:
        ram_in_bytes(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "nano"),
    [
        ("0.5", 500_000_000),
        ("0.2", 200_000_000),
        ("1", 1_000_000_000),
        ("2.000000001", 2_000_000_001),
        ("1e-9", 1),
        ("3/2", 1_500_000_000),
        ("0", 0),
        ("1.", 1_000_000_000),
        ("0.50000000000000000000000000000000000000000000000000", 500_000_000),
    ],
)
def test_cpus_exact(text, nano):
    assert parse_cpus(text) == nano


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.0000000001", "value is too precise"),
        ("1/3", "value is too precise"),
        ("1e-999999999", "value is too precise"),
        ("1e999999999", "value out of range"),
        ("half", "failed to parse half as a rational number"),
        (" 1", "failed to parse  1 as a rational number"),
        ("1/0", "failed to parse 1/0 as a rational number"),
    ],
)
def test_bad_cpus(text, message):
    with pytest.raises(ValueError) as caught:
        parse_cpus(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (1.5, "1.5"),
        (3.10, "3.1"),
        (100000.0, "100000"),
        (1e6, "1e+06"),
        (1234567.0, "1.234567e+06"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (-0.0, "-0"),
        (2.5e-7, "2.5e-07"),
        (1e21, "1e+21"),
        (float("inf"), "+Inf"),
        (float("nan"), "NaN"),
    ],
)
def test_go_float_formatting(value, text):
    assert format_float(value) == text


def test_sprint_like_go():
    assert [sprint(v) for v in (True, False, None, 7, "s", 1.0, [1, "a"], {"b": 1, "a": 2})] == [
        "true",
        "false",
        "<nil>",
        "7",
        "s",
        "1",
        "[1 a]",
        "map[a:2 b:1]",
    ]
    assert quote('a"b\\c\n\x01') == '"a\\"b\\\\c\\n\\x01"'


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("redis-server --appendonly yes", ["redis-server", "--appendonly", "yes"]),
        ("sh -c 'echo $HOME'", ["sh", "-c", "echo $HOME"]),
        ('echo "a \\"b\\" \\q"', ["echo", 'a "b" q']),
        ("a\\ b c", ["a b", "c"]),
        ("a#b # a comment\nc", ["a#b", "c"]),
        ('x "" y', ["x", "", "y"]),
        ("  ", []),
    ],
)
def test_shell_words_like_google_shlex(text, words):
    assert split(text) == words


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('echo "open', "EOF found when expecting closing quote"),
        ("echo 'open", "EOF found when expecting closing quote"),
        ("trailing\\", "EOF found after escape character"),
    ],
)
def test_bad_shell_words(text, message):
    with pytest.raises(ValueError, match=message):
        split(text)
