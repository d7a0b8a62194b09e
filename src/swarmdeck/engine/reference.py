"""Image references: the one parser every layer uses (docker/distribution's ``reference``).

Grammar (distribution ``reference/regexp.go``)::

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [ domain "/" ] component ( "/" component )*
    domain     := host [ ":" port ]           host: DNS labels joined by ".", or [IPv6]
    component  := [a-z0-9]+ ( ( [._] | "__" | "-"+ ) [a-z0-9]+ )*
    tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
    digest     := algorithm ":" hex{32,}      algorithm: [A-Za-z][A-Za-z0-9]* joined by [-_+.]
    identifier := [a-f0-9]{64}                an image ID (``ParseAnyReference``)

A name is at most 255 characters. Differences from the Go source, none of which changes
what is accepted: ``-`` runs are written ``-+`` instead of ``[-]*`` (the same language,
without the exponential backtracking Python's ``re`` would do on ``aaaa…!``), ``\\w`` is
spelt out as ASCII (Python's is Unicode), and input longer than ``MAX_REFERENCE`` is
refused before any matching.

What a name's first component means follows the docker CLI (``splitDockerDomain``): it is a
registry host when it holds ``.`` or ``:``, is ``localhost``, or has upper-case letters;
otherwise the name is on Docker Hub.

Nothing that does not parse here may become part of an engine or registry URL: ``..``,
``/`` runs, ``%``, ``?`` or control characters are never part of a valid reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from swarmdeck.engine.errors import InvalidReference

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
DOMAIN = rf"{_HOST}(?::[0-9]+)?"
PATH = rf"{COMPONENT}(?:/{COMPONENT})*"
NAME = rf"(?:{DOMAIN}/)?{PATH}"
TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"

_REFERENCE = re.compile(rf"({NAME})(?::({TAG}))?(?:@({DIGEST}))?")
_PATH = re.compile(PATH)
_TAG = re.compile(TAG)
_DIGEST = re.compile(DIGEST)
_DIGEST_SUFFIX = re.compile(rf"@{DIGEST}$")
_IDENTIFIER = re.compile(r"[a-f0-9]{64}")
_IMAGE_ID = re.compile(r"sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128}")
_ID_PREFIX = re.compile(r"(?:sha256:)?[a-f0-9]{1,64}")

MAX_NAME = 255
# A name, a tag and the longest digest (sha512) with their separators fit well within this.
MAX_REFERENCE = 512
DOCKER_HUB = "docker.io"


@dataclass(frozen=True)
class Reference:
    """A parsed ``name[:tag][@digest]``; ``name`` is kept as written (no ``docker.io/``)."""

    name: str
    tag: str | None = None
    digest: str | None = None

    @property
    def domain(self) -> str:
        """The registry host[:port] the name starts with, or ``""`` for Docker Hub."""
        first, slash, _ = self.name.partition("/")
        return first if slash and _is_domain(first) else ""

    @property
    def path(self) -> str:
        """The repository path within its registry (``library/redis`` for ``redis``)."""
        if self.domain:
            return self.name[len(self.domain) + 1 :]
        return self.name if "/" in self.name else f"library/{self.name}"

    @property
    def familiar(self) -> str:
        """The name as the docker CLI prints it (``FamiliarName``)."""
        return familiar(self.name)

    def __str__(self) -> str:
        return (
            self.name
            + (f":{self.tag}" if self.tag is not None else "")
            + (f"@{self.digest}" if self.digest is not None else "")
        )


def _is_domain(first: str) -> bool:
    return "." in first or ":" in first or first == "localhost" or first.lower() != first


def split_docker_domain(name: str) -> tuple[str, str]:
    """The docker CLI's ``splitDockerDomain``: (registry host, remainder), Docker Hub's host
    (``docker.io``) when the name has none. ``index.docker.io`` counts as Docker Hub."""
    first, slash, rest = name.partition("/")
    if not slash or not _is_domain(first):
        return DOCKER_HUB, name
    if first == "index.docker.io":
        return DOCKER_HUB, rest
    return first, rest


def familiar(image: str) -> str:
    """``reference.FamiliarString(ParseNormalizedNamed(image))`` of a valid reference (tag
    and digest kept): Docker Hub's host and ``library/`` left out."""
    domain, remainder = split_docker_domain(image)
    if domain == DOCKER_HUB:
        if remainder.startswith("library/") and remainder.count("/") == 1:
            return remainder[len("library/") :]
        return remainder
    return f"{domain}/{remainder}"


