"""A small read-only engine client for the CLI's pure reads, so they start without the docker SDK.

Why: importing the docker SDK (with requests and urllib3) took ~90 ms of the ~0.25 s CPU of
`swarmdeck stack ls`, more than the rest of the command's own work; the reads need none of it.
What: GETs of JSON in HTTP/1.1, written and read here over a socket (``http.client`` would
import ``email`` and ``ssl``: about half of what the reads still imported), through the unix
socket, TCP, or TCP+TLS (``ssl`` imported only then), with the calls the swarm layer's reads
make, under the SDK's names and with its arguments (``services(filters=, status=)``,
``tasks``, ``nodes``, ``secrets``, ``configs``, ``inspect_service``, ``inspect_node``,
``inspect_swarm``, ``inspect_distribution``, ``info``, ``ping``), so the swarm layer's read
functions take either client (``.api`` is the client itself) and stack grouping, tables and
filters stay in one home; the CLI's unchanged-deploy check (``cli.stack_fastpath``) reads
the stack and asks the registry with it.

The endpoint is read as the SDK's ``docker.from_env`` reads it: the ``--host`` argument, else
``DOCKER_HOST``, else the local socket; TLS when the scheme is ``https``, or
``DOCKER_TLS_VERIFY`` is set (non-empty: verify the engine by ``$DOCKER_CERT_PATH/ca.pem``) or
``DOCKER_CERT_PATH`` is (present ``cert.pem``/``key.pem`` from it, ``~/.docker`` by default).
The API version is the one pinned for every client (``engine.versions``). ``ssh://`` endpoints
need the SDK's transport: ``read_client`` hands those to ``engine.client.connect``.

Errors are the engine layer's own (``engine.refusals`` picks the type of an error answer and
words a dead endpoint, as for the SDK path), so both clients fail alike.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.parse
from typing import Any, Protocol

from swarmdeck.engine import refusals
from swarmdeck.engine.errors import EngineError
from swarmdeck.engine.names import segment
from swarmdeck.engine.versions import MIN_API_VERSION

JSON = Any
DEFAULT_TIMEOUT = 120.0


class ReadAPI(Protocol):
    """The low-level reads both clients make (the SDK's ``APIClient``, ``LightClient``)."""

    def services(self, filters: dict[str, Any] | None = None, status: bool | None = None) -> Any: ...

    def tasks(self, filters: dict[str, Any] | None = None) -> Any: ...

    def nodes(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def inspect_service(self, service: str, insert_defaults: bool | None = None) -> Any: ...

    def inspect_node(self, node_id: str) -> dict[str, Any]: ...

    def inspect_swarm(self) -> dict[str, Any]: ...


class ReadClient(Protocol):
    """What the swarm layer's reads take: a ``docker.DockerClient`` or a ``LightClient``."""

    @property
    def api(self) -> ReadAPI: ...

    def info(self) -> dict[str, Any]: ...


class _Answer:
    """One HTTP/1.1 answer read off the socket: ``status`` and ``body``, and whether the
    connection may carry the next request (the body's end was known)."""

    def __init__(self, stream: Any) -> None:
        status_line = stream.readline(65537)
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise OSError(f"not an HTTP answer: {status_line[:80]!r}")
        self.status = int(parts[1])
        headers: dict[str, str] = {}
        while True:
            line = stream.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        self.reusable = headers.get("connection", "").lower() != "close"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks = []
            while True:
                size = int(stream.readline(65537).split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while stream.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                chunks.append(_exactly(stream, size))
                stream.readline(65537)
            self.body = b"".join(chunks)
        elif "content-length" in headers:
            self.body = _exactly(stream, int(headers["content-length"]))
        else:
            self.body, self.reusable = stream.read(), False


def _exactly(stream: Any, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise OSError("the engine closed the connection mid-answer")
    return bytes(data)


def _tls_context(verify: bool, cert_path: str | None) -> Any:
    import ssl  # only for TLS endpoints (ssl is ~10 ms of start-up)

    context = ssl.create_default_context()
    if cert_path is not None:
        if verify:
            context.load_verify_locations(os.path.join(cert_path, "ca.pem"))
        context.load_cert_chain(os.path.join(cert_path, "cert.pem"), os.path.join(cert_path, "key.pem"))
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def parse_endpoint(url: str) -> tuple[str, str, int]:
    """(scheme, host or socket path, port) of an endpoint, as the SDK's ``parse_host`` reads
    it: ``unix://PATH``, ``tcp://HOST:PORT``, ``http(s)://HOST:PORT``, or ``HOST:PORT``.
    The scheme is ``unix``, ``tcp``, ``https`` or ``ssh``; anything else is an ``EngineError``."""
    text = url.strip()
    if text in ("", "unix://"):
        text = refusals.DEFAULT_ENDPOINT
    parsed = urllib.parse.urlparse(text)
    scheme = parsed.scheme
    if not scheme or any(not (c.isascii() and (c.isalpha() or c == "+")) for c in scheme):
        parsed, scheme = urllib.parse.urlparse(f"//{text}", "tcp"), "tcp"
    scheme = {"http": "tcp", "http+unix": "unix"}.get(scheme, scheme)
    if scheme not in ("tcp", "https", "unix", "ssh"):
        raise EngineError(f"invalid engine endpoint {url!r}: unknown protocol {scheme!r}")
    if parsed.params or parsed.query or parsed.fragment or parsed.password:
        raise EngineError(f"invalid engine endpoint {url!r}")
    if scheme == "unix":
        path = parsed.path if parsed.hostname is None else f"{parsed.hostname}/{parsed.path}"
        return scheme, path.rstrip("/") or "/", 0
    if scheme == "ssh":
        return scheme, parsed.hostname or "", parsed.port or 22
    if not parsed.netloc:
        raise EngineError(f"invalid engine endpoint {url!r}")
    try:
        port = parsed.port or 0
    except ValueError:
        port = 0
    if port <= 0:
        raise EngineError(f"invalid engine endpoint {url!r}: a port is required")
    return scheme, parsed.hostname or "127.0.0.1", port


def _filters(filters: dict[str, Any] | None) -> str | None:
    """The SDK's ``convert_filters``: each value a list of strings, as JSON."""
    if not filters:
        return None
    converted: dict[str, list[str]] = {}
    for key, value in filters.items():
        values = value if isinstance(value, list) else [value]
        converted[key] = [("true" if v else "false") if isinstance(v, bool) else str(v) for v in values]
    return json.dumps(converted)


class LightClient:
    """GETs of the Engine API's JSON; see the module's docstring. One connection, kept alive
    while the engine's answers allow."""

    def __init__(
        self, url: str | None = None, timeout: float = DEFAULT_TIMEOUT, env: dict[str, str] | None = None
    ) -> None:
        environ = os.environ if env is None else env
        self.target = url or environ.get("DOCKER_HOST") or refusals.DEFAULT_ENDPOINT
        scheme, self._host, self._port = parse_endpoint(self.target)
        if scheme == "ssh":
            raise EngineError("the light client has no SSH transport: use engine.client.connect")
        cert_path = environ.get("DOCKER_CERT_PATH") or None
        verify_text = environ.get("DOCKER_TLS_VERIFY")
        verify = verify_text is not None and verify_text != ""
        self._tls = scheme == "https" or ((cert_path is not None or verify) and scheme == "tcp")
        if self._tls and (cert_path is not None or verify):
            cert_path = cert_path or os.path.join(os.path.expanduser("~"), ".docker")
        self._unix = scheme == "unix"
        self._timeout = timeout
        self._verify = verify or (scheme == "https" and cert_path is None)
        self._cert_path = cert_path
        self._sock: Any = None
        self._stream: Any = None

    @property
    def api(self) -> LightClient:
        """The SDK client's ``.api``: the low-level calls, which this client makes itself."""
        return self

    def _open(self) -> Any:
        if self._unix:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(self._timeout)
            try:
                sock.connect(self._host)
            except OSError:
                sock.close()
                raise
        else:
            sock = socket.create_connection((self._host, self._port), timeout=self._timeout)
            if self._tls:
                context = _tls_context(self._verify, self._cert_path)
                sock = context.wrap_socket(sock, server_hostname=self._host)
        return sock

    def get(self, path: str, params: dict[str, str | None] | None = None, *parts: str) -> JSON:
        """The JSON answer of ``GET /v<version>/<path>``; each of ``parts`` fills a ``{}`` of
        ``path`` once checked as one URL segment (``engine.names.segment``)."""
        quoted = [segment(part, slashes=True) for part in parts]  # percent-encoded once, there
        url = f"/v{MIN_API_VERSION}/{path.format(*quoted)}"
        query = {k: v for k, v in (params or {}).items() if v is not None}
        if query:
            url += "?" + urllib.parse.urlencode(query)
        request = f"GET {url} HTTP/1.1\r\nHost: docker\r\nAccept: application/json\r\n\r\n".encode()
        try:
            if self._sock is None:
                self._sock = self._open()
                self._stream = self._sock.makefile("rb")
            self._sock.sendall(request)
            answer = _Answer(self._stream)
        except (OSError, ValueError) as exc:
            self.close()
            reason = refusals.plain_reason(str(exc) or type(exc).__name__)
            raise refusals.unreachable(self.target, reason) from None
        if not answer.reusable:
            self.close()
        body = answer.body
        if answer.status >= 400:
            raise self._refusal(answer.status, body, url)
        if path == "_ping":  # the one answer in plain text ("OK")
            return body.decode("utf-8", "replace")
        try:
            return json.loads(body) if body else None
        except ValueError as exc:
            raise EngineError(f"{self.target} answered GET {url} with no JSON: {exc}") from None

    @staticmethod
    def _refusal(status: int, body: bytes, url: str) -> EngineError:
        try:
            explanation = str(json.loads(body).get("message", ""))
        except (ValueError, AttributeError):
            explanation = body.decode("utf-8", "replace").strip()
        cls = refusals.refusal_class(status, image="No such image" in explanation)
        return cls(f"{status} Error for {url}", explanation=explanation, status=status)

    def close(self) -> None:
        if self._sock is not None:
            self._stream.close()
            self._sock.close()
            self._sock = self._stream = None

    # The SDK's names and arguments (docker.api), for the swarm layer's reads.
    def ping(self) -> bool:
        self.get("_ping")
        return True

    def info(self) -> JSON:
        return self.get("info")

    def services(self, filters: dict[str, Any] | None = None, status: bool | None = None) -> JSON:
        return self.get("services", {"filters": _filters(filters), "status": "true" if status else None})

    def tasks(self, filters: dict[str, Any] | None = None) -> JSON:
        return self.get("tasks", {"filters": _filters(filters)})

    def nodes(self, filters: dict[str, Any] | None = None) -> JSON:
        return self.get("nodes", {"filters": _filters(filters)})

    def secrets(self, filters: dict[str, Any] | None = None) -> JSON:
        return self.get("secrets", {"filters": _filters(filters)})

    def configs(self, filters: dict[str, Any] | None = None) -> JSON:
        return self.get("configs", {"filters": _filters(filters)})

    def inspect_service(self, service: str, insert_defaults: bool | None = None) -> JSON:
        return self.get("services/{}", {"insertDefaults": "true" if insert_defaults else None}, service)

    def inspect_node(self, node_id: str) -> JSON:
        return self.get("nodes/{}", None, node_id)

    def inspect_swarm(self) -> JSON:
        return self.get("swarm")

    def inspect_distribution(self, image: str) -> JSON:
        """The registry's answer about ``image``, through the engine (no registry auth sent)."""
        return self.get("distribution/{}/json", None, image)


def read_client(url: str | None = None) -> ReadClient:
    """The client for a command that only reads: the light one, or for an ``ssh://``
    endpoint (which needs the SDK's transport) the SDK's, from ``engine.client.connect``."""
    target = url or os.environ.get("DOCKER_HOST") or refusals.DEFAULT_ENDPOINT
    if parse_endpoint(target)[0] == "ssh":
        from swarmdeck.engine.client import connect

        return connect(url)
    return LightClient(url)
