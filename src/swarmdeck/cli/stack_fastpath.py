"""`stack deploy` of a stack that nothing changed: answered from a fingerprint, without the
compose loader, the docker SDK or pydantic.

Why: re-deploying an unchanged 30-service file took ~0.75 s, ~0.4 s of it importing and
building the compose models and the SDK, to find that nothing was to be sent. The docker CLI
takes ~0.6 s; the goal (issue 14) is 0.3x that.

What is recorded: after a full deploy that went through (changed something, or found nothing
to change), a small JSON record per engine endpoint and stack, under the CLI's stack-deploy
folder (``<data dir>/stack-deploys/fastpath/``, next to the journals, written whole with the
journal's ``write``). It holds

* the *fingerprint*: a hash of each compose file's absolute path and bytes, the bytes of the
  ``.env`` next to the first file (``stack deploy`` reads none, but a conservative hash costs
  nothing), the working directory, the value (or absence) of every environment variable whose
  name appears as a word anywhere in the files plus ``HOME`` (a superset of what the loader
  reads: ``$VAR``/``${VAR...}``, ``environment`` entries taken from the caller's environment,
  ``~``), the deploy options that shape the specs (``--resolve-image``,
  ``--with-registry-auth``), the endpoint and its TLS variables, the stack name, and a stamp of
  the compose package's modules and the version (sizes and modification times: a changed
  converter may make other specs from the same file);
* the secret and config files the compose files name, each with the hash of its bytes (which
  files those are follows from what the fingerprint covers, so the list is recorded rather
  than found again without a YAML parser);
* every service of the stack after the deploy: ID, ``Version.Index`` and image (pinned to the
  digest the registry gave); its secrets and configs: ID and ``Version.Index``; and for
  ``--resolve-image always`` the digest of each distinct image, under the name the full path
  asks the registry for;
* what the full path would print for the same deploy found unchanged: the loader's warnings
  and ``Unchanged service NAME (id: ID)`` lines in the plan's order (the lines are made by
  ``compose.stack.apply``, their one home, when the record is written).

A label cannot hold the service's own version, so the record lives on this machine: another
machine, or another data dir, simply takes the full path once. So does the deploy after one
that created services, when the swarm's allocator updated a new service (its version moved)
after the record was written: that full deploy finds nothing to change and records again.

The next deploy reads and hashes the files; on a match, the secret and config files must hash
as recorded, one ``GET /services`` by the stack's label (``engine.light``) must show exactly
the recorded services at the recorded versions and images (an out-of-band ``docker service
update``, a removed or an added service all fall back), and when it has any, ``GET /secrets``
and ``GET /configs`` by the label exactly its recorded ones; no journal of a cut-short deploy
may be waiting (the full path takes it back first); and with ``--resolve-image always`` the
engine is asked once per distinct image (``GET /distribution/NAME/json``, as the full path's
resolver asks) and each digest must be the recorded one (a moved tag falls back). Then the
same lines are printed, with exit status 0, and nothing is sent: an unchanged deploy sends
nothing on the full path either, so its pre-flight checks of objects outside the stack would
refuse nothing that is sent.

Never taken (the full path runs, unchanged): ``--plan``, ``--prune``, ``--detach=false``,
stdin (``-c -``), an ``ssh://`` endpoint or a ``DOCKER_CONTEXT`` other than ``default``, files
that mention ``extends``, ``env_file``, ``include`` or ``credential_spec`` (other files read,
or objects named that the record does not follow), and any doubt: an unreadable file or
record, an engine or registry error (the registry is asked without credentials: a registry
that wants them answers the full path's way), any answer not shaped as expected. A full
deploy drops the stack's record before it changes anything and writes a new one only once it
has returned, and only if the files still hash as they did before it loaded them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from swarmdeck.engine import refusals
from swarmdeck.engine.errors import EngineError
from swarmdeck.engine.labels import STACK_IMAGE, STACK_NAMESPACE
from swarmdeck.engine.light import LightClient, parse_endpoint

if TYPE_CHECKING:
    import docker

    from swarmdeck.compose.load import LoadResult
    from swarmdeck.compose.stack import DeployReport

FORMAT = 1
_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
# Keys that make the loader read files the record does not follow, or specs depend on objects
# it does not follow: their mere mention, anywhere, means the full path.
_OUTSIDE = re.compile(rb"\b(extends|env_file|include|credential_spec)\b")
_PACKAGE = Path(__file__).resolve().parents[1]
_CODE = (_PACKAGE / "__init__.py", _PACKAGE / "compose")  # the version, and what makes the specs


@dataclass(frozen=True)
class Replay:
    """What the full path would print for this unchanged deploy."""

    warnings: list[str]
    lines: list[str]


@dataclass(frozen=True)
class Key:
    """One deploy's fingerprint and the record it would match."""

    stack: str
    target: str
    files: tuple[str, ...]
    resolve_image: str
    with_registry_auth: bool
    digest: str

    @classmethod
    def of(
        cls,
        files: list[str],
        stack: str,
        host: str | None,
        *,
        resolve_image: str,
        with_registry_auth: bool,
        prune: bool,
        detach: bool | None,
        plan: bool,
    ) -> Key | None:
        """The deploy's key, or None when it may not take the fast path (see the module)."""
        if plan or prune or detach is False or resolve_image not in ("always", "changed", "never"):
            return None
        if not files or "-" in files or os.environ.get("DOCKER_CONTEXT", "default") != "default":
            return None
        target = host or os.environ.get("DOCKER_HOST") or refusals.DEFAULT_ENDPOINT
        try:
            if parse_endpoint(target)[0] == "ssh":
                return None
        except EngineError:
            return None
        key = cls(stack, target, tuple(files), resolve_image, with_registry_auth, "")
        digest = key.fingerprint()
        return None if digest is None else replace(key, digest=digest)

    def fingerprint(self) -> str | None:
        """The hash of everything the deploy's specs are made from; None: not hashable."""
        parts: dict[str, Any] = {"format": FORMAT, "stack": self.stack, "target": self.target}
        words: set[bytes] = {b"HOME"}
        try:
            files = []
            for name in self.files:
                path = Path(name).resolve()
                data = path.read_bytes()
                if _OUTSIDE.search(data):
                    return None
                words.update(_WORD.findall(data))
                files.append([str(path), hashlib.sha256(data).hexdigest()])
            dotenv = Path(files[0][0]).parent / ".env"
            parts["dotenv"] = hashlib.sha256(dotenv.read_bytes()).hexdigest() if dotenv.is_file() else None
            parts["cwd"] = os.getcwd()
            parts["code"] = _code_stamp()
        except OSError:
            return None
        parts["files"] = files
        parts["env"] = {w: os.environ.get(w) for w in sorted(w.decode() for w in words)}
        parts["engine_env"] = {
            v: os.environ.get(v) for v in ("DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONFIG")
        }
        parts["options"] = [self.resolve_image, self.with_registry_auth]
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    def record_path(self, folder: Path) -> Path:
        name = hashlib.sha256(f"{self.target}\0{self.stack}".encode()).hexdigest()[:40]
        return folder / "fastpath" / f"{name}.json"


