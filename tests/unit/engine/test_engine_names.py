"""The one image reference parser (distribution's grammar) and the engine's name grammars:
what may become part of an engine URL, and what never does."""

import time

import pytest

from swarmdeck.engine import names
from swarmdeck.engine import reference as ref
from swarmdeck.engine.errors import InvalidName, InvalidReference

HEX = "0123456789abcdef" * 4


@pytest.mark.parametrize(
    "text, name, tag, digest, domain, path",
    [
        ("redis", "redis", None, None, "", "library/redis"),
        ("redis:7", "redis", "7", None, "", "library/redis"),
        ("library/redis:7-alpine", "library/redis", "7-alpine", None, "", "library/redis"),
        (
            "127.0.0.1:5000/friendlyhello:latest",
            "127.0.0.1:5000/friendlyhello",
            "latest",
            None,
            "127.0.0.1:5000",
            "friendlyhello",
        ),
        ("localhost/app", "localhost/app", None, None, "localhost", "app"),
        (
            "localhost:5000/a/b/c:v1.2_rc-3",
            "localhost:5000/a/b/c",
            "v1.2_rc-3",
            None,
            "localhost:5000",
            "a/b/c",
        ),
        (
            "registry.example.com/team/app@sha256:" + HEX,
            "registry.example.com/team/app",
            None,
            "sha256:" + HEX,
            "registry.example.com",
            "team/app",
        ),
        ("app:1@sha256:" + HEX, "app", "1", "sha256:" + HEX, "", "library/app"),
        ("a.b_c__d-e--f/g0", "a.b_c__d-e--f/g0", None, None, "a.b_c__d-e--f", "g0"),  # '.': a host
        ("a_b__c-d--e/g0", "a_b__c-d--e/g0", None, None, "", "a_b__c-d--e/g0"),
        ("[::1]:5000/app", "[::1]:5000/app", None, None, "[::1]:5000", "app"),
        ("Host.Example/app", "Host.Example/app", None, None, "Host.Example", "app"),
        ("app:" + "T" * 128, "app", "T" * 128, None, "", "library/app"),
    ],
)
def test_valid_references(text, name, tag, digest, domain, path):
    parsed = ref.parse(text)
    assert (parsed.name, parsed.tag, parsed.digest) == (name, tag, digest)
    assert (parsed.domain, parsed.path) == (domain, path)
    assert str(parsed) == text
    assert ref.reference_error(text) is None
    assert ref.check_image(text) == text


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "at least one component"),
        ("Nginx", "repository name (Nginx) must be lowercase"),
        ("../secrets/x", "invalid reference format"),
        ("..%2Fsecrets%2Fx", "invalid reference format"),
        ("a/../b", "invalid reference format"),
        ("a//b", "invalid reference format"),
        ("/abs", "invalid reference format"),
        ("a/", "invalid reference format"),
        ("app:", "invalid reference format"),
        ("app@", "invalid reference format"),
        ("app:-x", "invalid reference format"),
        ("app:" + "t" * 129, "invalid reference format"),
        ("app@sha256:short", "invalid reference format"),
        ("-lead", "invalid reference format"),
        ("trail-", "invalid reference format"),
        ("a?x=1", "invalid reference format"),
        ("a#frag", "invalid reference format"),
        ("a b", "invalid reference format"),
        ("a\x00b", "invalid reference format"),
        ("app:täg", "invalid reference format"),  # \w is ASCII in the grammar, not Unicode
        ("x" * 256, "not be more than 255 characters"),
        ("x" * 600, "longer than 512"),
    ],
)
def test_invalid_references(text, message):
    with pytest.raises(InvalidReference, match=message.replace("(", r"\(").replace(")", r"\)")):
        ref.parse(text)
    assert message in (ref.reference_error(text) or "")
    with pytest.raises(InvalidName):  # what the console's routes catch
        ref.check_image(text)


def test_image_ids_are_images_but_not_names_to_make():
    for image_id in (HEX * 1, "sha256:" + HEX, "0123456789ab", "sha256:0123ab"):
        assert ref.check_image(image_id) == image_id
    assert ref.reference_error("sha256:" + HEX) is None
    with pytest.raises(InvalidReference, match="digest names an existing manifest"):
        ref.parse_tagged("app@sha256:" + HEX)


