"""What the workload policy answers: a ``Violation`` (where in a request body, and why), the
``WorkloadRefused`` error carrying them, and ``require`` that raises it. Every rule module
returns these; the input layers translate them back into their own words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from swarmdeck.engine.errors import EngineError

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """``HostConfig.Binds[0]``: where in the request body a violation is."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(frozen=True)
class Violation:
    """One key of a request body the policy refuses: where it is, and why."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{format_path(self.path)}: {self.message}"


class WorkloadRefused(EngineError):
    """The workload policy refused a request; nothing was sent to the engine."""

    def __init__(self, violations: Sequence[Violation], what: str = "") -> None:
        self.violations = list(violations)
        lead = f"{what}: " if what else ""
        super().__init__(lead + "; ".join(str(v) for v in self.violations))


def require(violations: Sequence[Violation], what: str = "") -> None:
    """Raise ``WorkloadRefused`` when there is any violation."""
    if violations:
        raise WorkloadRefused(violations, what)