def _code_stamp() -> list[Any]:
    """Sizes and modification times of the modules that make a deploy's specs (the compose
    package) and of the one with the version: a stat each, no reading (~50 files, ~1 ms)."""
    info = _CODE[0].stat()
    stamp: list[Any] = [["__init__.py", info.st_size, info.st_mtime_ns]]
    for folder, dirs, names in os.walk(_CODE[1]):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                info = os.stat(path)
                stamp.append([os.path.relpath(path, _PACKAGE), info.st_size, info.st_mtime_ns])
    return stamp


def _stack_services(api: Any, stack: str) -> list[dict[str, Any]]:
    return list(api.services(filters={"label": f"{STACK_NAMESPACE}={stack}"}))


def _hashes(paths: list[str]) -> dict[str, str]:
    return {path: hashlib.sha256(Path(path).read_bytes()).hexdigest() for path in paths}


def _objects(api: Any, stack: str) -> dict[str, list[Any]]:
    """The stack's secrets and configs by ID: [kind, version]."""
    label = {"label": f"{STACK_NAMESPACE}={stack}"}
    return {
        str(o["ID"]): [kind, int(o["Version"]["Index"])]
        for kind, listed in (("secret", api.secrets), ("config", api.configs))
        for o in listed(filters=label)
    }


