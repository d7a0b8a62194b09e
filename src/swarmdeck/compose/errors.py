"""The compose layer's one exception, and the problems it reports.

Every refusal of a compose file is a ``ComposeError``. It carries one or more ``Problem``\\ s,
each naming the file, line, column and key path, so that several mistakes in one file can
be reported at once, e.g.::

    docker-compose.yml:12:9: services.web.deploy.resources.limits.cpus: must be a string
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from swarmdeck.compose.located import Location
from swarmdeck.errors import SwarmdeckError


def format_path(parts: Iterable[str | int]) -> str:
    """A key path as the docker CLI prints it: ``services.web.ports.0.target``."""
    return ".".join(str(p) for p in parts)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a compose file: where it is and what is wrong."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str = ""

    @classmethod
    def at(
        cls, loc: Location | None, path: Sequence[str | int] | str, message: str, file: str | None = None
    ) -> Problem:
        """A problem at ``loc`` (or only in ``file`` when the location is unknown)."""
        text = path if isinstance(path, str) else format_path(path)
        if loc is None:
            return cls(message=message, file=file, path=text)
        return cls(message=message, file=loc.file, line=loc.line, column=loc.column, path=text)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file or "", self.line or 0, self.column or 0, self.message)

    def __str__(self) -> str:
        where = self.file or ""
        if self.file is not None and self.line is not None:
            where = f"{self.file}:{self.line}:{self.column}"
        return ": ".join(part for part in (where, self.path, self.message) if part)


class ComposeError(SwarmdeckError):
    """A compose file (or set of files) was refused; nothing was done with it.

    ``problems`` lists every problem found (at least one). ``file``, ``line``, ``column``,
    ``path`` and ``message`` describe the first. ``headline`` (optional) introduces the
    list, as the docker CLI does for forbidden options.
    """

    def __init__(self, problems: Problem | str | Sequence[Problem], headline: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        if not problems:
            raise ValueError("a ComposeError needs at least one problem")
        self.problems: list[Problem] = list(problems)
        self.headline = headline
        super().__init__(str(self))

    @property
    def file(self) -> str | None:
        return self.problems[0].file

    @property
    def line(self) -> int | None:
        return self.problems[0].line

    @property
    def column(self) -> int | None:
        return self.problems[0].column

    @property
    def path(self) -> str:
        return self.problems[0].path

    @property
    def message(self) -> str:
        return self.problems[0].message

    def __str__(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.headline:
            return self.headline + "\n\n" + "\n\n".join(lines)
        return "\n".join(lines)


def raise_if(problems: Sequence[Problem]) -> None:
    """Raise one ComposeError for ``problems`` (sorted by place), if there are any."""
    if problems:
        raise ComposeError(sorted(problems, key=Problem.sort_key))
