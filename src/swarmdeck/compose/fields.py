"""Field types for the compose models: JSON-schema type checks with the CLI's wording, and
the conversions the CLI's loader applies (string or list, list or mapping, durations,
CPUs, memory, shell words...).

Each type is an ``Annotated`` alias whose validator checks the raw YAML value and returns
the normalised one; a refusal raises ``fail(message, *subpath)``, which the validation step
turns into a located problem (``subpath`` points inside the field, e.g. at a list item).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Annotated, Any, NoReturn

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from swarmdeck.compose import shellwords
from swarmdeck.compose.gofmt import sprint
from swarmdeck.compose.located import plain
from swarmdeck.compose.units import parse_cpus, parse_duration, ram_in_bytes


def fail(message: str, *subpath: str | int) -> NoReturn:
    """Refuse a value; ``subpath`` locates the fault inside it."""
    raise PydanticCustomError("compose", "{message}", {"message": message, "subpath": subpath})


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _string(value: Any) -> str:
    if isinstance(value, str):
        return str(value)
    fail("must be a string")


def _nullable_string(value: Any) -> str | None:
    return None if value is None else _string(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    fail("must be a boolean")


def integer(value: Any) -> int:
    """JSON-schema ``integer``: an int, or a float without a fraction (as Go decodes it)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    fail("must be a integer")


def _unsigned(bits: int, number: bool = False) -> Callable[[Any], int]:
    """An unsigned Go field; ``number`` also takes fractions (truncated, as Go converts)."""

    def validate(value: Any) -> int:
        if number:
            if not is_number(value) or not math.isfinite(value):
                fail("must be a number")
            result = int(value)
        else:
            result = integer(value)
        if result < 0:
            fail(f"cannot parse {sprint(value)}: negative values are not allowed")
        if result >= 1 << bits:
            fail(f"{result} overflows uint{bits}")
        return result

    return validate


def _signed64(value: Any) -> int:
    result = integer(value)
    if not -(1 << 63) <= result < 1 << 63:
        fail(f"{result} overflows int64")
    return result


def _number(value: Any) -> float:
    if is_number(value) and math.isfinite(value):
        return float(value)
    fail("must be a number")


def _duration(value: Any) -> int:
    text = _string(value)
    try:
        return parse_duration(text)
    except ValueError as exc:
        fail(f"Does not match format 'duration': {exc}")


def _cpus(value: Any) -> int | None:
    text = _string(value)
    if not text:  # the CLI ignores an empty value
        return None
    try:
        return parse_cpus(text)
    except ValueError as exc:
        fail(str(exc))


def _memory(value: Any) -> int:
    text = _string(value)
    try:
        return ram_in_bytes(text)
    except ValueError as exc:
        fail(str(exc))


def unique(items: list[Any]) -> None:
    """JSON-schema ``uniqueItems``: equal JSON values (``80`` and ``"80"`` differ)."""
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        key = json.dumps(plain(item), sort_keys=True, default=repr)
        if key in seen:
            fail(f"array items[{seen[key]},{index}] must be unique", index)
        seen[key] = index


def strings(distinct: bool) -> Callable[[Any], list[str]]:
    """A list of strings (the schema's ``list_of_strings`` when ``distinct``)."""

    def validate(value: Any) -> list[str]:
        if not isinstance(value, list):
            fail("must be a list")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                fail("must be a string", index)
        if distinct:
            unique(value)
        return [str(item) for item in value]

    return validate


def _string_or_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [str(value)]
    if not isinstance(value, list):
        fail("must be a string or list")
    return strings(distinct=True)(value)


def _strings_or_numbers(value: Any) -> list[str]:
    if not isinstance(value, list):
        fail("must be a list")
    for index, item in enumerate(value):
        if not (isinstance(item, str) or is_number(item)):
            fail("must be a string or number", index)
    unique(value)
    return [sprint(item) for item in value]


def _shell_command(value: Any) -> list[str]:
    if isinstance(value, str):
        try:
            return shellwords.split(value)
        except ValueError as exc:
            fail(str(exc))
    if not isinstance(value, list):
        fail("must be a string or list")
    return strings(distinct=False)(value)


def _health_test(value: Any) -> list[str]:
    if isinstance(value, str):
        return ["CMD-SHELL", str(value)]
    if not isinstance(value, list):
        fail("must be a string or list")
    return strings(distinct=False)(value)


def _scalar_text(value: Any, key: str, allow_null: bool) -> str | None:
    if value is None and allow_null:
        return None
    if isinstance(value, str):
        return str(value)
    if is_number(value):
        return sprint(value)
    fail("must be a string, number or null" if allow_null else "must be a string or number", key)


