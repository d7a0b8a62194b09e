"""Plain YAML data that remembers where each piece was written.

The reader turns a YAML document into ordinary dicts, lists and scalars, as a Go program
decoding into ``map[string]any`` would see it, but with the containers and strings
subclassed so that every key and value keeps its ``Location``. Later stages (interpolation,
validation, error reporting) walk this data by key path and can always say
``file:line:column``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a compose file; line and column count from 1."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class LocStr(str):
    """A string scalar with the location of its first character."""

    loc: Location | None

    def __new__(cls, value: str, loc: Location | None) -> LocStr:
        obj = super().__new__(cls, value)
        obj.loc = loc
        return obj


class LocDict(dict[str, Any]):
    """A mapping with the location of the mapping and of each key and value."""

    def __init__(self, loc: Location | None = None) -> None:
        super().__init__()
        self.loc = loc
        self.key_locs: dict[str, Location | None] = {}
        self.value_locs: dict[str, Location | None] = {}

    def put(self, key: str, value: Any, key_loc: Location | None, value_loc: Location | None) -> None:
        self[key] = value
        self.key_locs[key] = key_loc
        self.value_locs[key] = value_loc

    def derive(self, items: dict[str, Any] | None = None) -> LocDict:
        """A new mapping at the same place holding ``items`` (default: the same entries)."""
        out = LocDict(self.loc)
        for key, value in (self if items is None else items).items():
            out.put(key, value, self.key_locs.get(key, self.loc), self.value_locs.get(key, self.loc))
        return out


class LocList(list[Any]):
    """A sequence with the location of the sequence and of each item."""

    def __init__(
        self,
        items: Sequence[Any] = (),
        loc: Location | None = None,
        item_locs: Sequence[Location | None] = (),
    ) -> None:
        super().__init__(items)
        self.loc = loc
        self.item_locs: list[Location | None] = list(item_locs) or [loc] * len(items)


def loc_of(value: Any) -> Location | None:
    """The location a value carries itself (strings and containers), else None."""
    return getattr(value, "loc", None)


def locate(data: Any, path: Sequence[str | int], key: bool = False) -> Location | None:
    """The location of the value at ``path`` in ``data``, or of the deepest part found.

    With ``key`` the location of the last key itself (for "unknown key" errors) when the
    path ends in a mapping key.
    """
    loc = loc_of(data)
    cur = data
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(cur, dict) and isinstance(part, str) and part in cur:
            locs = getattr(cur, "key_locs" if key and last else "value_locs", {})
            loc = locs.get(part) or loc
            cur = cur[part]
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            locs = getattr(cur, "item_locs", [])
            loc = (locs[part] if part < len(locs) else None) or loc
            cur = cur[part]
        else:
            break
    return loc


def plain(value: Any) -> Any:
    """A deep copy of located data as builtin types (for comparisons and display)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value
