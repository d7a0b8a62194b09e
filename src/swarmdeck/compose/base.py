"""The base of the compose models: strict validation, no unknown keys, and locations."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator

from swarmdeck.compose.fields import fail, unique
from swarmdeck.compose.located import Location, LocDict, LocList

NAME = re.compile(r"[a-zA-Z0-9._-]+")  # service, volume, secret and config names


class ComposeModel(BaseModel):
    """Base of all models: strict, no unknown keys, and located."""

    model_config = ConfigDict(extra="forbid", strict=True)
    extensions_allowed: ClassVar[bool] = False

    _loc: Location | None = PrivateAttr(default=None)
    _key_locs: dict[str, Location | None] = PrivateAttr(default_factory=dict)
    _entry_locs: dict[str, dict[str, Location | None]] = PrivateAttr(default_factory=dict)
    _extensions: dict[str, Any] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _located(cls, data: Any, handler: Any) -> Any:
        if isinstance(data, cls):
            return data
        extensions: dict[str, Any] = {}
        if cls.extensions_allowed and isinstance(data, LocDict):
            extensions = {k: v for k, v in data.items() if k.startswith("x-")}
            data = data.derive({k: v for k, v in data.items() if not k.startswith("x-")})
        model = handler(data)
        model._extensions = extensions
        if isinstance(data, LocDict):
            model._loc = data.loc
            model._key_locs = dict(data.key_locs)
            model._entry_locs = {key: _entry_locs(value) for key, value in data.items()}
        return model

    @property
    def extensions(self) -> dict[str, Any]:
        """The ``x-*`` keys of a mapping that allows them, as written (not validated)."""
        return self._extensions

    @property
    def loc(self) -> Location | None:
        """Where this mapping starts."""
        return self._loc

    def key_loc(self, key: str) -> Location | None:
        """Where ``key`` (the YAML key) was written, else where this mapping starts."""
        return self._key_locs.get(key) or self._loc

    def entry_loc(self, field: str, key: str) -> Location | None:
        """Where ``key`` inside the mapping-valued ``field`` was written."""
        return self._entry_locs.get(field, {}).get(key) or self.key_loc(field)


def _entry_locs(value: Any) -> dict[str, Location | None]:
    """Where each entry of a mapping (or each string of a list, e.g. network names) is."""
    if isinstance(value, LocDict):
        return dict(value.key_locs)
    if isinstance(value, LocList):
        return {
            str(item): loc for item, loc in zip(value, value.item_locs, strict=True) if isinstance(item, str)
        }
    return {}


def located_item(value: Any, loc: Location | None, items: dict[str, Any]) -> LocDict:
    out = LocDict(loc)
    for key, item in items.items():
        out.put(key, item, loc, loc)
    return out


def list_items(value: Any, convert: Any, unique_items: bool = True) -> LocList:
    """A list whose string items are turned into located mappings by ``convert``."""
    if not isinstance(value, list):
        fail("must be a list")
    locs = getattr(value, "item_locs", [None] * len(value))
    if unique_items:
        unique(value)
    out = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            try:
                item = located_item(item, locs[index], convert(str(item)))
            except ValueError as exc:
                fail(str(exc), index)
        out.append(item)
    return LocList(out, getattr(value, "loc", None), locs)
