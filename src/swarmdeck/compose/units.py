"""The unit parsers the docker CLI applies to compose values, with the same rules.

* ``parse_duration``: Go's ``time.ParseDuration`` (``1m30s``, ``500ms``, ``1.5h``) -> ns.
* ``ram_in_bytes``: go-units ``RAMInBytes`` (``512M``, ``1.5g``, ``100MiB``) -> bytes.
* ``parse_cpus``: the CLI's ``ParseCPUs`` (``"0.5"`` -> 500000000 nano-CPUs), exact
  rational arithmetic; a value finer than a nano-CPU is an error.
* ``parse_go_float`` / ``parse_go_int``: ``strconv.ParseFloat`` / ``strconv.Atoi``.

Each raises ``ValueError`` with Go's message.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from swarmdeck.compose.gofmt import quote

_INT64_MAX = (1 << 63) - 1
_DURATION_UNITS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DECIMAL_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)
_DECIMAL_INT = re.compile(r"[+-]?[0-9]+")
_RATIONAL = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
_FRACTION = re.compile(r"([+-]?[0-9]+)/([0-9]+)")


def parse_go_float(text: str) -> float:
    """``strconv.ParseFloat(text, 64)`` for decimal and special (inf, nan) spellings."""
    if _SPECIAL_FLOAT.fullmatch(text):
        return float(text)
    if not _DECIMAL_FLOAT.fullmatch(text):
        raise ValueError(f"strconv.ParseFloat: parsing {quote(text)}: invalid syntax")
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"strconv.ParseFloat: parsing {quote(text)}: value out of range")
    return value


def parse_go_int(text: str) -> int:
    """``strconv.Atoi(text)``: a decimal int64."""
    if not _DECIMAL_INT.fullmatch(text):
        raise ValueError(f"strconv.Atoi: parsing {quote(text)}: invalid syntax")
    value = int(text)
    if not -(1 << 63) <= value <= _INT64_MAX:
        raise ValueError(f"strconv.Atoi: parsing {quote(text)}: value out of range")
    return value


def _leading_int(text: str) -> tuple[int, str]:
    i = 0
    value = 0
    while i < len(text) and "0" <= text[i] <= "9":
        if value > (1 << 63) // 10:
            raise OverflowError
        value = value * 10 + ord(text[i]) - 48
        if value > 1 << 63:
            raise OverflowError
        i += 1
    return value, text[i:]


def _leading_fraction(text: str) -> tuple[int, float, str]:
    i = 0
    value = 0
    scale = 1.0
    overflow = False
    while i < len(text) and "0" <= text[i] <= "9":
        if not overflow:
            if value > _INT64_MAX // 10:
                overflow = True
            else:
                bigger = value * 10 + ord(text[i]) - 48
                if bigger > 1 << 63:
                    overflow = True
                else:
                    value = bigger
                    scale *= 10
        i += 1
    return value, scale, text[i:]


def parse_duration(text: str) -> int:
    """Go's ``time.ParseDuration``: nanoseconds as an int."""
    invalid = ValueError(f"time: invalid duration {quote(text)}")
    rest = text
    negative = False
    if rest and rest[0] in "+-":
        negative = rest[0] == "-"
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise invalid
    total = 0
    while rest:
        if not (rest[0] == "." or "0" <= rest[0] <= "9"):
            raise invalid
        before = len(rest)
        try:
            whole, rest = _leading_int(rest)
        except OverflowError:
            raise invalid from None
        had_whole = len(rest) != before
        fraction, scale, had_fraction = 0, 1.0, False
        if rest.startswith("."):
            rest = rest[1:]
            before = len(rest)
            fraction, scale, rest = _leading_fraction(rest)
            had_fraction = len(rest) != before
        if not had_whole and not had_fraction:
            raise invalid
        i = 0
        while i < len(rest) and not (rest[i] == "." or "0" <= rest[i] <= "9"):
            i += 1
        if i == 0:
            raise ValueError(f"time: missing unit in duration {quote(text)}")
        unit_name, rest = rest[:i], rest[i:]
        unit = _DURATION_UNITS.get(unit_name)
        if unit is None:
            raise ValueError(f"time: unknown unit {quote(unit_name)} in duration {quote(text)}")
        if whole > (1 << 63) // unit:
            raise invalid
        whole *= unit
        if fraction > 0:
            whole += int(float(fraction) * (float(unit) / scale))
            if whole > 1 << 63:
                raise invalid
        total += whole
        if total > 1 << 63:
            raise invalid
    if negative:
        return -total
    if total > _INT64_MAX:
        raise invalid
    return total


_RAM_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def ram_in_bytes(text: str) -> int:
    """go-units ``RAMInBytes``: binary multiples, ``k/m/g/t/p`` + optional ``b``/``ib``."""
    sep = max(text.rfind(c) for c in "0123456789. ")
    if sep == -1:
        raise ValueError(f"invalid size: '{text}'")
    if text[sep] == " ":
        number, suffix = text[:sep], text[sep + 1 :]
    else:
        number, suffix = text[: sep + 1], text[sep + 1 :]
    size = parse_go_float(number)
    if math.isnan(size) or size < 0:
        raise ValueError(f"invalid size: '{text}'")
    if suffix:
        if len(suffix) > 3:
            raise ValueError(f"invalid suffix: '{suffix}'")
        suffix = suffix.lower()
        if suffix[0] == "b":
            if len(suffix) > 1:
                raise ValueError(f"invalid suffix: '{suffix}'")
        elif suffix[0] in _RAM_UNITS and suffix[1:] in ("", "b", "ib"):
            size *= _RAM_UNITS[suffix[0]]
        else:
            raise ValueError(f"invalid suffix: '{suffix}'")
    if math.isinf(size) or size >= 2.0**63:
        raise ValueError(f"invalid size: '{text}'")
    return int(size)


def parse_cpus(text: str) -> int:
    """The CLI's ``ParseCPUs``: a decimal or fraction of CPUs as an exact nano-CPU count."""
    value = _rational(text)
    if value is None:
        raise ValueError(f"failed to parse {text} as a rational number")
    nano = value * 1_000_000_000
    if nano.denominator != 1:
        raise ValueError("value is too precise")
    if not -(1 << 63) <= nano.numerator <= _INT64_MAX:
        raise ValueError("value out of range")
    return nano.numerator


def _rational(text: str) -> Fraction | None:
    """Go's ``big.Rat.SetString`` for decimal numbers and ``a/b`` fractions."""
    fraction = _FRACTION.fullmatch(text)
    if fraction:
        denominator = int(fraction.group(2))
        return Fraction(int(fraction.group(1)), denominator) if denominator else None
    match = _RATIONAL.fullmatch(text)
    if not match or not (match.group(2) or match.group(3)):
        return None
    sign, whole, decimals, exponent = match.groups()
    decimals = decimals or ""
    mantissa = int((whole or "0") + decimals)
    power = int(exponent or "0") - len(decimals)
    if mantissa == 0:
        return Fraction(0)
    while mantissa % 10 == 0:
        mantissa //= 10
        power += 1
    # Bound the power so that "1e999999999" cannot build a huge number: beyond +40 the
    # value is out of int64 range anyway, below -40 it is finer than a nano-CPU anyway.
    power = max(-41, min(power, 40))
    value = Fraction(mantissa) * Fraction(10) ** power
    return -value if sign == "-" else value
