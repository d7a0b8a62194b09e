"""How the command line's parameters look in ``--help`` and how their values are read.

Typer 0.29 shows every value's Python type (``--host <str>``, ``STACK <str>``, a required
argument as ``{STACK}``) and reads every value through a pydantic ``TypeAdapter``, which
makes each command import pydantic (~0.1 s) before it does anything. ``plain(command)``
gives a command's parameters Click's own look (``--host TEXT``, ``--routing [mesh|proxy]``,
``STACK``, ``[SERVICES]...``) and reads the simple types every swarmdeck command uses (str,
int, float, bool, Path, an Enum, a list of these) directly; any other annotation, or one with
constraints (a range, a parser, a path check), keeps Typer's reading. ``FailingGroup``
applies it to every group and command.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

import typer.core
from typer import _click
from typer._click.exceptions import BadParameter
from typer._coercion import RuntimeParam  # private, but Typer is pinned (pyproject.toml)

_METAVARS = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT"}
_SIMPLE = (str, int, float, bool, Path)
# ParameterInfo's settings that need Typer's own reading when they are not these defaults
_UNCONSTRAINED = {
    "parser": None,
    "click_type": None,
    "min": None,
    "max": None,
    "case_sensitive": True,
    "exists": False,
    "file_okay": True,
    "dir_okay": True,
    "writable": False,
    "resolve_path": False,
    "allow_dash": False,
    "formats": None,
}
_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}


def plain(command: _click.Command) -> None:
    """Show and read ``command``'s options and arguments as this module says."""
    if type(command) is typer.core.TyperCommand:
        command.__class__ = PlainCommand
    for param in command.params:
        plain_param(param)


def plain_param(param: _click.Parameter) -> None:
    """Show and read one option or argument as this module says."""
    if type(param) is typer.core.TyperOption:
        param.__class__ = PlainOption
    elif type(param) is typer.core.TyperArgument:
        param.__class__ = PlainArgument


class PlainCommand(typer.core.TyperCommand):
    """A command whose ``--help`` option, made when it is parsed, is plain as well."""

    def get_help_option(self, ctx: _click.Context) -> typer.core.TyperOption | None:
        option = super().get_help_option(ctx)
        if option is not None:
            plain_param(option)
        return option


class PlainOption(typer.core.TyperOption):
    """An option whose value is shown as Click shows it (``--host TEXT``), not ``<str>``."""

    def display_type_rich(self, ctx: _click.Context) -> str | None:
        if self.metavar is not None:
            return self.metavar
        label = self.display_type(ctx).strip("<>")
        if label.startswith("list[") and label.endswith("]"):  # repeatable: one value a time
            label = label[len("list[") : -1]
        if "|" in label:
            return f"[{label}]"
        return _METAVARS.get(label, label.upper())

    def get_runtime_param(self) -> RuntimeParam:
        return _simple(self) or super().get_runtime_param()


class PlainArgument(typer.core.TyperArgument):
    """An argument shown by its name alone (``STACK``, ``[SERVICES]...``)."""

    def display_type_rich(self, ctx: _click.Context) -> str | None:
        return None

    def _rich_display_name(self) -> str:  # the help's Arguments list
        name = self.display_name_raw.upper()
        return name if self.nargs == 1 or name.endswith("...") else name + "..."

    def _usage_display_name(self) -> str:
        name = self.display_name_raw.upper()
        name = name if self.required else f"[{name}]"
        return name if self.nargs == 1 or name.endswith("...") else name + "..."

    def get_runtime_param(self) -> RuntimeParam:
        return _simple(self) or super().get_runtime_param()


@dataclass(frozen=True)
class SimpleRuntimeParam(RuntimeParam):
    """Reads a str, int, float, bool, Path or Enum value (or a list of them) without pydantic."""

    item: type

    def _coerce_value(self, value: Any, param: Any, ctx: _click.Context) -> Any:
        if get_origin(self.annotation) is list:
            items = value if isinstance(value, list | tuple) else [value]
            return [_read(self.item, item, param, ctx) for item in items]
        return _read(self.item, value, param, ctx)


def _simple(param: typer.core.TyperOption | typer.core.TyperArgument) -> RuntimeParam | None:
    """The plain reader for ``param``, if its type and settings are ones it handles."""
    if param._runtime_param is not None:
        return param._runtime_param
    desc = param.type_descriptor
    info = desc.parameter_info
    annotation = desc.annotation
    item = get_args(annotation)[0] if get_origin(annotation) is list else annotation
    constrained = any(getattr(info, name, default) != default for name, default in _UNCONSTRAINED.items())
    if constrained or not isinstance(item, type) or desc.file_annotation is not None:
        return None
    if item not in _SIMPLE and not issubclass(item, enum.Enum):
        return None
    param._runtime_param = SimpleRuntimeParam(info, annotation, item)
    return param._runtime_param


def _read(kind: type, value: Any, param: Any, ctx: _click.Context) -> Any:
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    text = str(value)
    try:
        if kind is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError(text)
        reader: Any = kind  # str, int, float, Path or an Enum: each reads its text
        return reader(text)
    except ValueError:
        if issubclass(kind, enum.Enum):
            choices = ", ".join(repr(str(member.value)) for member in kind)
            message = f"{text!r} is not one of {choices}."
        else:
            message = f"{text!r} is not a valid {_METAVARS.get(kind.__name__, kind.__name__).lower()}."
        raise BadParameter(message, ctx=ctx, param=param) from None