def _state(services: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Each service by ID: [name, version, image]."""
    return {
        str(s["ID"]): [
            s["Spec"]["Name"],
            int(s["Version"]["Index"]),
            s["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"],
        ]
        for s in services
    }


DETACH_NOTE = (
    "Since --detach=false was not specified, tasks will be created in the "
    "background.\nIn a future release, --detach=false will become the default."
)
_asked: set[str] = set()  # fingerprints ``answer_argv`` checked in vain: not asked twice


def show_warnings(warnings: list[str]) -> None:
    """The compose loader's warnings, each followed by an empty line (the docker CLI's way)."""
    for warning in warnings:
        sys.stderr.write(warning + "\n\n")


def answer(key: Key, detach: bool | None) -> bool:
    """Print the full path's answer to an unchanged deploy if ``key``'s is (see ``unchanged``);
    False: not known, and the full path runs."""
    if key.digest in _asked:
        return False
    from swarmdeck.store.datadir import stack_deploys_folder

    replay = unchanged(key, stack_deploys_folder())
    if replay is None:
        return False
    show_warnings(replay.warnings)
    if detach is None:
        sys.stderr.write(DETACH_NOTE + "\n")
    sys.stdout.write("".join(line + "\n" for line in replay.lines))
    return True


def answer_argv(args: list[str]) -> bool:
    """``answer`` for ``stack deploy ARGS`` read straight from the command line, before the
    command-line framework is imported (its import and command tree are most of what is left
    of an unchanged deploy's time). Only the plain forms of the options the fast path takes
    are read here: ``-c``/``--compose-file``, ``--resolve-image``, ``--with-registry-auth``,
    ``-d``/``--detach``, ``-H``/``--host``, each as ``--opt VALUE`` or ``--opt=VALUE``, and
    the stack's name; anything else (``--help``, ``--prune``, ``-cFILE``...) is left to the
    command line, which checks again (``deploy_cmd``)."""
    files: list[str] = []
    values = {"--resolve-image": "always", "--host": os.environ.get("DOCKER_HOST") or None}
    flags: dict[str, bool | None] = {"--with-registry-auth": False, "--detach": None}
    names: list[str] = []
    rest = iter(args)
    for arg in rest:
        option, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        option = {"-c": "--compose-file", "-H": "--host", "-d": "--detach"}.get(option, option)
        if option in ("--compose-file", *values):
            given = value if equals else next(rest, None)
            if given is None:
                return False
            if option == "--compose-file":
                files.append(given)
            else:
                values[option] = given
        elif option in flags and not equals:
            flags[option] = True
        elif arg.startswith("-") or names:
            return False
        else:
            names.append(arg)
    if len(names) != 1:
        return False
    key = Key.of(
        files,
        names[0],
        values["--host"],
        resolve_image=values["--resolve-image"] or "",
        with_registry_auth=bool(flags["--with-registry-auth"]),
        prune=False,
        detach=flags["--detach"],
        plan=False,
    )
    if key is None:
        return False
    if answer(key, flags["--detach"]):
        return True
    _asked.add(key.digest)
    return False


def unchanged(key: Key, folder: Path) -> Replay | None:
    """What to print if the deploy ``key`` stands for would change nothing; None: not known
    (then the full path runs)."""
    try:
        record = json.loads(key.record_path(folder).read_bytes())
        if record.get("format") != FORMAT or record.get("fingerprint") != key.digest:
            return None
        if Path(record["journal"]).exists() or _hashes(list(record["files"])) != record["files"]:
            return None
        client = LightClient(key.target)
        try:
            if _state(_stack_services(client, key.stack)) != record["services"]:
                return None
            if record["objects"] and _objects(client, key.stack) != record["objects"]:
                return None
            if key.resolve_image == "always":
                for image, digest in record["images"].items():
                    if client.inspect_distribution(image)["Descriptor"]["digest"] != digest:
                        return None
        finally:
            client.close()
        return Replay([str(w) for w in record["warnings"]], [str(line) for line in record["lines"]])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, EngineError):
        return None


def forget(key: Key, folder: Path) -> None:
    """Drop the stack's record (a full deploy is about to change things)."""
    key.record_path(folder).unlink(missing_ok=True)


def remember(
    key: Key,
    folder: Path,
    client: docker.DockerClient,
    report: DeployReport,
    loaded: LoadResult,
    journal: Path,
) -> None:
    """Record the stack as the full deploy ``report`` left it (see the module); nothing when
    the files changed meanwhile or an image was not pinned to a digest."""
    from swarmdeck.compose import journal as journals
    from swarmdeck.compose.stack import apply, convert
    from swarmdeck.engine.errormap import doing
    from swarmdeck.errors import SwarmdeckError

    if key.fingerprint() != key.digest:
        return
    project = loaded.project
    named = [s.file for s in project.secrets.values()] + [c.file for c in project.configs.values()]
    try:  # only a shortcut for the next deploy: this one went through whatever happens here
        files = _hashes(sorted({str(Path(file).resolve()) for file in named if file}))
        with doing(f"listing the services of stack {key.stack}"):
            listed = _stack_services(client.api, key.stack)
            objects = _objects(client.api, key.stack)
    except (SwarmdeckError, OSError):
        return
    by_name = {s["Spec"]["Name"]: s for s in listed}
    lines: list[str] = []
    images: dict[str, str] = {}
    for change in report.plan.services:
        service = by_name.get(change.name)
        if service is None or change.spec is None:
            return
        lines.append(apply.unchanged_line(change.name, str(service["ID"])))
        if key.resolve_image == "always":
            pinned = service["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
            _, at, digest = pinned.partition("@")
            asked = convert.tagged(change.spec["Labels"][STACK_IMAGE])
            if not at or images.setdefault(asked, digest) != digest:
                return
    record = {
        "format": FORMAT,
        "fingerprint": key.digest,
        "journal": str(journal),
        "files": files,
        "services": _state(listed),
        "objects": objects,
        "images": images,
        "warnings": list(loaded.warnings),
        "lines": lines,
    }
    with contextlib.suppress(OSError):  # no record (a full disk...): the next deploy is full
        journals.write(key.record_path(folder), record)
