"""How workflows tell their caller what they are doing, without knowing how it is shown."""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    def step(self, title: str) -> None:
        """A new step starts."""

    def detail(self, message: str) -> None:
        """Progress within the current step (a build line, a push layer, a task state)."""

    def done(self, summary: str) -> None:
        """The current step finished; ``summary`` says what it did or found."""

    def note(self, message: str) -> None:
        """Something the user should read (which case we are in, a warning)."""


class SilentReporter:
    """Records finished steps and notes; shows nothing (tests, scripts)."""

    def __init__(self) -> None:
        self.finished: list[str] = []
        self.notes: list[str] = []

    def step(self, title: str) -> None:
        pass

    def detail(self, message: str) -> None:
        pass

    def done(self, summary: str) -> None:
        self.finished.append(summary)

    def note(self, message: str) -> None:
        self.notes.append(message)