def test_split_tag_and_familiar():
    assert ref.split_tag("host:5000/app") == ("host:5000/app", "latest")
    assert ref.split_tag("host:5000/app:1") == ("host:5000/app", "1")
    assert ref.split_tag("app@sha256:" + HEX) == ("app", "sha256:" + HEX)
    assert ref.familiar("docker.io/library/redis:7") == "redis:7"
    assert ref.familiar("index.docker.io/team/app") == "team/app"
    assert ref.familiar("localhost:5000/library/x") == "localhost:5000/library/x"
    assert ref.parse("docker.io/library/redis").familiar == "redis"


@pytest.mark.parametrize(
    ("image", "digest", "tag"),
    [
        ("redis", False, False),
        ("redis:7", False, True),
        ("localhost:5000/app", False, False),
        ("localhost:5000/app:1", False, True),
        ("[::1]:5000/app", False, False),
        ("app@sha256:" + "a" * 64, True, False),
        ("host:5000/app:1@sha256:" + "a" * 64, True, True),
        ("host:5000/app@sha256:" + "a" * 64, True, False),
        ("app@sha256:beef", False, True),  # too short for a digest: the text's ':' counts as a tag's
        ("localhost:5000", False, True),  # the CLI too reads this as localhost, tag 5000
    ],
)
def test_digest_and_tag_are_read_off_the_text(image: str, digest: bool, tag: bool) -> None:
    assert ref.has_digest(image) is digest
    assert ref.has_tag(image) is tag


def test_an_identifier_is_64_hex_digits():
    assert ref.is_identifier(HEX)
    assert not ref.is_identifier("sha256:" + "a" * 64)
    assert not ref.is_identifier("a" * 63)
    assert not ref.is_identifier("A" * 64)


def test_no_catastrophic_backtracking():
    """Go's grammar writes '-' runs as [-]*: as a Python regex that takes exponential time on
    a long run of letters that ends badly. Ours answers at once."""
    started = time.monotonic()
    for text in ("a" * 200 + "!", "a-" * 120 + "!", "a" * 63 + "-!", "a/" * 100 + "A"):
        assert ref.reference_error(text) is not None
    for text in ("a" * 60 + "-!", "a-" * 30 + "!", "a" * 62 + "."):
        with pytest.raises(InvalidName):
            names.check("service", text)
        with pytest.raises(InvalidName):
            names.check("secret", text)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    "kind, value",
    [
        ("container", "web-1"),
        ("container", "a"),
        ("container", HEX),
        ("container", "sdct_x.y-z"),
        ("volume", "redis-data"),
        ("network", "my net:1"),
        ("network", "..x"),
        ("network", "bridge"),
        ("service", "friendlyhello_web"),
        ("service", "x1y2z3"),
        ("node", "nodea.example"),
        ("secret", "db.password"),
        ("config", "cfg_1"),
        ("task", "abc123"),
        ("stack", "friendlyhello"),
    ],
)
def test_valid_names(kind, value):
    assert names.check(kind, value) == value


@pytest.mark.parametrize(
    "kind, value",
    [
        ("container", "../secrets/x"),
        ("container", ".."),
        ("container", "-x"),
        ("container", "a/b"),
        ("container", "a\x00"),
        ("container", "x" * 256),
        ("volume", "a b"),
        ("network", ".."),
        ("network", "."),
        ("network", "a/b"),
        ("network", "a\nb"),
        ("network", ""),
        ("service", "web.1"),
        ("service", "web-"),
        ("service", "x" * 64),
        ("node", "../nodes"),
        ("secret", "x."),
        ("task", "ABC"),
        ("stack", "../users/x"),
    ],
)
def test_invalid_names(kind, value):
    with pytest.raises(InvalidName, match=kind):
        names.check(kind, value)


def test_segments_refuse_what_leaves_the_route():
    assert names.segment("a b?c#d%e") == "a%20b%3Fc%23d%25e"
    assert names.segment("host:5000/app", slashes=True) == "host:5000/app"
    assert names.path("/services/{}/update", "abc") == "/services/abc/update"
    for bad in ("", ".", "..", "a/b", "x\x00", "x\r\ny"):
        with pytest.raises(InvalidName):
            names.segment(bad)
    for bad in ("../secrets/x", "a//b", "/a", "a/", "a/./b", "a/.."):
        with pytest.raises(InvalidName):
            names.segment(bad, slashes=True)
