"""Variable substitution in compose values, with the docker CLI's template rules.

Forms: ``$VAR``, ``${VAR}``, ``${VAR:-default}`` (unset or empty), ``${VAR-default}``
(unset), ``${VAR:?message}`` (error when unset or empty), ``${VAR?message}`` (error when
unset), and ``$$`` for a literal ``$``. Defaults are literal text (no nesting). A ``$`` that
starts none of these is an error. An unset variable becomes ``""`` and is reported as a
warning. Only values are substituted, never keys.

As in the CLI, the separators are tried in the order ``:-``, ``-``, ``:?``, ``?``, so
``${VAR:?must-be-set}`` is a default (``be-set``) rather than a required variable; and
unbraced ``$VAR:-x`` and ``$VAR-x`` take a default up to the next ``}`` or the end.

A value at one of the CLI's typed paths (``deploy.replicas``, ``ports[].published``, ``tty``,
``external``, ...) is converted to int, float or bool, but only when substitution changed it.
One deliberate difference: the CLI forgets an error from one ``${...}`` when a later one in
the same string succeeds; here every error is reported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from swarmdeck.compose.errors import Problem
from swarmdeck.compose.gofmt import quote
from swarmdeck.compose.located import Location, LocDict, LocList, LocStr
from swarmdeck.compose.units import parse_go_float, parse_go_int

_SUBST = r"[_a-z][_a-z0-9]*(?::?[-?][^}]*)?"
_PATTERN = re.compile(rf"\$(?i:(?P<escaped>\$)|(?P<named>{_SUBST})|\{{(?P<braced>{_SUBST})\}}|(?P<invalid>))")


class TemplateError(ValueError):
    """A template that cannot be substituted; the message says why."""


def _to_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("y", "yes", "true", "on"):
        return True
    if lowered in ("n", "no", "false", "off"):
        return False
    raise ValueError(f"invalid boolean: {text}")


_INT, _FLOAT, _BOOL = parse_go_int, parse_go_float, _to_bool
_SERVICE_CASTS: dict[str, Callable[[str], Any]] = {
    "configs.[].mode": _INT,
    "secrets.[].mode": _INT,
    "healthcheck.retries": _INT,
    "healthcheck.disable": _BOOL,
    "deploy.replicas": _INT,
    "deploy.update_config.parallelism": _INT,
    "deploy.update_config.max_failure_ratio": _FLOAT,
    "deploy.rollback_config.parallelism": _INT,
    "deploy.rollback_config.max_failure_ratio": _FLOAT,
    "deploy.restart_policy.max_attempts": _INT,
    "deploy.placement.max_replicas_per_node": _INT,
    "ports.[].target": _INT,
    "ports.[].published": _INT,
    "ulimits.*": _INT,
    "ulimits.*.hard": _INT,
    "ulimits.*.soft": _INT,
    "privileged": _BOOL,
    "read_only": _BOOL,
    "stdin_open": _BOOL,
    "tty": _BOOL,
    "volumes.[].read_only": _BOOL,
    "volumes.[].volume.nocopy": _BOOL,
}
_CASTS: list[tuple[list[str], Callable[[str], Any]]] = [
    (f"services.*.{path}".split("."), cast) for path, cast in _SERVICE_CASTS.items()
] + [
    (f"{section}.*.{key}".split("."), _BOOL)
    for section, keys in (
        ("networks", ("external", "internal", "attachable")),
        ("volumes", ("external",)),
        ("secrets", ("external",)),
        ("configs", ("external",)),
    )
    for key in keys
]


def _caster(parts: list[str]) -> Callable[[str], Any] | None:
    # As in the CLI, the path is a dotted string split on "." again, so a key holding a
    # dot (a service named "web.1") lengthens the path and matches no typed path.
    split = ".".join(parts).split(".")
    for pattern, cast in _CASTS:
        if len(pattern) == len(split) and all(p in ("*", q) for p, q in zip(pattern, split, strict=True)):
            return cast
    return None


def _partition(text: str, sep: str) -> tuple[str, str]:
    name, _, rest = text.partition(sep)
    return name, rest


def _apply(substitution: str, env: Mapping[str, str]) -> str | None:
    """The value of one ``${...}`` with a separator, or None when it has none."""
    if ":-" in substitution:
        name, default = _partition(substitution, ":-")
        return env[name] if env.get(name) else default
    if "-" in substitution:
        name, default = _partition(substitution, "-")
        return env.get(name, default)
    for sep, empty_ok in ((":?", False), ("?", True)):
        if sep in substitution:
            name, message = _partition(substitution, sep)
            if name not in env or not (empty_ok or env[name]):
                raise TemplateError(f"required variable {name} is missing a value: {message}")
            return env[name]
    return None


def substitute(template: str, env: Mapping[str, str], unset: dict[str, None]) -> str:
    """Substitute every variable in ``template``; names of unset variables go to ``unset``."""

    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        substitution = match.group("named") or match.group("braced")
        if not substitution:
            raise TemplateError(
                f"invalid interpolation format: {quote(template)}; "
                "you may need to escape any $ with another $"
            )
        value = _apply(substitution, env)
        if value is not None:
            return value
        if substitution in env:
            return env[substitution]
        unset[substitution] = None
        return ""

    return _PATTERN.sub(replace, template)


class Interpolator:
    """Substitutes variables in one file's located data, collecting problems."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.problems: list[Problem] = []
        self.unset: dict[str, None] = {}

    def warnings(self) -> list[str]:
        return [f'The "{name}" variable is not set. Defaulting to a blank string.' for name in self.unset]

    def run(self, data: LocDict) -> LocDict:
        result = self._walk(data, [], [], data.loc)
        assert isinstance(result, LocDict)
        return result

    def _walk(self, value: Any, parts: list[str], path: list[str | int], loc: Location | None) -> Any:
        if isinstance(value, LocDict):
            out = LocDict(value.loc)
            for key, item in value.items():
                out.put(
                    key,
                    self._walk(item, [*parts, key], [*path, key], value.value_locs.get(key)),
                    value.key_locs.get(key),
                    value.value_locs.get(key),
                )
            return out
        if isinstance(value, LocList):
            items = [
                self._walk(item, [*parts, "[]"], [*path, i], value.item_locs[i])
                for i, item in enumerate(value)
            ]
            return LocList(items, value.loc, value.item_locs)
        if isinstance(value, str):
            return self._string(value, parts, path, loc)
        return value

    def _string(self, value: str, parts: list[str], path: list[str | int], loc: Location | None) -> Any:
        try:
            new = substitute(value, self.env, self.unset)
        except TemplateError as exc:
            self.problems.append(Problem.at(loc, path, str(exc)))
            return value
        if new == value:
            return value
        cast = _caster(parts)
        if cast is None:
            return LocStr(new, loc)
        try:
            return cast(new)
        except ValueError as exc:
            self.problems.append(Problem.at(loc, path, f"failed to cast to expected type: {exc}"))
            return value
