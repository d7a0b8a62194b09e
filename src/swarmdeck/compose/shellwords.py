"""Split a command string into words as the docker CLI does (github.com/google/shlex).

This differs from Python's ``shlex.split``: inside double quotes a backslash always
escapes the next character and is dropped (``"a\\b"`` -> ``ab``); ``#`` starts a comment
only at the start of a word (``a#b`` stays one word); ``""`` is an empty word.
"""

from __future__ import annotations

_SPACE = " \t\r\n"


def split(text: str) -> list[str]:
    """The words of ``text``; ``ValueError`` on an unclosed quote or a trailing backslash."""
    words: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SPACE:
            i += 1
            continue
        if ch == "#":  # a comment runs to the end of the line
            end = text.find("\n", i)
            i = n if end == -1 else end + 1
            continue
        word, i = _word(text, i)
        words.append(word)
    return words


def _word(text: str, i: int) -> tuple[str, int]:
    out: list[str] = []
    n = len(text)
    while i < n and text[i] not in _SPACE:
        ch = text[i]
        if ch == "\\":
            if i + 1 >= n:
                raise ValueError("EOF found after escape character")
            out.append(text[i + 1])
            i += 2
        elif ch == "'":
            end = text.find("'", i + 1)
            if end == -1:
                raise ValueError("EOF found when expecting closing quote")
            out.append(text[i + 1 : end])
            i = end + 1
        elif ch == '"':
            i += 1
            while True:
                if i >= n:
                    raise ValueError("EOF found when expecting closing quote")
                if text[i] == '"':
                    i += 1
                    break
                if text[i] == "\\":
                    if i + 1 >= n:
                        raise ValueError("EOF found after escape character")
                    out.append(text[i + 1])
                    i += 2
                else:
                    out.append(text[i])
                    i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out), i
