"""The short syntax of service ``volumes`` (``[source:]target[:options]``), as the CLI reads it.

A source starting with ``.``, ``/``, ``~``, ``\\\\`` or a Windows drive (``C:``) makes a
``bind`` mount, any other source a named ``volume``, no source an anonymous volume.
Options: ``ro``, ``rw``, ``nocopy`` and the bind propagations; others (``z``, ``cached``...)
are ignored, as by the CLI.
"""

from __future__ import annotations

from typing import Any

_PROPAGATIONS = ("rprivate", "private", "rshared", "shared", "rslave", "slave")


def _is_drive(buffer: str, char: str) -> bool:
    return char == ":" and len(buffer) == 1 and buffer.isalpha()


def _is_file_path(source: str) -> bool:
    if source[0] in "./~" or source.startswith("\\\\"):
        return True
    return len(source) > 1 and _is_drive(source[0], source[1])


def parse_volume(spec: str) -> dict[str, Any]:
    """The long-syntax mapping for a short-syntax entry; ``ValueError`` when malformed."""
    if not spec:
        raise ValueError("invalid empty volume spec")
    if len(spec) <= 2:
        return {"type": "volume", "target": spec}
    volume: dict[str, Any] = {}
    sections: list[str] = []
    buffer = ""
    for char in spec + "\0":
        if _is_drive(buffer, char):
            buffer += char
        elif char in ":\0":
            if not buffer:
                raise ValueError(f"invalid spec: {spec}: empty section between colons")
            if len(sections) == 2 and char == ":":
                raise ValueError(f"invalid spec: {spec}: too many colons")
            sections.append(buffer)
            buffer = ""
        else:
            buffer += char
    if len(sections) == 1:
        volume["target"] = sections[0]
    else:
        volume["source"], volume["target"] = sections[0], sections[1]
    for option in sections[2].split(",") if len(sections) > 2 else []:
        if option == "ro":
            volume["read_only"] = True
        elif option == "rw":
            volume.pop("read_only", None)
        elif option == "nocopy":
            volume["volume"] = {"nocopy": True}
        elif option in _PROPAGATIONS:
            volume["bind"] = {"propagation": option}
    source = volume.get("source", "")
    volume["type"] = "bind" if source and _is_file_path(source) else "volume"
    return volume
