"""Showing a workflow's progress on the terminal with Rich, and the CLI's Rich consoles.

On a terminal a spinner line shows the current step and its latest detail. Anywhere else
(a CI log, a pipe) a spinner shows nothing, so a long step such as the base images'
debootstrap would look silent for minutes: there each step and its details are plain lines.
A detail ``WHO: STAGE: more`` (a base image's role, then what it is doing) is printed when
WHO's stage changed, else at most every ``PLAIN_DETAIL_SECONDS`` per WHO, so concurrent
builds each stay visible without a line per package. ``quiet`` keeps only the finished steps.

Rich is imported when something is printed, not when the CLI starts (its console is ~30 ms
of start-up): ``lazy_console`` is a console made on first use.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console
    from rich.status import Status


def lazy_console(**options: Any) -> Console:
    """A ``rich.console.Console(**options)``, made (and Rich imported) on first use."""
    return cast("Console", _LazyConsole(options))


class _LazyConsole:
    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:  # only for what the console itself has
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


PLAIN_DETAIL_SECONDS = 5.0


class TerminalReporter:
    """A Reporter (swarmdeck.platform.progress) that draws steps with a spinner.

    It remembers the finished steps, so that a failure can say what was done so far.
    """

    def __init__(self, console: Console, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.finished: list[str] = []
        self._status: Status | None = None
        self._title = ""
        self._plain = not console.is_terminal
        self._shown: dict[str, tuple[str, float]] = {}  # who -> (stage, when) last printed

    def step(self, title: str) -> None:
        self._stop()
        self._title = title
        if self.quiet:
            return
        if self._plain:
            self.console.print(f"{title}…", highlight=False, markup=False)
            self._shown.clear()
            return
        self._status = self.console.status(f"[bold]{title}[/]…")
        self._status.start()

    def detail(self, message: str) -> None:
        if self._status is not None:
            self._status.update(f"[bold]{self._title}[/]… [dim]{_clip(message)}[/]")
        elif self._plain and not self.quiet:
            who, _, rest = message.partition(":")
            stage, now = rest.split(":", 1)[0].strip(), time.monotonic()
            last_stage, last_at = self._shown.get(who, ("", float("-inf")))
            if stage != last_stage or now - last_at >= PLAIN_DETAIL_SECONDS:
                self.console.print(f"  {_clip(message)}", highlight=False, markup=False)
                self._shown[who] = (stage, now)

    def done(self, summary: str) -> None:
        self._stop()
        self.finished.append(summary)
        self.console.print(f"[green]✓[/] [bold]{self._title}[/]: {summary}", highlight=False)

    def note(self, message: str) -> None:
        self.console.print(f"  [yellow]•[/] {message}", highlight=False)

    def fail(self) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


def _clip(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
