"""Image reference check: the grammar of distribution/reference ``ParseAnyReference``.

``name[:tag][@digest]`` with an optional registry domain, lowercase path components,
or a bare 64-hex image ID, or a digest ``algorithm:hex``.
"""

from __future__ import annotations

import re

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"({_NAME})(?::{_TAG})?(?:@{_DIGEST})?")
_IDENTIFIER = re.compile(r"[a-f0-9]{64}")
_DIGEST_ONLY = re.compile(r"sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128}")
_MAX_NAME = 255


def reference_error(image: str) -> str | None:
    """Why ``image`` is not a valid reference, or None when it is."""
    if _IDENTIFIER.fullmatch(image) or _DIGEST_ONLY.fullmatch(image):
        return None
    slash = image.find("/")
    first = image[:slash]
    if slash == -1 or (not any(c in first for c in ".:") and first != "localhost"
                       and first.lower() == first):
        remainder = image
    else:
        remainder = image[slash + 1:]
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        return f"invalid reference format: repository name ({remote}) must be lowercase"
    match = _REFERENCE.fullmatch(image)
    if match is None:
        return "invalid reference format"
    if len(match.group(1)) > _MAX_NAME:
        return "repository name must not be more than 255 characters"
    return None