def list_or_dict(allow_nil: bool) -> Callable[[Any], dict[str, str | None]]:
    """The schema's ``list_or_dict``: ``["K=V", "K"]`` or ``{K: V}``, values as Go text.

    A key without a value is None with ``allow_nil`` (environment), else ``""``.
    """

    def validate(value: Any) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        if isinstance(value, dict):
            for key, item in value.items():
                if not key:
                    fail("Additional property  is not allowed")
                text = _scalar_text(item, key, allow_null=True)
                out[key] = text if text is not None or allow_nil else ""
            return out
        if isinstance(value, list):
            for entry in strings(distinct=True)(value):
                key, sep, text = entry.partition("=")
                out[key] = text if sep else (None if allow_nil else "")
            return out
        fail("must be a mapping or list")

    return validate


def _options(allow_null: bool) -> Callable[[Any], dict[str, str]]:
    """``driver_opts``-like maps: string or number values (null as "" where allowed)."""

    def validate(value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            fail("must be a mapping")
        return {key: _scalar_text(item, key, allow_null) or "" for key, item in value.items()}

    return validate


def _go_percent_s(value: Any) -> str:
    """Go's ``%s`` verb, which the CLI applies to extra_hosts map values."""
    if isinstance(value, str):
        return str(value)
    kind = "float64" if isinstance(value, float) else "int"
    return f"%!s({kind}={sprint(value)})"


def _extra_hosts(value: Any) -> list[str]:
    """``host:ip`` entries: the list keeps its order; a mapping is sorted."""
    if isinstance(value, dict):
        for key, item in value.items():
            _scalar_text(item, key, allow_null=True)
        pairs = sorted(f"{key}:{_go_percent_s(item)}" for key, item in value.items() if item is not None)
    elif isinstance(value, list):
        pairs = []
        for entry in strings(distinct=True)(value):
            for sep in ("=", ":"):
                host, found, address = entry.partition(sep)
                if found:
                    pairs.append(f"{host}:{address}")
                    break
    else:
        fail("must be a mapping or list")
    out = []
    for pair in pairs:
        host, _, address = pair.partition(":")
        if len(address) > 2 and address[0] == "[" and address[-1] == "]":
            address = address[1:-1]
        out.append(f"{host}:{address}")
    return out


def mapping(value: Any) -> Any:
    if isinstance(value, dict):
        return value
    fail("must be a mapping")


def _mapping_or_null(value: Any) -> Any:
    if value is None or isinstance(value, dict):
        return value
    fail("must be a mapping or null")


Str = Annotated[str | None, BeforeValidator(_string)]
NullableStr = Annotated[str | None, BeforeValidator(_nullable_string)]
Bool = Annotated[bool | None, BeforeValidator(_boolean)]
Int64 = Annotated[int | None, BeforeValidator(_signed64)]
UInt32 = Annotated[int | None, BeforeValidator(_unsigned(32))]
UInt64 = Annotated[int | None, BeforeValidator(_unsigned(64))]
UInt32Number = Annotated[int | None, BeforeValidator(_unsigned(32, number=True))]
UInt64Number = Annotated[int | None, BeforeValidator(_unsigned(64, number=True))]
Number = Annotated[float | None, BeforeValidator(_number)]
Nanoseconds = Annotated[int | None, BeforeValidator(_duration)]
NanoCpus = Annotated[int | None, BeforeValidator(_cpus)]
Bytes = Annotated[int | None, BeforeValidator(_memory)]
StringList = Annotated[list[str] | None, BeforeValidator(_string_or_list)]
UniqueStrings = Annotated[list[str] | None, BeforeValidator(strings(distinct=True))]
Strings = Annotated[list[str] | None, BeforeValidator(strings(distinct=False))]
StringsOrNumbers = Annotated[list[str] | None, BeforeValidator(_strings_or_numbers)]
ShellCommand = Annotated[list[str] | None, BeforeValidator(_shell_command)]
HealthTest = Annotated[list[str] | None, BeforeValidator(_health_test)]
Labels = Annotated[dict[str, str] | None, BeforeValidator(list_or_dict(allow_nil=False))]
Environment = Annotated[dict[str, str | None] | None, BeforeValidator(list_or_dict(allow_nil=True))]
DriverOpts = Annotated[dict[str, str] | None, BeforeValidator(_options(allow_null=False))]
LogOptions = Annotated[dict[str, str] | None, BeforeValidator(_options(allow_null=True))]
ExtraHosts = Annotated[list[str] | None, BeforeValidator(_extra_hosts)]
MappingOrNull = BeforeValidator(_mapping_or_null)
Mapping = BeforeValidator(mapping)
