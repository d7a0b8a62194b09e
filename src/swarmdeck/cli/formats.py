"""``--format`` and ``-q`` as the docker CLI reads them, for every list command, and the
options every engine command shares (``--host``): one home, so ``node ls``, ``service ls``,
``secret ls`` and the rest print alike.

A list prints its table by default (``table`` too); ``json`` prints one object a line as Go's
encoder writes it (keys sorted, ``<``, ``>`` and ``&`` escaped); anything else is a Go
template of the row's fields: ``{{.Name}}``, ``{{json .}}``, with ``\\t`` and ``\\n``, after an
optional ``table`` word (text with no field at all is refused: likely a misspelt format
name such as ``yaml``). A template naming a field the rows do not have is refused with the
docker CLI's words before the engine is asked; other Go template syntax is refused too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated

import typer

from swarmdeck.cli.failing import refuse

FIELD = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")
WHOLE_ROW = re.compile(r"\{\{\s*json\s+\.\s*\}\}")

HostOpt = Annotated[
    str | None,
    typer.Option(
        "--host",
        "-H",
        envvar="DOCKER_HOST",
        metavar="HOST",
        help="Engine endpoint (default: the local socket).",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Only display IDs.")]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        metavar="FORMAT",
        help="table (default), json (one object a line), or a template such as '{{.Name}}'.",
    ),
]

Row = Mapping[str, object]


def go_json(value: object, indent: int | None = None) -> str:
    """JSON as Go's encoder writes it: map keys sorted (one line), or indented as given;
    ``<``, ``>`` and ``&`` escaped."""
    separators = (",", ": ") if indent else (",", ":")
    text = json.dumps(
        value, sort_keys=indent is None, indent=indent, separators=separators, ensure_ascii=False
    )
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def check(form: str | None, fields: Iterable[str]) -> None:
    """Refuse, before any work, a ``--format`` template these rows cannot fill."""
    if form in (None, "table", "json"):
        return
    template = str(form).removeprefix("table ")
    known = set(fields)
    for name in FIELD.findall(template):
        if name not in known:
            refuse(f"template: can't evaluate field {name}")
    rest = WHOLE_ROW.sub("", FIELD.sub("", template))
    if "{{" in rest or "}}" in rest or "{{" not in template:
        refuse(f"--format {form!r}: only table, json and {{{{.Field}}}} or {{{{json .}}}} templates are read")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def fill(template: str, row: Row) -> str:
    """One row through a template (already ``check``ed)."""
    text = WHOLE_ROW.sub(lambda _: go_json(dict(row)), template)
    text = FIELD.sub(lambda m: _text(row.get(m.group(1))), text)
    return text.replace("\\t", "\t").replace("\\n", "\n")


def lines(
    rows: Sequence[Row], form: str | None, quiet: bool, table: Callable[[], list[str]], id_key: str = "ID"
) -> list[str]:
    """What a list command prints: IDs with ``quiet``, else the table, JSON lines or the
    template filled once per row."""
    if quiet:
        return [_text(row[id_key]) for row in rows]
    if form in (None, "table"):
        return table()
    if form in ("json", "{{json .}}"):
        return [go_json(dict(row)) for row in rows]
    template = str(form).removeprefix("table ")
    return [fill(template, row) for row in rows]