def reference_error(text: str) -> str | None:
    """Why ``text`` is neither a reference nor an image ID, in the docker CLI's words; None
    when it is one (``ParseAnyReference``: a 64-hex ID and ``sha256:<hex>`` count)."""
    if len(text) <= MAX_REFERENCE and (_IDENTIFIER.fullmatch(text) or _IMAGE_ID.fullmatch(text)):
        return None
    try:
        parse(text)
    except InvalidReference as exc:
        return str(exc)
    return None


def parse(text: str) -> Reference:
    """``text`` as a named reference, or ``InvalidReference`` saying why not."""
    if not text:
        raise InvalidReference("invalid reference format: repository name must have at least one component")
    if len(text) > MAX_REFERENCE:
        raise InvalidReference(f"invalid reference format: longer than {MAX_REFERENCE} characters")
    _, remainder = split_docker_domain(text)
    remote = remainder.split(":", 1)[0]  # as the CLI cuts it (a digest stays on)
    if remote.lower() != remote:
        raise InvalidReference(f"invalid reference format: repository name ({remote}) must be lowercase")
    match = _REFERENCE.fullmatch(text)
    if match is None:
        raise InvalidReference("invalid reference format")
    name, tag, digest = match.groups()
    if len(name) > MAX_NAME:
        raise InvalidReference(f"repository name must not be more than {MAX_NAME} characters")
    return Reference(name, tag, digest)


def parse_tagged(text: str) -> Reference:
    """A name with an optional tag and no digest: what ``docker tag``, ``build -t`` and
    ``push`` take as a target."""
    ref = parse(text)
    if ref.digest is not None:
        raise InvalidReference(f"{text}: a digest names an existing manifest; give a tag instead")
    return ref


def is_image_id(text: str) -> bool:
    """``sha256:<64 hex>``, or a hex ID or a prefix of one (with or without ``sha256:``)."""
    return bool(_IMAGE_ID.fullmatch(text) or _ID_PREFIX.fullmatch(text))


def check_image(text: str) -> str:
    """``text`` when it names a local image (a reference or an image ID); otherwise
    ``InvalidReference``. Nothing else may go into an ``/images/…`` engine URL."""
    if len(text) <= MAX_REFERENCE and is_image_id(text):
        return text
    try:
        parse(text)
    except InvalidReference as exc:
        raise InvalidReference(
            f"{text[:100]!r} is not an image reference or ID ({exc}); "
            "like registry:5000/repo:tag, repo@sha256:<hex> or an image "
            "ID"
        ) from None
    return text


def split_tag(text: str) -> tuple[str, str]:
    """(name, tag) of a reference for the engine's push and pull calls, which take them
    apart; the tag defaults to ``latest``, a digest takes the tag's place."""
    ref = parse(text)
    return ref.name, ref.digest or ref.tag or "latest"


def is_path(name: str) -> bool:
    """A repository path (no registry host): what a registry's API takes as a name."""
    return len(name) <= MAX_NAME and _PATH.fullmatch(name) is not None


def is_tag(text: str) -> bool:
    return _TAG.fullmatch(text) is not None


def is_digest(text: str) -> bool:
    return len(text) <= MAX_REFERENCE and _DIGEST.fullmatch(text) is not None


def is_identifier(text: str) -> bool:
    """A full image ID, 64 hex digits without ``sha256:`` (distribution's ``identifier``)."""
    return _IDENTIFIER.fullmatch(text) is not None


def has_digest(image: str) -> bool:
    """Whether ``image`` ends in ``@<digest>``. Like ``has_tag``, this reads the text as
    written and does not parse it: a string that is no reference gets an answer too."""
    return _DIGEST_SUFFIX.search(image) is not None


def has_tag(image: str) -> bool:
    """Whether ``image``, its ``@<digest>`` left out, has a ``:`` after its last ``/`` (a
    registry's ``:port`` comes before a ``/``, so it is never taken for a tag)."""
    name = _DIGEST_SUFFIX.sub("", image)
    return ":" in name.rsplit("/", 1)[-1]
