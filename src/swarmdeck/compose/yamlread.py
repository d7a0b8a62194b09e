"""Read one YAML document the way the docker CLI's go-yaml v3 decodes it, keeping locations.

PyYAML parses and composes the node graph (we only read its first document, as go-yaml
does); the scalar resolution is ours, because PyYAML follows YAML 1.1 (``yes``/``on`` are
booleans, ``8080:80`` is a base-60 int) while go-yaml v3 does not:

* only ``true``/``True``/``TRUE`` and the same spellings of ``false`` are booleans;
* ``~``, ``null``/``Null``/``NULL`` and the empty scalar are null;
* ints are Go literals after dropping ``_`` (``0x1F``, ``0o17``, ``0b101``, and ``017`` as
  octal), in int64 or else uint64 range; then floats (``1e3``, ``08`` -> 8.0, ``.inf``);
* everything else, and every quoted or block scalar, is a string (timestamps too).

Anchors, aliases and ``<<`` merge keys work (explicit keys win, then earlier merged maps);
a duplicate key, a non-string key, a recursive alias or a top level that is not a mapping
is an error naming its location.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from swarmdeck.compose.errors import ComposeError, Problem
from swarmdeck.compose.gofmt import sprint
from swarmdeck.compose.located import Location, LocDict, LocList, LocStr

_PLAIN = "swarmdeck:plain"  # tag our resolver gives untagged plain scalars
_YAML = "tag:yaml.org,2002:"
_MAX_NODES = 200_000  # alias expansion budget ("billion laughs")
_MAX_DEPTH = 100  # compose files nest a dozen levels; this keeps far from Python's limit

_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_SPECIAL = {
    **{s: math.nan for s in (".nan", ".NaN", ".NAN")},
    **{s: math.inf for s in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{s: -math.inf for s in ("-.inf", "-.Inf", "-.INF")},
}
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_BASES = {"x": 16, "X": 16, "o": 8, "O": 8, "b": 2, "B": 2}


def _go_int(text: str, signed: bool) -> int | None:
    """``strconv.ParseInt(text, 0, 64)`` (or ParseUint): None when it fails."""
    digits = text
    negative = False
    if signed and digits[:1] in ("+", "-"):
        negative = digits[0] == "-"
        digits = digits[1:]
    base = 10
    if len(digits) > 1 and digits[0] == "0":
        if digits[1] in _BASES:
            base, digits = _BASES[digits[1]], digits[2:]
        else:
            base, digits = 8, digits[1:]
    if not digits:
        return None
    try:
        value = int(digits, base)
    except ValueError:
        return None
    if not digits.isalnum():  # int() would accept surrounding spaces or a sign
        return None
    value = -value if negative else value
    low, high = (-(1 << 63), (1 << 63) - 1) if signed else (0, (1 << 64) - 1)
    return value if low <= value <= high else None


def resolve_plain(text: str) -> Any:
    """The value go-yaml v3 gives an untagged plain scalar decoded into ``any``."""
    if text in _NULL:
        return None
    hint = text[0]
    if hint in "yYnNtTfFoO":
        return True if text in _TRUE else False if text in _FALSE else text
    if hint == ".":
        if text in _SPECIAL:
            return _SPECIAL[text]
        return float(text) if _DOT_FLOAT.fullmatch(text) else text
    if hint in "+-0123456789":
        if text in _SPECIAL:
            return _SPECIAL[text]
        bare = text.replace("_", "")
        if bare:
            value = _go_int(bare, signed=True)
            if value is None:
                value = _go_int(bare, signed=False)
            if value is not None:
                return value
        if _YAML_FLOAT.fullmatch(bare):
            number = float(bare)
            if not math.isinf(number):
                return number
    return text


class _Resolver(BaseResolver):
    """Marks plain untagged scalars so that we resolve them ourselves."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN
        # types-PyYAML leaves BaseResolver.resolve unannotated (it returns the tag, a str)
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]


class _Loader(Reader, Scanner, Parser, Composer, _Resolver):
    def __init__(self, stream: str | bytes) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Resolver.__init__(self)


def read_yaml(text: str | bytes, file: str) -> LocDict:
    """Parse the first YAML document of ``text``; its top level must be a mapping."""
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        raise ComposeError(_syntax_problem(exc, file)) from None
    except yaml.reader.ReaderError as exc:
        line, column = _position(text, exc.position)
        raise ComposeError(Problem(f"invalid YAML: {_reader_reason(exc)}", file, line, column)) from None
    except yaml.YAMLError as exc:
        raise ComposeError(Problem(f"invalid YAML: {exc}", file)) from None
    except RecursionError:
        raise ComposeError(Problem("invalid YAML: the document is nested too deeply", file)) from None
    if not isinstance(node, MappingNode):
        loc = _loc(node, file) if node is not None else None
        raise ComposeError(Problem.at(loc, "", "top-level object must be a mapping", file))
    converter = _Converter(file)
    try:
        if _expanded_size(node, {}, set()) > _MAX_NODES:
            raise ComposeError(Problem("document contains excessive aliasing", file))
        data = converter.convert(node, [], 0)
    except RecursionError:
        raise ComposeError(Problem("invalid YAML: the document is nested too deeply", file)) from None
    if converter.problems:
        raise ComposeError(sorted(converter.problems, key=Problem.sort_key))
    assert isinstance(data, LocDict)
    return data


