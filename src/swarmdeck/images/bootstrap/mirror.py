"""The machine's own Debian mirror, read from its apt sources at run time.

Base images are built from whichever mirror the host's apt already uses, so no mirror host
name is ever written into the project. Both formats apt reads are parsed: deb822
(``sources.list.d/*.sources``) and one-line (``sources.list.d/*.list``, ``sources.list``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from swarmdeck.images.bootstrap.recipes import SUITE
from swarmdeck.images.errors import ImageError

APT_DIR = Path("/etc/apt")


@dataclass(frozen=True)
class AptSource:
    """One apt source entry: either a deb822 paragraph or a one-line ``deb`` line."""

    types: tuple[str, ...]
    uris: tuple[str, ...]
    suites: tuple[str, ...]
    components: tuple[str, ...]
    enabled: bool = True


def parse_deb822_sources(text: str) -> list[AptSource]:
    """Parse the deb822 format of ``/etc/apt/sources.list.d/*.sources``."""
    sources = []
    for paragraph in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        name = None
        for line in paragraph.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line[0] in " \t" and name is not None:
                fields[name] += " " + line.strip()
                continue
            key, sep, value = line.partition(":")
            if not sep:
                continue
            name = key.strip().lower()
            fields[name] = value.strip()
        if "uris" not in fields:
            continue
        sources.append(
            AptSource(
                types=tuple(fields.get("types", "").split()),
                uris=tuple(fields["uris"].split()),
                suites=tuple(fields.get("suites", "").split()),
                components=tuple(fields.get("components", "").split()),
                enabled=fields.get("enabled", "yes").lower() not in ("no", "false", "0"),
            )
        )
    return sources


_ONE_LINE = re.compile(
    r"^(?P<type>deb|deb-src)\s+(?:\[[^\]]*\]\s+)?"  # [arch=... signed-by=...]
    r"(?P<uri>\S*\[[^\]]*\]\S*|\S+)\s+"  # a cdrom:[Label With Spaces]/ URI, or any
    r"(?P<suite>\S+)(?P<components>.*)$"
)


def parse_one_line_sources(text: str) -> list[AptSource]:
    """Parse the one-line format of ``/etc/apt/sources.list``."""
    sources = []
    for raw in text.splitlines():
        match = _ONE_LINE.match(raw.split("#", 1)[0].strip())
        if match is None:
            continue
        sources.append(
            AptSource(
                types=(match["type"],),
                uris=(match["uri"],),
                suites=(match["suite"],),
                components=tuple(match["components"].split()),
            )
        )
    return sources


def _is_debian_mirror(source: AptSource, suite: str) -> bool:
    return (
        source.enabled
        and "deb" in source.types
        and suite in source.suites
        and ("main" in source.components or not source.components)
    )


def pick_mirror(sources: Iterable[AptSource], suite: str = SUITE) -> str | None:
    """The first usable URI of a ``deb`` source that carries ``suite`` main, if any."""
    for source in sources:
        if _is_debian_mirror(source, suite):
            for uri in source.uris:
                if uri.split(":", 1)[0] in ("http", "https", "file"):
                    return uri
    return None


def find_mirror(apt_dir: Path = APT_DIR, suite: str = SUITE) -> str:
    """The host's Debian mirror for ``suite``, from its apt sources.

    Reads ``sources.list.d/*.sources`` (deb822), ``sources.list.d/*.list`` and
    ``sources.list`` (one-line), in apt's order.
    """
    files = sorted((apt_dir / "sources.list.d").glob("*.sources"))
    files += sorted((apt_dir / "sources.list.d").glob("*.list"))
    files.append(apt_dir / "sources.list")
    sources: list[AptSource] = []
    for path in files:
        if not path.exists():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ImageError(f"cannot read the apt sources {path}: {exc}") from None
        parse = parse_deb822_sources if path.suffix == ".sources" else parse_one_line_sources
        sources += parse(text)
    mirror = pick_mirror(sources, suite)
    if mirror is None:
        raise ImageError(
            f"no Debian mirror for '{suite} main' in {apt_dir}/sources.list.d/*.sources or "
            f"{apt_dir}/sources.list: add one to build base images offline"
        )
    return mirror
