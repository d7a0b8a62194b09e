"""Which Debian mirror the VMs use: the one this host's own apt is configured with.

Read from apt's two formats (deb822 ``sources.list.d/*.sources`` and one-line ``sources.list``
/ ``sources.list.d/*.list``), never written in the repository: the VM image is bootstrapped
from it, the image's apt sources keep its URIs, and the qemu driver forwards exactly its
host:port endpoints into the guests (and nothing else). Only plain ``http`` mirrors can be
forwarded that way; anything else is one clear error.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from swarmdeck.machine.errors import MachineError

RELEASE = "bookworm"
# Guest addresses (in qemu's user-mode network) that stand for the mirror hosts, one per host.
GUEST_BASE = "10.0.2."
GUEST_FIRST = 100


@dataclass(frozen=True)
class AptSource:
    """One enabled ``deb`` source for the release (main archive, updates or security)."""

    uri: str  # as the host writes it, trailing slash removed
    suites: tuple[str, ...]
    components: tuple[str, ...]

    @property
    def host(self) -> str:
        return urlsplit(self.uri).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.uri).port or 80


@dataclass(frozen=True)
class Forward:
    """A mirror endpoint as a guest sees it: ``name`` resolves to ``guest`` in the VM's
    /etc/hosts, and qemu relays ``guest:port`` to ``host:port`` on this host."""

    name: str
    guest: str
    port: int


@dataclass(frozen=True)
class Mirrors:
    """The release's sources on this host: ``sources[0]`` carries the release itself."""

    sources: tuple[AptSource, ...]
    check_valid_until: bool  # the host's Acquire::Check-Valid-Until (snapshot mirrors turn it off)

    @property
    def main(self) -> AptSource:
        return self.sources[0]

    def forwards(self) -> list[Forward]:
        names: list[str] = []
        endpoints: list[tuple[str, int]] = []
        for source in self.sources:
            if source.host not in names:
                names.append(source.host)
            if (source.host, source.port) not in endpoints:
                endpoints.append((source.host, source.port))
        return [
            Forward(name, f"{GUEST_BASE}{GUEST_FIRST + names.index(name)}", port) for name, port in endpoints
        ]

    def deb822(self) -> str:
        """The image's /etc/apt/sources.list.d/debian.sources: the host's own entries."""
        blocks = []
        for source in self.sources:
            blocks.append(
                "Types: deb\n"
                f"URIs: {source.uri}\n"
                f"Suites: {' '.join(source.suites)}\n"
                f"Components: {' '.join(source.components)}\n"
                "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
            )
        return "\n".join(blocks)


def parse_deb822(text: str) -> list[AptSource]:
    """The enabled ``deb`` entries of one ``.sources`` file (one source per URI)."""
    sources = []
    for stanza in _stanzas(text):
        if stanza.get("enabled", "yes").lower() == "no":
            continue
        if "deb" not in stanza.get("types", "").split():
            continue
        suites = tuple(stanza.get("suites", "").split())
        components = tuple(stanza.get("components", "main").split())
        for uri in stanza.get("uris", "").split():
            sources.append(AptSource(uri.rstrip("/"), suites, components))
    return sources


def _stanzas(text: str) -> list[dict[str, str]]:
    stanzas: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                stanzas.append(current)
            current, key = {}, ""
            continue
        if line[0] in " \t" and key:
            current[key] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            current[key] = value.strip()
    if current:
        stanzas.append(current)
    return stanzas


def parse_one_line(text: str) -> list[AptSource]:
    """The ``deb`` lines of a one-line-style list; ``[options]`` are skipped, one source per line."""
    sources = []
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if len(words) >= 2:
            sources.append(AptSource(words[0].rstrip("/"), (words[1],), tuple(words[2:]) or ("main",)))
    return sources


def read_sources(apt_dir: Path) -> list[AptSource]:
    """Every enabled ``deb`` source under ``apt_dir`` (``/etc/apt``), in apt's reading order."""
    found: list[AptSource] = []
    one_line = apt_dir / "sources.list"
    if one_line.is_file():
        found += parse_one_line(one_line.read_text(encoding="utf-8"))
    parts = apt_dir / "sources.list.d"
    if parts.is_dir():
        for path in sorted(parts.iterdir()):
            if path.suffix == ".list":
                found += parse_one_line(path.read_text(encoding="utf-8"))
            elif path.suffix == ".sources":
                found += parse_deb822(path.read_text(encoding="utf-8"))
    return found


def release_sources(found: list[AptSource], release: str = RELEASE) -> tuple[AptSource, ...]:
    """The sources for ``release`` and its -updates/-security suites, merged per URI, the
    release's own source first. Fails when the release itself or a non-http URI is among them."""
    merged: dict[str, AptSource] = {}
    for source in found:
        suites = tuple(s for s in source.suites if s == release or s.startswith(f"{release}-"))
        if not suites:
            continue
        old = merged.get(source.uri)
        if old is not None:
            suites = old.suites + tuple(s for s in suites if s not in old.suites)
            components = old.components + tuple(c for c in source.components if c not in old.components)
            merged[source.uri] = AptSource(source.uri, suites, components)
        else:
            merged[source.uri] = AptSource(source.uri, suites, source.components)
    ordered = sorted(merged.values(), key=lambda s: release not in s.suites)
    if not ordered or release not in ordered[0].suites:
        raise MachineError(f"this host's apt sources name no Debian {release} mirror (see /etc/apt)")
    for source in ordered:
        if urlsplit(source.uri).scheme != "http" or not source.host:
            raise MachineError(f"the VMs can only use plain http mirrors; this host's apt uses {source.uri}")
    return tuple(ordered)


def host_mirrors(apt_dir: Path = Path("/etc/apt")) -> Mirrors:
    """This host's Debian mirrors for the VMs' release, and whether its apt checks Valid-Until."""
    return Mirrors(release_sources(read_sources(apt_dir)), _check_valid_until())


def _check_valid_until() -> bool:
    try:
        out = subprocess.run(
            ["apt-config", "shell", "V", "Acquire::Check-Valid-Until"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
    except OSError:
        return True
    return "false" not in out.lower()