def _expanded_size(node: Node, sizes: dict[int, int], active: set[int]) -> int:
    """How many nodes the document has once every alias is expanded (cheap: memoised)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if isinstance(node, ScalarNode) or key in active:
        return 1
    active.add(key)
    children = (
        [child for pair in node.value for child in pair] if isinstance(node, MappingNode) else node.value
    )
    total = 1 + sum(_expanded_size(child, sizes, active) for child in children)
    active.discard(key)
    sizes[key] = total
    return total


def _compose(text: str | bytes) -> Node | None:
    loader = _Loader(text)
    try:
        return loader.get_node() if loader.check_node() else None
    finally:
        loader.dispose()


def _reader_reason(exc: yaml.reader.ReaderError) -> str:
    code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "\0")
    if exc.encoding == "unicode":
        return f"unacceptable character #x{code:04x}: {exc.reason}"
    return f"invalid {exc.encoding} byte #x{code:02x}: {exc.reason}"


def _position(text: str | bytes, position: int) -> tuple[int, int]:
    before = text[:position]
    newline = b"\n" if isinstance(before, bytes) else "\n"
    line = before.count(newline) + 1  # type: ignore[arg-type]
    column = position - (before.rfind(newline) + 1) + 1  # type: ignore[arg-type]
    return line, column


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    message = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem:
        context_mark = exc.context_mark
        where = ""
        if context_mark is not None and context_mark is not mark:
            where = f" at line {context_mark.line + 1}, column {context_mark.column + 1}"
        message = f"{message} ({exc.context}{where})"
    if mark is None:
        return Problem(f"invalid YAML: {message}", file)
    return Problem(f"invalid YAML: {message}", file, mark.line + 1, mark.column + 1)


def _loc(node: Node, file: str) -> Location:
    return Location(file, node.start_mark.line + 1, node.start_mark.column + 1)


class _Converter:
    """Turns the node graph into located data, collecting problems as it goes."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.active: set[int] = set()

    def fail(self, node: Node, path: list[str | int], message: str) -> None:
        self.problems.append(Problem.at(_loc(node, self.file), path, message))

    def convert(self, node: Node, path: list[str | int], depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise ComposeError(Problem.at(_loc(node, self.file), "", "document is nested too deeply"))
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.active:
            self.fail(node, path, "anchor value contains itself")
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                items = [self.convert(child, [*path, i], depth + 1) for i, child in enumerate(node.value)]
                return LocList(items, _loc(node, self.file), [_loc(child, self.file) for child in node.value])
            # PyYAML composes only scalar, sequence and mapping nodes.
            assert isinstance(node, MappingNode)
            return self.mapping(node, path, depth)
        finally:
            self.active.discard(id(node))

    def scalar(self, node: ScalarNode, path: list[str | int]) -> Any:
        tag, text = node.tag, node.value
        if tag == _PLAIN:
            value = resolve_plain(text)
        elif not tag.startswith(_YAML) or tag in (_YAML + "str", _YAML + "timestamp"):
            value = text
        elif tag == _YAML + "binary":
            try:
                value = base64.b64decode(text.encode("ascii"), validate=False).decode("utf-8")
            except (binascii.Error, UnicodeError, ValueError):
                self.fail(node, path, f"cannot decode !!binary {text!r}")
                return None
        else:
            value = self.tagged(node, path, tag[len(_YAML) :], text)
        return LocStr(value, _loc(node, self.file)) if isinstance(value, str) else value

    def tagged(self, node: ScalarNode, path: list[str | int], kind: str, text: str) -> Any:
        value = resolve_plain(text)
        if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        expected = {"int": int, "float": float, "bool": bool, "null": type(None)}.get(kind)
        ok = expected is not None and isinstance(value, expected)
        if kind == "int" and isinstance(value, bool):
            ok = False
        if not ok:
            got = _short_tag(value)
            self.fail(node, path, f"cannot decode {got} `{text}` as a !!{kind}")
            return None
        return value

    def mapping(self, node: MappingNode, path: list[str | int], depth: int) -> LocDict:
        out = LocDict(_loc(node, self.file))
        seen: dict[tuple[str, str], int] = {}
        merges: list[Node] = []
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                raw = (key_node.tag, key_node.value)
                first_line = seen.get((type(key_node).__name__, key_node.value))
                if first_line is not None:
                    self.fail(
                        key_node,
                        [*path, key_node.value],
                        f'mapping key "{key_node.value}" already defined at line {first_line}',
                    )
                    continue
                seen[(type(key_node).__name__, key_node.value)] = key_node.start_mark.line + 1
                if raw in ((_PLAIN, "<<"), (_YAML + "merge", "<<")):
                    merges.append(value_node)
                    continue
            key = self.convert(key_node, path, depth + 1)
            if not isinstance(key, str):
                self.fail(key_node, path, f"non-string key: {sprint(key)}")
                continue
            value = self.convert(value_node, [*path, str(key)], depth + 1)
            out.put(str(key), value, _loc(key_node, self.file), _loc(value_node, self.file))
        for merge in merges:
            self.merge_into(out, merge, path, depth)
        return out

    def merge_into(self, out: LocDict, merge: Node, path: list[str | int], depth: int) -> None:
        sources = merge.value if isinstance(merge, SequenceNode) else [merge]
        for source in sources:
            if not isinstance(source, MappingNode):
                self.fail(source, path, "map merge requires map or sequence of maps as the value")
                continue
            merged = self.convert(source, path, depth + 1)
            if not isinstance(merged, LocDict):
                continue
            for key, value in merged.items():
                if key not in out:
                    out.put(key, value, merged.key_locs[key], merged.value_locs[key])


def _short_tag(value: Any) -> str:
    if value is None:
        return "!!null"
    if isinstance(value, bool):
        return "!!bool"
    if isinstance(value, int):
        return "!!int"
    if isinstance(value, float):
        return "!!float"
    return "!!str"
