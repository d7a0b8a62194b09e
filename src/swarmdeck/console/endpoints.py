"""Reaching an endpoint: a client for it, and a probe (does an engine answer, which version,
which swarm role).

- ``tcp://`` with TLS uses the endpoint's CA and client certificate: its files, or the
  material the store keeps (``Store.endpoint_tls_files`` writes it out; callers pass them).
- ``ssh://user@host[:port]`` shells out to the ``ssh`` program (``docker system dial-stdio``
  on the far end), so the console user's ssh setup applies: its keys, and its known_hosts,
  which must already hold the host's key: host keys are always checked, never accepted blind.
"""

from __future__ import annotations

from typing import Any

import docker
import docker.tls

from swarmdeck.engine.client import MIN_API_VERSION, api_error, new_client
from swarmdeck.engine.errormap import doing
from swarmdeck.engine.errors import EngineError, EngineUnreachable
from swarmdeck.store import EndpointKind, EndpointRecord

PLAIN_TCP_WARNING = (
    "plain TCP without TLS: anyone who can reach this port controls the engine and the host "
    "(use TLS client certificates, or ssh://)"
)

MAX_ERROR = 300  # characters of a failed probe's error: the far end's words are not ours to echo

SSH_HINT = (
    "ssh runs as the console's user: its key must be accepted there, the host's key must be "
    "in its known_hosts, and the far end needs the docker CLI; ssh's own message is in the "
    "console's log"
)


def describe(endpoint: EndpointRecord) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "name": endpoint.name,
        "url": endpoint.url,
        "kind": endpoint.kind.value,
        "tls": endpoint.tls,
        "tls_ca": endpoint.tls_ca,
        "tls_cert": endpoint.tls_cert,
        "tls_key": endpoint.tls_key,
        "tls_material": endpoint.tls_material,
        "insecure": endpoint.insecure,
    }
    if endpoint.insecure:
        answer["warning"] = PLAIN_TCP_WARNING
    return answer


TLSFiles = tuple[str | None, str | None, str | None]  # CA, client certificate, client key


def open_client(
    endpoint: EndpointRecord, timeout: int = 120, tls_files: TLSFiles | None = None
) -> docker.DockerClient:
    """A client for ``endpoint``; it connects on first use, so this fails only on bad settings.
    ``tls_files``: ``Store.endpoint_tls_files(endpoint)`` (default: the endpoint's own paths)."""
    tls = None
    if endpoint.tls_material and tls_files is None:  # never fall back to unverified TLS
        raise EngineError(
            f"endpoint {endpoint.name!r} keeps its TLS in the console: its files were not given"
        )
    if endpoint.tls:
        ca, cert_file, key_file = tls_files or (endpoint.tls_ca, endpoint.tls_cert, endpoint.tls_key)
        cert = (cert_file, key_file) if cert_file and key_file else None
        tls = docker.tls.TLSConfig(client_cert=cert, ca_cert=ca, verify=ca or False)
    client = new_client(
        base_url=endpoint.url,
        tls=tls,
        version=MIN_API_VERSION,
        timeout=timeout,
        use_ssh_client=endpoint.kind is EndpointKind.SSH,
    )
    # requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE replace the endpoint's own CA, and
    # HTTPS_PROXY reroute the engine's traffic: neither may apply to an engine connection.
    client.api.trust_env = False
    return client


def probe(endpoint: EndpointRecord, timeout: int = 5, tls_files: TLSFiles | None = None) -> dict[str, Any]:
    """Health, engine version and swarm role; a dead endpoint is an answer, not an error, and
    so is a server that answers but is no Docker engine (its answer is not repeated)."""
    client = None
    try:
        with doing(f"no engine answers at {endpoint.url}"):  # the SDK's own failures too (TLS files)
            client = open_client(endpoint, timeout, tls_files)
            return probe_client(client, endpoint.url)
    except (EngineError, OSError, ValueError) as exc:  # a dead endpoint is this answer
        if isinstance(exc, EngineUnreachable) and exc.reason:  # not "…: the engine does not answer (…)"
            failure: object = f"no engine answers at {endpoint.url} ({exc.reason})"
        elif isinstance(exc, EngineError):
            failure = exc
        else:
            failure = api_error(f"no engine answers at {endpoint.url}", exc)
        error = str(failure)[:MAX_ERROR]
        if endpoint.kind is EndpointKind.SSH:
            error += f" ({SSH_HINT})"
        return {"healthy": False, "error": error}
    finally:
        if client is not None:
            client.close()


def probe_client(client: docker.DockerClient, url: str) -> dict[str, Any]:
    """``probe``'s answer from a client already made (the local endpoint's); its failures raise."""
    version = client.version()
    info = client.info()
    if not (
        isinstance(version, dict) and isinstance(version.get("ApiVersion"), str) and isinstance(info, dict)
    ):
        return {
            "healthy": False,
            "error": f"what answers at {url} is not a Docker engine "
            "(its /version and /info are not the engine's)",
        }
    raw = info.get("Swarm")
    swarm: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if swarm.get("LocalNodeState") != "active":
        role = "none"
    else:
        role = "manager" if swarm.get("ControlAvailable") else "worker"
    return {
        "healthy": True,
        "engine_version": str(version.get("Version", "")),
        "api_version": version["ApiVersion"],
        "swarm_role": role,
    }
